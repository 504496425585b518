/**
 * Shared vocabulary of the drift detectors. Pure: no I/O, no clock, no randomness.
 */

/**
 * Direction of a detected change in the monitored value: `up` = the value grew (for latency or
 * error ratio: got worse), `down` = the value fell.
 *
 * @example
 * ```ts
 * const d: DriftDirection = 'up';
 * ```
 */
export type DriftDirection = 'up' | 'down';

/**
 * Throws a `RangeError` unless `x` is a finite number; returns it otherwise.
 *
 * @example
 * ```ts
 * requireFinite(3, 'x'); // 3
 * requireFinite(Number.NaN, 'x'); // throws RangeError
 * ```
 */
export function requireFinite(x: number, name: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${name} must be a finite number, got ${x}`);
  return x;
}

/**
 * Throws a `RangeError` unless `x` is an integer no smaller than `min`; returns it otherwise.
 *
 * @example
 * ```ts
 * requireInteger(5, 1, 'size'); // 5
 * requireInteger(0.5, 1, 'size'); // throws RangeError
 * ```
 */
export function requireInteger(x: number, min: number, name: string): number {
  if (!Number.isInteger(x) || x < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${x}`);
  return x;
}
