import { describe, expect, it } from 'vitest';
import { diurnal, SyntheticSource, toOpenMetrics } from './synthetic.js';

const day = 86_400;
const span = { start: 1_790_000_000 - 30 * day, end: 1_790_000_000 };
const range = { start: new Date(span.start * 1000), end: new Date(span.end * 1000) };

describe('synthetic telemetry', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await new SyntheticSource({ seed: 1, span }).availabilitySeries('checkout', range, 3600);
    const b = await new SyntheticSource({ seed: 1, span }).availabilitySeries('checkout', range, 3600);
    const c = await new SyntheticSource({ seed: 2, span }).availabilitySeries('checkout', range, 3600);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('incidents lower availability and raise latency in their windows', async () => {
    const source = new SyntheticSource({
      span,
      profiles: new Map([
        [
          'api',
          {
            requestsPerSecond: 50,
            errorRate: 0.0001,
            latencyP50Ms: 20,
            incidents: [{ start: span.start + 10 * day, durationSeconds: 3600, errorRate: 0.4, latencyFactor: 3 }],
          },
        ],
      ]),
    });
    const avail = await source.availabilitySeries('api', range, 3600);
    const lat = await source.latencySeries('api', range, 3600);
    const at = (t: number) => avail.find((p) => p.start.getTime() / 1000 === t) as { good: number; total: number };
    const incident = at(span.start + 10 * day);
    const normal = at(span.start + 11 * day);
    expect(incident.good / incident.total).toBeCloseTo(0.6, 1);
    expect(normal.good / normal.total).toBeGreaterThan(0.999);
    const latAt = (t: number) => lat.find((p) => p.start.getTime() / 1000 === t)?.p99 as number;
    expect(latAt(span.start + 10 * day)).toBeGreaterThan(2.5 * latAt(span.start + 10 * day - 86_400 + 0));
    for (const p of avail) expect(p.good).toBeLessThanOrEqual(p.total);
  });

  it('follows a daily cycle and has low-traffic services with empty windows', async () => {
    expect(diurnal(15 * 3600)).toBeCloseTo(1, 9);
    expect(diurnal(3 * 3600)).toBeCloseTo(0.35, 9);
    const source = new SyntheticSource({ seed: 3, span });
    const services = Array.from({ length: 60 }, (_, i) => `svc-${i}`);
    const rates = services.map((s) => source.profile(s).requestsPerSecond);
    expect(rates.some((r) => r < 0.25)).toBe(true); // low traffic exists
    expect(rates.some((r) => r > 5)).toBe(true);
  });

  it('writes cumulative OpenMetrics counters that end with # EOF', () => {
    const source = new SyntheticSource({ seed: 4, span });
    const text = toOpenMetrics(
      source,
      ['a'],
      { start: range.start, end: new Date((span.start + 3 * 3600) * 1000) },
      3600,
    );
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('# TYPE http_requests counter');
    expect(lines.at(-1)).toBe('# EOF');
    const ok = lines.filter((l) => l.includes('code="200"')).map((l) => Number(l.split(' ')[1]));
    expect(ok[0]).toBe(0);
    for (let i = 1; i < ok.length; i++) expect(ok[i]).toBeGreaterThanOrEqual(ok[i - 1] as number);
  });
});
