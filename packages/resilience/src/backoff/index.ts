import type { RandomSource } from '../clock.js';

/**
 * How long to wait before retry number `retry` (1 = first retry). `previous` is the delay used
 * before the last retry (0 before the first), which decorrelated jitter needs.
 */
export interface Backoff {
  delay(retry: number, previous: number, random: RandomSource): number;
}

/**
 * The same delay every time.
 *
 * @example
 * retry({ backoff: constantBackoff(500) })
 */
export function constantBackoff(ms: number): Backoff {
  return { delay: () => ms };
}

export interface ExponentialOptions {
  /** Delay before the first retry (ms). */
  initialMs?: number;
  /** Growth per retry (default 2). */
  factor?: number;
  /** Upper bound of any delay (ms, default 30 s). */
  maxMs?: number;
}

const exp = (o: ExponentialOptions, retry: number) =>
  Math.min(o.maxMs ?? 30_000, (o.initialMs ?? 100) * (o.factor ?? 2) ** Math.max(0, retry - 1));

/**
 * initial · factor^(retry−1), capped: 1 s, 2 s, 4 s … without jitter.
 *
 * @example
 * retry({ backoff: exponentialBackoff({ initialMs: 1000 }) }) // 1 s, 2 s, 4 s
 */
export function exponentialBackoff(options: ExponentialOptions = {}): Backoff {
  return { delay: (retry) => exp(options, retry) };
}

/**
 * "Full jitter" (AWS architecture blog): uniform in [0, exponential delay]. Spreads retries of
 * many clients best; the default of `retry`.
 *
 * @example
 * retry({ backoff: fullJitterBackoff({ initialMs: 200, maxMs: 10_000 }) })
 */
export function fullJitterBackoff(options: ExponentialOptions = {}): Backoff {
  return { delay: (retry, _prev, random) => random() * exp(options, retry) };
}

/**
 * "Decorrelated jitter": uniform in [initial, 3 · previous], capped. Grows like exponential on
 * average without synchronising clients.
 *
 * @example
 * retry({ backoff: decorrelatedJitterBackoff({ initialMs: 100, maxMs: 5000 }) })
 */
export function decorrelatedJitterBackoff(options: { initialMs?: number; maxMs?: number } = {}): Backoff {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  return {
    delay: (_retry, previous, random) => {
      const upper = Math.max(initial, (previous || initial) * 3);
      return Math.min(max, initial + random() * (upper - initial));
    },
  };
}
