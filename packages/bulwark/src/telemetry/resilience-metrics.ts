import type { CircuitBreaker, FallbackRouter, RetryPolicy } from '@bulwark/resilience';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Exports @bulwark/resilience events as Prometheus metrics. The library emits typed events and
 * never depends on prom-client; this adapter is the platform's side of that contract.
 */
export interface ResilienceMetrics {
  breaker(name: string, breaker: CircuitBreaker): void;
  retry(name: string, policy: RetryPolicy): void;
  router(name: string, router: FallbackRouter<unknown, unknown>): void;
}

const STATES = ['closed', 'open', 'half_open', 'isolated'] as const;

export function createResilienceMetrics(registry: Registry): ResilienceMetrics {
  const state = new Gauge({
    name: 'bulwark_circuit_state',
    help: 'Circuit breaker state (1 for the current state, 0 otherwise)',
    labelNames: ['breaker', 'state'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'bulwark_circuit_transitions_total',
    help: 'Circuit breaker state transitions',
    labelNames: ['breaker', 'from', 'to'] as const,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'bulwark_circuit_rejections_total',
    help: 'Calls rejected without running because a circuit was open',
    labelNames: ['breaker'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'bulwark_retries_total',
    help: 'Retries scheduled by a retry policy',
    labelNames: ['policy'] as const,
    registers: [registry],
  });
  const giveUps = new Counter({
    name: 'bulwark_retry_give_ups_total',
    help: 'Executions a retry policy gave up on, by reason',
    labelNames: ['policy', 'reason'] as const,
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'bulwark_endpoint_attempts_total',
    help: 'Fallback-routing attempts by endpoint and outcome',
    labelNames: ['router', 'endpoint', 'outcome'] as const,
    registers: [registry],
  });

  const setState = (name: string, current: string) => {
    for (const s of STATES) state.set({ breaker: name, state: s }, s === current ? 1 : 0);
  };

  return {
    breaker(name, breaker) {
      setState(name, breaker.state);
      breaker.onStateChange(({ from, to }) => {
        transitions.inc({ breaker: name, from, to });
        setState(name, to);
      });
      breaker.onReject(() => rejections.inc({ breaker: name }));
    },
    retry(name, policy) {
      policy.onRetry(() => retries.inc({ policy: name }));
      policy.onGiveUp(({ reason }) => giveUps.inc({ policy: name, reason }));
    },
    router(name, router) {
      router.onAttempt(({ endpoint, success }) =>
        attempts.inc({ router: name, endpoint, outcome: success ? 'success' : 'failure' }),
      );
    },
  };
}
