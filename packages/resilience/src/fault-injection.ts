import { type Clock, type RandomSource, sleep, systemClock } from './clock.js';
import { EventEmitter } from './events.js';
import { type Operation, type Policy, rootContext } from './policy.js';

/**
 * Fault injection for testing resilience (in the manner of Polly's Simmy): at `injectionRate`,
 * replace the call with a fault, add latency before it, or return a substitute outcome.
 * `enabled` can be flipped at run time (a chaos switch).
 *
 * @example
 * const chaos = injectFault({ injectionRate: 0.1, fault: () => Object.assign(new Error('injected'), { status: 503 }) });
 * const resilient = wrap(retry(), chaos); // retry sees 10% injected 503s
 */
export interface InjectionOptions {
  injectionRate: number;
  enabled?: () => boolean;
  random?: RandomSource;
}

abstract class InjectionPolicy implements Policy {
  private readonly injected = new EventEmitter<{ kind: string }>();
  readonly onInjection = this.injected.subscribe;
  constructor(protected readonly base: InjectionOptions) {
    if (!(base.injectionRate >= 0 && base.injectionRate <= 1)) throw new RangeError('injectionRate must be in [0, 1]');
  }
  protected shouldInject(): boolean {
    if (this.base.enabled && !this.base.enabled()) return false;
    return (this.base.random ?? Math.random)() < this.base.injectionRate;
  }
  protected emit(kind: string): void {
    this.injected.emit({ kind });
  }
  abstract execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T>;
}

export class FaultInjectionPolicy extends InjectionPolicy {
  constructor(
    base: InjectionOptions,
    private readonly fault: () => unknown,
  ) {
    super(base);
  }
  async execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (this.shouldInject()) {
      this.emit('fault');
      throw this.fault();
    }
    return operation(rootContext(signal));
  }
}

export class LatencyInjectionPolicy extends InjectionPolicy {
  constructor(
    base: InjectionOptions,
    private readonly latencyMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    super(base);
  }
  async execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (this.shouldInject()) {
      this.emit('latency');
      await sleep(this.latencyMs, this.clock, signal);
    }
    return operation(rootContext(signal));
  }
}

export class OutcomeInjectionPolicy<R> extends InjectionPolicy {
  constructor(
    base: InjectionOptions,
    private readonly outcome: () => R,
  ) {
    super(base);
  }
  async execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    if (this.shouldInject()) {
      this.emit('outcome');
      return this.outcome() as unknown as T;
    }
    return operation(rootContext(signal));
  }
}

/** @example injectFault({ injectionRate: 0.05, fault: () => new Error('injected') }) */
export function injectFault(options: InjectionOptions & { fault: () => unknown }): FaultInjectionPolicy {
  return new FaultInjectionPolicy(options, options.fault);
}

/** @example injectLatency({ injectionRate: 0.2, latencyMs: 1500 }) */
export function injectLatency(
  options: InjectionOptions & { latencyMs: number; clock?: Clock },
): LatencyInjectionPolicy {
  return new LatencyInjectionPolicy(options, options.latencyMs, options.clock);
}

/** @example injectOutcome({ injectionRate: 0.1, outcome: () => ({ status: 500 }) }) */
export function injectOutcome<R>(options: InjectionOptions & { outcome: () => R }): OutcomeInjectionPolicy<R> {
  return new OutcomeInjectionPolicy(options, options.outcome);
}
