import { seededRandom } from '@bulwark/resilience';
import { fnv1a } from '../service-id.js';
import type { AvailabilityPoint, DiscoveredEdge, LatencyPoint, TelemetrySource, TimeRange } from './types.js';

/**
 * Deterministic telemetry for generated estates (demo, tests, benchmarks): per-service request
 * rate with a diurnal cycle, a base error rate, incidents (error bursts and latency regressions),
 * deploys that step the base error rate and stay (5% of services, in the last 20 days of the span),
 * low-traffic services, and a latency distribution. The same seed always gives the same numbers,
 * and `toOpenMetrics` writes them so a real Prometheus can be backfilled and queried.
 */
export interface Incident {
  /** Unix seconds. */
  start: number;
  durationSeconds: number;
  errorRate: number;
  latencyFactor: number;
}

/** A deploy that multiplies the base error rate from `at` (unix seconds) on. */
export interface Deploy {
  at: number;
  errorRateFactor: number;
}

export interface ServiceProfile {
  requestsPerSecond: number;
  errorRate: number;
  latencyP50Ms: number;
  incidents: Incident[];
  deploys?: Deploy[];
}

export interface SyntheticOptions {
  seed?: number;
  /** Incidents are placed in [start, end) (unix seconds); default: the last 90 days before now. */
  span?: { start: number; end: number };
  profiles?: Map<string, ServiceProfile>;
  /** Deploys of named services, in place of the generated ones. */
  deploys?: Record<string, Deploy[]>;
  edges?: DiscoveredEdge[];
}

/** Diurnal load: 1 at the daily peak (15:00 UTC), 0.35 at the trough. */
export function diurnal(unixSeconds: number): number {
  const hour = (unixSeconds / 3600) % 24;
  return 0.675 + 0.325 * Math.cos(((hour - 15) / 24) * 2 * Math.PI);
}

export class SyntheticSource implements TelemetrySource {
  readonly kind = 'synthetic' as const;
  private readonly seed: number;
  private readonly profiles: Map<string, ServiceProfile>;
  private readonly span: { start: number; end: number };

  constructor(private readonly o: SyntheticOptions = {}) {
    this.seed = o.seed ?? 42;
    this.profiles = new Map(o.profiles ?? []);
    const now = Math.floor(Date.now() / 86_400_000) * 86_400;
    this.span = o.span ?? { start: now - 90 * 86_400, end: now };
  }

  /** The profile of a service (generated from its name and the seed unless given). */
  profile(service: string): ServiceProfile {
    let p = this.profiles.get(service);
    if (p) return p;
    const rand = seededRandom(fnv1a(service) ^ this.seed);
    const lowTraffic = rand() < 0.1;
    const incidents: Incident[] = [];
    const days = (this.span.end - this.span.start) / 86_400;
    const count = Math.floor(rand() * Math.max(1, days / 15));
    for (let i = 0; i < count; i++) {
      incidents.push({
        start: this.span.start + Math.floor(rand() * (this.span.end - this.span.start - 3600)),
        durationSeconds: 600 + Math.floor(rand() * 5400),
        errorRate: 0.05 + rand() * 0.5,
        latencyFactor: 1 + rand() * 4,
      });
    }
    // Deploys from a stream of their own, so the rest of every profile is as it was without them.
    const deployRand = seededRandom(fnv1a(`${service}#deploy`) ^ this.seed);
    const deploys: Deploy[] =
      deployRand() < 0.05
        ? [
            {
              at: this.span.end - Math.floor(deployRand() * 20 * 86_400),
              errorRateFactor: deployRand() < 0.6 ? 4 : 0.25,
            },
          ]
        : [];
    p = {
      requestsPerSecond: lowTraffic ? 0.02 + rand() * 0.2 : 5 + rand() * 200,
      errorRate: 10 ** -(2.5 + rand() * 2), // 0.3% … 0.001%
      latencyP50Ms: 5 + rand() * 120,
      incidents,
      deploys: this.o.deploys?.[service] ?? deploys,
    };
    this.profiles.set(service, p);
    return p;
  }

  /** Requests and failures in [t, t + step), deterministic per (service, window). */
  window(service: string, t: number, step: number): { total: number; good: number; latencyFactor: number } {
    const p = this.profile(service);
    const noise = seededRandom(fnv1a(`${service}@${t}/${step}`) ^ this.seed);
    const expected = p.requestsPerSecond * step * diurnal(t + step / 2);
    const total = Math.max(0, Math.round(expected * (0.9 + 0.2 * noise())));
    let errorRate = p.errorRate;
    for (const d of p.deploys ?? []) {
      const after = Math.min(1, Math.max(0, (t + step - d.at) / step));
      errorRate *= 1 + (d.errorRateFactor - 1) * after;
    }
    let latencyFactor = 1;
    for (const inc of p.incidents) {
      const overlap = Math.max(0, Math.min(t + step, inc.start + inc.durationSeconds) - Math.max(t, inc.start));
      if (overlap > 0) {
        const share = overlap / step;
        errorRate = errorRate * (1 - share) + inc.errorRate * share;
        latencyFactor = Math.max(latencyFactor, 1 + (inc.latencyFactor - 1) * share);
      }
    }
    const failed = Math.min(total, Math.round(total * errorRate + (noise() < (total * errorRate) % 1 ? 1 : 0)));
    return { total, good: total - failed, latencyFactor };
  }

  async availabilitySeries(service: string, range: TimeRange, stepSeconds: number): Promise<AvailabilityPoint[]> {
    const out: AvailabilityPoint[] = [];
    for (
      let t = Math.floor(range.start.getTime() / 1000);
      t + stepSeconds <= range.end.getTime() / 1000;
      t += stepSeconds
    ) {
      const w = this.window(service, t, stepSeconds);
      if (w.total > 0) out.push({ start: new Date(t * 1000), good: w.good, total: w.total });
    }
    return out;
  }

  async latencySeries(service: string, range: TimeRange, stepSeconds: number): Promise<LatencyPoint[]> {
    const p = this.profile(service);
    const out: LatencyPoint[] = [];
    for (
      let t = Math.floor(range.start.getTime() / 1000);
      t + stepSeconds <= range.end.getTime() / 1000;
      t += stepSeconds
    ) {
      const w = this.window(service, t, stepSeconds);
      if (w.total === 0) continue;
      const load = 1 + 0.3 * diurnal(t);
      const p50 = p.latencyP50Ms * load * w.latencyFactor;
      out.push({ start: new Date(t * 1000), count: w.total, p50, p95: p50 * 2.2, p99: p50 * 4.5, p999: p50 * 9 });
    }
    return out;
  }

  async summaries(
    services: readonly string[],
    range: TimeRange,
  ): Promise<Map<string, { good: number; total: number }>> {
    const out = new Map<string, { good: number; total: number }>();
    const seconds = (range.end.getTime() - range.start.getTime()) / 1000;
    // Hourly windows (daily beyond two days) keep long ranges cheap.
    const step = seconds > 2 * 86_400 ? 86_400 : 3600;
    for (const s of services) {
      let good = 0;
      let total = 0;
      for (const p of await this.availabilitySeries(s, range, step)) {
        good += p.good;
        total += p.total;
      }
      if (total > 0) out.set(s, { good, total });
    }
    return out;
  }

  async dailyCounts(services: readonly string[], range: TimeRange): Promise<Map<string, AvailabilityPoint[]>> {
    const out = new Map<string, AvailabilityPoint[]>();
    for (const s of services) {
      const points = await this.availabilitySeries(s, range, 86_400);
      if (points.length > 0) out.set(s, points);
    }
    return out;
  }

  async discoverEdges(): Promise<DiscoveredEdge[]> {
    return [...(this.o.edges ?? [])];
  }

  async ping(): Promise<void> {}
}

/** Histogram bucket bounds (seconds) of the synthetic `http_request_duration_seconds`. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

/** Share of requests at or under `seconds` in a window whose median is `p50Ms` (lognormal, σ = ln 4.5 / 2.326). */
export function latencyShareUnder(seconds: number, p50Ms: number): number {
  const sigma = Math.log(4.5) / 2.326;
  return 0.5 * (1 + erf(Math.log((seconds * 1000) / p50Ms) / (sigma * Math.SQRT2)));
}

/**
 * The source's request counters as OpenMetrics text (`http_requests_total{service,code}` with
 * code 200 and 500, cumulative, one sample per step), ending with `# EOF`, for
 * `promtool tsdb create-blocks-from openmetrics`. With `histogram`, also the latency histogram
 * `http_request_duration_seconds{service,le}` (buckets, count, sum) for all or the named services.
 */
export function toOpenMetrics(
  source: SyntheticSource,
  services: string[],
  range: TimeRange,
  stepSeconds: number,
  options: { histogram?: boolean | readonly string[] } = {},
): string {
  const lines = ['# TYPE http_requests counter'];
  const hist: string[] = ['# TYPE http_request_duration_seconds histogram'];
  const start = Math.floor(range.start.getTime() / 1000);
  const end = Math.floor(range.end.getTime() / 1000);
  const les = [...LATENCY_BUCKETS.map(String), '+Inf'];
  for (const service of services) {
    const ok: string[] = [];
    const failed: string[] = [];
    const buckets: string[][] = les.map(() => []);
    const counts: string[] = [];
    const sums: string[] = [];
    const cum = new Array<number>(les.length).fill(0);
    let good = 0;
    let bad = 0;
    let sum = 0;
    const p = source.profile(service);
    const withHistogram = Array.isArray(options.histogram)
      ? options.histogram.includes(service)
      : options.histogram === true;
    for (let t = start; t <= end; t += stepSeconds) {
      ok.push(`http_requests_total{service="${service}",code="200"} ${good} ${t}`);
      failed.push(`http_requests_total{service="${service}",code="500"} ${bad} ${t}`);
      if (withHistogram) {
        les.forEach((le, i) => {
          buckets[i]?.push(`http_request_duration_seconds_bucket{service="${service}",le="${le}"} ${cum[i]} ${t}`);
        });
        counts.push(`http_request_duration_seconds_count{service="${service}"} ${cum[les.length - 1]} ${t}`);
        sums.push(`http_request_duration_seconds_sum{service="${service}"} ${sum.toFixed(3)} ${t}`);
      }
      const w = source.window(service, t, stepSeconds);
      good += w.good;
      bad += w.total - w.good;
      if (withHistogram) {
        const p50 = p.latencyP50Ms * (1 + 0.3 * diurnal(t)) * w.latencyFactor;
        LATENCY_BUCKETS.forEach((b, i) => {
          cum[i] = (cum[i] as number) + Math.round(w.total * latencyShareUnder(b, p50));
        });
        cum[les.length - 1] = (cum[les.length - 1] as number) + w.total;
        sum += (w.total * p50 * Math.exp((Math.log(4.5) / 2.326) ** 2 / 2)) / 1000;
      }
    }
    for (const list of [ok, failed]) for (const l of list) lines.push(l);
    if (withHistogram) for (const list of [...buckets, counts, sums]) for (const l of list) hist.push(l);
  }
  return `${lines.join('\n')}\n${hist.length > 1 ? `${hist.join('\n')}\n` : ''}# EOF\n`;
}
