import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acquisitionValues,
  erf,
  erfc,
  expectedImprovement,
  fitPowerTransform,
  normalCdf,
  normalPdf,
  normalQuantile,
  normalScores,
  probabilityOfImprovement,
  upperConfidenceBound,
  yeoJohnson,
} from '../../../src/chaos/optimizer/acquisition.js';

// Reference values from standard tables (Abramowitz & Stegun; 16-digit values as published by NIST DLMF
// calculators), not from this implementation.
const INV_SQRT_2PI = 0.3989422804014327;

describe('error function and normal distribution', () => {
  it('matches tabulated erf / erfc values to 1e-12 (relative in the tail)', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 12);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 12);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 12);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 12);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 10);
    expect(erfc(5) / 1.5374597944280349e-12).toBeCloseTo(1, 10);
  });

  it('matches tabulated normal cdf values', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 12);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
    expect(normalCdf(3)).toBeCloseTo(0.9986501019683699, 12);
    // Lower tail keeps relative accuracy (a naive 1 - cdf would not).
    expect(normalCdf(-5) / 2.866515718791939e-7).toBeCloseTo(1, 9);
    expect(normalPdf(0)).toBeCloseTo(INV_SQRT_2PI, 15);
  });

  it('is symmetric, monotone and bounded (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (z, dz) => {
          expect(normalCdf(z) + normalCdf(-z)).toBeCloseTo(1, 12);
          expect(normalCdf(z + dz)).toBeGreaterThanOrEqual(normalCdf(z));
          expect(normalCdf(z)).toBeGreaterThanOrEqual(0);
          expect(normalCdf(z)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('has a quantile function that inverts the cdf', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normalQuantile(0.5)).toBe(0);
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => {
        expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 9);
      }),
    );
  });

  it('normal scores keep the order, share ranks between ties and are symmetric', () => {
    const s = normalScores([10, 0, 5, 5, 20]);
    expect(s[1]).toBeLessThan(s[2] as number);
    expect(s[2]).toBe(s[3]);
    expect(s[3]).toBeLessThan(s[0] as number);
    expect(s[0]).toBeLessThan(s[4] as number);
    // ranks 1, 2.5, 2.5, 4, 5 of 5: the middle value (rank 3 would be 0) is absent, extremes mirror.
    expect((s[1] as number) + (s[4] as number)).toBeCloseTo(0, 12);
    expect(s[1]).toBeCloseTo(normalQuantile(0.1), 12);
  });
});

describe('acquisition functions (maximisation)', () => {
  it('EI at mu = best with xi = 0 is sigma * phi(0)', () => {
    expect(expectedImprovement(3, 1, 3, 0)).toBeCloseTo(INV_SQRT_2PI, 14);
    expect(expectedImprovement(3, 2, 3, 0)).toBeCloseTo(2 * INV_SQRT_2PI, 14);
  });

  it('EI at mu = best, sigma = 1, xi = 0.01 equals -0.01*Phi(-0.01) + phi(0.01) (hand computed)', () => {
    // Phi(-0.01) = 0.4960106436853684, phi(0.01) = phi(0) * exp(-0.00005) = 0.3989223337861...
    const expected = -0.01 * 0.4960106436853684 + INV_SQRT_2PI * Math.exp(-0.5 * 0.01 * 0.01);
    expect(expectedImprovement(5, 1, 5, 0.01)).toBeCloseTo(expected, 12);
    expect(expectedImprovement(5, 1, 5)).toBeCloseTo(expected, 12); // xi defaults to 0.01
  });

  it('EI vanishes as sigma -> 0 below the best and tends to the improvement above it', () => {
    expect(expectedImprovement(2, 1e-9, 3)).toBe(0);
    expect(expectedImprovement(2, 0, 3)).toBe(0);
    expect(expectedImprovement(4, 0, 3, 0.01)).toBeCloseTo(0.99, 12);
    expect(expectedImprovement(4, 1e-9, 3, 0.01)).toBeCloseTo(0.99, 9);
  });

  it('EI is at least the plain improvement and grows with mu and sigma (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (mu, sigma, delta) => {
          const best = 1;
          const ei = expectedImprovement(mu, sigma, best);
          expect(ei).toBeGreaterThanOrEqual(Math.max(0, mu - best - 0.01) - 1e-12);
          expect(expectedImprovement(mu + delta, sigma, best)).toBeGreaterThanOrEqual(ei - 1e-12);
          expect(expectedImprovement(mu, sigma + delta, best)).toBeGreaterThanOrEqual(ei - 1e-12);
        },
      ),
    );
  });

  it('PI and the confidence bound match their definitions', () => {
    expect(probabilityOfImprovement(1.01, 2, 1, 0.01)).toBeCloseTo(0.5, 14);
    expect(probabilityOfImprovement(1.01 + 1.96 * 2, 2, 1, 0.01)).toBeCloseTo(0.9750021048517795, 12);
    expect(probabilityOfImprovement(0, 0, 1)).toBe(0);
    expect(probabilityOfImprovement(2, 0, 1)).toBe(1);
    expect(upperConfidenceBound(1, 2)).toBeCloseTo(1 + 1.96 * 2, 14);
    expect(upperConfidenceBound(1, 2, 0.5)).toBe(2);
  });

  it('vectorised scoring equals the scalar functions', () => {
    const mean = [0, 1, 2, 3];
    const std = [1, 0.5, 0, 2];
    const ei = acquisitionValues('EI', mean, std, 1.5, { xi: 0.1 });
    const pi = acquisitionValues('PI', mean, std, 1.5, { xi: 0.1 });
    const lcb = acquisitionValues('LCB', mean, std, 1.5, { kappa: 3 });
    mean.forEach((m, i) => {
      expect(ei[i]).toBe(expectedImprovement(m, std[i] as number, 1.5, 0.1));
      expect(pi[i]).toBe(probabilityOfImprovement(m, std[i] as number, 1.5, 0.1));
      expect(lcb[i]).toBe(upperConfidenceBound(m, std[i] as number, 3));
    });
  });
});

describe('power-transform output warping (Yeo–Johnson)', () => {
  it('is the identity at λ = 1 and log1p at λ = 0 for y ≥ 0, increasing in y', () => {
    for (const y of [-3, -0.5, 0, 0.7, 4]) expect(yeoJohnson(y, 1)).toBeCloseTo(y, 12);
    expect(yeoJohnson(2, 0)).toBeCloseTo(Math.log(3), 12);
    expect(yeoJohnson(-2, 2)).toBeCloseTo(-Math.log(3), 12);
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: -2, max: 4, noNaN: true }),
        (y, dy, lambda) => {
          expect(yeoJohnson(y + dy, lambda)).toBeGreaterThanOrEqual(yeoJohnson(y, lambda));
        },
      ),
    );
  });

  it('leaves Gaussian data nearly affine and is invariant to affine rescaling', () => {
    const gauss = Array.from({ length: 41 }, (_, i) => normalQuantile((i + 0.5) / 41));
    const t = fitPowerTransform(gauss);
    gauss.forEach((v) => {
      expect(Math.abs(t(v) - v)).toBeLessThan(0.15);
    });
    const scaled = gauss.map((v) => 7 + 3 * v);
    const ts = fitPowerTransform(scaled);
    gauss.forEach((v, i) => {
      expect(ts(scaled[i] as number)).toBeCloseTo(t(v), 6);
    });
  });

  it('compresses a heavy lower tail so the top values spread out (standardised output)', () => {
    // Severities: most near the top, a few catastrophic outliers far below (as Func2C's Rosenbrock terms).
    const values = [0.2, 0.15, 0.1, 0.05, 0, -0.1, -0.2, -0.3, -5, -12, -20];
    const t = fitPowerTransform(values);
    const out = values.map(t);
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const sd = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length);
    expect(mean).toBeCloseTo(0, 9);
    expect(sd).toBeCloseTo(1, 9);
    // Monotone.
    for (let i = 1; i < out.length; i++) expect(out[i] as number).toBeLessThan(out[i - 1] as number);
    // Plain standardisation squeezes the eight top values together; the warping spreads them.
    const m0 = values.reduce((a, b) => a + b, 0) / values.length;
    const s0 = Math.sqrt(values.reduce((a, b) => a + (b - m0) ** 2, 0) / values.length);
    const spreadPlain = (0.2 - -0.3) / s0;
    expect((out[0] as number) - (out[7] as number)).toBeGreaterThan(2 * spreadPlain);
  });
});
