import {
  CircuitBreaker,
  consecutiveFailures,
  exponentialBackoff,
  isBrokenCircuitError,
  type Policy,
  retry,
  timeout,
  wrap,
} from '@bulwark/resilience';
import { BulwarkError } from '../errors.js';
import { DEFAULT_QUERIES, promDuration, type QueryTemplates, render } from './promql.js';
import type { AvailabilityPoint, DiscoveredEdge, LatencyPoint, TelemetrySource, TimeRange } from './types.js';

export interface PrometheusSourceOptions {
  baseUrl: string;
  queries?: Partial<QueryTemplates>;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first try (default 3: waits 1 s, 2 s, 4 s). */
  retries?: number;
  /** Consecutive failures that open the circuit (default 10), and for how long (default 30 s). */
  breakerThreshold?: number;
  breakerOpenMs?: number;
  fetch?: typeof fetch;
}

type Matrix = Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

/**
 * TelemetrySource over the Prometheus HTTP API (`/api/v1/query_range`, `/api/v1/query`). Every call
 * goes through timeout, retry (1 s / 2 s / 4 s) and a circuit breaker (10 failures -> 30 s open);
 * failures surface as `dependency_unavailable` so callers can serve cached results.
 */
export class PrometheusSource implements TelemetrySource {
  readonly kind = 'prometheus' as const;
  readonly breaker: CircuitBreaker;
  private readonly policy: Policy;
  private readonly q: QueryTemplates;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly o: PrometheusSourceOptions) {
    this.q = { ...DEFAULT_QUERIES, ...o.queries };
    this.fetchFn = o.fetch ?? fetch;
    this.breaker = new CircuitBreaker({
      policy: consecutiveFailures(o.breakerThreshold ?? 10),
      openDurationMs: o.breakerOpenMs ?? 30_000,
      openBackoffFactor: 1,
    });
    this.policy = wrap(
      retry({ maxAttempts: 1 + (o.retries ?? 3), backoff: exponentialBackoff({ initialMs: 1000, maxMs: 4000 }) }),
      this.breaker,
      timeout(o.timeoutMs ?? 10_000),
    );
  }

  private async call<T>(path: string, params: Record<string, string>): Promise<T> {
    const url = `${this.o.baseUrl.replace(/\/$/, '')}${path}?${new URLSearchParams(params)}`;
    try {
      return await this.policy.execute(async ({ signal }) => {
        const res = await this.fetchFn(url, { signal });
        const body = (await res.json().catch(() => ({}))) as {
          status?: string;
          data?: { result?: T };
          error?: string;
          errorType?: string;
        };
        if (!res.ok || body.status !== 'success') {
          const err = Object.assign(
            new Error(`Prometheus answered ${res.status}: ${body.errorType ?? ''} ${body.error ?? ''}`.trim()),
            {
              status: res.status,
              headers: res.headers,
            },
          );
          // A bad query will stay bad: do not retry it (Prometheus answers 400/422 for those).
          if (res.status === 400 || res.status === 422) Object.assign(err, { permanent: true });
          throw err;
        }
        return body.data?.result as T;
      });
    } catch (err) {
      const reason = isBrokenCircuitError(err)
        ? 'circuit open after repeated failures'
        : err instanceof Error
          ? err.message
          : String(err);
      throw new BulwarkError('dependency_unavailable', `Prometheus at ${this.o.baseUrl} is unavailable: ${reason}`, {
        cause: err,
      });
    }
  }

  /** A range query whose point at t covers (t - step, t]: it asks for window ends. */
  private rangeMatrix(query: string, range: TimeRange, stepSeconds: number): Promise<Matrix> {
    return this.call<Matrix>('/api/v1/query_range', {
      query,
      start: String(range.start.getTime() / 1000 + stepSeconds),
      end: String(range.end.getTime() / 1000),
      step: String(stepSeconds),
    });
  }

  private async rangeSeries(query: string, range: TimeRange, stepSeconds: number): Promise<Map<number, number>> {
    const result = await this.rangeMatrix(query, range, stepSeconds);
    const out = new Map<number, number>();
    for (const series of result ?? []) {
      for (const [t, v] of series.values) {
        const n = Number(v);
        if (Number.isFinite(n)) out.set(Math.round(t) - stepSeconds, (out.get(Math.round(t) - stepSeconds) ?? 0) + n);
      }
    }
    return out;
  }

  async availabilitySeries(service: string, range: TimeRange, stepSeconds: number): Promise<AvailabilityPoint[]> {
    const window = promDuration(stepSeconds);
    const [total, good] = await Promise.all([
      this.rangeSeries(render(this.q.total, { service, window }), range, stepSeconds),
      this.rangeSeries(render(this.q.good, { service, window }), range, stepSeconds),
    ]);
    return [...total.entries()]
      .filter(([, t]) => t > 0)
      .sort(([a], [b]) => a - b)
      .map(([start, t]) => ({ start: new Date(start * 1000), total: t, good: Math.min(t, good.get(start) ?? 0) }));
  }

  async latencySeries(service: string, range: TimeRange, stepSeconds: number): Promise<LatencyPoint[]> {
    const window = promDuration(stepSeconds);
    const quantiles = [0.5, 0.95, 0.99, 0.999] as const;
    const [count, ...qs] = await Promise.all([
      this.rangeSeries(render(this.q.latencyCount, { service, window }), range, stepSeconds),
      ...quantiles.map((quantile) =>
        this.rangeSeries(render(this.q.latencyQuantile, { service, window, quantile }), range, stepSeconds),
      ),
    ]);
    return [...(count as Map<number, number>).entries()]
      .filter(([, c]) => c > 0)
      .sort(([a], [b]) => a - b)
      .map(([start, c]) => ({
        start: new Date(start * 1000),
        count: c,
        p50: qs[0]?.get(start) ?? Number.NaN,
        p95: qs[1]?.get(start) ?? Number.NaN,
        p99: qs[2]?.get(start) ?? Number.NaN,
        p999: qs[3]?.get(start) ?? Number.NaN,
      }));
  }

  async summaries(
    services: readonly string[],
    range: TimeRange,
  ): Promise<Map<string, { good: number; total: number }>> {
    const window = promDuration(Math.max(60, Math.round((range.end.getTime() - range.start.getTime()) / 1000)));
    const time = String(range.end.getTime() / 1000);
    const [total, good] = await Promise.all([
      this.call<Vector>('/api/v1/query', { query: render(this.q.totalByService, { window }), time }),
      this.call<Vector>('/api/v1/query', { query: render(this.q.goodByService, { window }), time }),
    ]);
    const wanted = new Set(services);
    const goodBy = new Map((good ?? []).map((s) => [s.metric.service ?? '', Number(s.value[1])]));
    const out = new Map<string, { good: number; total: number }>();
    for (const s of total ?? []) {
      const id = s.metric.service;
      const t = Number(s.value[1]);
      if (!id || !wanted.has(id) || !(t > 0)) continue;
      out.set(id, { total: t, good: Math.min(t, goodBy.get(id) ?? 0) });
    }
    return out;
  }

  async dailyCounts(services: readonly string[], range: TimeRange): Promise<Map<string, AvailabilityPoint[]>> {
    const step = 86_400;
    const window = promDuration(step);
    const [total, good] = await Promise.all([
      this.rangeMatrix(render(this.q.totalByService, { window }), range, step),
      this.rangeMatrix(render(this.q.goodByService, { window }), range, step),
    ]);
    const wanted = new Set(services);
    const goodAt = new Map<string, number>();
    for (const s of good ?? []) {
      for (const [t, v] of s.values) goodAt.set(`${s.metric.service}@${Math.round(t)}`, Number(v));
    }
    const out = new Map<string, AvailabilityPoint[]>();
    for (const s of total ?? []) {
      const id = s.metric.service;
      if (!id || !wanted.has(id)) continue;
      const points: AvailabilityPoint[] = [];
      for (const [t, v] of s.values) {
        const n = Number(v);
        if (!(n > 0)) continue;
        const g = goodAt.get(`${id}@${Math.round(t)}`) ?? 0;
        points.push({
          start: new Date((Math.round(t) - step) * 1000),
          total: n,
          good: Math.min(n, Number.isFinite(g) ? g : 0),
        });
      }
      if (points.length > 0) out.set(id, points);
    }
    return out;
  }

  async discoverEdges(range: TimeRange): Promise<DiscoveredEdge[]> {
    const window = promDuration(Math.max(60, Math.round((range.end.getTime() - range.start.getTime()) / 1000)));
    const time = String(range.end.getTime() / 1000);
    const [all, failed] = await Promise.all([
      this.call<Vector>('/api/v1/query', { query: render(this.q.edges, { window }), time }),
      this.call<Vector>('/api/v1/query', { query: render(this.q.failedEdges, { window }), time }),
    ]);
    const failedBy = new Map((failed ?? []).map((s) => [`${s.metric.client}>${s.metric.server}`, Number(s.value[1])]));
    return (all ?? [])
      .filter((s) => s.metric.client && s.metric.server)
      .map((s) => {
        const rps = Number(s.value[1]);
        const f = failedBy.get(`${s.metric.client}>${s.metric.server}`) ?? 0;
        return {
          source: s.metric.client as string,
          target: s.metric.server as string,
          rps,
          errorRate: rps > 0 ? f / rps : 0,
        };
      });
  }

  async ping(): Promise<void> {
    await this.call('/api/v1/query', { query: 'vector(1)' });
  }
}
