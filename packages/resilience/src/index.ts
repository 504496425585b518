/**
 * @bulwark/resilience — retry, circuit breaker, timeout, bulkhead, hedging, fallback routing,
 * health checks, checkpoints, abort policies and resource guards. Zero runtime dependencies.
 *
 * Every policy takes an injectable clock and random source, so behaviour is deterministic in
 * tests (`FakeClock`), and exposes typed events instead of logging.
 */
export { constantBackoff, decorrelatedJitterBackoff, exponentialBackoff, fullJitterBackoff } from './backoff/index.js';
export type { Backoff, ExponentialOptions } from './backoff/index.js';
export { CircuitBreaker, CircuitBreakerRegistry } from './breaker/circuit-breaker.js';
export type {
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitBreakerStats,
  CircuitState,
  StateChange,
} from './breaker/circuit-breaker.js';
export { consecutiveFailures, countWindow, timeWindow } from './breaker/failure-policy.js';
export type { CallOutcome, FailurePolicy, RateThresholds } from './breaker/failure-policy.js';
export { BulkheadPolicy, bulkhead } from './bulkhead.js';
export { classifyFailure, retryAfterMs, statusOf } from './classify.js';
export type { FailureClass } from './classify.js';
export { abortReason, linkSignals, seededRandom, sleep, systemClock } from './clock.js';
export type { Clock, RandomSource } from './clock.js';
export * from './errors.js';
export { EventEmitter } from './events.js';
export type { Listener, Subscribe } from './events.js';
export { FakeClock } from './fake-clock.js';
export { rootContext, wrap } from './policy.js';
export type { ExecutionContext, Operation, Policy } from './policy.js';
export { RetryPolicy, retry } from './retry.js';
export type { RetryEvent, RetryOptions, RetryStats } from './retry.js';
export { TimeoutPolicy, timeout } from './timeout.js';
export { CHECKPOINT_FORMAT, CheckpointManager, canonicalJson, parseEnvelope } from './checkpoint/checkpoint.js';
export type {
  CheckpointEnvelope,
  CheckpointManagerOptions,
  CheckpointStorage,
  LoadedCheckpoint,
} from './checkpoint/checkpoint.js';
export { FileCheckpointStore } from './checkpoint/file-store.js';
export { MemoryCheckpointStore } from './checkpoint/memory-store.js';
export { AbortPolicy, ShutdownController } from './abort-policy.js';
export type { AbortPolicyOptions, AbortVerdict, OutcomeEvent } from './abort-policy.js';
export { ResourceGuard } from './resource-guard.js';
export type { ResourceGuardOptions, ResourceSnapshot } from './resource-guard.js';
export { HealthChecker } from './health/health-checker.js';
export type {
  EndpointHealth,
  EndpointHealthOptions,
  HealthCheck,
  HealthStatus,
  StatusChange,
} from './health/health-checker.js';
export { httpCheck } from './health/http-check.js';
export { FallbackRouter } from './routing/fallback-router.js';
export type {
  AttemptEvent,
  Endpoint,
  FallbackRouterOptions,
  RoutedResult,
  RoutingDecision,
  RoutingStrategy,
} from './routing/fallback-router.js';
export { AdaptiveConcurrencyPolicy, adaptiveConcurrency } from './adaptive-concurrency.js';
export type { AdaptiveConcurrencyOptions } from './adaptive-concurrency.js';
export {
  FaultInjectionPolicy,
  injectFault,
  injectLatency,
  injectOutcome,
  LatencyInjectionPolicy,
  OutcomeInjectionPolicy,
} from './fault-injection.js';
export type { InjectionOptions } from './fault-injection.js';
export { HedgePolicy, hedge } from './hedge.js';
export type { HedgeOptions } from './hedge.js';
export { rateLimiter, TokenBucket } from './rate-limiter.js';
