import { abortReason, type Clock, linkSignals, systemClock } from './clock.js';
import { EventEmitter } from './events.js';
import type { ExecutionContext, Operation, Policy } from './policy.js';

/**
 * Hedging, in Polly's three modes:
 * - `latency`: start the next attempt when the previous has not answered within `delayMs`;
 * - `parallel`: start all attempts at once;
 * - `fallback`: start the next attempt as soon as the previous fails (no waiting).
 * The first success wins and every other attempt's signal is aborted. Attempt `i` may call a
 * different endpoint through `alternatives(i)`.
 *
 * @example
 * const hedged = hedge({ mode: 'latency', delayMs: 200, maxAttempts: 2,
 *   alternatives: (i) => ({ signal }) => fetch(replicas[i], { signal }) });
 * const res = await hedged.execute(({ signal }) => fetch(replicas[0], { signal }));
 */
export interface HedgeOptions {
  mode?: 'latency' | 'parallel' | 'fallback';
  delayMs?: number;
  /** Total attempts including the first (default 2). */
  maxAttempts?: number;
  alternatives?: (attemptIndex: number) => Operation<unknown>;
  clock?: Clock;
}

export class HedgePolicy implements Policy {
  private readonly clock: Clock;
  private readonly hedges = new EventEmitter<{ attempt: number; reason: 'delay' | 'failure' | 'parallel' }>();
  readonly onHedge = this.hedges.subscribe;

  constructor(private readonly o: HedgeOptions = {}) {
    this.clock = o.clock ?? systemClock;
  }

  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const mode = this.o.mode ?? 'latency';
    const max = Math.max(1, this.o.maxAttempts ?? 2);
    const link = linkSignals(signal);
    const ops = (i: number): Operation<T> =>
      i === 0 || !this.o.alternatives ? operation : (this.o.alternatives(i) as Operation<T>);
    return new Promise<T>((resolve, reject) => {
      let started = 0;
      let failed = 0;
      let done = false;
      let timer: unknown;
      // One controller per attempt, so the winner's signal stays live (a fetch body may still be streaming).
      const attempts: AbortController[] = [];
      const onCallerAbort = () => {
        finish();
        reject(abortReason(signal as AbortSignal));
      };
      const finish = () => {
        done = true;
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onCallerAbort);
        link.dispose();
      };
      // Callers start an attempt only while none has won and fewer than `max` have started.
      const launch = (reason: 'delay' | 'failure' | 'parallel' | 'first') => {
        const index = started++;
        if (reason !== 'first') this.hedges.emit({ attempt: index + 1, reason });
        const own = new AbortController();
        attempts.push(own);
        link.signal.addEventListener('abort', () => own.abort(link.signal.reason));
        const ctx: ExecutionContext = { signal: own.signal, attempt: index + 1 };
        Promise.resolve()
          .then(() => ops(index)(ctx))
          .then(
            (value) => {
              if (done) return;
              finish();
              for (const other of attempts) if (other !== own) other.abort(new Error('hedged attempt lost'));
              resolve(value);
            },
            (error: unknown) => {
              if (done) return;
              failed++;
              if (failed === max) {
                finish();
                reject(error);
              } else if (mode !== 'parallel' && failed === started) {
                launch('failure');
                armTimer();
              }
            },
          );
      };
      /** (Re)arm the latency timer for the next attempt, if one may still start. */
      const armTimer = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        timer = undefined;
        if (mode !== 'latency' || started >= max) return;
        timer = this.clock.setTimeout(() => {
          launch('delay');
          armTimer();
        }, this.o.delayMs ?? 100);
      };
      signal?.addEventListener('abort', onCallerAbort);
      if (mode === 'parallel') {
        for (let i = 0; i < max; i++) launch(i === 0 ? 'first' : 'parallel');
      } else {
        launch('first');
        armTimer();
      }
    });
  }
}

/**
 * Shorthand for `new HedgePolicy(options)`.
 *
 * @example
 * hedge({ mode: 'parallel', maxAttempts: 3 })
 */
export function hedge(options: HedgeOptions = {}): HedgePolicy {
  return new HedgePolicy(options);
}
