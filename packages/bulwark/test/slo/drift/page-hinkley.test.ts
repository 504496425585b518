import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageHinkley, type PageHinkleyState } from '../../../src/slo/drift/index.js';
import { firstDetection, gaussian, mulberry32, PythonRandom, riverExampleStream } from './support.js';

function noisyStep(seed: number, before: number, after: number, shift: number): number[] {
  const normal = gaussian(mulberry32(seed));
  return [...Array(before + after)].map((_, i) => normal() + (i >= before ? shift : 0));
}

describe('PageHinkley', () => {
  it('replays CPython random.Random (the generator behind the river reference below)', () => {
    expect(new PythonRandom(42).random()).toBe(0.6394267984578837);
  });

  it("matches river's documented example: change detected at index 1006 (input value 5)", () => {
    const stream = riverExampleStream();
    const ph = new PageHinkley();
    const at = firstDetection(stream, (x) => ph.update(x));
    expect(at).toBe(1006);
    expect(stream[at]).toBe(5);
    expect(ph.direction).toBe('up');
  });

  it('never fires on a constant stream, in any mode', () => {
    for (const mode of ['up', 'down', 'both'] as const) {
      const ph = new PageHinkley({ mode, threshold: 1, delta: 0, minInstances: 1 });
      for (let i = 0; i < 5000; i++) expect(ph.update(3.7)).toBe(false);
      expect(ph.statistics).toEqual({ increase: 0, decrease: 0 });
    }
  });

  it('detects an abrupt +3σ shift within a bound derived from the threshold, never before it', () => {
    // N(0,1) noise with delta = 0.5: before the shift the increase statistic is a random walk with
    // drift −0.5, exceeding 25 with probability ≈ e^(−2·0.5·25) ≈ 1e-11. After it, it grows by about
    // 3 − 0.5 − (catch-up of the running mean) ≥ 2 per sample: 25 / 2 ≈ 13 samples, so < 25.
    for (let seed = 1; seed <= 20; seed++) {
      const xs = noisyStep(seed, 500, 200, 3);
      const ph = new PageHinkley({ delta: 0.5, threshold: 25 });
      const at = firstDetection(xs, (x) => ph.update(x));
      expect(at).toBeGreaterThanOrEqual(500);
      expect(at - 500).toBeLessThan(25);
      expect(ph.direction).toBe('up');
    }
  });

  it('reports the direction, and the one-sided modes ignore the other side', () => {
    const down = noisyStep(7, 300, 200, -3);
    const opts = { delta: 0.5, threshold: 25 };
    const both = new PageHinkley({ ...opts, mode: 'both' });
    expect(firstDetection(down, (x) => both.update(x))).toBeGreaterThanOrEqual(300);
    expect(both.direction).toBe('down');
    const upOnly = new PageHinkley({ ...opts, mode: 'up' });
    expect(firstDetection(down, (x) => upOnly.update(x))).toBe(-1);
    const downOnly = new PageHinkley({ ...opts, mode: 'down' });
    expect(firstDetection(down, (x) => downOnly.update(x))).toBeGreaterThanOrEqual(300);
    expect(downOnly.direction).toBe('down');
  });

  it('respects minInstances', () => {
    const ph = new PageHinkley({ minInstances: 50, threshold: 1, delta: 0 });
    const at = firstDetection(
      [...Array(100)].map((_, i) => (i < 10 ? 0 : 100)),
      (x) => ph.update(x),
    );
    expect(at).toBe(49);
  });

  it('restarts after a detection (river semantics) and reset() forgets everything', () => {
    const xs = noisyStep(3, 300, 100, 4);
    const ph = new PageHinkley({ delta: 0.5, threshold: 25 });
    const at = firstDetection(xs, (x) => ph.update(x));
    expect(at).toBeGreaterThan(0);
    ph.update(xs[at + 1] as number);
    expect(ph.n).toBe(1);
    expect(ph.driftDetected).toBe(false);
    ph.update(1);
    ph.reset();
    expect(ph.toJSON()).toEqual(new PageHinkley({ delta: 0.5, threshold: 25 }).toJSON());
  });

  it('serialisation round trip mid-stream continues identically', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.constantFrom('up', 'down', 'both'),
        (xs, cut, mode) => {
          const split = cut % xs.length;
          const opts = { mode, threshold: 20, minInstances: 5 } as const;
          const a = new PageHinkley(opts);
          const outA = xs.map((x) => a.update(x));
          const b0 = new PageHinkley(opts);
          const outB = xs.slice(0, split).map((x) => b0.update(x));
          const b = PageHinkley.fromJSON(JSON.parse(JSON.stringify(b0.toJSON())) as PageHinkleyState);
          for (const x of xs.slice(split)) outB.push(b.update(x));
          expect(outB).toEqual(outA);
          expect(b.toJSON()).toEqual(a.toJSON());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects bad input and foreign state', () => {
    expect(() => new PageHinkley().update(Number.NaN)).toThrow(RangeError);
    expect(() => new PageHinkley({ alpha: 0 })).toThrow(RangeError);
    expect(() => PageHinkley.fromJSON({ kind: 'adwin' } as unknown as PageHinkleyState)).toThrow(TypeError);
  });
});
