import { type Clock, systemClock } from '../clock.js';
import { BrokenCircuitError, IsolatedCircuitError } from '../errors.js';
import { EventEmitter } from '../events.js';
import { type ExecutionContext, isThenable, type Operation, type Policy, rootContext } from '../policy.js';
import { type CallOutcome, consecutiveFailures, type FailurePolicy } from './failure-policy.js';

// Shared outcome records: recording a call allocates nothing.
const SUCCESS: CallOutcome = Object.freeze({ success: true, slow: false });
const SLOW_SUCCESS: CallOutcome = Object.freeze({ success: true, slow: true });
const FAILURE: CallOutcome = Object.freeze({ success: false, slow: false });
const SLOW_FAILURE: CallOutcome = Object.freeze({ success: false, slow: true });

export type CircuitState = 'closed' | 'open' | 'half_open' | 'isolated';

export interface CircuitBreakerOptions {
  /** When a closed circuit opens (default: 5 consecutive failures). */
  policy?: FailurePolicy;
  /** How long the circuit stays open before admitting probes (default 30 s). */
  openDurationMs?: number;
  /** Each time probes fail again, the open duration is multiplied by this (default 2; 1 = fixed). */
  openBackoffFactor?: number;
  /** Upper bound of the growing open duration (default 5 minutes). */
  maxOpenDurationMs?: number;
  /** Probes admitted in half-open; all must succeed to close (default 1). */
  halfOpenProbes?: number;
  /** Calls at least this long count as slow (for slow-call-rate policies). Default: never slow. */
  slowCallMs?: number;
  /** Which errors count as failures (default: all). Errors that do not count pass through. */
  isFailure?: (error: unknown) => boolean;
  clock?: Clock;
  /** State from a previous `toJSON()`, so a restarted process keeps an open circuit open. */
  initialState?: CircuitBreakerSnapshot;
}

export interface CircuitBreakerSnapshot {
  state: CircuitState;
  /** For open circuits: time left before half-open. */
  remainingOpenMs?: number;
  /** Opens in a row without a successful recovery (drives the open-duration backoff). */
  consecutiveOpens: number;
  reason?: string;
}

export interface StateChange {
  from: CircuitState;
  to: CircuitState;
  reason: string;
}

export interface CircuitBreakerStats {
  state: CircuitState;
  calls: number;
  successes: number;
  failures: number;
  rejections: number;
  slowCalls: number;
  window: { calls: number; failures: number; slow: number };
  consecutiveOpens: number;
  /** Milliseconds until half-open, when open. */
  retryAfterMs?: number;
}

/**
 * Closed → open when the failure policy says so; open → half-open after the (growing) open
 * duration; half-open admits `halfOpenProbes` calls and closes when they all succeed, reopens
 * with a longer duration when one fails. `trip()` opens by hand, `isolate()` holds it open until
 * `reset()`.
 *
 * @example
 * const breaker = new CircuitBreaker({ policy: countWindow({ size: 50, failureRateThreshold: 0.5 }), openDurationMs: 10_000 });
 * breaker.onStateChange(({ from, to, reason }) => log.warn({ from, to, reason }, 'circuit state'));
 * await breaker.execute(({ signal }) => fetch(url, { signal }));
 */
export class CircuitBreaker implements Policy {
  private readonly policy: FailurePolicy;
  private readonly clock: Clock;
  private readonly baseOpenMs: number;
  private readonly factor: number;
  private readonly maxOpenMs: number;
  private readonly probes: number;
  private readonly slowMs: number;
  private readonly isFailure: (e: unknown) => boolean;

  private current: CircuitState = 'closed';
  private openUntil = 0;
  private consecutiveOpens = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private reason = '';
  private readonly counters = { calls: 0, successes: 0, failures: 0, rejections: 0, slowCalls: 0 };

  private readonly stateEvents = new EventEmitter<StateChange>();
  private readonly callEvents = new EventEmitter<{ success: boolean; durationMs: number; error?: unknown }>();
  private readonly rejectEvents = new EventEmitter<{ state: CircuitState }>();
  /** Every state transition. */
  readonly onStateChange = this.stateEvents.subscribe;
  /** Every call that ran (not rejected), with its outcome and duration. */
  readonly onCall = this.callEvents.subscribe;
  /** Every call rejected without running. */
  readonly onReject = this.rejectEvents.subscribe;

  constructor(options: CircuitBreakerOptions = {}) {
    this.policy = options.policy ?? consecutiveFailures(5);
    this.clock = options.clock ?? systemClock;
    this.baseOpenMs = options.openDurationMs ?? 30_000;
    this.factor = Math.max(1, options.openBackoffFactor ?? 2);
    this.maxOpenMs = Math.max(this.baseOpenMs, options.maxOpenDurationMs ?? 300_000);
    this.probes = Math.max(1, options.halfOpenProbes ?? 1);
    this.slowMs = options.slowCallMs ?? Number.POSITIVE_INFINITY;
    this.isFailure = options.isFailure ?? (() => true);
    const init = options.initialState;
    if (init) {
      this.consecutiveOpens = init.consecutiveOpens;
      this.reason = init.reason ?? '';
      this.current = init.state === 'half_open' ? 'open' : init.state;
      // Stryker disable next-line ConditionalExpression: openUntil is read only while open
      if (this.current === 'open') this.openUntil = this.clock.now() + Math.max(0, init.remainingOpenMs ?? 0);
    }
  }

  /** The state now (an open circuit whose duration has passed reports half_open). */
  get state(): CircuitState {
    if (this.current === 'open' && this.clock.now() >= this.openUntil) return 'half_open';
    return this.current;
  }

  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    const rejection = this.admit();
    if (rejection) return Promise.reject(rejection);
    const ctx = rootContext(signal);
    const wasProbe = this.current === 'half_open';
    // Read the clock only when the duration is used: slow-call detection or an onCall listener.
    const started =
      this.slowMs !== Number.POSITIVE_INFINITY || this.callEvents.size > 0 ? this.clock.now() : Number.NaN;
    this.counters.calls++;
    let result: PromiseLike<T> | T;
    try {
      result = operation(ctx);
    } catch (error) {
      this.settleError(error, ctx, wasProbe, started);
      return Promise.reject(error);
    }
    if (!isThenable(result)) {
      this.onSuccess(this.elapsed(started), wasProbe);
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.onSuccess(this.elapsed(started), wasProbe);
        return value;
      },
      (error: unknown) => {
        this.settleError(error, ctx, wasProbe, started);
        throw error;
      },
    );
  }

  /** Milliseconds since `started` (0 when the call was not timed). */
  private elapsed(started: number): number {
    return Number.isNaN(started) ? 0 : this.clock.now() - started;
  }

  /** Undefined when the call may run; the error to reject it with otherwise. */
  private admit(): Error | undefined {
    switch (this.current) {
      case 'closed':
        return undefined;
      case 'isolated':
        this.reject();
        return new IsolatedCircuitError(this.reason || 'isolated by hand');
      case 'open': {
        const now = this.clock.now();
        if (now < this.openUntil) {
          this.reject();
          return new BrokenCircuitError(undefined, this.openUntil - now);
        }
        this.transition('half_open', 'open duration elapsed');
        break;
      }
    }
    // half_open
    if (this.probesInFlight + this.probeSuccesses >= this.probes) {
      this.reject();
      return new BrokenCircuitError('circuit is half-open and its probes are in flight', 0);
    }
    this.probesInFlight++;
    return undefined;
  }

  private reject(): void {
    this.counters.rejections++;
    this.rejectEvents.emit({ state: this.current });
  }

  private settleError(error: unknown, ctx: ExecutionContext, wasProbe: boolean, started: number): void {
    const durationMs = this.elapsed(started);
    // A call the caller abandoned says nothing about the dependency.
    if (ctx.signal.aborted || !this.isFailure(error)) {
      if (wasProbe) this.probesInFlight--;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: emit() without listeners is a no-op; the guard only saves the event object
      if (this.callEvents.size > 0) this.callEvents.emit({ success: true, durationMs, error });
      return;
    }
    this.onFailure(durationMs, wasProbe, error);
  }

  private onSuccess(durationMs: number, wasProbe: boolean): void {
    const slow = durationMs >= this.slowMs;
    this.counters.successes++;
    if (slow) this.counters.slowCalls++;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: emit() without listeners is a no-op; the guard only saves the event object
    if (this.callEvents.size > 0) this.callEvents.emit({ success: true, durationMs });
    if (wasProbe && this.current === 'half_open') {
      this.probesInFlight--;
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.probes) {
        this.consecutiveOpens = 0;
        this.policy.reset();
        this.transition('closed', `${this.probes} probe(s) succeeded`);
      }
      return;
    }
    if (this.current !== 'closed') return;
    const now = this.policy.timeless ? 0 : this.clock.now();
    this.policy.record(slow ? SLOW_SUCCESS : SUCCESS, now);
    if (slow && this.policy.shouldOpen(now)) this.open('slow-call rate over threshold');
  }

  private onFailure(durationMs: number, wasProbe: boolean, error: unknown): void {
    const slow = durationMs >= this.slowMs;
    this.counters.failures++;
    if (slow) this.counters.slowCalls++;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: emit() without listeners is a no-op; the guard only saves the event object
    if (this.callEvents.size > 0) this.callEvents.emit({ success: false, durationMs, error });
    if (wasProbe && this.current === 'half_open') {
      this.open('probe failed'); // the transition frees the probe slots
      return;
    }
    if (this.current !== 'closed') return;
    const now = this.policy.timeless ? 0 : this.clock.now();
    this.policy.record(slow ? SLOW_FAILURE : FAILURE, now);
    if (this.policy.shouldOpen(now)) this.open('failure threshold reached');
  }

  private open(reason: string): void {
    this.consecutiveOpens++;
    const duration = Math.min(this.maxOpenMs, this.baseOpenMs * this.factor ** (this.consecutiveOpens - 1));
    this.openUntil = this.clock.now() + duration;
    this.reason = reason;
    this.transition('open', reason);
  }

  private transition(to: CircuitState, reason: string): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    this.stateEvents.emit({ from, to, reason });
  }

  /**
   * Open the circuit by hand; it recovers through half-open like any open circuit.
   *
   * @example
   * breaker.trip('upstream maintenance window');
   */
  trip(reason: string): void {
    this.open(`tripped: ${reason}`);
  }

  /**
   * Hold the circuit open until `reset()` (no automatic recovery).
   *
   * @example
   * breaker.isolate('bad deploy, rolling back');
   */
  isolate(reason: string): void {
    this.reason = reason;
    this.transition('isolated', `isolated: ${reason}`);
  }

  /**
   * Close the circuit and forget the failure history.
   *
   * @example
   * breaker.reset();
   */
  reset(): void {
    this.policy.reset();
    this.consecutiveOpens = 0;
    this.reason = '';
    this.transition('closed', 'reset by hand');
  }

  stats(): CircuitBreakerStats {
    const now = this.clock.now();
    const s: CircuitBreakerStats = {
      state: this.state,
      ...this.counters,
      window: this.policy.snapshot(now),
      consecutiveOpens: this.consecutiveOpens,
    };
    if (this.current === 'open') s.retryAfterMs = Math.max(0, this.openUntil - now);
    return s;
  }

  /**
   * State that survives a restart: pass it back as `initialState`.
   *
   * @example
   * await store.save('breaker:payments', breaker.toJSON());
   * const restored = new CircuitBreaker({ initialState: await store.load('breaker:payments') });
   */
  toJSON(): CircuitBreakerSnapshot {
    const snap: CircuitBreakerSnapshot = { state: this.current, consecutiveOpens: this.consecutiveOpens };
    if (this.reason) snap.reason = this.reason;
    if (this.current === 'open') snap.remainingOpenMs = Math.max(0, this.openUntil - this.clock.now());
    return snap;
  }
}

/**
 * One breaker per key (endpoint, host, model), created on first use with the same options.
 *
 * @example
 * const breakers = new CircuitBreakerRegistry(() => ({ policy: consecutiveFailures(5) }));
 * await breakers.get('gpt-4o').execute(callModel);
 */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly created = new EventEmitter<{ key: string; breaker: CircuitBreaker }>();
  /** Fires when a breaker is created for a new key (attach listeners there). */
  readonly onCreate = this.created.subscribe;

  // Stryker disable next-line ArrowFunction: undefined options mean the same defaults as {}
  constructor(private readonly options: (key: string) => CircuitBreakerOptions = () => ({})) {}

  get(key: string): CircuitBreaker {
    let b = this.breakers.get(key);
    if (!b) {
      b = new CircuitBreaker(this.options(key));
      this.breakers.set(key, b);
      this.created.emit({ key, breaker: b });
    }
    return b;
  }

  entries(): Array<[string, CircuitBreaker]> {
    return [...this.breakers.entries()];
  }

  toJSON(): Record<string, CircuitBreakerSnapshot> {
    return Object.fromEntries([...this.breakers].map(([k, b]) => [k, b.toJSON()]));
  }
}
