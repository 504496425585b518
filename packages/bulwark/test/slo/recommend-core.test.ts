import { seededRandom } from '@bulwark/resilience';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { archetypeOf } from '../../src/slo/recommend/archetypes.js';
import {
  analyseAvailability,
  breachProbability,
  type DayCounts,
  observedIncidents,
  simulatePeriods,
  trafficCap,
} from '../../src/slo/recommend/availability.js';
import { analyseLatency } from '../../src/slo/recommend/latency.js';
import { dataQuality } from '../../src/slo/recommend/quality.js';
import { recommend } from '../../src/slo/recommend/recommend.js';
import { detectRegimeChange } from '../../src/slo/recommend/regime.js';
import { shapley } from '../../src/slo/recommend/shapley.js';
import { quantile, roundTargetDown } from '../../src/slo/recommend/stats.js';
import type { LatencyPoint } from '../../src/telemetry/types.js';
import { analyseImpact } from '../../src/slo/impact/impact.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);

function days(n: number, errorRate: (i: number) => number, perDay = 1_000_000): DayCounts[] {
  return Array.from({ length: n }, (_, i) => {
    const bad = Math.round(perDay * errorRate(i));
    return { day: T0 / DAY + i, good: perDay - bad, total: perDay, hours: 24 };
  });
}

describe('exact Shapley values', () => {
  it('sum to f(actual) − f(baseline) for min/product scoring functions (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.9, max: 1, noNaN: true }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.double({ min: 0.9, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (actual, base) => {
          const baseline = base.slice(0, actual.length);
          const f = (x: readonly number[]) =>
            Math.min(
              x[0] as number,
              x.slice(1).reduce((a, b) => a * b, 1),
            );
          const phi = shapley(f, actual, baseline);
          const sum = phi.reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(f(actual) - f(baseline), 10);
        },
      ),
    );
  });

  it('give symmetric features equal values and a dummy feature zero', () => {
    const f = (x: readonly number[]) => (x[0] as number) * (x[1] as number);
    const phi = shapley((x) => f(x), [2, 2, 7], [1, 1, 3]);
    expect(phi[0]).toBeCloseTo(phi[1] as number, 12);
    expect(phi[2]).toBe(0);
    // Hand-computed: f(2,2) − f(1,1) = 3 split equally.
    expect(phi[0]).toBeCloseTo(1.5, 12);
  });
});

describe('availability tiers', () => {
  it('are ordered conservative ≤ balanced ≤ aggressive on arbitrary histories (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.05, noNaN: true }), { minLength: 7, maxLength: 60 }),
        fc.double({ min: 0.98, max: 1, noNaN: true }),
        (rates, bound) => {
          const a = analyseAvailability({
            days: days(rates.length, (i) => rates[i] as number),
            dependencyBound: bound,
            ciReplicates: 5,
            samples: 300,
          });
          expect(a.tiers.conservative.target).toBeLessThanOrEqual(a.tiers.balanced.target);
          expect(a.tiers.balanced.target).toBeLessThanOrEqual(a.tiers.aggressive.target);
          expect(a.tiers.balanced.target).toBeLessThanOrEqual(bound * 100 + 1e-9);
          for (const t of Object.values(a.tiers)) {
            expect(t.estimated_breach_probability).toBeGreaterThanOrEqual(0);
            expect(t.estimated_breach_probability).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('stay at or below a steady error rate, lowered only by the incident prior', () => {
    const a = analyseAvailability({ days: days(30, () => 0.0005) });
    // Ordinary days give 99.95%; a spotless history still carries incident risk (Jeffreys rate,
    // each incident at most 3% of a day = 0.1 point of a 30-day period).
    for (const t of Object.values(a.tiers)) expect(t.target).toBeLessThanOrEqual(99.95);
    expect(a.tiers.aggressive.target).toBeGreaterThanOrEqual(99.75);
    expect(a.tiers.conservative.target).toBeGreaterThanOrEqual(99.5);
    // Without the incident model the periods are all 99.95% and every tier rounds to 99.94–99.95.
    const periods = simulatePeriods(
      days(30, () => 0.0005),
      {
        periodDays: 30,
        samples: 200,
        meanBlockDays: 2,
        rand: seededRandom(1),
        incidents: false,
      },
    );
    expect(periods[0]).toBeGreaterThan(0.9994);
    expect(periods[199]).toBeLessThanOrEqual(0.9995);
    expect(a.observed).toBeCloseTo(99.95, 6);
    expect(a.tiers.balanced.error_budget_monthly_minutes).toBeCloseTo(
      (1 - a.tiers.balanced.target / 100) * 30 * 1440,
      1,
    );
  });

  it('price in a bad day: targets fall below the good-day level and the breach probability is the simulated share', () => {
    const a = analyseAvailability({ days: days(30, (i) => (i === 12 ? 0.2 : 0.0001)) });
    // One day at 80% in 30 costs ~0.67 points whenever a period contains it.
    expect(a.tiers.balanced.target).toBeLessThan(99.5);
    expect(a.tiers.aggressive.target).toBeLessThan(99.99);
    expect(a.tiers.balanced.estimated_breach_probability).toBe(
      Number(breachProbability(a.periods, a.tiers.balanced.target).toFixed(4)),
    );
    // Confidence intervals are intervals that contain something sensible.
    const [lo, hi] = a.tiers.balanced.confidence_interval;
    expect(lo).toBeLessThanOrEqual(hi);
    expect(hi).toBeLessThanOrEqual(100);
  });

  it('cap the balanced tier by the dependency bound and by what the traffic can measure', () => {
    const deps = analyseAvailability({ days: days(30, () => 0.00001), dependencyBound: 0.99 });
    expect(deps.cappedBy).toBe('dependencies');
    expect(deps.tiers.balanced.target).toBe(99);
    // The interval is of the tier as set: a tier the bound caps does not move above it.
    const uncapped = analyseAvailability({ days: days(30, () => 0.00001) });
    expect(uncapped.tiers.balanced.confidence_interval[0]).toBeGreaterThan(99.5);
    expect(deps.tiers.balanced.confidence_interval).toEqual([99, 99]);
    expect(deps.tiers.conservative.confidence_interval[1]).toBeLessThanOrEqual(99);
    expect(deps.tiers.aggressive.confidence_interval).toEqual(uncapped.tiers.aggressive.confidence_interval);
    // 50 requests a day: 1,500 per period -> at most 1 − 3/1500 = 99.8%.
    const low = days(30, () => 0, 50);
    const cap = trafficCap(low, 30);
    expect(cap).toBeCloseTo(0.998, 6);
    const t = analyseAvailability({ days: low, trafficCap: cap });
    expect(t.cappedBy).toBe('traffic');
    expect(t.tiers.aggressive.target).toBeLessThanOrEqual(99.8);
  });

  it('weigh an estate pool of incident sizes against the service own ones, by how many it has seen', () => {
    // One small incident (0.5% of a day) in 60 days; the estate has seen incidents 20× as large.
    const history = days(60, (i) => (i === 30 ? 0.0051 : 0.0001));
    const seen = observedIncidents(history, detectRegimeChange(history));
    expect(seen.map((x) => x.day)).toEqual([(history[30] as DayCounts).day]);
    expect(seen[0]?.cost).toBeCloseTo(0.005, 6);
    const bigPool = Array.from({ length: 200 }, () => 0.1);
    const alone = analyseAvailability({ days: history, ciReplicates: 0 });
    const pooled = analyseAvailability({ days: history, ciReplicates: 0, incidentPool: bigPool });
    // The pool makes the next incident likely large: a lower balanced target than its own history gives.
    expect(pooled.tiers.balanced.target).toBeLessThan(alone.tiers.balanced.target - 0.2);
    // A service that has shown many small incidents is judged mostly by its own.
    const busy = days(60, (i) => (i % 3 === 0 ? 0.0051 : 0.0001));
    expect(observedIncidents(busy, undefined)).toHaveLength(20);
    const busyAlone = analyseAvailability({ days: busy, ciReplicates: 0 });
    const busyPooled = analyseAvailability({ days: busy, ciReplicates: 0, incidentPool: bigPool });
    // Same incident count, every one as large as the pool's: where a pool-only model would land.
    const allBig = analyseAvailability({ days: days(60, (i) => (i % 3 === 0 ? 0.1001 : 0.0001)), ciReplicates: 0 });
    expect(busyPooled.tiers.balanced.target).toBeLessThan(busyAlone.tiers.balanced.target);
    // 20 own incidents against 4 pseudo-incidents of pool: about 1 draw in 6 from the pool.
    const moved = busyAlone.tiers.balanced.target - busyPooled.tiers.balanced.target;
    const full = busyAlone.tiers.balanced.target - allBig.tiers.balanced.target;
    expect(moved / full).toBeGreaterThan(0.05);
    expect(moved / full).toBeLessThan(0.4);
    // A pool of tiny incidents narrows a one-incident history instead (no jitter of 0.55 on it).
    const smallPool = Array.from({ length: 200 }, () => 0.0005);
    const narrowed = analyseAvailability({ days: history, ciReplicates: 0, incidentPool: smallPool });
    expect(narrowed.tiers.balanced.target).toBeGreaterThanOrEqual(alone.tiers.balanced.target);
    // An empty pool is no pool.
    expect(analyseAvailability({ days: history, ciReplicates: 0, incidentPool: [] }).tiers).toEqual(alone.tiers);
  });

  it('rounds targets down to 0.01 points, 0.001 above 99.99', () => {
    expect(roundTargetDown(99.9537)).toBe(99.95);
    expect(roundTargetDown(99.99537)).toBe(99.995);
    expect(roundTargetDown(99.5)).toBe(99.5);
  });
});

function latencyPoints(nDays: number, p99: (day: number, hour: number) => number, count = 1000): LatencyPoint[] {
  const out: LatencyPoint[] = [];
  for (let d = 0; d < nDays; d++) {
    for (let h = 0; h < 24; h++) {
      const v = p99(d, h);
      out.push({ start: new Date(T0 + d * DAY + h * 3_600_000), count, p50: v / 4.5, p95: v / 2, p99: v, p999: v * 2 });
    }
  }
  return out;
}

describe('latency tiers', () => {
  it('recover the p99 of identical hours and order targets conservative ≥ balanced ≥ aggressive', () => {
    const l = analyseLatency({ points: latencyPoints(30, () => 400) });
    expect(l.observed.p99 / 400).toBeGreaterThan(0.97);
    expect(l.observed.p99 / 400).toBeLessThan(1.03);
    expect(l.observed.p95 / 200).toBeGreaterThan(0.97);
    expect(l.observed.p95 / 200).toBeLessThan(1.03);
    expect(l.tiers.conservative.target_ms).toBeGreaterThanOrEqual(l.tiers.balanced.target_ms);
    expect(l.tiers.balanced.target_ms).toBeGreaterThanOrEqual(l.tiers.aggressive.target_ms);
    expect(l.tiers.balanced.percentile).toBe('p99');
    // Balanced = p99 plus the 5% noise margin on steady data.
    expect(l.tiers.balanced.target_ms).toBeGreaterThanOrEqual(Math.floor(400 * 1.05 * 0.97));
  });

  it('weights hours by traffic: a slow quiet hour moves the period p99 less than a slow busy one', () => {
    const quiet = latencyPoints(30, (_d, h) => (h === 3 ? 4000 : 300)).map((p) =>
      p.start.getUTCHours() === 3 ? { ...p, count: 10 } : p,
    );
    const busy = latencyPoints(30, (_d, h) => (h === 3 ? 4000 : 300));
    expect(analyseLatency({ points: quiet }).observed.p99).toBeLessThan(analyseLatency({ points: busy }).observed.p99);
  });

  it('ordering holds on random histories (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (seed) => {
        const rand = seededRandom(seed);
        const l = analyseLatency({ points: latencyPoints(10, () => 50 + rand() * 2000), samples: 200 });
        expect(l.tiers.conservative.target_ms).toBeGreaterThanOrEqual(l.tiers.balanced.target_ms);
        expect(l.tiers.balanced.target_ms).toBeGreaterThanOrEqual(l.tiers.aggressive.target_ms);
      }),
      { numRuns: 20 },
    );
  });
});

describe('data quality', () => {
  it('measures completeness and reports the largest gap', () => {
    const range = { start: new Date(T0), end: new Date(T0 + 2 * DAY) };
    const points = Array.from({ length: 48 }, (_, h) => ({
      start: new Date(T0 + h * 3_600_000),
      good: 10,
      total: 10,
    })).filter((_, h) => h < 10 || h >= 16);
    const q = dataQuality(points, range);
    expect(q.data_completeness).toBeCloseTo(42 / 48, 4);
    expect(q.telemetry_gaps[0]).toEqual({
      start: new Date(T0 + 10 * 3_600_000).toISOString(),
      end: new Date(T0 + 16 * 3_600_000).toISOString(),
      hours: 6,
    });
  });
});

describe('recommend()', () => {
  const hourly = (nDays: number, errorRate: number) =>
    Array.from({ length: nDays * 24 }, (_, h) => ({
      start: new Date(T0 + h * 3_600_000),
      total: 10_000,
      good: 10_000 - Math.round(10_000 * errorRate),
    }));
  const graph = {
    nodes: new Map([
      ['db', { self: 0.9995 }],
      ['psp', { publishedSla: 0.999, external: true }],
    ]),
    edges: new Map([
      [
        'api',
        [
          { target: 'db', criticality: 'hard' as const },
          { target: 'psp', criticality: 'hard' as const },
          { target: 'cache', criticality: 'soft' as const },
        ],
      ],
    ]),
  };

  it('explains the balanced target: Shapley contributions sum to balanced − baseline, bottleneck and counterfactuals', () => {
    const out = recommend({
      service: 'api',
      archetype: 'backend_service',
      range: { start: new Date(T0), end: new Date(T0 + 30 * DAY) },
      availability: hourly(30, 0.00002),
      latency: [],
      graph,
      sliTypes: ['availability'],
    });
    const rec = out.recommendations[0];
    if (rec?.sli_type !== 'availability') throw new Error('expected availability');
    const bound = 0.9995 * (0.999 - 0.001);
    expect(rec.explanation.dependency_impact.composite_availability_bound).toBeCloseTo(bound * 100, 3);
    expect(rec.tiers.balanced.target).toBeLessThanOrEqual(bound * 100);
    expect(rec.explanation.dependency_impact.bottleneck_service).toBe('psp');
    expect(rec.explanation.dependency_impact.soft_dependency_risks).toEqual([
      { service: 'cache', criticality: 'soft' },
    ]);
    const sum = rec.explanation.feature_attribution.reduce((s, f) => s + f.contribution, 0);
    const unrounded = Math.min(
      bound * 100,
      rec.explanation.feature_attribution.find((f) => f.feature === 'historical_availability')?.value ?? 0,
    );
    expect(sum).toBeCloseTo(unrounded - 99.9, 4);
    // The external dependency is the bottleneck; making it one nine better raises the target.
    const better = rec.explanation.counterfactuals.find((c) => c.condition.includes('improved'));
    expect(better?.balanced_after).toBeGreaterThan(rec.tiers.balanced.target);
    const worse = rec.explanation.counterfactuals.find((c) => c.condition.includes('degraded'));
    expect(worse?.balanced_after).toBeLessThan(rec.tiers.balanced.target);
    expect(out.cold_start).toBe(false);
    expect(out.confidence).toBe('high');
  });

  it('falls back to the archetype with low confidence when history is short', () => {
    const out = recommend({
      service: 'edge-gateway-1',
      archetype: archetypeOf({ id: 'edge-gateway-1' }),
      range: { start: new Date(T0), end: new Date(T0 + 30 * DAY) },
      availability: hourly(5, 0),
      latency: [],
      graph: { nodes: new Map(), edges: new Map() },
      sliTypes: ['availability', 'latency'],
    });
    expect(out.cold_start).toBe(true);
    expect(out.confidence).toBe('low');
    expect(out.data_quality.confidence_note).toMatch(/API gateway archetype/);
    const avail = out.recommendations.find((r) => r.sli_type === 'availability');
    expect(avail?.tiers.balanced).toMatchObject({ target: 99.95 });
    const lat = out.recommendations.find((r) => r.sli_type === 'latency');
    expect(lat?.tiers.balanced).toMatchObject({ target_ms: 200, percentile: 'p99' });
  });

  it('classifies archetypes from metadata and names', () => {
    expect(archetypeOf({ id: 'stripe', service_type: 'external' })).toBe('external_integration');
    expect(archetypeOf({ id: 'orders-db-0-a' })).toBe('datastore');
    expect(archetypeOf({ id: 'feedback-svc' })).toBe('backend_service');
    expect(archetypeOf({ id: 'x', metadata: { archetype: 'data_pipeline' } })).toBe('data_pipeline');
  });
});

describe('impact analysis', () => {
  // gw -> checkout -> payment -> psp ; gw -> search ; checkout -> {db-a, db-b} redundant
  const edges = new Map([
    [
      'gw',
      [
        { target: 'checkout', criticality: 'hard' as const },
        { target: 'search', criticality: 'hard' as const },
      ],
    ],
    [
      'checkout',
      [
        { target: 'payment', criticality: 'hard' as const },
        { target: 'db-a', criticality: 'hard' as const, redundancy_group: 'db' },
        { target: 'db-b', criticality: 'hard' as const, redundancy_group: 'db' },
      ],
    ],
    ['payment', [{ target: 'psp', criticality: 'hard' as const }]],
  ]);
  const values = new Map(
    Object.entries({
      gw: 0.9995,
      checkout: 0.999,
      payment: 0.999,
      psp: 0.9999,
      search: 0.999,
      'db-a': 0.99,
      'db-b': 0.99,
    }),
  );
  const upstream = new Map([
    ['checkout', 1],
    ['gw', 2],
  ]);

  it('bounds each service by its direct dependencies (end-to-end values), largest drop first, flags SLOs at risk', () => {
    const r = analyseImpact({
      values,
      edges,
      changed: 'payment',
      current: 0.999,
      proposed: 0.995,
      upstream,
      targets: new Map([
        ['checkout', 99.8],
        ['gw', 99.0],
      ]),
    });
    expect(r.impacted_services.map((i) => i.service_id).sort()).toEqual(['checkout', 'gw']);
    const checkout = r.impacted_services.find((i) => i.service_id === 'checkout');
    // checkout's bound: payment (already end-to-end, psp not counted again) × (1 − 0.01²)
    const redundant = 1 - 0.01 * 0.01;
    expect(checkout?.current_composite_availability).toBeCloseTo(0.999 * redundant * 100, 3);
    expect(checkout?.projected_composite_availability).toBeCloseTo(0.995 * redundant * 100, 3);
    expect(checkout?.slo_at_risk).toBe(true);
    expect(checkout?.newly_at_risk).toBe(true);
    expect(checkout?.relationship).toBe('upstream');
    // gw sees checkout at min(its value, its bound): 0.999 before (bound 0.9989 > … no: min), after 0.995·redundant.
    const gw = r.impacted_services.find((i) => i.service_id === 'gw');
    expect(gw?.relationship).toBe('upstream (transitive)');
    expect(gw?.current_composite_availability).toBeCloseTo(Math.min(0.999, 0.999 * redundant) * 0.999 * 100, 3);
    expect(gw?.projected_composite_availability).toBeCloseTo(0.995 * redundant * 0.999 * 100, 3);
    expect(gw?.slo_at_risk).toBe(false);
    for (let i = 1; i < r.impacted_services.length; i++) {
      expect(r.impacted_services[i - 1]?.delta).toBeLessThanOrEqual(r.impacted_services[i]?.delta as number);
    }
    expect(r.summary.slos_at_risk).toBe(1);
    expect(r.summary.recommendation).toMatch(/1 upstream service\(s\) at risk/);
  });

  it('stops propagating where a service is limited by its own value, not by the changed dependency', () => {
    // payment improves but checkout's own planning value (99.9%) is the binding limit for gw.
    const r = analyseImpact({
      values,
      edges,
      changed: 'payment',
      current: 0.999,
      proposed: 0.99999,
      upstream,
      targets: new Map(),
    });
    const gw = r.impacted_services.find((i) => i.service_id === 'gw');
    const checkout = r.impacted_services.find((i) => i.service_id === 'checkout');
    expect(checkout?.delta).toBeGreaterThan(0);
    expect(gw?.projected_composite_availability).toBeCloseTo(0.999 * 0.999 * 100, 3);
  });

  it('a redundant replica absorbs most of a change', () => {
    const r = analyseImpact({
      values,
      edges,
      changed: 'db-a',
      current: 0.99,
      proposed: 0.9,
      upstream: new Map([['checkout', 1]]),
      targets: new Map(),
    });
    const c = r.impacted_services[0];
    expect(c?.slo_at_risk).toBeNull();
    // (1 − 0.1·0.01) vs (1 − 0.01·0.01): a tiny drop, not 9 points.
    expect(Math.abs(c?.delta as number)).toBeLessThan(0.1);
    expect(c?.delta).toBeLessThan(0);
  });

  it('terminates on dependency cycles and reports them', () => {
    const cyc = new Map([
      ['a', [{ target: 'b', criticality: 'hard' as const }]],
      [
        'b',
        [
          { target: 'a', criticality: 'hard' as const },
          { target: 'c', criticality: 'hard' as const },
        ],
      ],
    ]);
    const r = analyseImpact({
      values: new Map([['a', 0.999]]),
      edges: cyc,
      changed: 'c',
      current: 0.999,
      proposed: 0.99,
      upstream: new Map([
        ['b', 1],
        ['a', 2],
      ]),
      targets: new Map(),
    });
    expect(r.impacted_services).toHaveLength(2);
    expect(r.impacted_services.every((i) => i.cycles?.[0]?.join() === 'a,b')).toBe(true);
    expect(r.impacted_services.find((i) => i.service_id === 'b')?.projected_composite_availability).toBeCloseTo(
      99 * 0.999,
      3,
    );
  });
});

it('quantile matches the type-7 definition', () => {
  expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  expect(quantile([5], 0.3)).toBe(5);
});
