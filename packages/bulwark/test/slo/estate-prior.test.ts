import { describe, expect, it } from 'vitest';
import { analyseAvailability, type DayCounts } from '../../src/slo/recommend/availability.js';
import { buildEstatePrior } from '../../src/slo/recommend/estate-prior.js';
import { createEstatePrior } from '../../src/slo/recommend/estate-prior-service.js';
import { recommend } from '../../src/slo/recommend/recommend.js';
import { SyntheticSource } from '../../src/telemetry/synthetic.js';
import type { TelemetrySource, TimeRange } from '../../src/telemetry/types.js';

const DAY_S = 86_400;
const end = Math.floor(Date.UTC(2026, 10, 20) / 1000 / DAY_S) * DAY_S;
const span = { start: end - 30 * DAY_S, end };
const range: TimeRange = { start: new Date(span.start * 1000), end: new Date(span.end * 1000) };

/** Service i has i incidents, each a 2-hour 50% error burst on its own day. */
function estate(n: number, deploys: Record<string, Array<{ at: number; errorRateFactor: number }>> = {}) {
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
        deploys: deploys[`svc-${i}`] ?? [],
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

/** Daily counts at `rate(i)` over n days, a million requests a day. */
function days(n: number, rate: (i: number) => number): DayCounts[] {
  return Array.from({ length: n }, (_, i) => ({
    day: 20_000 + i,
    total: 1_000_000,
    good: 1_000_000 - Math.round(1_000_000 * rate(i)),
    hours: 1,
  }));
}

describe('estate prior (pure)', () => {
  it('counts a dependency incident once: a dependent incident day on the day its hard dependency had one is the dependency own', () => {
    const platform = days(40, (i) => (i === 10 || i === 20 ? 0.03 : 0.0001));
    // The app sees both platform incidents (on the same days) and one of its own.
    const app = days(40, (i) => (i === 10 || i === 20 ? 0.0301 : i === 30 ? 0.01 : 0.0002));
    const histories = new Map([
      ['platform', platform],
      ['app', app],
    ]);
    const deduped = buildEstatePrior(histories, (id) => (id === 'app' ? ['platform'] : []));
    expect(deduped.incidentCosts.map((c) => Number(c.toFixed(4))).sort()).toEqual([0.0098, 0.0299, 0.0299]);
    // Without the edge, the app's copies count as incidents of their own.
    expect(buildEstatePrior(histories, () => []).incidentCosts).toHaveLength(5);
  });

  it('counts an incident shared round a cycle of hard dependencies once, not zero times', () => {
    const shared = (extra: number) =>
      days(40, (i) => (i === 10 ? 0.03 + extra : i === 25 + extra * 1e4 ? 0.02 : 0.0001));
    // a → b → c → a, every one down on day 10; each also has an incident of its own.
    const histories = new Map([
      ['a', shared(0)],
      ['b', shared(0.0001)],
      ['c', shared(0.0002)],
    ]);
    const ring = { a: ['b'], b: ['c'], c: ['a'] } as Record<string, string[]>;
    const prior = buildEstatePrior(histories, (id) => ring[id] ?? []);
    // Day 10 once (kept by the first of the ring, a: 0.03) and the three own incidents.
    expect(prior.incidentCosts.map((c) => Number(c.toFixed(4))).sort()).toEqual([0.0199, 0.0199, 0.0199, 0.0299]);
    // A two-service cycle under a platform that had the day: the platform's, once.
    const withRoot = new Map([...histories, ['platform', shared(0.0003)]]);
    const rooted = buildEstatePrior(withRoot, (id) => (id === 'platform' ? [] : [...(ring[id] ?? []), 'platform']));
    expect(rooted.incidentCosts.filter((c) => c > 0.025)).toHaveLength(1);
  });

  it('fits the incident-rate prior to the spread of the services rates beyond Poisson noise, and none without spread', () => {
    // Half the estate has an incident day every 4 days, the other half every 40: a real spread.
    const histories = new Map(
      Array.from({ length: 20 }, (_, s) => [
        `svc-${s}`,
        days(40, (i) => ((s % 2 === 0 ? i % 4 === 1 : i % 40 === 1) ? 0.02 : 0.0001)),
      ]),
    );
    const prior = buildEstatePrior(histories, () => []);
    // Counts 10 and 1 in 40 days: mean rate 0.1375 per day.
    expect(prior.incidentRate).toBeDefined();
    expect((prior.incidentRate?.shape ?? 0) / (prior.incidentRate?.days ?? 1)).toBeCloseTo(0.1375, 6);
    // A week-old service with an incident every day does not count toward the rate prior.
    const withNew = new Map([...histories, ['new', days(5, () => 0.02)]]);
    expect(buildEstatePrior(withNew, () => []).incidentRate).toEqual(prior.incidentRate);
    // Every service with exactly the same count: no spread beyond noise, no prior.
    const same = new Map(
      Array.from({ length: 20 }, (_, s) => [`svc-${s}`, days(40, (i) => (i % 8 === 1 ? 0.02 : 0.0001))]),
    );
    expect(buildEstatePrior(same, () => []).incidentRate).toBeUndefined();
  });

  it('rates deploy steps per service-day over the days a step can be seen in, with their ratios kept within 0.1–10', () => {
    const flat = (n: number) => days(n, () => 0.0001);
    const histories = new Map<string, DayCounts[]>([
      ['regressed', days(60, (i) => (i >= 30 ? 0.0004 : 0.0001))],
      ['fixed', days(60, (i) => (i >= 30 ? 0.00001 : 0.001))],
      ['broken', days(60, (i) => (i >= 30 ? 0.05 : 0.0001))],
      ...Array.from({ length: 7 }, (_, k) => [`flat-${k}`, flat(60)] as [string, DayCounts[]]),
    ]);
    const prior = buildEstatePrior(histories, (id) => (id === 'regressed' ? ['flat-0', 'flat-1'] : []));
    expect(prior.steps?.ratios.map((r) => Number(r.toFixed(2))).sort((a, b) => a - b)).toEqual([0.1, 4, 10]);
    // 3 steps over 10 services × (60 − 7 days before − 3 days after) days.
    expect(prior.steps?.perServiceDay).toBeCloseTo(3 / 500, 9);
    // 10 services plus the two edges.
    expect(prior.steps?.meanSources).toBeCloseTo(1.2, 9);
    expect(buildEstatePrior(new Map([['flat', flat(60)]]), () => []).steps).toBeUndefined();
  });
});

describe('deploy steps in the forecast', () => {
  const quiet = days(60, () => 0.0005);
  it('price in the chance of a regression: lower targets and a real breach probability, more so with more steps', () => {
    const alone = analyseAvailability({ days: quiet, ciReplicates: 0 });
    const some = analyseAvailability({ days: quiet, ciReplicates: 0, steps: { perDay: 0.002, ratios: [4] } });
    const many = analyseAvailability({ days: quiet, ciReplicates: 0, steps: { perDay: 0.02, ratios: [4] } });
    expect(some.tiers.balanced.target).toBeLessThan(alone.tiers.balanced.target);
    expect(many.tiers.balanced.target).toBeLessThan(some.tiers.balanced.target);
    // A ×4 step on day 0 of a period is the worst case: 0.05% → 0.2% for the whole period, 0.15
    // point lower (plus the sampling noise of a different draw).
    expect(alone.tiers.balanced.target - many.tiers.balanced.target).toBeLessThanOrEqual(0.18);
    expect(many.tiers.balanced.estimated_breach_probability).toBeGreaterThan(0);
    // Steps that only fix things cost nothing.
    const fixes = analyseAvailability({ days: quiet, ciReplicates: 0, steps: { perDay: 0.02, ratios: [0.25] } });
    expect(fixes.tiers.balanced.target).toBeGreaterThanOrEqual(alone.tiers.balanced.target);
  });

  it('the incident-rate prior replaces Jeffreys: an estate where incidents are common lowers a spotless service target', () => {
    const alone = analyseAvailability({ days: quiet, ciReplicates: 0, incidentPool: [0.02] });
    const common = analyseAvailability({
      days: quiet,
      ciReplicates: 0,
      incidentPool: [0.02],
      incidentRate: { shape: 2, days: 20 },
    });
    expect(common.tiers.balanced.target).toBeLessThan(alone.tiers.balanced.target - 0.05);
  });
});

describe('the estate prior in a recommendation', () => {
  const T0 = Date.UTC(2026, 8, 1);
  const availability = Array.from({ length: 60 * 24 }, (_, h) => ({
    start: new Date(T0 + h * 3_600_000),
    total: 36_000,
    good: 36_000 - 18,
  }));
  const run = (deps: string[]) => {
    const out = recommend({
      service: 'checkout',
      archetype: 'backend_service',
      range: { start: new Date(T0), end: new Date(T0 + 60 * 86_400_000) },
      availability,
      latency: [],
      graph: {
        nodes: new Map(deps.map((d) => [d, { self: 0.99999 }])),
        edges: new Map([['checkout', deps.map((target) => ({ target, criticality: 'hard' as const }))]]),
      },
      sliTypes: ['availability'],
      seed: 1,
      estate: {
        incidentCosts: [0.01, 0.02],
        incidentRate: undefined,
        steps: { perServiceDay: 0.002, ratios: [4, 4, 0.25], meanSources: 2 },
      },
    });
    const rec = out.recommendations[0];
    if (rec?.sli_type !== 'availability') throw new Error('no availability recommendation');
    return rec;
  };

  it('scales the chance of a deploy step by the service and its hard dependencies, and says so', () => {
    const alone = run([]);
    const three = run(['db', 'cache', 'auth']);
    // 0.002 a day × (1 + hard dependencies) / 2 sources on average, over 30 days.
    expect(alone.explanation.summary).toContain('3 error-rate steps seen across the estate');
    expect(alone.explanation.summary).toContain(`at ${((1 - Math.exp(-0.001 * 30)) * 100).toFixed(1)}% per 30 days`);
    expect(three.explanation.summary).toContain(`at ${((1 - Math.exp(-0.004 * 30)) * 100).toFixed(1)}% per 30 days`);
    expect(three.tiers.balanced.target).toBeLessThan(alone.tiers.balanced.target);
  });
});

describe('estate prior source', () => {
  it('holds one cost per incident day of the sampled services, each the day excess (2 h at 50% ≈ 4% of a day)', async () => {
    const source = estate(5);
    const prior = createEstatePrior({
      telemetry: source,
      listServices: async () => [...Array(5).keys()].map((i) => `svc-${i}`),
    });
    const costs = (await prior(range))?.incidentCosts ?? [];
    // 0 + 1 + 2 + 3 + 4 incidents.
    expect(costs).toHaveLength(10);
    for (const c of costs) {
      expect(c).toBeGreaterThan(0.03);
      expect(c).toBeLessThan(0.05);
    }
  });

  it('fetches the sampled services hard dependencies too and counts their incidents once', async () => {
    const { wrapped, calls } = counting(estate(5));
    const prior = createEstatePrior({
      telemetry: wrapped,
      // Only svc-4 is listed; its hard dependency comes along. svc-4's first three incidents fall
      // on svc-3's days.
      listServices: async () => ['svc-4'],
      hardDependencies: async () => (id) => (id === 'svc-4' ? ['svc-3'] : []),
    });
    const p = await prior(range);
    expect(calls).toHaveLength(1);
    expect([...(calls[0] ?? [])].sort()).toEqual(['svc-3', 'svc-4']);
    // svc-3's 3 incidents, and svc-4's fourth, the only one on a day of its own.
    expect(p?.incidentCosts).toHaveLength(4);
  });

  it('sees a deploy step in the daily counts', async () => {
    const p = await createEstatePrior({
      telemetry: estate(3, { 'svc-0': [{ at: span.start + 15 * DAY_S, errorRateFactor: 4 }] }),
      listServices: async () => ['svc-0', 'svc-1', 'svc-2'],
    })(range);
    expect(p?.steps?.ratios).toHaveLength(1);
    expect(p?.steps?.ratios[0]).toBeGreaterThan(3);
    expect(p?.steps?.ratios[0]).toBeLessThan(5);
  });

  it('samples at most sampleSize services, independent of listing order, and reuses the prior within its TTL', async () => {
    let t = 0;
    const { wrapped, calls } = counting(estate(20));
    const ids = [...Array(20).keys()].map((i) => `svc-${i}`);
    const prior = createEstatePrior({
      telemetry: wrapped,
      listServices: async () => ids,
      sampleSize: 8,
      ttlMs: 1000,
      now: () => t,
    });
    const first = await prior(range);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(8);
    t = 999;
    expect(await prior(range)).toBe(first);
    expect(calls).toHaveLength(1);
    t = 1000;
    await prior(range);
    expect(calls).toHaveLength(2);
    const reversed = createEstatePrior({
      telemetry: wrapped,
      listServices: async () => [...ids].reverse(),
      sampleSize: 8,
    });
    await reversed(range);
    expect([...(calls[2] ?? [])].sort()).toEqual([...(calls[0] ?? [])].sort());
  });

  it('a failure gives no prior and is retried on the next call; an estate without incidents or steps gives none', async () => {
    const { wrapped, calls, setFail } = counting(estate(4));
    const ids = ['svc-0', 'svc-1', 'svc-2', 'svc-3'];
    const prior = createEstatePrior({ telemetry: wrapped, listServices: async () => ids });
    setFail(true);
    expect(await prior(range)).toBeUndefined();
    setFail(false);
    expect((await prior(range))?.incidentCosts).toHaveLength(6);
    expect(calls).toHaveLength(2);
    const quiet = createEstatePrior({ telemetry: estate(1), listServices: async () => ['svc-0'] });
    expect(await quiet(range)).toBeUndefined();
  });
});
