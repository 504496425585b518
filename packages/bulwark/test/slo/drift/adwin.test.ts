import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adwin, type AdwinState } from '../../../src/slo/drift/index.js';
import { firstDetection, mulberry32, riverExampleStream } from './support.js';

function bernoulli(rand: () => number, p: number, n: number): number[] {
  return [...Array(n)].map(() => (rand() < p ? 1 : 0));
}

describe('Adwin', () => {
  it("matches river's documented example: change detected at index 1023 (input value 4)", () => {
    const stream = riverExampleStream();
    const adwin = new Adwin();
    const at = firstDetection(stream, (x) => adwin.update(x));
    expect(at).toBe(1023);
    expect(stream[at]).toBe(4);
    expect(adwin.direction).toBe('up');
  });

  it('never fires on a constant stream; the window keeps everything', () => {
    const adwin = new Adwin({ clock: 1 });
    for (let i = 0; i < 5000; i++) expect(adwin.update(0.5)).toBe(false);
    expect(adwin.width).toBe(5000);
    expect(adwin.estimation).toBeCloseTo(0.5, 12);
    expect(adwin.variance).toBeCloseTo(0, 12);
  });

  it('keeps the exact width, mean and variance of the window while nothing is cut', () => {
    const rand = mulberry32(5);
    const xs = [...Array(777)].map(() => rand() * 10 - 3);
    const adwin = new Adwin({ clock: 1_000_000 });
    for (const x of xs) adwin.update(x);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(adwin.width).toBe(777);
    expect(adwin.total).toBeCloseTo(mean * 777, 8);
    expect(adwin.estimation).toBeCloseTo(mean, 10);
    expect(adwin.variance).toBeCloseTo(variance, 8);
    // Exponential histogram: at most maxBuckets + 1 buckets per power of two.
    expect(adwin.bucketCount).toBeLessThanOrEqual(6 * Math.ceil(Math.log2(777) + 1));
  });

  it('detects 0.2 → 0.8 at the first check after the change (constant values, hand-computed ε ≈ 0.39 < 0.6)', () => {
    const adwin = new Adwin();
    const xs = [...Array(1000).fill(0.2), ...Array(200).fill(0.8)];
    // Checks happen every 32 samples: ticks 1024, 1056, … → the first after the change is index 1023.
    expect(firstDetection(xs, (x) => adwin.update(x))).toBe(1023);
    expect(adwin.direction).toBe('up');
  });

  it('detects a Bernoulli mean change 0.2 → 0.8 within 100 samples, and the window shrinks', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed);
      const xs = [...bernoulli(rand, 0.2, 1000), ...bernoulli(rand, 0.8, 300)];
      const adwin = new Adwin();
      let before = 0;
      const at = firstDetection(xs, (x) => {
        before = adwin.estimation;
        return adwin.update(x);
      });
      expect(at).toBeGreaterThanOrEqual(1000);
      expect(at - 1000).toBeLessThan(100);
      expect(adwin.direction).toBe('up');
      expect(adwin.width).toBeLessThan(at + 1);
      expect(adwin.estimation).toBeGreaterThan(before);
      for (const x of xs.slice(at + 1)) adwin.update(x);
      expect(adwin.estimation).toBeGreaterThan(0.6);
    }
  });

  it('reports a decrease as down', () => {
    const adwin = new Adwin({ clock: 1 });
    const at = firstDetection([...Array(500).fill(0.9), ...Array(100).fill(0.1)], (x) => adwin.update(x));
    expect(at).toBeGreaterThanOrEqual(500);
    expect(adwin.direction).toBe('down');
  });

  it('false positives on stationary Bernoulli(0.5) stay below the ADWIN bound (≤ δ per check)', () => {
    const runs = 200;
    const n = 1000;
    const adwin = new Adwin();
    let withAlarm = 0;
    for (let r = 0; r < runs; r++) {
      adwin.reset();
      const rand = mulberry32(10_000 + r);
      if (firstDetection(bernoulli(rand, 0.5, n), (x) => adwin.update(x)) >= 0) withAlarm += 1;
    }
    const checksPerRun = Math.floor(n / adwin.options.clock);
    expect(withAlarm / runs).toBeLessThanOrEqual(checksPerRun * adwin.options.delta);
  });

  it('reset() empties the window', () => {
    const adwin = new Adwin();
    for (let i = 0; i < 100; i++) adwin.update(i);
    adwin.reset();
    expect(adwin.width).toBe(0);
    expect(adwin.estimation).toBe(0);
    expect(adwin.toJSON()).toEqual(new Adwin().toJSON());
  });

  it('serialisation round trip mid-stream continues identically', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.nat(),
        fc.integer({ min: 1, max: 8 }),
        (xs, cut, clock) => {
          const split = cut % xs.length;
          const shifted = xs.map((x, i) => (i > xs.length / 2 ? x * 0.2 + 0.8 : x * 0.2));
          const a = new Adwin({ clock });
          const outA = shifted.map((x) => a.update(x));
          const b0 = new Adwin({ clock });
          const outB = shifted.slice(0, split).map((x) => b0.update(x));
          const b = Adwin.fromJSON(JSON.parse(JSON.stringify(b0.toJSON())) as AdwinState);
          for (const x of shifted.slice(split)) outB.push(b.update(x));
          expect(outB).toEqual(outA);
          expect(b.toJSON()).toEqual(a.toJSON());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects bad input and inconsistent state', () => {
    expect(() => new Adwin().update(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => new Adwin({ delta: 0 })).toThrow(RangeError);
    const a = new Adwin();
    a.update(1);
    expect(() => Adwin.fromJSON({ ...a.toJSON(), width: 2 })).toThrow(RangeError);
  });
});
