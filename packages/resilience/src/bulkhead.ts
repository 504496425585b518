import { abortReason, isNeverSignal } from './clock.js';
import { BulkheadRejectedError } from './errors.js';
import { EventEmitter } from './events.js';
import { type Operation, type Policy, rootContext } from './policy.js';

interface Waiter {
  start: () => void;
  fail: (e: unknown) => void;
}

/**
 * At most `maxConcurrent` operations run at once; up to `maxQueue` more wait in FIFO order; the
 * rest are rejected at once with `BulkheadRejectedError` (load shedding, not unbounded queues).
 *
 * @example
 * const pool = bulkhead({ maxConcurrent: 10, maxQueue: 50 });
 * await pool.execute(() => callDatabase());
 */
export class BulkheadPolicy implements Policy {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readonly rejections = new EventEmitter<{ executing: number; queued: number }>();
  /** Fires for every rejected call. */
  readonly onReject = this.rejections.subscribe;

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue = 0,
  ) {
    if (!(maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be >= 1');
  }

  get executing(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
  }

  async execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw abortReason(signal);
    if (this.running >= this.maxConcurrent) {
      if (this.queue.length >= this.maxQueue) {
        this.rejections.emit({ executing: this.running, queued: this.queue.length });
        throw new BulkheadRejectedError(this.running, this.queue.length);
      }
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          fail: reject,
        };
        const onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortReason(signal as AbortSignal));
        };
        if (!isNeverSignal(signal)) signal?.addEventListener('abort', onAbort, { once: true });
        this.queue.push(waiter);
      });
    } else {
      this.running++;
    }
    try {
      return await operation(rootContext(signal));
    } finally {
      const next = this.queue.shift();
      // Hand the slot straight to the next waiter, so the count never dips and lets a newcomer jump the queue.
      if (next) next.start();
      else this.running--;
    }
  }
}

/**
 * Shorthand for `new BulkheadPolicy(maxConcurrent, maxQueue)`.
 *
 * @example
 * bulkhead({ maxConcurrent: 4 })
 */
export function bulkhead(options: { maxConcurrent: number; maxQueue?: number }): BulkheadPolicy {
  return new BulkheadPolicy(options.maxConcurrent, options.maxQueue ?? 0);
}
