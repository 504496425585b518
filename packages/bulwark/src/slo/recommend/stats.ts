import type { RandomSource } from '@bulwark/resilience';

/** Linear-interpolation quantile (type 7, as numpy's default) of an ascending-sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** Quantile of an unsorted list (copies and sorts). */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

/**
 * Indices of one stationary block-bootstrap resample (Politis & Romano): `length` draws from
 * `n` observations in blocks of geometric length with mean `meanBlock`, wrapping around, so
 * runs of bad days (an incident and its aftermath) stay together.
 */
export function blockBootstrap(n: number, length: number, meanBlock: number, rand: RandomSource, out?: Int32Array) {
  const idx = out ?? new Int32Array(length);
  const p = 1 / Math.max(1, meanBlock);
  let cur = Math.floor(rand() * n);
  for (let i = 0; i < length; i++) {
    if (i > 0) cur = rand() < p ? Math.floor(rand() * n) : (cur + 1) % n;
    idx[i] = cur;
  }
  return idx;
}

/** Round down to a resolution in percentage points (99.9537 -> 99.95 at 0.01). */
export function floorTo(value: number, resolution: number): number {
  return Math.floor(value / resolution + 1e-9) * resolution;
}

/** A target in percent rounded down to 0.01 points, or 0.001 above 99.99 (more nines need finer steps). */
export function roundTargetDown(percent: number): number {
  const r = percent >= 99.99 ? floorTo(percent, 0.001) : floorTo(percent, 0.01);
  return Number(r.toFixed(3));
}

/** Standard normal variate (Box–Muller). */
export function gauss(rand: RandomSource): number {
  return Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
}

/** Gamma(shape, 1) variate (Marsaglia–Tsang; boosted for shape < 1). */
export function gamma(shape: number, rand: RandomSource): number {
  if (shape < 1) return gamma(shape + 1, rand) * rand() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gauss(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rand();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Poisson variate (inversion; the means here are small). */
export function poisson(mean: number, rand: RandomSource): number {
  let k = 0;
  let prob = Math.exp(-mean);
  let cdf = prob;
  const u = rand();
  while (u > cdf && k < 1000) {
    k++;
    prob *= mean / k;
    cdf += prob;
  }
  return k;
}
