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
