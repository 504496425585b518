import { CircuitBreaker, type CircuitBreakerOptions } from '../breaker/circuit-breaker.js';
import { consecutiveFailures } from '../breaker/failure-policy.js';
import { abortReason, type Clock, linkSignals, type RandomSource, systemClock } from '../clock.js';
import { AllEndpointsFailedError, isBrokenCircuitError, isIsolatedCircuitError } from '../errors.js';
import { EventEmitter } from '../events.js';
import type { HealthChecker } from '../health/health-checker.js';
import type { ExecutionContext } from '../policy.js';
import { TimeoutPolicy } from '../timeout.js';

/**
 * Route a call across redundant endpoints (AI models, regions, replicas) and fall back when one
 * fails. Strategies:
 * - `sequential`: by priority; the next endpoint only after the previous failed.
 * - `parallel`: all eligible endpoints at once; the first good answer wins, the others are aborted.
 * - `weighted`: the first endpoint drawn at random by weight, then the rest by weight.
 * - `latency`: lowest recent latency first (EWMA, penalised by recent errors).
 * Every strategy skips endpoints whose circuit is open or whose health check says unhealthy, and
 * re-admits them through the breaker's half-open probes or the next healthy check.
 */
export type RoutingStrategy = 'sequential' | 'parallel' | 'weighted' | 'latency';

export interface Endpoint<I, O> {
  id: string;
  /** Lower runs first in `sequential` (default 0). */
  priority?: number;
  /** Share of first picks in `weighted` (default 1). */
  weight?: number;
  call: (input: I, context: ExecutionContext) => PromiseLike<O> | O;
}

export interface FallbackRouterOptions<I, O> {
  endpoints: Array<Endpoint<I, O>>;
  strategy?: RoutingStrategy;
  /** Options of each endpoint's circuit breaker (default: 5 consecutive failures, 30 s open). */
  breaker?: (endpointId: string) => CircuitBreakerOptions;
  health?: HealthChecker;
  /** Per-endpoint attempt timeout. */
  attemptTimeoutMs?: number;
  /** Only these errors move on to the next endpoint; others (bad input) are rethrown. Default: all. */
  shouldFallback?: (error: unknown, endpointId: string) => boolean;
  clock?: Clock;
  random?: RandomSource;
  /** EWMA smoothing for latency/error tracking (default 0.2). */
  ewmaAlpha?: number;
}

export interface RoutingDecision {
  strategy: RoutingStrategy;
  order: string[];
  skipped: Array<{ id: string; reason: 'circuit_open' | 'unhealthy' }>;
}

export interface AttemptEvent {
  endpoint: string;
  success: boolean;
  durationMs: number;
  error?: unknown;
}

export interface RoutedResult<O> {
  value: O;
  endpoint: string;
  /** Endpoints tried before the one that answered. */
  failedOver: string[];
}

interface Stats {
  latency: number | undefined;
  errorRate: number;
  calls: number;
  failures: number;
}

export class FallbackRouter<I, O> {
  private readonly endpoints: Array<Endpoint<I, O>>;
  private readonly strategy: RoutingStrategy;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly timeout: TimeoutPolicy | undefined;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly alpha: number;
  private readonly stats = new Map<string, Stats>();
  private readonly decisions = new EventEmitter<RoutingDecision>();
  private readonly attempts = new EventEmitter<AttemptEvent>();
  /** Every routing decision: the order chosen and what was skipped and why. */
  readonly onDecision = this.decisions.subscribe;
  /** Every attempt on an endpoint. */
  readonly onAttempt = this.attempts.subscribe;

  constructor(private readonly options: FallbackRouterOptions<I, O>) {
    if (options.endpoints.length === 0) throw new RangeError('at least one endpoint is required');
    const ids = new Set(options.endpoints.map((e) => e.id));
    if (ids.size !== options.endpoints.length) throw new RangeError('endpoint ids must be unique');
    this.endpoints = [...options.endpoints];
    this.strategy = options.strategy ?? 'sequential';
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.alpha = options.ewmaAlpha ?? 0.2;
    this.timeout = options.attemptTimeoutMs ? new TimeoutPolicy(options.attemptTimeoutMs, this.clock) : undefined;
    for (const e of this.endpoints) {
      const o = options.breaker?.(e.id) ?? { policy: consecutiveFailures(5), openDurationMs: 30_000 };
      this.breakers.set(e.id, new CircuitBreaker({ clock: this.clock, ...o }));
      this.stats.set(e.id, { latency: undefined, errorRate: 0, calls: 0, failures: 0 });
    }
  }

  /** The breaker guarding an endpoint (inspect, trip, reset). */
  breaker(endpointId: string): CircuitBreaker {
    const b = this.breakers.get(endpointId);
    if (!b) throw new RangeError(`unknown endpoint '${endpointId}'`);
    return b;
  }

  /** Recent latency (EWMA, ms), error rate and counts per endpoint. */
  endpointStats(): Record<string, Stats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }]));
  }

  /**
   * Call the endpoints according to the strategy.
   *
   * @example
   * const router = new FallbackRouter({ strategy: 'sequential', endpoints: [
   *   { id: 'gpt-4o', priority: 0, call: (prompt, { signal }) => openai(prompt, signal) },
   *   { id: 'claude', priority: 1, call: (prompt, { signal }) => anthropic(prompt, signal) },
   *   { id: 'local-llama', priority: 2, call: (prompt, { signal }) => llama(prompt, signal) },
   * ] });
   * const { value, endpoint } = await router.execute('Summarise this incident');
   */
  async execute(input: I, signal?: AbortSignal): Promise<RoutedResult<O>> {
    const decision = this.plan();
    this.decisions.emit(decision);
    const order = decision.order.map((id) => this.endpoints.find((e) => e.id === id) as Endpoint<I, O>);
    if (this.strategy === 'parallel') return this.race(order, input, signal, decision);
    const failures: Array<{ endpoint: string; error: unknown }> = decision.skipped.map((s) => ({
      endpoint: s.id,
      error: new Error(s.reason === 'circuit_open' ? 'skipped: circuit open' : 'skipped: unhealthy'),
    }));
    const failedOver: string[] = [];
    for (const endpoint of order) {
      if (signal?.aborted) throw abortReason(signal);
      try {
        const value = await this.attempt(endpoint, input, signal);
        return { value, endpoint: endpoint.id, failedOver };
      } catch (error) {
        if (signal?.aborted) throw error;
        if (
          !(isBrokenCircuitError(error) || isIsolatedCircuitError(error)) &&
          this.options.shouldFallback &&
          !this.options.shouldFallback(error, endpoint.id)
        ) {
          throw error;
        }
        failures.push({ endpoint: endpoint.id, error });
        failedOver.push(endpoint.id);
      }
    }
    throw new AllEndpointsFailedError(failures);
  }

  /** Which endpoints to try, in which order, and which are skipped. */
  plan(): RoutingDecision {
    const skipped: RoutingDecision['skipped'] = [];
    let eligible = this.endpoints.filter((e) => {
      const state = this.breaker(e.id).state;
      if (state === 'open' || state === 'isolated') {
        skipped.push({ id: e.id, reason: 'circuit_open' });
        return false;
      }
      return true;
    });
    const health = this.options.health;
    if (health) {
      const healthy = eligible.filter((e) => health.status(e.id) !== 'unhealthy');
      // If health says everything is down, still try (a health check can be wrong; calls are the truth).
      if (healthy.length > 0) {
        for (const e of eligible) if (!healthy.includes(e)) skipped.push({ id: e.id, reason: 'unhealthy' });
        eligible = healthy;
      }
    }
    let ordered: Array<Endpoint<I, O>>;
    switch (this.strategy) {
      case 'weighted':
        ordered = this.weightedOrder(eligible);
        break;
      case 'latency':
        ordered = [...eligible].sort(
          (a, b) => this.score(a.id) - this.score(b.id) || (a.priority ?? 0) - (b.priority ?? 0),
        );
        break;
      default:
        ordered = [...eligible].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    }
    return { strategy: this.strategy, order: ordered.map((e) => e.id), skipped };
  }

  private score(id: string): number {
    const s = this.stats.get(id) as Stats;
    // Unknown latency sorts first so new endpoints get measured.
    if (s.latency === undefined) return -1;
    return s.latency * (1 + 10 * s.errorRate);
  }

  private weightedOrder(eligible: Array<Endpoint<I, O>>): Array<Endpoint<I, O>> {
    const pool = [...eligible];
    const out: Array<Endpoint<I, O>> = [];
    while (pool.length > 0) {
      const total = pool.reduce((a, e) => a + Math.max(0, e.weight ?? 1), 0);
      let r = this.random() * total;
      let idx = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        r -= Math.max(0, (pool[i] as Endpoint<I, O>).weight ?? 1);
        if (r < 0) {
          idx = i;
          break;
        }
      }
      out.push(pool.splice(idx, 1)[0] as Endpoint<I, O>);
    }
    return out;
  }

  private async attempt(endpoint: Endpoint<I, O>, input: I, signal: AbortSignal | undefined): Promise<O> {
    const started = this.clock.now();
    try {
      const value = await this.breaker(endpoint.id).execute(
        (ctx) =>
          this.timeout ? this.timeout.execute((c) => endpoint.call(input, c), ctx.signal) : endpoint.call(input, ctx),
        signal,
      );
      this.observe(endpoint.id, true, this.clock.now() - started);
      return value;
    } catch (error) {
      if (!isBrokenCircuitError(error) && !isIsolatedCircuitError(error) && !signal?.aborted) {
        this.observe(endpoint.id, false, this.clock.now() - started, error);
      }
      throw error;
    }
  }

  private observe(id: string, success: boolean, durationMs: number, error?: unknown): void {
    const s = this.stats.get(id) as Stats;
    s.calls++;
    if (!success) s.failures++;
    if (success) s.latency = s.latency === undefined ? durationMs : s.latency + this.alpha * (durationMs - s.latency);
    s.errorRate += this.alpha * ((success ? 0 : 1) - s.errorRate);
    this.options.health?.report(id, success);
    this.attempts.emit(
      error === undefined ? { endpoint: id, success, durationMs } : { endpoint: id, success, durationMs, error },
    );
  }

  private race(
    order: Array<Endpoint<I, O>>,
    input: I,
    signal: AbortSignal | undefined,
    decision: RoutingDecision,
  ): Promise<RoutedResult<O>> {
    const link = linkSignals(signal);
    const failures: Array<{ endpoint: string; error: unknown }> = decision.skipped.map((s) => ({
      endpoint: s.id,
      error: new Error(`skipped: ${s.reason}`),
    }));
    if (order.length === 0) return Promise.reject(new AllEndpointsFailedError(failures));
    return new Promise((resolve, reject) => {
      let pending = order.length;
      let done = false;
      // One controller per contender: only the losers are aborted, the winner's signal stays live.
      const contenders = order.map(() => linkSignals(link.signal));
      order.forEach((endpoint, i) => {
        const own = contenders[i] as ReturnType<typeof linkSignals>;
        this.attempt(endpoint, input, own.signal).then(
          (value) => {
            if (done) return;
            done = true;
            own.dispose();
            for (const other of contenders)
              if (other !== own) other.controller.abort(new Error(`lost the race to ${endpoint.id}`));
            link.dispose();
            resolve({ value, endpoint: endpoint.id, failedOver: failures.map((f) => f.endpoint) });
          },
          (error: unknown) => {
            if (done) return;
            failures.push({ endpoint: endpoint.id, error });
            if (--pending === 0) {
              done = true;
              link.dispose();
              reject(signal?.aborted ? abortReason(signal) : new AllEndpointsFailedError(failures));
            }
          },
        );
      });
    });
  }
}
