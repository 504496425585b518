import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { InfeasibleSpaceError, SpaceExhaustedError } from '../../../src/chaos/optimizer/errors.js';
import { GaussianProcess } from '../../../src/chaos/optimizer/gp.js';
import { Optimizer, type OptimizerOptions } from '../../../src/chaos/optimizer/optimizer.js';
import { Prng } from '../../../src/chaos/optimizer/prng.js';
import { EncodedSpace } from '../../../src/chaos/optimizer/space.js';
import type { Point, SearchSpace } from '../../../src/chaos/optimizer/types.js';

const mixedSpace: SearchSpace = {
  dimensions: [
    { kind: 'categorical', name: 'target', values: ['api', 'db', 'cache'] },
    { kind: 'categorical', name: 'fault', values: ['delay', 'abort'] },
    {
      kind: 'integer',
      name: 'delay_ms',
      low: 10,
      high: 5000,
      log: true,
      activeWhen: { dimension: 'fault', in: ['delay'] },
    },
    { kind: 'real', name: 'percentage', low: 1, high: 100 },
  ],
  feasible: (p) => !(p.target === 'db' && (p.percentage as number) > 50),
};

/** A synthetic severity on the mixed space, peaking for long delays on the cache at high percentage. */
function mixedSeverity(p: Point): number {
  const base = p.target === 'cache' ? 4 : p.target === 'api' ? 2 : 1;
  const fault = p.fault === 'delay' ? Math.log10(p.delay_ms as number) : 1;
  return Math.min(10, base + fault + (p.percentage as number) / 50);
}

function run(opts: OptimizerOptions, f: (p: Point) => number, calls: number): Point[] {
  const o = new Optimizer(opts);
  const asked: Point[] = [];
  for (let i = 0; i < calls; i++) {
    const p = o.ask();
    asked.push(p);
    o.tell(p, f(p));
  }
  return asked;
}

function branin(p: Point): number {
  const x1 = p.x1 as number;
  const x2 = p.x2 as number;
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}
const braninSpace: SearchSpace = {
  dimensions: [
    { kind: 'real', name: 'x1', low: -5, high: 10 },
    { kind: 'real', name: 'x2', low: 0, high: 15 },
  ],
};
const BRANIN_MIN = 0.397887357729738;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** One categorical and one real dimension (category-exploration tests). */
const SVC_X: SearchSpace = {
  dimensions: [
    { kind: 'categorical', name: 'svc', values: ['a', 'b', 'c'] },
    { kind: 'real', name: 'x', low: 0, high: 1 },
  ],
};

describe('Optimizer', () => {
  it('is deterministic for a seed (and the seed matters)', () => {
    const opts = { space: mixedSpace, seed: 17, nCandidates: 1000, nTrees: 30 };
    const a = run(opts, mixedSeverity, 25);
    const b = run(opts, mixedSeverity, 25);
    expect(b).toEqual(a);
    const c = run({ ...opts, seed: 18 }, mixedSeverity, 25);
    expect(c).not.toEqual(a);
  });

  it('asks the initial design first', () => {
    const space: SearchSpace = { dimensions: [{ kind: 'real', name: 'x', low: 0, high: 1 }] };
    const asked = run({ space, seed: 3, nInitial: 8, initialDesign: 'lhs', nCandidates: 500 }, (p) => p.x as number, 8);
    // A Latin hypercube over 8 points: one point per eighth of [0, 1].
    expect(new Set(asked.map((p) => Math.floor((p.x as number) * 8))).size).toBe(8);
  });

  it('only proposes valid, feasible points with inactive dimensions null (GP and forest phases)', () => {
    const space = new EncodedSpace(mixedSpace);
    for (const gpUntil of [50, 20, 0]) {
      const asked = run({ space: mixedSpace, seed: 5, nCandidates: 2000, nTrees: 30, gpUntil }, mixedSeverity, 40);
      for (const p of asked) {
        expect(() => space.validatePoint(p)).not.toThrow();
        expect(mixedSpace.feasible?.(p)).toBe(true);
        expect(p.delay_ms === null).toBe(p.fault !== 'delay');
      }
    }
  });

  it('never proposes an observed or pending point, and ends with SpaceExhaustedError (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.constantFrom('random', 'lhs', 'sobol') as fc.Arbitrary<'random' | 'lhs' | 'sobol'>,
        (seed, kinds, tellEach, initialDesign) => {
          const space: SearchSpace = {
            dimensions: [
              { kind: 'categorical', name: 'svc', values: ['a', 'b', 'c'].slice(0, kinds) },
              { kind: 'integer', name: 'retries', low: 0, high: 3 },
              { kind: 'categorical', name: 'mode', values: ['x', 'y'] },
            ],
            feasible: (p) => !(p.svc === 'a' && p.retries === 3),
          };
          const enc = new EncodedSpace(space);
          const feasibleCount = kinds * 4 * 2 - 2; // svc 'a' with retries 3 is infeasible (2 modes)
          const o = new Optimizer({ space, seed, nInitial: 4, initialDesign, nCandidates: 50, nTrees: 5 });
          const keys = new Set<string>();
          for (let i = 0; i < feasibleCount; i++) {
            const p = o.ask();
            const key = enc.key(p);
            expect(keys.has(key)).toBe(false);
            keys.add(key);
            if (tellEach) o.tell(p, (p.retries as number) + (p.mode === 'y' ? 0.5 : 0));
          }
          expect(() => o.ask()).toThrow(SpaceExhaustedError);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('resumes identically from toJSON / fromJSON, including pending points and the trust region', () => {
    // gpUntil 21: the asks after the snapshot cross from the GP phase to the forest.
    const opts = { space: mixedSpace, seed: 23, nCandidates: 1000, nTrees: 20, gpUntil: 21 };
    const original = new Optimizer(opts);
    for (let i = 0; i < 18; i++) {
      const p = original.ask();
      original.tell(p, mixedSeverity(p));
    }
    const pending = original.ask(); // left pending across the snapshot
    const state = JSON.parse(JSON.stringify(original.toJSON()));
    expect(() => Optimizer.fromJSON(state)).toThrow(/feasible/);
    const restored = Optimizer.fromJSON(state, { feasible: mixedSpace.feasible as (p: Point) => boolean });
    expect(restored.pendingPoints).toEqual([pending]);
    expect(restored.trustRegionState).toEqual(original.trustRegionState);
    for (const o of [original, restored]) o.tell(pending, mixedSeverity(pending));
    for (let i = 0; i < 6; i++) {
      const a = original.ask();
      const b = restored.ask();
      expect(b).toEqual(a);
      original.tell(a, mixedSeverity(a));
      restored.tell(b, mixedSeverity(b));
    }
    expect(restored.toJSON()).toEqual(original.toJSON());
  });

  it('beats random search on Branin within 60 calls (median simple regret over seeds)', () => {
    const calls = 60;
    const seeds = [1, 2, 3, 4, 5];
    const bulwark: number[] = [];
    const random: number[] = [];
    const space = new EncodedSpace(braninSpace);
    for (const seed of seeds) {
      const asked = run({ space: braninSpace, seed, nCandidates: 3000, nTrees: 50 }, (p) => -branin(p), calls);
      bulwark.push(Math.min(...asked.map(branin)) - BRANIN_MIN);
      const rng = new Prng(seed + 1000);
      random.push(Math.min(...Array.from({ length: calls }, () => branin(space.sample(rng)))) - BRANIN_MIN);
    }
    expect(median(bulwark)).toBeLessThan(median(random));
    // And it is near the optimum, not merely less bad.
    expect(median(bulwark)).toBeLessThan(0.1);
  });

  it('explain() puts the importance on the only relevant dimension and traces its effect', () => {
    const space: SearchSpace = {
      dimensions: [
        { kind: 'real', name: 'a', low: 0, high: 1 },
        { kind: 'real', name: 'b', low: 0, high: 1 },
        { kind: 'integer', name: 'c', low: 0, high: 9 },
        { kind: 'categorical', name: 'd', values: ['p', 'q', 'r'] },
      ],
    };
    const o = new Optimizer({ space, seed: 2, nInitial: 40, nCandidates: 500, nTrees: 50 });
    for (let i = 0; i < 60; i++) {
      const p = o.ask();
      o.tell(p, 10 * (p.b as number));
    }
    const before = o.toJSON();
    const { featureImportance, partialDependence } = o.explain();
    const ranked = Object.entries(featureImportance).sort((x, y) => y[1] - x[1]);
    expect(ranked[0]?.[0]).toBe('b');
    expect(featureImportance.b).toBeGreaterThan(0.8);
    expect(Object.values(featureImportance).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    const pdB = partialDependence.b ?? [];
    expect(pdB).toHaveLength(10);
    expect(pdB[9]?.value).toBe(1);
    expect((pdB[9]?.mean as number) - (pdB[0]?.mean as number)).toBeGreaterThan(5);
    const pdA = (partialDependence.a ?? []).map((x) => x.mean);
    expect(Math.max(...pdA) - Math.min(...pdA)).toBeLessThan(2);
    expect((partialDependence.d ?? []).map((x) => x.value)).toEqual(['p', 'q', 'r']);
    expect((partialDependence.c ?? []).every((x) => Number.isInteger(x.value))).toBe(true);
    // explain() does not disturb the ask/tell sequence.
    expect(o.toJSON()).toEqual(before);
  });

  it('shrinks the trust region after repeated failures and grows it after successes', () => {
    const space: SearchSpace = {
      dimensions: [
        { kind: 'real', name: 'x', low: 0, high: 1 },
        { kind: 'real', name: 'y', low: 0, high: 1 },
      ],
    };
    const o = new Optimizer({ space, seed: 4, nInitial: 5, nCandidates: 200, nTrees: 10 });
    for (let i = 0; i < 5; i++) o.tell(o.ask(), i);
    const initial = o.trustRegionState.length;
    expect(initial).toBe(0.4);
    for (let i = 0; i < 4; i++) o.tell(o.ask(), 0); // 4 = max(4, d) failures in a row
    expect(o.trustRegionState.length).toBeCloseTo(initial / 2, 12);
    for (let i = 0; i < 3; i++) o.tell(o.ask(), 10 + i); // 3 successes in a row
    expect(o.trustRegionState.length).toBeCloseTo(initial, 12);
    // Told points that were not asked do not move the trust region.
    o.tell({ x: 0.5, y: 0.5 }, 100);
    expect(o.trustRegionState.length).toBeCloseTo(initial, 12);
  });

  it('spreads out consecutive asks without tells (pending points count as bad)', () => {
    const space: SearchSpace = { dimensions: [{ kind: 'real', name: 'x', low: 0, high: 1 }] };
    const o = new Optimizer({ space, seed: 9, nInitial: 6, nCandidates: 2000, nTrees: 30 });
    for (let i = 0; i < 6; i++) {
      const p = o.ask();
      o.tell(p, 10 - Math.abs((p.x as number) - 0.3) * 10);
    }
    const batch = [o.ask(), o.ask(), o.ask(), o.ask()].map((p) => p.x as number).sort((a, b) => a - b);
    expect(new Set(batch).size).toBe(4);
    expect(o.pendingPoints).toHaveLength(4);
  });

  it('reports bad input and infeasible spaces clearly', () => {
    expect(() => new Optimizer({ space: mixedSpace, seed: 1, nCandidates: 0 })).toThrow(/nCandidates/);
    expect(() => new Optimizer({ space: mixedSpace, seed: Number.NaN })).toThrow(/seed/);
    expect(() => new Optimizer({ space: { ...mixedSpace, feasible: () => false }, seed: 1 })).toThrow(
      InfeasibleSpaceError,
    );
    const o = new Optimizer({ space: mixedSpace, seed: 1, nCandidates: 100 });
    const p = o.ask();
    expect(() => o.tell(p, Number.NaN)).toThrow(/severity/);
    expect(() => o.tell({ ...p, percentage: 1000 }, 1)).toThrow(/'percentage'/);
    expect(() => o.explain()).toThrow(/at least 2 observations/);
    o.tell(p, 3);
    expect(o.best(1)).toEqual([{ point: p, severity: 3 }]);
  });

  it('category-exploration asks try an untried categorical value first', () => {
    // 6 observations (a multiple of categoryEvery = 3) on 'a' and 'b': the next ask explores the
    // categories and takes 'c' on every seed; with exploration off the model mostly stays on 'a'/'b'.
    const next = (seed: number, categoryEvery?: number) => {
      const o = new Optimizer({
        space: SVC_X,
        seed,
        nInitial: 0,
        nCandidates: 300,
        nTrees: 10,
        ...(categoryEvery === undefined ? {} : { categoryEvery }),
      });
      for (let i = 0; i < 6; i++) o.tell({ svc: i % 2 === 0 ? 'a' : 'b', x: i / 10 }, 5 + i);
      return o.ask().svc;
    };
    const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(seeds.filter((s) => next(s) === 'c')).toHaveLength(10);
    expect(seeds.filter((s) => next(s, 0) === 'c').length).toBeLessThan(5);
  });

  it('category-exploration asks follow the UCB bandit: a rarely tried value with a near-best result wins', () => {
    const o = new Optimizer({ space: SVC_X, seed: 8, nInitial: 0, nCandidates: 300, nTrees: 10 });
    // 'a': 30 observations, best 10; 'b': 2 observations, best 9; 'c': 1 observation at 0 (the worst).
    // Scaled bests 1, 0.9, 0; bonuses 0.5·sqrt(ln 33 / n): 0.17, 0.66, 0.94 → UCB 1.17, 1.56, 0.94.
    for (let i = 0; i < 30; i++) o.tell({ svc: 'a', x: i / 30 }, 5 + (5 * i) / 29);
    o.tell({ svc: 'b', x: 0.2 }, 9);
    o.tell({ svc: 'b', x: 0.7 }, 4);
    o.tell({ svc: 'c', x: 0.5 }, 0);
    expect(o.observations).toHaveLength(33);
    const p = o.ask();
    expect(p.svc).toBe('b');
    // The very next ask (34 observed + pending) is an ordinary model-based ask again.
    expect(o.pendingPoints).toEqual([p]);
  });

  it('category-exploration candidates refine the best point of the chosen category', () => {
    const space: SearchSpace = {
      dimensions: [
        { kind: 'categorical', name: 'svc', values: ['a', 'b'] },
        { kind: 'real', name: 'x', low: 0, high: 1 },
        { kind: 'real', name: 'y', low: 0, high: 1 },
      ],
    };
    // 'b' has one good point near (0.3, 0.6) among many poor ones; 'a' is better on average.
    const severity = (p: Point) =>
      p.svc === 'b' ? 10 - 40 * (((p.x as number) - 0.3) ** 2 + ((p.y as number) - 0.6) ** 2) : 6 + (p.x as number);
    const o = new Optimizer({ space, seed: 12, nInitial: 0, nCandidates: 2000, nTrees: 30 });
    const rng = new Prng(1);
    for (let i = 0; i < 21; i++) {
      const p = { svc: 'a', x: rng.next(), y: rng.next() };
      o.tell(p, severity(p));
    }
    o.tell({ svc: 'b', x: 0.32, y: 0.57 }, severity({ svc: 'b', x: 0.32, y: 0.57 }));
    o.tell({ svc: 'b', x: 0.9, y: 0.1 }, severity({ svc: 'b', x: 0.9, y: 0.1 }));
    o.tell({ svc: 'a', x: 0.5, y: 0.5 }, 6.5);
    expect(o.observations.length % 3).toBe(0);
    // The pool of this category ask: every row has svc = 'b'; the odd rows are mutations of b's best
    // point (0.32, 0.57), the even rows uniform samples.
    const internals = o as unknown as { categoryCandidates(): { data: Float64Array; rows: number } };
    const before = o.toJSON();
    const { data, rows } = internals.categoryCandidates();
    const base = o.space.encode({ svc: 'b', x: 0.32, y: 0.57 });
    let keepsOne = 0;
    for (let r = 0; r < rows; r++) {
      expect(data[r * 3]).toBe(1);
      if (r % 2 === 1 && (data[r * 3 + 1] === base[1] || data[r * 3 + 2] === base[2])) keepsOne++;
    }
    expect(keepsOne).toBeGreaterThan(0.4 * (rows / 2));
    // And the ask itself (same state) proposes category 'b'.
    const fresh = Optimizer.fromJSON(JSON.parse(JSON.stringify(before)));
    expect(fresh.ask().svc).toBe('b');
  });

  it('local search moves one or two dimensions for half of the neighbours and several for the rest', () => {
    const space: SearchSpace = {
      dimensions: Array.from({ length: 6 }, (_, i) => ({ kind: 'real' as const, name: `x${i}`, low: 0, high: 1 })),
    };
    const o = new Optimizer({ space, seed: 4, nInitial: 0, nCandidates: 1000, nTrees: 5 });
    const rng = new Prng(2);
    for (let i = 0; i < 12; i++) {
      const p = o.space.sample(rng);
      o.tell(p, i);
    }
    const internals = o as unknown as { generateCandidates(): { data: Float64Array; rows: number } };
    const { data } = internals.generateCandidates();
    const incumbents = o.best(5).map((b) => o.space.encode(b.point));
    // Pool layout: 650 uniform rows, then 100 local neighbours (localFraction 0.1), then the trust region.
    const moved: number[] = [];
    for (let r = 650; r < 750; r++) {
      const row = data.subarray(r * 6, r * 6 + 6);
      moved.push(Math.min(...incumbents.map((inc) => inc.filter((v, i) => v !== row[i]).length)));
    }
    expect(Math.max(...moved)).toBeLessThanOrEqual(6);
    expect(moved.filter((m) => m <= 2).length).toBeGreaterThan(40);
    expect(moved.filter((m) => m >= 3).length).toBeGreaterThan(15);
  });

  it('screens large candidate pools with a sub-forest and keeps the best-scored rows', () => {
    const space: SearchSpace = { dimensions: [{ kind: 'real', name: 'x', low: 0, high: 1 }] };
    const o = new Optimizer({ space, seed: 1, nInitial: 0 });
    const internals = o as unknown as { topRows(score: Float64Array, rows: number, k: number): Int32Array };
    // The k highest scores, ties broken by the lower row, returned in row order.
    expect(Array.from(internals.topRows(Float64Array.of(0.5, 2, 0.1, 2, 3, 0.5, 0.5), 7, 4))).toEqual([0, 1, 3, 4]);
    expect(Array.from(internals.topRows(Float64Array.of(0, 0, 0, 0), 4, 2))).toEqual([0, 1]);
    // End to end: with 2,000 candidates (screened) the optimizer still climbs to the optimum of a bump
    // (forest only: the GP phase scores without screening).
    const s = new Optimizer({ space, seed: 6, nCandidates: 2000, nTrees: 20, gpUntil: 0 });
    for (let i = 0; i < 30; i++) {
      const p = s.ask();
      s.tell(p, 10 - 100 * ((p.x as number) - 0.37) ** 2);
    }
    expect(Math.abs((s.best(1)[0]?.point.x as number) - 0.37)).toBeLessThan(0.02);
  });

  it('validates the new options', () => {
    expect(() => new Optimizer({ space: mixedSpace, seed: 1, categoryEvery: -1 })).toThrow(/categoryEvery/);
    expect(() => new Optimizer({ space: mixedSpace, seed: 1, categoryUcb: Number.NaN })).toThrow(/categoryUcb/);
    expect(() => new Optimizer({ space: mixedSpace, seed: 1, gpUntil: 1.5 })).toThrow(/gpUntil/);
    expect(() => new Optimizer({ space: mixedSpace, seed: 1, gpPriorMedian: 0 })).toThrow(/gpPriorMedian/);
    expect(() => new Optimizer({ space: mixedSpace, seed: 1, gpCandidates: 0 })).toThrow(/gpCandidates/);
    const c = new Optimizer({ space: mixedSpace, seed: 1 }).config;
    expect([c.minSamplesLeaf, c.bootstrap, c.categoryEvery, c.categoryUcb]).toEqual([1, false, 3, 0.5]);
    expect([c.gpUntil, c.gpCandidates]).toEqual([50, 5000]);
    // Four dimensions: half the mean distance between uniform points of the unit cube, 0.5·sqrt(4/6).
    expect(c.gpPriorMedian).toBeCloseTo(0.5 * Math.sqrt(4 / 6), 12);
    // A state saved before these options existed restores with the GP phase off (the forest-only
    // behaviour it was saved with), so it asks exactly what it would have asked.
    const feasible = mixedSpace.feasible as (p: Point) => boolean;
    const forestOnly = new Optimizer({ space: mixedSpace, seed: 1, nCandidates: 500, nTrees: 10, gpUntil: 0 });
    for (let i = 0; i < 12; i++) {
      const p = forestOnly.ask();
      forestOnly.tell(p, mixedSeverity(p));
    }
    const state = forestOnly.toJSON();
    const config: Record<string, unknown> = { ...state.config };
    for (const k of ['gpUntil', 'gpPriorMedian', 'gpCandidates']) delete config[k];
    const old = JSON.parse(JSON.stringify({ ...state, config })) as typeof state;
    const restored = Optimizer.fromJSON(old, { feasible });
    expect(restored.config.gpUntil).toBe(0);
    expect(restored.config.gpCandidates).toBe(5000);
    expect(restored.ask()).toEqual(Optimizer.fromJSON(state, { feasible }).ask());
  });

  it('uses the Gaussian process while fewer than gpUntil observations exist, then the forest', () => {
    const space: SearchSpace = {
      dimensions: [
        { kind: 'real', name: 'x', low: 0, high: 1 },
        { kind: 'real', name: 'y', low: 0, high: 1 },
      ],
    };
    const bowl = (p: Point) => -(((p.x as number) - 0.3) ** 2 + ((p.y as number) - 0.7) ** 2);
    // Three asks after 8 random points: the GP (a smooth model) lands next to the bowl's optimum on
    // every seed; the interpolating forest, with so few points, does not.
    const nearest = (gpUntil: number, seed: number) => {
      const o = new Optimizer({ space, seed, nInitial: 8, gpUntil, nCandidates: 2000, nTrees: 30 });
      for (let i = 0; i < 8; i++) {
        const p = o.ask();
        o.tell(p, bowl(p));
      }
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const p = o.ask();
        o.tell(p, bowl(p));
        best = Math.min(best, Math.hypot((p.x as number) - 0.3, (p.y as number) - 0.7));
      }
      return best;
    };
    const seeds = [1, 2, 3, 4, 5, 6];
    const gp = seeds.map((s) => nearest(50, s));
    const forest = seeds.map((s) => nearest(0, s));
    expect(Math.max(...gp)).toBeLessThan(0.07);
    expect(median(forest)).toBeGreaterThan(0.1);
    // The GP is fitted for the model-based asks below gpUntil observations only.
    const fit = vi.spyOn(GaussianProcess.prototype, 'fit');
    try {
      const o = new Optimizer({ space, seed: 1, nInitial: 5, gpUntil: 9, nCandidates: 500, nTrees: 10 });
      for (let i = 0; i < 12; i++) {
        const p = o.ask();
        o.tell(p, bowl(p));
      }
      expect(fit).toHaveBeenCalledTimes(4); // asks at 5, 6, 7 and 8 observations
    } finally {
      fit.mockRestore();
    }
    // Degenerate data (every severity equal) still gives new, valid proposals.
    const flat = new Optimizer({ space, seed: 2, nInitial: 4, nCandidates: 500 });
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const p = flat.ask();
      expect(p.x as number).toBeGreaterThanOrEqual(0);
      expect(p.y as number).toBeLessThanOrEqual(1);
      seen.add(flat.space.key(p));
      flat.tell(p, 5);
    }
    expect(seen.size).toBe(10);
  });

  it('ranks observations with best(k)', () => {
    const space: SearchSpace = { dimensions: [{ kind: 'integer', name: 'n', low: 0, high: 9 }] };
    const o = new Optimizer({ space, seed: 1, nInitial: 0 });
    [3, 7, 1, 7, 5].forEach((v, i) => {
      o.tell({ n: i }, v);
    });
    expect(o.best(3)).toEqual([
      { point: { n: 1 }, severity: 7 },
      { point: { n: 3 }, severity: 7 },
      { point: { n: 4 }, severity: 5 },
    ]);
  });
});
