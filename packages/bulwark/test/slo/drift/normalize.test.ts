import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NormalizedSample, type NormalizerState, SliNormalizer } from '../../../src/slo/drift/index.js';
import { gaussian, mulberry32 } from './support.js';

const DAY = 1440;

function diurnal(days: number, seed: number, cv: number, amplitude = 0.3): number[] {
  const normal = gaussian(mulberry32(seed));
  return [...Array(days * DAY)].map(
    (_, t) => 200 * (1 + amplitude * Math.sin((2 * Math.PI * t) / DAY)) * Math.exp(cv * normal()),
  );
}

function run(norm: SliNormalizer, xs: ReadonlyArray<number | null>): Array<NormalizedSample | undefined> {
  return xs.map((x) => norm.push(x));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe('SliNormalizer', () => {
  it('a constant stream normalises to z = 0', () => {
    const out = run(new SliNormalizer(), Array(3000).fill(250));
    const zs = out.flatMap((s) => (s ? [s.z] : []));
    expect(zs.length).toBeGreaterThan(2800);
    expect(zs.every((z) => z === 0)).toBe(true);
  });

  it('a daily cycle is in the baseline, not in the residual', () => {
    const xs = diurnal(3, 1, 0);
    const out = run(new SliNormalizer(), xs);
    const day2 = out.slice(2 * DAY).map((s) => s?.residual as number);
    // A ±30% cycle is ±0.3 in log units; what remains after one period is the fit error.
    expect(Math.max(...day2.map(Math.abs))).toBeLessThan(0.005);
    const flat = run(new SliNormalizer({ seasonalPeriod: 0 }), xs);
    const res = flat.slice(2 * DAY).map((s) => (s as NormalizedSample).residual - (s as NormalizedSample).location);
    expect(Math.max(...res.map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('standardises seasonal noise to about zero mean and unit variance', () => {
    const out = run(new SliNormalizer(), diurnal(4, 2, 0.12));
    const zs = out.slice(DAY).flatMap((s) => (s ? [s.z] : []));
    expect(Math.abs(mean(zs))).toBeLessThan(0.1);
    expect(sd(zs)).toBeGreaterThan(0.85);
    expect(sd(zs)).toBeLessThan(1.15);
  });

  it('clips a spike and keeps it out of next period’s baseline', () => {
    const xs = diurnal(3, 3, 0.05);
    const spiked = [...xs];
    spiked[DAY + 500] = (xs[DAY + 500] as number) * 50;
    const a = run(new SliNormalizer(), xs);
    const b = run(new SliNormalizer(), spiked);
    expect(b[DAY + 500]?.z).toBe(3);
    const t = 2 * DAY + 500;
    expect(Math.abs((b[t]?.baseline as number) - (a[t]?.baseline as number))).toBeLessThan(0.005);
  });

  it('keeps the time axis through missing samples', () => {
    const norm = new SliNormalizer({ seasonalPeriod: 0 });
    for (let i = 0; i < 200; i++) norm.push(i % 2 === 0 ? 200 : null);
    expect(norm.index).toBe(200);
    expect(norm.push(Number.NaN)).toBeUndefined();
    expect(norm.push(200)?.index).toBe(201);
  });

  it('identity transform accepts zeros (error ratios)', () => {
    const rand = mulberry32(4);
    const norm = new SliNormalizer({ transform: 'identity', seasonalPeriod: 0 });
    const out = run(
      norm,
      [...Array(500)].map(() => (rand() < 0.5 ? 0 : rand() * 0.002)),
    );
    expect(out.slice(100).every((s) => s !== undefined && Number.isFinite(s.z))).toBe(true);
  });

  it('recenter after a real step moves the offset by the step and prevents the echo next period', () => {
    const normal = gaussian(mulberry32(5));
    const onset = 2 * DAY + 300;
    const xs = [...Array(4 * DAY)].map((_, t) => 200 * (t >= onset ? 1.5 : 1) * Math.exp(0.1 * normal()));
    const echo = (restate: boolean) => {
      const norm = new SliNormalizer();
      const out = xs.map((x, t) => {
        if (t === onset + 20) norm.recenter(onset, restate);
        return norm.push(x);
      });
      return { norm, z: out.slice(onset + DAY - 60, onset + DAY + 240).map((s) => s?.z as number) };
    };
    const restated = echo(true);
    expect(restated.norm.offset).toBeCloseTo(Math.log(1.5), 1);
    expect(Math.abs(mean(restated.z))).toBeLessThan(0.5);
    const kept = echo(false);
    expect(kept.norm.offset).toBe(0);
    expect(mean(kept.z)).toBeLessThan(-1);
  });

  it('recenter without a real change leaves the level where it was', () => {
    const norm = new SliNormalizer();
    const xs = diurnal(2, 6, 0.1);
    xs.forEach((x, t) => {
      if (t === 2000) norm.recenter(1980);
      norm.push(x);
    });
    expect(Math.abs(norm.offset)).toBeLessThan(0.05);
  });

  it('estimates and removes lag-1 autocorrelation', () => {
    const normal = gaussian(mulberry32(7));
    let e = 0;
    const ar = [...Array(2000)].map(() => {
      e = 0.6 * e + 0.1 * Math.sqrt(1 - 0.36) * normal();
      return 200 * Math.exp(e);
    });
    const lag1 = (zs: number[]) => {
      const m = mean(zs);
      let num = 0;
      let den = 0;
      for (let i = 1; i < zs.length; i++) num += ((zs[i] as number) - m) * ((zs[i - 1] as number) - m);
      for (const z of zs) den += (z - m) ** 2;
      return num / den;
    };
    const white = run(new SliNormalizer({ seasonalPeriod: 0 }), ar).slice(600);
    expect(white.at(-1)?.autocorrelation).toBeGreaterThan(0.4);
    expect(Math.abs(lag1(white.map((s) => s?.z as number)))).toBeLessThan(0.15);
    const raw = run(new SliNormalizer({ seasonalPeriod: 0, maxAutocorrelation: 0 }), ar).slice(600);
    expect(raw.at(-1)?.autocorrelation).toBe(0);
    expect(lag1(raw.map((s) => s?.z as number))).toBeGreaterThan(0.45);
  });

  it('serialisation round trip mid-stream continues identically', () => {
    const opts = {
      seasonalPeriod: 24,
      seasonalHalfWindow: 4,
      fallbackWindow: 6,
      scaleWindow: 20,
      scaleLag: 3,
      minScaleSamples: 5,
    };
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 1, max: 1000, noNaN: true }), { freq: 10 }), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.nat(),
        fc.nat(),
        (xs, cut, at) => {
          const split = cut % xs.length;
          const recenterAt = at % xs.length;
          const feed = (norm: SliNormalizer, i: number) => {
            if (i === recenterAt) norm.recenter(Math.max(0, i - 3));
            return norm.push(xs[i] ?? null);
          };
          const a = new SliNormalizer(opts);
          const outA = xs.map((_, i) => feed(a, i));
          const b0 = new SliNormalizer(opts);
          const outB = xs.slice(0, split).map((_, i) => feed(b0, i));
          const b = SliNormalizer.fromJSON(JSON.parse(JSON.stringify(b0.toJSON())) as NormalizerState);
          for (let i = split; i < xs.length; i++) outB.push(feed(b, i));
          expect(outB).toEqual(outA);
          expect(b.toJSON()).toEqual(a.toJSON());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects bad options and values', () => {
    expect(() => new SliNormalizer({ seasonalPeriod: 10, seasonalHalfWindow: 10 })).toThrow(RangeError);
    expect(() => new SliNormalizer({ maxAutocorrelation: 1 })).toThrow(RangeError);
    expect(() => new SliNormalizer().push(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
