import { abortReason, type Clock, isNeverSignal, systemClock } from './clock.js';
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

  execute<T>(operation: Operation<T>, parentSignal?: AbortSignal): Promise<T> {
    // A signal that can never abort needs no listeners (and many concurrent calls would pile them up).
    const signal = isNeverSignal(parentSignal) ? undefined : parentSignal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    // The operation's signal is created only if the operation reads it: most calls finish in time
    // and an AbortController plus its listeners would be most of this policy's cost.
    let controller: AbortController | undefined;
    let abortedWith: unknown;
    let detachParent: (() => void) | undefined;
    const context = {
      attempt: 1,
      get signal(): AbortSignal {
        if (!controller) {
          controller = new AbortController();
          if (abortedWith !== undefined) controller.abort(abortedWith);
          else if (signal) {
            const onAbort = () => controller?.abort(signal.reason);
            signal.addEventListener('abort', onAbort, { once: true });
            detachParent = () => signal.removeEventListener('abort', onAbort);
          }
        }
        return controller.signal;
      },
    };
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cleanup = () => {
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onParentAbort);
        detachParent?.();
      };
      const timer = this.clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        const err = new TaskTimeoutError(this.timeoutMs);
        abortedWith = err;
        controller?.abort(err);
        signal?.removeEventListener('abort', onParentAbort);
        detachParent?.();
        this.timeouts.emit({ timeoutMs: this.timeoutMs });
        reject(err);
      }, this.timeoutMs);
      const onParentAbort = () => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onParentAbort, { once: true });
      let pending: PromiseLike<T> | T;
      try {
        pending = operation(context);
      } catch (e) {
        pending = Promise.reject(e);
      }
      Promise.resolve(pending).then(
        (v) => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          cleanup();
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
