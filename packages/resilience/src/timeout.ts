import { abortReason, type Clock, linkSignals, systemClock } from './clock.js';
import { TaskTimeoutError } from './errors.js';
import { EventEmitter } from './events.js';
import type { Operation, Policy } from './policy.js';

/**
 * Bound an operation's time. Cooperative: the operation's `signal` aborts when time is up, and the
 * caller gets `TaskTimeoutError` at once — without waiting for an operation that ignores its signal.
 *
 * @example
 * await timeout(2000).execute(({ signal }) => fetch(url, { signal }));
 */
export class TimeoutPolicy implements Policy {
  private readonly timeouts = new EventEmitter<{ timeoutMs: number }>();
  /** Fires each time an operation times out. */
  readonly onTimeout = this.timeouts.subscribe;

  constructor(
    readonly timeoutMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  }

  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const link = linkSignals(signal);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = this.clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        const err = new TaskTimeoutError(this.timeoutMs);
        link.controller.abort(err);
        link.dispose();
        this.timeouts.emit({ timeoutMs: this.timeoutMs });
        reject(err);
      }, this.timeoutMs);
      const onParentAbort = () => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        link.dispose();
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onParentAbort, { once: true });
      let pending: PromiseLike<T> | T;
      try {
        pending = operation({ signal: link.signal, attempt: 1 });
      } catch (e) {
        pending = Promise.reject(e);
      }
      Promise.resolve(pending).then(
        (v) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onParentAbort);
          link.dispose();
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onParentAbort);
          link.dispose();
          reject(e);
        },
      );
    });
  }
}

/**
 * Shorthand for `new TimeoutPolicy(ms, clock)`.
 *
 * @example
 * await timeout(500).execute(() => slowThing());
 */
export function timeout(ms: number, clock?: Clock): TimeoutPolicy {
  return new TimeoutPolicy(ms, clock);
}
