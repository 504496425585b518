import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  initialPoints,
  latinHypercube,
  SOBOL_MAX_DIMENSIONS,
  Sobol,
  sobolDesign,
} from '../../../src/chaos/optimizer/initial.js';
import { mixSeed, Prng } from '../../../src/chaos/optimizer/prng.js';
import { EncodedSpace } from '../../../src/chaos/optimizer/space.js';
import type { Point } from '../../../src/chaos/optimizer/types.js';

/** True when column j of the n×d design puts exactly one point in each of the n strata. */
function stratified(design: Float64Array, n: number, d: number, j: number): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) seen.add(Math.floor((design[i * d + j] as number) * n));
  return seen.size === n && [...seen].every((s) => s >= 0 && s < n);
}

describe('prng', () => {
  it('is deterministic per seed, resumable from its state, and uniform-looking', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new Prng(43).next()).not.toBe(xs[0]);
    const resumed = Prng.fromState(JSON.parse(JSON.stringify(a.state())));
    expect(resumed.next()).toBe(a.next());
    let sum = 0;
    const r = new Prng(1);
    for (let i = 0; i < 10_000; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
    expect(mixSeed(1, 2)).not.toBe(mixSeed(1, 3));
  });
});

describe('Sobol sequence', () => {
  it('reproduces the published first points of the unscrambled 2-D sequence', () => {
    // Bratley & Fox / Joe & Kuo, Gray-code order (also scipy.stats.qmc.Sobol(d=2, scramble=False)).
    const pts = sobolDesign(8, 2);
    expect(Array.from(pts)).toEqual([
      0, 0, 0.5, 0.5, 0.75, 0.25, 0.25, 0.75, 0.375, 0.375, 0.875, 0.875, 0.625, 0.125, 0.125, 0.625,
    ]);
  });

  it(`stratifies every one of its ${SOBOL_MAX_DIMENSIONS} dimensions over the first 2^m points`, () => {
    for (const m of [3, 5, 8]) {
      const n = 2 ** m;
      const pts = sobolDesign(n, SOBOL_MAX_DIMENSIONS);
      for (let j = 0; j < SOBOL_MAX_DIMENSIONS; j++) expect(stratified(pts, n, SOBOL_MAX_DIMENSIONS, j)).toBe(true);
    }
  });

  it('makes dimensions 1 and 2 a (0, m, 2)-net: one point per elementary box (also when scrambled)', () => {
    const m = 6;
    const n = 2 ** m;
    for (const pts of [sobolDesign(n, 2), sobolDesign(n, 2, new Prng(9))]) {
      for (let a = 0; a <= m; a++) {
        const b = m - a;
        const boxes = new Set<string>();
        for (let i = 0; i < n; i++)
          boxes.add(
            `${Math.floor((pts[2 * i] as number) * 2 ** a)},${Math.floor((pts[2 * i + 1] as number) * 2 ** b)}`,
          );
        expect(boxes.size).toBe(n);
      }
    }
  });

  it('rejects unsupported dimension counts', () => {
    expect(() => new Sobol(SOBOL_MAX_DIMENSIONS + 1)).toThrow(/1\.\.21/);
    expect(() => new Sobol(0)).toThrow();
  });
});

describe('Latin hypercube', () => {
  it('stratifies each column (property over sizes and seeds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (n, d, seed) => {
        const design = latinHypercube(n, d, new Prng(seed));
        for (let j = 0; j < d; j++) expect(stratified(design, n, d, j)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('initial points', () => {
  const space = new EncodedSpace({
    dimensions: [
      { kind: 'categorical', name: 'svc', values: ['a', 'b', 'c', 'd'] },
      { kind: 'real', name: 'p', low: 0, high: 100 },
    ],
    feasible: (pt: Point) => !(pt.svc === 'd' && (pt.p as number) > 50),
  });

  it.each(['random', 'lhs', 'sobol'] as const)(
    '%s: distinct feasible points, categories balanced by LHS/Sobol',
    (kind) => {
      const pts = initialPoints(space, kind, 16, new Prng(5));
      expect(pts).toHaveLength(16);
      expect(new Set(pts.map((p) => space.key(p))).size).toBe(16);
      for (const p of pts) expect(space.isFeasible(p)).toBe(true);
    },
  );

  it('LHS puts each category the same number of times when n is a multiple of the category count', () => {
    const free = new EncodedSpace({
      dimensions: [
        { kind: 'categorical', name: 'svc', values: ['a', 'b', 'c', 'd'] },
        { kind: 'real', name: 'p', low: 0, high: 1 },
      ],
    });
    const pts = initialPoints(free, 'lhs', 12, new Prng(2));
    const counts = new Map<unknown, number>();
    for (const p of pts) counts.set(p.svc, (counts.get(p.svc) ?? 0) + 1);
    expect([...counts.values()]).toEqual([3, 3, 3, 3]);
  });

  it('returns fewer points when a small discrete space runs out', () => {
    const tiny = new EncodedSpace({ dimensions: [{ kind: 'categorical', name: 'x', values: [1, 2, 3] }] });
    const pts = initialPoints(tiny, 'random', 10, new Prng(1));
    expect(pts.map((p) => p.x).sort()).toEqual([1, 2, 3]);
  });
});
