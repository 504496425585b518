import { type Backoff, fullJitterBackoff } from './backoff/index.js';
import { abortReason, type Clock, linkSignals, NEVER_SIGNAL, type RandomSource, sleep, systemClock } from './clock.js';
import { classifyFailure, type FailureClass, retryAfterMs } from './classify.js';
import { TaskTimeoutError } from './errors.js';
import { EventEmitter } from './events.js';
import { isThenable, type Operation, type Policy } from './policy.js';

export interface RetryOptions {
  /** Total tries including the first (default 3). */
  maxAttempts?: number;
  /** Delay strategy (default full jitter, 100 ms initial, 30 s cap). */
  backoff?: Backoff;
  /** Upper bound on any single delay, including server-requested ones (default 60 s). */
  maxDelayMs?: number;
  /** Decide per failure; default `classifyFailure` (HTTP 429/5xx and network errors transient). */
  classify?: (error: unknown, attempt: number) => FailureClass;
  /** Honour `Retry-After` / `retryAfterMs` on the error (default true). */
  respectRetryAfter?: boolean;
  /** Bound each attempt: it is aborted and counted as a transient failure after this long. */
  attemptTimeoutMs?: number;
  /** Bound the whole execution, delays included: no retry starts that could not finish in time. */
  deadlineMs?: number;
  clock?: Clock;
  random?: RandomSource;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryStats {
  executions: number;
  attempts: number;
  retries: number;
  successes: number;
  failures: number;
  permanentFailures: number;
  exhausted: number;
}

/**
 * Retry with backoff. Only transient failures are retried; a permanent failure, an aborted signal
 * or an exhausted budget rethrows the last error unchanged.
 *
 * @example
 * const policy = retry({ maxAttempts: 4, backoff: exponentialBackoff({ initialMs: 1000 }) });
 * const body = await policy.execute(async ({ signal }) => {
 *   const res = await fetch(url, { signal });
 *   if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, headers: res.headers });
 *   return res.json();
 * });
 */
export class RetryPolicy implements Policy {
  private readonly maxAttempts: number;
  private readonly backoff: Backoff;
  private readonly maxDelayMs: number;
  private readonly classify: (error: unknown, attempt: number) => FailureClass;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly retryEvents = new EventEmitter<RetryEvent>();
  private readonly giveUpEvents = new EventEmitter<{
    attempts: number;
    error: unknown;
    reason: 'permanent' | 'exhausted' | 'deadline';
  }>();
  private readonly s: RetryStats = {
    executions: 0,
    attempts: 0,
    retries: 0,
    successes: 0,
    failures: 0,
    permanentFailures: 0,
    exhausted: 0,
  };

  /** Fires before each retry's delay. */
  readonly onRetry = this.retryEvents.subscribe;
  /** Fires when the policy stops retrying and rethrows. */
  readonly onGiveUp = this.giveUpEvents.subscribe;

  constructor(private readonly options: RetryOptions = {}) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.backoff = options.backoff ?? fullJitterBackoff();
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.classify = options.classify ?? ((e) => classifyFailure(e));
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** Counters since creation. */
  stats(): RetryStats {
    return { ...this.s };
  }

  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    this.s.executions++;
    const deadline =
      this.options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + this.options.deadlineMs;
    return this.tryFrom(operation, signal, deadline, 1, 0);
  }

  /**
   * Run attempt `attempt` and whatever retries follow it. Not `async`: a call that succeeds costs
   * one promise callback (none if the operation returns a plain value).
   */
  private tryFrom<T>(
    operation: Operation<T>,
    signal: AbortSignal | undefined,
    deadline: number,
    attempt: number,
    previousDelay: number,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.s.attempts++;
    let result: PromiseLike<T> | T;
    try {
      result = this.attempt(operation, attempt, signal, deadline);
    } catch (error) {
      return this.afterFailure(error, operation, signal, deadline, attempt, previousDelay);
    }
    if (!isThenable(result)) {
      this.s.successes++;
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.s.successes++;
        return value;
      },
      (error: unknown) => this.afterFailure(error, operation, signal, deadline, attempt, previousDelay),
    );
  }

  /** Attempt `attempt` failed with `error`: rethrow it, or retry after a delay. */
  private afterFailure<T>(
    error: unknown,
    operation: Operation<T>,
    signal: AbortSignal | undefined,
    deadline: number,
    attempt: number,
    previousDelay: number,
  ): Promise<T> {
    try {
      const delay = this.retryDelay(error, signal, deadline, attempt, previousDelay);
      return sleep(delay, this.clock, signal).then(() => this.tryFrom(operation, signal, deadline, attempt + 1, delay));
    } catch (rethrown) {
      return Promise.reject(rethrown);
    }
  }

  /** The delay before the next attempt; throws (the error, as a rule) when there is none. */
  private retryDelay(
    error: unknown,
    signal: AbortSignal | undefined,
    deadline: number,
    attempt: number,
    previousDelay: number,
  ): number {
    if (signal?.aborted) throw error;
    const cls = this.classify(error, attempt);
    if (cls === 'permanent') {
      this.s.failures++;
      this.s.permanentFailures++;
      this.giveUpEvents.emit({ attempts: attempt, error, reason: 'permanent' });
      throw error;
    }
    if (attempt >= this.maxAttempts) {
      this.s.failures++;
      this.s.exhausted++;
      this.giveUpEvents.emit({ attempts: attempt, error, reason: 'exhausted' });
      throw error;
    }
    let delay = this.backoff.delay(attempt, previousDelay, this.random);
    if (this.options.respectRetryAfter ?? true) {
      const asked = retryAfterMs(error);
      if (asked !== undefined) delay = Math.max(delay, asked);
    }
    delay = Math.min(Math.max(0, delay), this.maxDelayMs);
    if (this.clock.now() + delay >= deadline) {
      this.s.failures++;
      this.giveUpEvents.emit({ attempts: attempt, error, reason: 'deadline' });
      throw error;
    }
    this.s.retries++;
    this.retryEvents.emit({ attempt, delayMs: delay, error });
    return delay;
  }

  private attempt<T>(
    operation: Operation<T>,
    attempt: number,
    signal: AbortSignal | undefined,
    deadline: number,
  ): PromiseLike<T> | T {
    const remaining = deadline === Number.POSITIVE_INFINITY ? deadline : deadline - this.clock.now();
    const limit = Math.min(this.options.attemptTimeoutMs ?? Number.POSITIVE_INFINITY, remaining);
    // Fast path: no per-attempt timer, no extra signal.
    if (!Number.isFinite(limit)) return operation({ signal: signal ?? NEVER, attempt });
    const link = linkSignals(signal);
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => {
          const err = new TaskTimeoutError(Math.max(0, Math.round(limit)));
          link.controller.abort(err);
          reject(err);
        },
        Math.max(0, limit),
      );
      Promise.resolve()
        .then(() => operation({ signal: link.signal, attempt }))
        .then(resolve, reject)
        .finally(() => {
          this.clock.clearTimeout(timer);
          link.dispose();
        });
    });
  }

  /**
   * Run `fn` over `items` with at most `concurrency` in flight, each through this policy.
   * Resolves to one settled result per item, in input order.
   *
   * @example
   * const results = await retry().executeBatch(urls, (url, { signal }) => fetch(url, { signal }), { concurrency: 4 });
   */
  async executeBatch<I, T>(
    items: readonly I[],
    fn: (item: I, context: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T,
    options: { concurrency?: number; signal?: AbortSignal } = {},
  ): Promise<Array<PromiseSettledResult<T>>> {
    const results: Array<PromiseSettledResult<T>> = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        try {
          const value = await this.execute((ctx) => fn(items[i] as I, ctx), options.signal);
          results[i] = { status: 'fulfilled', value };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      }
    };
    const n = Math.max(1, Math.min(options.concurrency ?? 8, items.length));
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }
}

const NEVER = NEVER_SIGNAL;

/**
 * Shorthand for `new RetryPolicy(options)`.
 *
 * @example
 * await retry({ maxAttempts: 3 }).execute(() => callService());
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  return new RetryPolicy(options);
}
