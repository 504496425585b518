import { type Clock, systemClock } from './clock.js';

/**
 * Decide whether a long job should keep going, from the failures it has seen recently.
 * Three rules, each optional: failure rate over a sliding time window (with a minimum number of
 * events, so one early failure is not a 100% rate), consecutive failures, and a repeating pattern
 * (the same error class N times in a row — retrying a deterministic bug never helps).
 *
 * @example
 * const abort = new AbortPolicy({ windowMs: 60_000, maxFailureRate: 0.5, minEvents: 20, maxConsecutive: 10, maxSameError: 3 });
 * abort.record({ ok: false, errorClass: 'TypeError' });
 * const verdict = abort.evaluate(); // { action: 'continue' } | { action: 'abort', reason }
 */
export interface AbortPolicyOptions {
  windowMs?: number;
  /** Abort when failures / events in the window reach this (0–1). */
  maxFailureRate?: number;
  /** No rate decision below this many events in the window (default 10). */
  minEvents?: number;
  /** Abort after this many failures in a row. */
  maxConsecutive?: number;
  /** Abort after this many failures in a row with the same error class. */
  maxSameError?: number;
  clock?: Clock;
}

export interface OutcomeEvent {
  ok: boolean;
  /** A stable class for the failure (error name + code, HTTP status …). */
  errorClass?: string;
}

export type AbortVerdict =
  | { action: 'continue' }
  | { action: 'abort'; reason: string; rule: 'rate' | 'consecutive' | 'pattern' };

export class AbortPolicy {
  private readonly clock: Clock;
  private events: Array<{ at: number; ok: boolean }> = [];
  private consecutive = 0;
  private sameClass: string | undefined;
  private sameCount = 0;

  constructor(private readonly options: AbortPolicyOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  record(event: OutcomeEvent): void {
    const now = this.clock.now();
    this.events.push({ at: now, ok: event.ok });
    this.trim(now);
    if (event.ok) {
      this.consecutive = 0;
      this.sameClass = undefined;
      this.sameCount = 0;
      return;
    }
    this.consecutive++;
    const cls = event.errorClass ?? 'unknown';
    if (cls === this.sameClass) this.sameCount++;
    else {
      this.sameClass = cls;
      this.sameCount = 1;
    }
  }

  evaluate(): AbortVerdict {
    const now = this.clock.now();
    this.trim(now);
    const o = this.options;
    if (o.maxSameError !== undefined && this.sameCount >= o.maxSameError) {
      return {
        action: 'abort',
        rule: 'pattern',
        reason: `the same failure (${this.sameClass}) repeated ${this.sameCount} times in a row`,
      };
    }
    if (o.maxConsecutive !== undefined && this.consecutive >= o.maxConsecutive) {
      return { action: 'abort', rule: 'consecutive', reason: `${this.consecutive} consecutive failures` };
    }
    if (o.maxFailureRate !== undefined) {
      const n = this.events.length;
      const failures = this.events.reduce((a, e) => a + (e.ok ? 0 : 1), 0);
      if (n >= (o.minEvents ?? 10) && failures / n >= o.maxFailureRate) {
        return {
          action: 'abort',
          rule: 'rate',
          reason: `failure rate ${((100 * failures) / n).toFixed(1)}% over the last ${n} events exceeds ${(100 * o.maxFailureRate).toFixed(1)}%`,
        };
      }
    }
    return { action: 'continue' };
  }

  private trim(now: number): void {
    const w = this.options.windowMs;
    if (w === undefined) return;
    let i = 0;
    while (i < this.events.length && (this.events[i] as { at: number }).at <= now - w) i++;
    if (i > 0) this.events = this.events.slice(i);
  }

  toJSON(): { consecutive: number; sameClass: string | undefined; sameCount: number } {
    return { consecutive: this.consecutive, sameClass: this.sameClass, sameCount: this.sameCount };
  }
}

/**
 * Graceful shutdown: stop taking new work, give running work a grace period, then abort it.
 *
 * @example
 * const shutdown = new ShutdownController();
 * process.once('SIGTERM', () => shutdown.begin('SIGTERM', 30_000));
 * while (!shutdown.stopping) await runNext(shutdown.signal);
 */
export class ShutdownController {
  private readonly controller = new AbortController();
  private stoppingReason: string | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly clock: Clock = systemClock) {}

  get stopping(): boolean {
    return this.stoppingReason !== undefined;
  }

  /** Aborts when the grace period runs out (work should stop at once). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Track a piece of work so `begin` waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = () => this.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  /** Stop accepting, wait up to `graceMs` for tracked work, then abort what is left. */
  async begin(reason: string, graceMs: number): Promise<{ drained: boolean }> {
    this.stoppingReason ??= reason;
    let timer: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), graceMs);
    });
    const result = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => 'drained' as const),
      timedOut,
    ]);
    this.clock.clearTimeout(timer);
    if (result === 'timeout')
      this.controller.abort(new Error(`shutdown (${reason}): grace period of ${graceMs} ms exceeded`));
    return { drained: result === 'drained' };
  }
}
