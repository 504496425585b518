import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomForest, toMatrix } from '../../../src/chaos/optimizer/forest.js';
import { Prng } from '../../../src/chaos/optimizer/prng.js';

function dataset(n: number, d: number, f: (x: number[]) => number, seed: number) {
  const rng = new Prng(seed);
  const rows = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next()));
  return { X: toMatrix(rows), y: rows.map(f), rows };
}

describe('random forest', () => {
  it('learns a step function exactly away from the step', () => {
    const step = (x: number[]) => ((x[0] as number) < 0.5 ? 1 : 9);
    const { X, y } = dataset(200, 2, step, 1);
    const forest = new RandomForest({ seed: 1 }).fit(X, y);
    const test = toMatrix([0.02, 0.2, 0.45, 0.55, 0.8, 0.98].map((v) => [v, 0.5]));
    const { mean, std } = forest.predict(test);
    [0.02, 0.2, 0.45, 0.55, 0.8, 0.98].forEach((v, i) => {
      expect(mean[i]).toBeCloseTo(step([v]), 9);
      expect(std[i]).toBeCloseTo(Math.sqrt(1e-6), 9); // pure leaves everywhere: only the floor remains
    });
  });

  it('fits a 1-D sine with small error', () => {
    const f = (x: number[]) => Math.sin(2 * Math.PI * (x[0] as number));
    const { X, y } = dataset(300, 1, f, 2);
    const forest = new RandomForest({ seed: 2 }).fit(X, y);
    const grid = Array.from({ length: 101 }, (_, i) => [i / 100]);
    const { mean } = forest.predict(toMatrix(grid));
    let sse = 0;
    grid.forEach((g, i) => {
      sse += ((mean[i] as number) - f(g)) ** 2;
    });
    expect(Math.sqrt(sse / grid.length)).toBeLessThan(0.1);
  });

  it('splits categorical features on category subsets (one split learns a non-contiguous set)', () => {
    // y depends on whether the category is in {0, 2, 4}: no single threshold on the index separates it.
    const rng = new Prng(3);
    const rows = Array.from({ length: 120 }, () => [rng.int(6), rng.int(3)]);
    const y = rows.map((r) => ([0, 2, 4].includes(r[0] as number) ? 10 : 0));
    const X = toMatrix(rows);
    const test = toMatrix([0, 1, 2, 3, 4, 5].map((c) => [c, 1]));
    const categorical = new RandomForest({ seed: 3, maxDepth: 1, categories: [6, 3] }).fit(X, y).predict(test);
    [10, 0, 10, 0, 10, 0].forEach((v, i) => {
      expect(categorical.mean[i]).toBeCloseTo(v, 9);
    });
    const numeric = new RandomForest({ seed: 3, maxDepth: 1 }).fit(X, y).predict(test);
    const numericError = [10, 0, 10, 0, 10, 0].reduce((s, v, i) => s + Math.abs((numeric.mean[i] as number) - v), 0);
    expect(numericError).toBeGreaterThan(10);
  });

  it('handles the inactive sentinel -1 as its own category and sends unseen categories right', () => {
    const rows = [-1, -1, -1, 0, 0, 0, 1, 1, 1].map((c) => [c]);
    const y = [5, 5, 5, 0, 0, 0, 0, 0, 0];
    const forest = new RandomForest({ bootstrap: false, nTrees: 1, categories: [3] }).fit(toMatrix(rows), y);
    const { mean } = forest.predict(toMatrix([[-1], [0], [1]]));
    expect(Array.from(mean)).toEqual([5, 0, 0]);
  });

  it('is more uncertain between clusters of data than at the data', () => {
    const rng = new Prng(4);
    const xs = Array.from({ length: 80 }, (_, i) => (i < 40 ? 0.4 * rng.next() : 0.6 + 0.4 * rng.next()));
    const y = xs.map((x) => (x < 0.5 ? 0 : 10));
    const forest = new RandomForest({ seed: 4 }).fit(toMatrix(xs.map((x) => [x])), y);
    const { std } = forest.predict(toMatrix([[0.1], [0.5], [0.9]]));
    expect(std[1]).toBeGreaterThan(1);
    expect(std[1]).toBeGreaterThan(10 * (std[0] as number));
    expect(std[1]).toBeGreaterThan(10 * (std[2] as number));
  });

  it('uses the law of total variance: within-leaf variance plus variance of the tree means', () => {
    // One leaf holding all rows: variance of [0, 2, 4, 6] is 5 (population variance).
    const X = toMatrix([[0], [1], [2], [3]]);
    const single = new RandomForest({ bootstrap: false, nTrees: 3, minSamplesLeaf: 4 }).fit(X, [0, 2, 4, 6]);
    const p = single.predict(toMatrix([[1.5]]));
    expect(p.mean[0]).toBeCloseTo(3, 12);
    expect(p.std[0]).toBeCloseTo(Math.sqrt(5), 12);
    // Constant targets: nothing but the variance floor.
    const flat = new RandomForest({ minVariance: 0.01 }).fit(X, [2, 2, 2, 2]).predict(X);
    for (let i = 0; i < 4; i++) expect(flat.std[i]).toBeCloseTo(0.1, 12);
  });

  it('respects min_samples_leaf (distinct rows per leaf) and keeps predictions within the target range (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 80 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.integer(),
        (n, d, minLeaf, bootstrap, seed) => {
          const rng = new Prng(seed);
          const { X, y } = dataset(n, d, (x) => (x[0] as number) * 10 + rng.next(), seed);
          const forest = new RandomForest({ nTrees: 5, minSamplesLeaf: minLeaf, bootstrap, seed }).fit(X, y);
          for (const sizes of forest.leafSizes()) {
            const total = sizes.reduce((a, b) => a + b, 0);
            // A tree on fewer than minLeaf distinct rows is a single leaf.
            for (const s of sizes) expect(s).toBeGreaterThanOrEqual(Math.min(minLeaf, total));
          }
          const { mean } = forest.predict(dataset(20, d, () => 0, seed + 1).X);
          const lo = Math.min(...y);
          const hi = Math.max(...y);
          for (const m of mean) {
            expect(m).toBeGreaterThanOrEqual(lo - 1e-9);
            expect(m).toBeLessThanOrEqual(hi + 1e-9);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('attributes importance to the feature the target depends on', () => {
    const { X, y } = dataset(150, 5, (x) => Math.sin(6 * (x[3] as number)), 5);
    const imp = new RandomForest({ seed: 5 }).fit(X, y).featureImportances();
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(imp[3]).toBeGreaterThan(0.8);
  });

  it('is deterministic per seed; the ExtraTrees splitter and sqrt feature sampling also learn', () => {
    const { X, y } = dataset(100, 3, (x) => (x[1] as number) ** 2, 6);
    const test = dataset(50, 3, () => 0, 7).X;
    const a = new RandomForest({ seed: 11 }).fit(X, y).predict(test);
    const b = new RandomForest({ seed: 11 }).fit(X, y).predict(test);
    const c = new RandomForest({ seed: 12 }).fit(X, y).predict(test);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(c.mean)).not.toEqual(Array.from(a.mean));
    const rows = dataset(50, 3, () => 0, 7).rows;
    const truth = rows.map((r) => (r[1] as number) ** 2);
    const yMean = y.reduce((s, v) => s + v, 0) / y.length;
    const baseline = truth.reduce((s, t) => s + Math.abs(t - yMean), 0) / truth.length;
    const variants = [{ splitter: 'random' as const }, { maxFeatures: 'sqrt' as const }];
    for (const variant of variants) {
      const et = new RandomForest({ seed: 11, ...variant }).fit(X, y).predict(test);
      const err = truth.reduce((s, t, i) => s + Math.abs((et.mean[i] as number) - t), 0) / truth.length;
      expect(err).toBeLessThan(baseline / 2);
    }
  });

  it('interpolates its training data with single-row leaves and no bootstrap (the optimizer default)', () => {
    const rng = new Prng(21);
    const rows = Array.from({ length: 80 }, () => [rng.next(), rng.next(), rng.int(4), rng.next()]);
    const y = rows.map((r) => Math.sin(5 * (r[0] as number)) + (r[2] as number) + rng.normal() * 0.1);
    const forest = new RandomForest({
      seed: 3,
      nTrees: 20,
      minSamplesLeaf: 1,
      bootstrap: false,
      splitter: 'random',
      categories: [0, 0, 4, 0],
    }).fit(toMatrix(rows), y);
    const { mean } = forest.predict(toMatrix(rows));
    y.forEach((v, i) => {
      expect(mean[i]).toBeCloseTo(v, 9);
    });
    // Between the observations the trees disagree: the spread is the uncertainty.
    const { std } = forest.predict(toMatrix([[0.5, 0.5, 1, 0.5]]));
    expect(std[0]).toBeGreaterThan(0.01);
  });

  it('predicts with a sub-forest of the first trees (used to pre-screen candidates)', () => {
    const { X, y } = dataset(60, 3, (x) => (x[0] as number) * 4 + (x[1] as number), 9);
    const test = toMatrix([
      [0.1, 0.2, 0.3],
      [0.9, 0.5, 0.1],
      [0.5, 0.5, 0.5],
    ]);
    const big = new RandomForest({ seed: 5, nTrees: 12, splitter: 'random' }).fit(X, y);
    const one = new RandomForest({ seed: 5, nTrees: 1, splitter: 'random' }).fit(X, y);
    // Tree 0 of a forest is the tree a one-tree forest with the same seed grows.
    expect(Array.from(big.predict(test, undefined, 1).mean)).toEqual(Array.from(one.predict(test).mean));
    expect(Array.from(big.predict(test, undefined, 12).mean)).toEqual(Array.from(big.predict(test).mean));
    expect(() => big.predict(test, undefined, 0)).toThrow(/trees/);
    expect(() => big.predict(test, undefined, 13)).toThrow(/trees/);
  });

  it('validates its inputs', () => {
    expect(() => new RandomForest({ nTrees: 0 })).toThrow(/nTrees/);
    expect(() => new RandomForest().predict(toMatrix([[1]]))).toThrow(/not fitted/);
    expect(() => new RandomForest().fit(toMatrix([[1], [2]]), [1])).toThrow(/1 targets for 2 rows/);
    expect(() => new RandomForest({ categories: [2] }).fit(toMatrix([[0], [5]]), [1, 2])).toThrow(/column 0/);
  });
});
