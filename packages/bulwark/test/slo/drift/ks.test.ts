import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KsWindowDetector,
  type KsWindowState,
  kolmogorovQ,
  ksPValue,
  ksStatistic,
  ksTwoSample,
} from '../../../src/slo/drift/index.js';
import { firstDetection, gaussian, mulberry32 } from './support.js';

/** Brute-force oracle: D = max over every sample point v of |#{a ≤ v}/n − #{b ≤ v}/m|. */
function bruteForceD(a: number[], b: number[]): number {
  let d = 0;
  for (const v of [...a, ...b]) {
    const fa = a.filter((x) => x <= v).length / a.length;
    const fb = b.filter((x) => x <= v).length / b.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return d;
}

const sample = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 });

describe('two-sample Kolmogorov–Smirnov', () => {
  it('identical samples: D = 0, p = 1', () => {
    const r = ksTwoSample([3, 1, 2, 2, 5], [5, 2, 1, 2, 3]);
    expect(r.statistic).toBe(0);
    expect(r.pValue).toBe(1);
  });

  it('disjoint samples: D = 1 with the direction in the signed statistics', () => {
    const r = ksTwoSample([0.1, 0.4, 0.2], [0.9, 0.8, 0.7, 0.75]);
    expect(r.statistic).toBe(1);
    expect(r.dPlus).toBe(1);
    expect(r.dMinus).toBe(0);
    const many = ksTwoSample(
      [...Array(50)].map((_, i) => i),
      [...Array(50)].map((_, i) => 100 + i),
    );
    expect(many.pValue).toBeLessThan(1e-10);
  });

  it('handles ties across samples exactly (hand-computed)', () => {
    // F_a after 1,2,3,4 = .25,.5,.75,1 ; F_b after 3,4,5,6 = .25,.5,.75,1 → gaps .25,.5,.5,.5,.25,0
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    // F_a(1)=.25 F_b(1)=0 ; F_a(2)=.75 F_b(2)=.75 ; F_a(3)=1 F_b(3)=.75 → D = .25
    // (comparing after the first copy of 2 only would give .5)
    expect(ksStatistic([1, 2, 2, 3], [2, 2, 2, 4])).toBe(0.25);
  });

  it('Q_KS matches published values of the Kolmogorov distribution', () => {
    expect(kolmogorovQ(1.0)).toBeCloseTo(0.27, 3);
    expect(kolmogorovQ(1.36)).toBeCloseTo(0.0494, 3);
    expect(kolmogorovQ(1.63)).toBeCloseTo(0.0098, 3);
    expect(kolmogorovQ(0)).toBe(1);
    // The two series agree where the implementation switches between them.
    expect(kolmogorovQ(1.18 - 1e-13)).toBeCloseTo(kolmogorovQ(1.18), 10);
  });

  it('p-value applies the Stephens correction (checked against the alternating series by hand)', () => {
    const se = Math.sqrt((10 * 10) / 20);
    const lambda = (se + 0.12 + 0.11 / se) * 0.5;
    const series = 2 * (Math.exp(-2 * lambda ** 2) - Math.exp(-8 * lambda ** 2) + Math.exp(-18 * lambda ** 2));
    expect(ksPValue(0.5, 10, 10)).toBeCloseTo(series, 8);
  });

  it('Q_KS decreases with λ', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (x, y) => {
        const [lo, hi] = x < y ? [x, y] : [y, x];
        expect(kolmogorovQ(lo)).toBeGreaterThanOrEqual(kolmogorovQ(hi) - 1e-12);
      }),
    );
  });

  it('D equals the brute-force definition; symmetric; D and p in [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const r = ksTwoSample(a, b);
        const s = ksTwoSample(b, a);
        expect(r.statistic).toBeCloseTo(bruteForceD(a, b), 12);
        expect(s.statistic).toBe(r.statistic);
        expect(s.dPlus).toBe(r.dMinus);
        expect(r.statistic).toBeGreaterThanOrEqual(0);
        expect(r.statistic).toBeLessThanOrEqual(1);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('is invariant under a strictly increasing transform of both samples', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const f = (x: number) => x ** 3 + 2 * x + Math.exp(x / 10);
        expect(ksStatistic(a.map(f), b.map(f))).toBe(ksStatistic(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it('does not modify its inputs and rejects non-finite values', () => {
    const a = [3, 1, 2];
    ksTwoSample(a, [0]);
    expect(a).toEqual([3, 1, 2]);
    expect(() => ksTwoSample([1, Number.NaN], [1])).toThrow(RangeError);
    expect(() => ksTwoSample([], [1])).toThrow(RangeError);
  });
});

describe('KsWindowDetector', () => {
  it('never fires on a constant stream', () => {
    const ks = new KsWindowDetector({ alpha: 0.5 });
    for (let i = 0; i < 2000; i++) expect(ks.update(4)).toBe(false);
  });

  it('detects a distribution shift once enough of the recent window has changed', () => {
    const normal = gaussian(mulberry32(3));
    const xs = [...Array(600)].map((_, i) => normal() + (i >= 400 ? 3 : 0));
    const ks = new KsWindowDetector({ recentSize: 30, referenceSize: 200, alpha: 1e-4 });
    const at = firstDetection(xs, (x) => ks.update(x));
    expect(at).toBeGreaterThanOrEqual(400);
    expect(at).toBeLessThan(430);
    expect(ks.direction).toBe('up');
    expect(ks.lastResult?.pValue).toBeLessThan(1e-4);
    // The recent window became the new reference.
    expect(ks.sizes).toEqual({ reference: 30, recent: 0 });
  });

  it('reports a decrease as down', () => {
    const ks = new KsWindowDetector({ recentSize: 20 });
    firstDetection(
      [...Array(300)].map((_, i) => (i % 9) - (i >= 200 ? 20 : 0)),
      (x) => ks.update(x),
    );
    expect(ks.direction).toBe('down');
  });

  it('does not test before minReferenceSize, and a fixed reference stops growing', () => {
    const ks = new KsWindowDetector({ recentSize: 5, minReferenceSize: 20, referenceSize: 50, reference: 'fixed' });
    for (let i = 0; i < 24; i++) ks.update(i);
    expect(ks.lastResult).toBeUndefined();
    ks.update(100);
    expect(ks.lastResult).toBeDefined();
    for (let i = 0; i < 100; i++) ks.update(i % 3);
    expect(ks.sizes.reference).toBeLessThanOrEqual(50);
  });

  it('sliding reference keeps the samples just before the recent window', () => {
    const ks = new KsWindowDetector({ recentSize: 3, referenceSize: 4, minReferenceSize: 4, alpha: 0 });
    for (let i = 0; i < 10; i++) ks.update(i);
    expect(ks.toJSON().reference).toEqual([3, 4, 5, 6]);
    expect(ks.toJSON().recent).toEqual([7, 8, 9]);
  });

  it('reset() empties both windows', () => {
    const ks = new KsWindowDetector();
    for (let i = 0; i < 100; i++) ks.update(i);
    ks.reset();
    expect(ks.toJSON()).toEqual(new KsWindowDetector().toJSON());
  });

  it('serialisation round trip mid-stream continues identically', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.constantFrom<'sliding' | 'fixed'>('sliding', 'fixed'),
        (raw, cut, reference) => {
          const xs = raw.map((x, i) => x + (i > raw.length / 2 ? 15 : 0));
          const split = cut % xs.length;
          const opts = { recentSize: 10, referenceSize: 40, minReferenceSize: 10, alpha: 0.01, reference };
          const a = new KsWindowDetector(opts);
          const outA = xs.map((x) => a.update(x));
          const b0 = new KsWindowDetector(opts);
          const outB = xs.slice(0, split).map((x) => b0.update(x));
          const b = KsWindowDetector.fromJSON(JSON.parse(JSON.stringify(b0.toJSON())) as KsWindowState);
          for (const x of xs.slice(split)) outB.push(b.update(x));
          expect(outB).toEqual(outA);
          expect(b.toJSON()).toEqual(a.toJSON());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects inconsistent options', () => {
    expect(() => new KsWindowDetector({ referenceSize: 10, minReferenceSize: 20 })).toThrow(RangeError);
  });
});
