import { abortReason, type Clock, isNeverSignal, systemClock } from './clock.js';
import { TaskTimeoutError } from './errors.js';
import { EventEmitter } from './events.js';
import { type ExecutionContext, isThenable, type Operation, type Policy } from './policy.js';

/** Settled calls at the head of the queue beyond this many are compacted away. */
const COMPACT_AFTER = 1024;

/**
 * Bound an operation's time. Cooperative: the operation's `signal` aborts when time is up, and the
 * caller gets `TaskTimeoutError` at once — without waiting for an operation that ignores its signal.
 *
 * All calls of one policy share one timer. Every call gets the same time limit, so deadlines come
 * in start order: the calls wait in a FIFO queue and the timer is armed for the oldest one only.
 * A call that finishes in time costs a clock read and a queue slot instead of a timer of its own.
 * When no call is in flight the timer is cleared — or, if the clock's timer handles can be
 * `unref`'d (Node's), left to lapse unref'd, so a steady stream of calls does not re-create it.
 *
 * @example
 * await timeout(2000).execute(({ signal }) => fetch(url, { signal }));
 */
export class TimeoutPolicy implements Policy {
  private readonly timeouts = new EventEmitter<{ timeoutMs: number }>();
  /** Fires each time an operation times out. */
  readonly onTimeout = this.timeouts.subscribe;
  private readonly deadlines: DeadlineQueue;

  constructor(
    readonly timeoutMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    this.deadlines = new DeadlineQueue(timeoutMs, clock, this.timeouts);
  }

  execute<T>(operation: Operation<T>, parentSignal?: AbortSignal): Promise<T> {
    // A signal that can never abort needs no listeners (and many concurrent calls would pile them up).
    const signal = isNeverSignal(parentSignal) ? undefined : parentSignal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const call = new TimeoutCall<T>(this.deadlines, signal, this.clock.now() + this.timeoutMs);
    if (signal) signal.addEventListener('abort', call);
    let pending: PromiseLike<T> | T;
    try {
      pending = operation(call);
    } catch (e) {
      call.detach();
      return Promise.reject(call.settled ? abortReason(signal as AbortSignal) : e);
    }
    // The caller aborted while the operation was starting.
    if (call.settled) return Promise.reject(abortReason(signal as AbortSignal));
    if (!isThenable(pending)) {
      // Finished synchronously: no timer can have fired.
      call.detach();
      return Promise.resolve(pending);
    }
    const result = new Promise<T>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    this.deadlines.enqueue(call as TimeoutCall<unknown>);
    pending.then(
      (value) => call.finish(true, value),
      (error: unknown) => call.finish(false, error),
    );
    return result;
  }
}

/**
 * The calls in flight under one policy, in start (= deadline) order, and the one timer armed for
 * the oldest of them.
 */
class DeadlineQueue {
  private queue: Array<TimeoutCall<unknown>> = [];
  /** Index of the first call not yet dropped. */
  private head = 0;
  private timer: unknown;
  /** The timer will still fire. */
  private armed = false;
  /** The armed timer is unref'd because no call is in flight. */
  private lingering = false;
  private readonly fire = (): void => this.expireDue();

  constructor(
    readonly timeoutMs: number,
    private readonly clock: Clock,
    readonly events: EventEmitter<{ timeoutMs: number }>,
  ) {}

  enqueue(call: TimeoutCall<unknown>): void {
    this.queue.push(call);
    if (!this.armed) this.arm(this.timeoutMs);
    else if (this.lingering) {
      this.lingering = false;
      (this.timer as { ref(): void }).ref();
    }
  }

  private arm(ms: number): void {
    this.armed = true;
    this.timer = this.clock.setTimeout(this.fire, ms);
  }

  /** A call settled: drop settled calls from the head, and let the timer go when none are left. */
  released(): void {
    const q = this.queue;
    while (this.head < q.length && (q[this.head] as TimeoutCall<unknown>).settled) this.head++;
    if (!this.compact() || !this.armed) return;
    const timer = this.timer as { unref?: unknown } | null;
    if (typeof timer === 'object' && timer !== null && typeof timer.unref === 'function') {
      this.lingering = true;
      timer.unref();
    } else {
      this.armed = false;
      this.clock.clearTimeout(this.timer);
    }
  }

  /** Forget dropped calls; true when the queue is empty. */
  private compact(): boolean {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      return true;
    }
    // Stryker disable next-line all: compaction only bounds memory; which calls are in the queue does not change
    if (this.head > COMPACT_AFTER && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return false;
  }

  private expireDue(): void {
    this.armed = false;
    this.lingering = false;
    const now = this.clock.now();
    // Re-read queue and head each turn: a timed-out caller's listeners may start or settle calls.
    while (this.head < this.queue.length) {
      const call = this.queue[this.head] as TimeoutCall<unknown>;
      if (!call.settled && call.deadline > now) break;
      this.head++;
      if (!call.settled) call.expire();
    }
    if (!this.compact() && !this.armed) this.arm((this.queue[this.head] as TimeoutCall<unknown>).deadline - now);
  }
}

/**
 * One call in flight: its deadline, the caller's promise, and the operation's context, whose
 * signal is created only if the operation reads it (most calls finish in time, and an
 * AbortController plus its listeners would be most of this policy's cost). It listens to the
 * caller's signal itself (`handleEvent`).
 */
class TimeoutCall<T> implements ExecutionContext {
  readonly attempt = 1;
  settled = false;
  resolve: (value: T) => void = noop;
  reject: (error: unknown) => void = noop;
  private controller: AbortController | undefined;
  private timedOut: TaskTimeoutError | undefined;

  constructor(
    private readonly owner: DeadlineQueue,
    private readonly parent: AbortSignal | undefined,
    readonly deadline: number,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.timedOut) this.controller.abort(this.timedOut);
      else if (this.parent?.aborted) this.controller.abort(this.parent.reason);
    }
    return this.controller.signal;
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    const parent = this.parent as AbortSignal;
    this.controller?.abort(parent.reason);
    this.settled = true;
    this.detach();
    this.owner.released();
    this.reject(abortReason(parent));
  }

  /** The operation settled. */
  finish(ok: boolean, outcome: unknown): void {
    // Stryker disable next-line ConditionalExpression: settling a settled promise is a no-op, and so is releasing twice
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.owner.released();
    if (ok) this.resolve(outcome as T);
    else this.reject(outcome);
  }

  /** The deadline passed (the queue drops the call itself). */
  expire(): void {
    // Stryker disable next-line BooleanLiteral: the queue has dropped this call already, and a later finish() settles nothing
    this.settled = true;
    const err = new TaskTimeoutError(this.owner.timeoutMs);
    this.timedOut = err;
    this.controller?.abort(err);
    this.detach();
    this.owner.events.emit({ timeoutMs: this.owner.timeoutMs });
    this.reject(err);
  }

  detach(): void {
    this.parent?.removeEventListener('abort', this);
  }
}

function noop(): void {}

/**
 * Shorthand for `new TimeoutPolicy(ms, clock)`.
 *
 * @example
 * await timeout(500).execute(() => slowThing());
 */
export function timeout(ms: number, clock?: Clock): TimeoutPolicy {
  return new TimeoutPolicy(ms, clock);
}
