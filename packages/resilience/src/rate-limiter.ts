import { type Clock, sleep, systemClock } from './clock.js';
import { RateLimitedError } from './errors.js';
import { type Operation, type Policy, rootContext } from './policy.js';

/**
 * Token bucket: `capacity` tokens, refilled continuously at `refillPerSecond`. A call takes one
 * token; with none left it waits up to `maxWaitMs` for one, or fails with `RateLimitedError`
 * carrying how long to wait.
 *
 * @example
 * const limiter = rateLimiter({ capacity: 20, refillPerSecond: 10 });
 * await limiter.execute(() => callPartnerApi());
 */
export class TokenBucket implements Policy {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly options: { maxWaitMs?: number; clock?: Clock } = {},
  ) {
    if (!(capacity > 0) || !(refillPerSecond > 0)) throw new RangeError('capacity and refillPerSecond must be > 0');
    this.tokens = capacity;
    this.last = this.clock.now();
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.refillPerSecond);
    this.last = now;
  }

  /** Take `n` tokens if available; otherwise report how long until they would be. */
  tryTake(n = 1): { ok: true; remaining: number } | { ok: false; retryAfterMs: number; remaining: number } {
    this.refill();
    if (this.tokens >= n) {
      this.tokens -= n;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return {
      ok: false,
      retryAfterMs: ((n - this.tokens) / this.refillPerSecond) * 1000,
      remaining: Math.floor(this.tokens),
    };
  }

  async execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      const r = this.tryTake();
      if (r.ok) return operation(rootContext(signal));
      if (r.retryAfterMs > (this.options.maxWaitMs ?? 0)) throw new RateLimitedError(r.retryAfterMs);
      await sleep(r.retryAfterMs, this.clock, signal);
    }
  }
}

/**
 * Shorthand for `new TokenBucket(capacity, refillPerSecond, options)`.
 *
 * @example
 * rateLimiter({ capacity: 5, refillPerSecond: 1, maxWaitMs: 2000 })
 */
export function rateLimiter(options: {
  capacity: number;
  refillPerSecond: number;
  maxWaitMs?: number;
  clock?: Clock;
}): TokenBucket {
  return new TokenBucket(options.capacity, options.refillPerSecond, options);
}
