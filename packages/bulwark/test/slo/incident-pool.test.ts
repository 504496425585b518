import { describe, expect, it } from 'vitest';
import { createIncidentPool } from '../../src/slo/recommend/incident-pool-service.js';
import { SyntheticSource } from '../../src/telemetry/synthetic.js';
import type { TelemetrySource, TimeRange } from '../../src/telemetry/types.js';

const DAY_S = 86_400;
const end = Math.floor(Date.UTC(2026, 10, 20) / 1000 / DAY_S) * DAY_S;
const span = { start: end - 30 * DAY_S, end };
const range: TimeRange = { start: new Date(span.start * 1000), end: new Date(span.end * 1000) };

/** Service i has i incidents, each a 2-hour 50% error burst on its own day. */
function estate(n: number) {
  const profiles = new Map(
    Array.from({ length: n }, (_, i) => [
      `svc-${i}`,
      {
        requestsPerSecond: 50,
        errorRate: 0.0001,
        latencyP50Ms: 20,
        incidents: Array.from({ length: i }, (_, k) => ({
          start: span.start + (2 + 3 * k) * DAY_S + 10 * 3600,
          durationSeconds: 2 * 3600,
          errorRate: 0.5,
          latencyFactor: 1,
        })),
      },
    ]),
  );
  return new SyntheticSource({ seed: 3, span, profiles });
}

function counting(source: TelemetrySource) {
  const calls: string[][] = [];
  let fail = false;
  const wrapped: TelemetrySource = Object.assign(Object.create(source) as TelemetrySource, {
    dailyCounts: async (services: readonly string[], r: TimeRange) => {
      calls.push([...services]);
      if (fail) throw new Error('Prometheus is down');
      return source.dailyCounts(services, r);
    },
  });
  return { wrapped, calls, setFail: (f: boolean) => (fail = f) };
}

describe('estate incident pool', () => {
  it('holds one cost per incident day of the sampled services, each the day excess (2 h at 50% ≈ 4% of a day)', async () => {
    const source = estate(5);
    const pool = createIncidentPool({
      telemetry: source,
      listServices: async () => [...Array(5).keys()].map((i) => `svc-${i}`),
    });
    const costs = await pool(range);
    // 0 + 1 + 2 + 3 + 4 incidents.
    expect(costs).toHaveLength(10);
    for (const c of costs ?? []) {
      expect(c).toBeGreaterThan(0.03);
      expect(c).toBeLessThan(0.05);
    }
  });

  it('samples at most sampleSize services, independent of listing order, and reuses the pool within its TTL', async () => {
    let t = 0;
    const { wrapped, calls } = counting(estate(20));
    const ids = [...Array(20).keys()].map((i) => `svc-${i}`);
    const pool = createIncidentPool({
      telemetry: wrapped,
      listServices: async () => ids,
      sampleSize: 8,
      ttlMs: 1000,
      now: () => t,
    });
    const first = await pool(range);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(8);
    t = 999;
    expect(await pool(range)).toBe(first);
    expect(calls).toHaveLength(1);
    t = 1000;
    await pool(range);
    expect(calls).toHaveLength(2);
    const reversed = createIncidentPool({
      telemetry: wrapped,
      listServices: async () => [...ids].reverse(),
      sampleSize: 8,
    });
    await reversed(range);
    expect([...(calls[2] ?? [])].sort()).toEqual([...(calls[0] ?? [])].sort());
  });

  it('a failure gives no pool and is retried on the next call; an estate without incidents gives none', async () => {
    const { wrapped, calls, setFail } = counting(estate(4));
    const ids = ['svc-0', 'svc-1', 'svc-2', 'svc-3'];
    const pool = createIncidentPool({ telemetry: wrapped, listServices: async () => ids });
    setFail(true);
    expect(await pool(range)).toBeUndefined();
    setFail(false);
    expect(await pool(range)).toHaveLength(6);
    expect(calls).toHaveLength(2);
    const quiet = createIncidentPool({ telemetry: estate(1), listServices: async () => ['svc-0'] });
    expect(await quiet(range)).toBeUndefined();
  });
});
