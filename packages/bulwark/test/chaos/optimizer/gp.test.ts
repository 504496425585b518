import { describe, expect, it } from 'vitest';
import { GaussianProcess, minimizeBox } from '../../../src/chaos/optimizer/gp.js';
import { Prng } from '../../../src/chaos/optimizer/prng.js';
import { INACTIVE } from '../../../src/chaos/optimizer/space.js';

function sample(n: number, d: number, seed: number, f: (x: Float64Array) => number) {
  const rng = new Prng(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X[i * d + j] = rng.next();
    y[i] = f(X.subarray(i * d, i * d + d));
  }
  return { X, y };
}

describe('minimizeBox (L-BFGS with box bounds)', () => {
  it('finds the minimum of a convex quadratic inside the box', () => {
    const c = [0.3, -1.2, 2];
    const fg = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let j = 0; j < 3; j++) {
        const w = j + 1;
        f += w * ((x[j] as number) - (c[j] as number)) ** 2;
        g[j] = 2 * w * ((x[j] as number) - (c[j] as number));
      }
      return f;
    };
    const r = minimizeBox(fg, [0, 0, 0], -5, 5, 100);
    r.x.forEach((v, j) => {
      expect(v).toBeCloseTo(c[j] as number, 6);
    });
    expect(r.value).toBeLessThan(1e-10);
  });

  it('stops at the bound when the unconstrained minimum lies outside', () => {
    const fg = (x: Float64Array, g: Float64Array) => {
      g[0] = 2 * ((x[0] as number) - 3);
      g[1] = 2 * ((x[1] as number) + 0.5);
      return ((x[0] as number) - 3) ** 2 + ((x[1] as number) + 0.5) ** 2;
    };
    const r = minimizeBox(fg, [0, 0], -1, 1, 100);
    expect(r.x[0]).toBe(1);
    expect(r.x[1]).toBeCloseTo(-0.5, 6);
  });
});

describe('Gaussian process', () => {
  it('interpolates its observations and is uncertain away from them', () => {
    const f = (x: Float64Array) => Math.sin(6 * (x[0] as number)) + (x[1] as number);
    const { X, y } = sample(15, 2, 1, f);
    const gp = new GaussianProcess({ categories: [0, 0] }).fit(X, 15, 2, y);
    const at = gp.predict(X, 15);
    for (let i = 0; i < 15; i++) {
      expect(at.mean[i]).toBeCloseTo(y[i] as number, 3);
      expect(at.std[i] as number).toBeLessThan(0.01);
    }
    // Far outside the data (a corner no sample is near) the standard deviation is much larger.
    const far = gp.predict(Float64Array.of(5, 5), 1);
    expect(far.std[0] as number).toBeGreaterThan(0.3);
  });

  it('predicts a smooth function between its observations', () => {
    const f = (x: Float64Array) => Math.sin(3 * (x[0] as number)) + 0.5 * (x[1] as number) ** 2;
    const { X, y } = sample(30, 2, 2, f);
    const gp = new GaussianProcess({ categories: [0, 0] }).fit(X, 30, 2, y);
    const test = sample(200, 2, 3, f);
    const pred = gp.predict(test.X, 200);
    let sse = 0;
    for (let i = 0; i < 200; i++) sse += ((pred.mean[i] as number) - (test.y[i] as number)) ** 2;
    expect(Math.sqrt(sse / 200)).toBeLessThan(0.02);
  });

  it('learns a long lengthscale for an irrelevant dimension (ARD)', () => {
    const f = (x: Float64Array) => Math.sin(5 * (x[0] as number));
    const { X, y } = sample(25, 3, 4, f);
    const gp = new GaussianProcess({ categories: [0, 0, 0] }).fit(X, 25, 3, y);
    const [l0, l1, l2] = Array.from(gp.lengthscales);
    expect(l1 as number).toBeGreaterThan(3 * (l0 as number));
    expect(l2 as number).toBeGreaterThan(3 * (l0 as number));
  });

  it('has the analytic gradient of its fitting objective (finite differences)', () => {
    const d = 3;
    const rng = new Prng(5);
    const n = 12;
    const X = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      X[i * d] = rng.next();
      X[i * d + 1] = rng.next();
      X[i * d + 2] = rng.int(3); // categorical
      y[i] = (X[i * d] as number) ** 2 - (X[i * d + 1] as number) + (X[i * d + 2] === 1 ? 1 : 0);
    }
    const gp = new GaussianProcess({ categories: [0, 0, 3] }).fit(X, n, d, y);
    const theta = [Math.log(0.4), Math.log(1.3), Math.log(0.8)];
    const grad = new Float64Array(d);
    gp.negativeLogPosterior(theta, grad);
    for (let j = 0; j < d; j++) {
      const h = 1e-5;
      const up = [...theta];
      const down = [...theta];
      up[j] = (up[j] as number) + h;
      down[j] = (down[j] as number) - h;
      const fd = (gp.negativeLogPosterior(up) - gp.negativeLogPosterior(down)) / (2 * h);
      expect(grad[j] as number).toBeCloseTo(fd, 4);
    }
  });

  it('treats categories and inactive columns by matching (a change costs 1/ℓ²)', () => {
    // Column 0 categorical, column 1 conditional (inactive for category 0).
    const X = Float64Array.of(0, INACTIVE, 0, INACTIVE, 1, 0.2, 1, 0.8, 2, 0.5, 2, 0.1);
    const y = Float64Array.of(1, 1.1, 5, 6, 3, 2.5);
    const gp = new GaussianProcess({ categories: [3, 0] }).fit(X, 6, 2, y);
    const p = gp.predict(Float64Array.of(0, INACTIVE, 1, 0.5), 2);
    // The inactive point of category 0 is predicted from its category's observations.
    expect(Math.abs((p.mean[0] as number) - 1.05)).toBeLessThan(0.3);
    expect(p.mean[1] as number).toBeGreaterThan(4);
    // Deterministic: the same data give the same fit.
    const again = new GaussianProcess({ categories: [3, 0] }).fit(X, 6, 2, y);
    expect(Array.from(again.lengthscales)).toEqual(Array.from(gp.lengthscales));
  });

  it('survives duplicate rows with different targets (jitter)', () => {
    const X = Float64Array.of(0.5, 0.5, 0.1, 0.9);
    const y = Float64Array.of(1, 3, 0, 2);
    const gp = new GaussianProcess({ categories: [0] }).fit(X, 4, 1, y);
    const p = gp.predict(Float64Array.of(0.5), 1);
    expect(Number.isFinite(p.mean[0])).toBe(true);
    expect(Number.isFinite(p.std[0])).toBe(true);
  });
});
