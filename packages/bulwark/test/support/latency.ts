import { seededRandom } from '@bulwark/resilience';
import type { LatencyPoint, TelemetrySource, TimeRange } from '../../src/telemetry/types.js';

const MIN = 60_000;

/**
 * Per-minute p99 around 200 ms with 10% log-normal noise and a diurnal cycle; the services in
 * `steps` jump +30% from the given time on. Availability comes from `base` when given.
 */
export class GeneratedLatency implements TelemetrySource {
  readonly kind = 'synthetic' as const;
  constructor(
    private readonly steps: ReadonlyMap<string, number>,
    private readonly base?: TelemetrySource,
  ) {}
  async latencySeries(service: string, range: TimeRange, stepSeconds: number): Promise<LatencyPoint[]> {
    if (stepSeconds !== 60 && this.base) return this.base.latencySeries(service, range, stepSeconds);
    const out: LatencyPoint[] = [];
    const stepAt = this.steps.get(service) ?? Number.POSITIVE_INFINITY;
    let salt = 0;
    for (let i = 0; i < service.length; i++) salt = (salt * 31 + service.charCodeAt(i)) >>> 0;
    for (let t = range.start.getTime(); t + MIN <= range.end.getTime(); t += MIN) {
      const rand = seededRandom((t / MIN) ^ salt);
      const z = Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
      const diurnal = 1 + 0.3 * Math.sin((2 * Math.PI * t) / 86_400_000);
      const step = t >= stepAt ? 1.3 : 1;
      const p99 = 200 * diurnal * step * Math.exp(0.1 * z);
      out.push({ start: new Date(t), count: 100, p50: p99 / 4, p95: p99 / 2, p99, p999: p99 * 2 });
    }
    return out;
  }
  async availabilitySeries(service: string, range: TimeRange, stepSeconds: number) {
    return this.base ? this.base.availabilitySeries(service, range, stepSeconds) : [];
  }
  async summaries(services: readonly string[], range: TimeRange) {
    return this.base ? this.base.summaries(services, range) : new Map();
  }
  async dailyCounts(services: readonly string[], range: TimeRange) {
    return this.base ? this.base.dailyCounts(services, range) : new Map();
  }
  async discoverEdges() {
    return [];
  }
  async ping() {}
}
