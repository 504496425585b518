import { type Clock, systemClock } from './clock.js';
import { BulkheadRejectedError, isTaskTimeoutError } from './errors.js';
import { EventEmitter } from './events.js';
import { type Operation, type Policy, rootContext } from './policy.js';

/**
 * A concurrency limit that finds its own level (AIMD, as in Netflix concurrency-limits and Envoy's
 * adaptive concurrency): every call that succeeds under `latencyThresholdMs` while the limit is in
 * use adds 1/limit (so +1 per round trip of calls); a timeout, a failure the classifier calls
 * overload, or a latency above the threshold multiplies the limit by `backoffRatio`. Calls beyond
 * the limit are rejected at once — shed load instead of queueing into a latency spiral.
 *
 * @example
 * const limit = adaptiveConcurrency({ initialLimit: 20, maxLimit: 200, latencyThresholdMs: 250 });
 * await limit.execute(() => callDownstream());
 */
export interface AdaptiveConcurrencyOptions {
  initialLimit?: number;
  minLimit?: number;
  maxLimit?: number;
  /** Multiplicative decrease on overload (default 0.9). */
  backoffRatio?: number;
  /** A success slower than this counts as overload. */
  latencyThresholdMs?: number;
  /** Which errors signal overload (default: timeouts and HTTP 429/503). */
  isOverload?: (error: unknown) => boolean;
  clock?: Clock;
}

export class AdaptiveConcurrencyPolicy implements Policy {
  private current: number;
  private inflight = 0;
  private readonly clock: Clock;
  private readonly changes = new EventEmitter<{ from: number; to: number; reason: 'increase' | 'overload' }>();
  readonly onLimitChange = this.changes.subscribe;

  constructor(private readonly o: AdaptiveConcurrencyOptions = {}) {
    this.current = o.initialLimit ?? 20;
    this.clock = o.clock ?? systemClock;
  }

  get limit(): number {
    return Math.floor(this.current);
  }

  get inFlight(): number {
    return this.inflight;
  }

  async execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (this.inflight >= this.limit) throw new BulkheadRejectedError(this.inflight, 0);
    this.inflight++;
    const started = this.clock.now();
    try {
      const result = await operation(rootContext(signal));
      const latency = this.clock.now() - started;
      if (this.o.latencyThresholdMs !== undefined && latency > this.o.latencyThresholdMs) this.decrease();
      // Only grow when the limit is actually being used; idle capacity says nothing.
      else if (this.inflight >= this.limit / 2) this.increase();
      return result;
    } catch (error) {
      const overload =
        this.o.isOverload?.(error) ??
        (isTaskTimeoutError(error) || [429, 503].includes((error as { status?: number } | undefined)?.status ?? 0));
      if (overload) this.decrease();
      throw error;
    } finally {
      this.inflight--;
    }
  }

  private increase(): void {
    const before = this.limit;
    this.current = Math.min(this.o.maxLimit ?? 1000, this.current + 1 / Math.max(1, this.current));
    if (this.limit !== before) this.changes.emit({ from: before, to: this.limit, reason: 'increase' });
  }

  private decrease(): void {
    const before = this.limit;
    this.current = Math.max(this.o.minLimit ?? 1, this.current * (this.o.backoffRatio ?? 0.9));
    if (this.limit !== before) this.changes.emit({ from: before, to: this.limit, reason: 'overload' });
  }
}

/**
 * Shorthand for `new AdaptiveConcurrencyPolicy(options)`.
 *
 * @example
 * adaptiveConcurrency({ initialLimit: 10 })
 */
export function adaptiveConcurrency(options: AdaptiveConcurrencyOptions = {}): AdaptiveConcurrencyPolicy {
  return new AdaptiveConcurrencyPolicy(options);
}
