import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/errors.js';
import { PrometheusSource } from '../../src/telemetry/prometheus.js';
import { prometheusAvailable, type RunningPrometheus, startBackfilledPrometheus } from '../support/prometheus.js';

// Two days of per-minute counters for two services, with a 50%-error outage hour in "checkout".
const HOUR = 3600;
const end = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 3 * HOUR;
const start = end - 48 * HOUR;
const outageHour = start + 30 * HOUR;
const RPM = 120;

function errorsPerMinute(service: string, t: number): number {
  if (service === 'checkout' && t >= outageHour && t < outageHour + HOUR) return RPM / 2;
  return service === 'checkout' ? 1 : 0;
}

function openMetrics(): string {
  const lines = ['# TYPE http_requests counter'];
  for (const service of ['checkout', 'search']) {
    for (const code of ['200', '500']) {
      let value = 0;
      for (let t = start; t <= end; t += 60) {
        lines.push(`http_requests_total{service="${service}",code="${code}"} ${value} ${t}`);
        const errors = errorsPerMinute(service, t);
        value += code === '500' ? errors : RPM - errors;
      }
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

describe.runIf(prometheusAvailable())('Prometheus adapter against a real Prometheus', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startBackfilledPrometheus(openMetrics());
  }, 90_000);
  afterAll(async () => {
    await prom?.stop();
  });

  it('reads hourly availability that matches the generated ground truth, outage included', async () => {
    const source = new PrometheusSource({ baseUrl: prom.url, retries: 0 });
    const points = await source.availabilitySeries(
      'checkout',
      { start: new Date((start + HOUR) * 1000), end: new Date(end * 1000) },
      HOUR,
    );
    expect(points.length).toBeGreaterThanOrEqual(40);
    for (const p of points) {
      const hourStart = p.start.getTime() / 1000;
      let total = 0;
      let errors = 0;
      for (let t = hourStart; t < hourStart + HOUR; t += 60) {
        total += RPM;
        errors += errorsPerMinute('checkout', t);
      }
      expect(p.good / p.total, `hour ${new Date(hourStart * 1000).toISOString()}`).toBeCloseTo(1 - errors / total, 3);
      expect(p.total / total).toBeGreaterThan(0.95);
      expect(p.total / total).toBeLessThan(1.05);
    }
    const worst = points.reduce((a, b) => (a.good / a.total < b.good / b.total ? a : b));
    expect(worst.start.getTime() / 1000).toBe(outageHour);
    expect(worst.good / worst.total).toBeCloseTo(0.5, 2);
  });

  it('reads daily counts of many services in one pair of range queries, each day against the ground truth', async () => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const source = new PrometheusSource({ baseUrl: prom.url, retries: 0, fetch: counting });
    // The two days of data (a day point at t covers (t − 1d, t]).
    const range = { start: new Date(start * 1000), end: new Date(end * 1000) };
    const daily = await source.dailyCounts(['checkout', 'search', 'unknown'], range);
    expect(requests).toBe(2);
    expect([...daily.keys()].sort()).toEqual(['checkout', 'search']);
    for (const service of ['checkout', 'search']) {
      const points = daily.get(service) ?? [];
      expect(points).toHaveLength(2);
      for (const p of points) {
        const dayStart = p.start.getTime() / 1000;
        let total = 0;
        let errors = 0;
        for (let t = dayStart; t < dayStart + 24 * HOUR; t += 60) {
          total += RPM;
          errors += errorsPerMinute(service, t);
        }
        expect(p.total / total).toBeGreaterThan(0.98);
        expect(p.total / total).toBeLessThan(1.02);
        expect(p.good / p.total, `${service} ${new Date(dayStart * 1000).toISOString()}`).toBeCloseTo(
          1 - errors / total,
          4,
        );
      }
    }
    // The outage day is the checkout day with ~30 minutes' worth of extra failures.
    const [first, second] = daily.get('checkout') ?? [];
    const outageDay = [first, second].find(
      (p) => p && outageHour * 1000 >= p.start.getTime() && outageHour * 1000 < p.start.getTime() + 86_400_000,
    );
    expect(outageDay).toBeDefined();
    expect(1 - (outageDay?.good ?? 0) / (outageDay?.total ?? 1)).toBeGreaterThan(0.02);
  });

  it('refuses injection and personal data before any query is sent', async () => {
    const source = new PrometheusSource({ baseUrl: prom.url, retries: 0 });
    const range = { start: new Date(start * 1000), end: new Date(end * 1000) };
    await expect(source.availabilitySeries('x"} or vector(1) #', range, HOUR)).rejects.toSatisfy(
      (e: unknown) => isBulwarkError(e) && e.code === 'validation_failed',
    );
    await expect(source.availabilitySeries('jane@example.com', range, HOUR)).rejects.toThrow(/SEC-008/);
  });

  it('when Prometheus stops: fails fast with dependency_unavailable and the breaker opens', async () => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const source = new PrometheusSource({
      baseUrl: prom.url,
      retries: 0,
      breakerThreshold: 2,
      timeoutMs: 2000,
      fetch: counting,
    });
    await source.ping();
    await prom.stop();
    for (let i = 0; i < 2; i++) {
      await expect(source.ping()).rejects.toSatisfy(
        (e: unknown) => isBulwarkError(e) && e.code === 'dependency_unavailable',
      );
    }
    expect(source.breaker.state).toBe('open');
    const before = requests;
    await expect(source.ping()).rejects.toThrow(/circuit open/);
    expect(requests).toBe(before); // rejected without a network call while open
  });
});

describe.runIf(prometheusAvailable())('synthetic telemetry round trip through a real Prometheus', () => {
  it('what the synthetic source says is what Prometheus answers after a backfill', async () => {
    const { SyntheticSource, toOpenMetrics } = await import('../../src/telemetry/synthetic.js');
    const endS = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 3 * HOUR;
    const span = { start: endS - 2 * 86_400, end: endS };
    const source = new SyntheticSource({
      seed: 9,
      span,
      profiles: new Map([
        [
          'orders',
          {
            requestsPerSecond: 20,
            errorRate: 0.002,
            latencyP50Ms: 30,
            incidents: [{ start: span.start + 20 * HOUR, durationSeconds: HOUR, errorRate: 0.3, latencyFactor: 2 }],
          },
        ],
      ]),
    });
    const range = { start: new Date(span.start * 1000), end: new Date(span.end * 1000) };
    const running = await startBackfilledPrometheus(toOpenMetrics(source, ['orders'], range, 60));
    try {
      const prom = new PrometheusSource({ baseUrl: running.url, retries: 0 });
      const hourly = { start: new Date((span.start + HOUR) * 1000), end: range.end };
      const fromProm = await prom.availabilitySeries('orders', hourly, HOUR);
      expect(fromProm.length).toBeGreaterThanOrEqual(40);
      for (const p of fromProm) {
        const t = p.start.getTime() / 1000;
        let good = 0;
        let total = 0;
        for (let m = t; m < t + HOUR; m += 60) {
          const w = source.window('orders', m, 60);
          good += w.good;
          total += w.total;
        }
        expect(p.good / p.total, new Date(t * 1000).toISOString()).toBeCloseTo(good / total, 2);
        expect(Math.abs(p.total - total) / total).toBeLessThan(0.05);
      }
    } finally {
      await running.stop();
    }
  }, 90_000);
});
