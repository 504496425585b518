/**
 * Errors raised by the policies. Each carries a brand so `isXxx` guards work even when two copies
 * of the package are loaded (a duplicated dependency makes `instanceof` fail).
 */

const BRAND = Symbol.for('@bulwark/resilience.error');

export type ResilienceErrorKind =
  | 'broken_circuit'
  | 'isolated_circuit'
  | 'timeout'
  | 'bulkhead_rejected'
  | 'rate_limited'
  | 'aborted'
  | 'all_endpoints_failed'
  | 'checkpoint_corrupt';

/** Base class of every error this package throws. */
export class ResilienceError extends Error {
  readonly [BRAND]: ResilienceErrorKind;
  constructor(
    readonly kind: ResilienceErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this[BRAND] = kind;
  }
}

function guard<T extends ResilienceError>(kind: ResilienceErrorKind) {
  return (e: unknown): e is T => typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === kind;
}

/**
 * Thrown without calling the operation while a circuit is open.
 *
 * @example
 * try { await breaker.execute(call); } catch (e) { if (isBrokenCircuitError(e)) serveCached(); }
 */
export class BrokenCircuitError extends ResilienceError {
  override name = 'BrokenCircuitError';
  constructor(
    message = 'circuit is open; the call was not attempted',
    readonly retryAfterMs?: number,
  ) {
    super('broken_circuit', message);
  }
}
export const isBrokenCircuitError = guard<BrokenCircuitError>('broken_circuit');

/** Thrown while a circuit is manually isolated (`breaker.isolate()`/`trip()`). */
export class IsolatedCircuitError extends ResilienceError {
  override name = 'IsolatedCircuitError';
  constructor(readonly reason: string) {
    super('isolated_circuit', `circuit is isolated: ${reason}`);
  }
}
export const isIsolatedCircuitError = guard<IsolatedCircuitError>('isolated_circuit');

/** Thrown when an operation does not finish within its timeout. */
export class TaskTimeoutError extends ResilienceError {
  override name = 'TaskTimeoutError';
  constructor(readonly timeoutMs: number) {
    super('timeout', `operation timed out after ${timeoutMs} ms`);
  }
}
export const isTaskTimeoutError = guard<TaskTimeoutError>('timeout');

/** Thrown when a bulkhead's slots and queue are full. */
export class BulkheadRejectedError extends ResilienceError {
  override name = 'BulkheadRejectedError';
  constructor(
    readonly executing: number,
    readonly queued: number,
  ) {
    super('bulkhead_rejected', `bulkhead full (${executing} executing, ${queued} queued)`);
  }
}
export const isBulkheadRejectedError = guard<BulkheadRejectedError>('bulkhead_rejected');

/** Thrown when a rate limiter has no token and waiting is not allowed. */
export class RateLimitedError extends ResilienceError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterMs: number) {
    super('rate_limited', `rate limit exceeded; retry after ${Math.ceil(retryAfterMs)} ms`);
  }
}
export const isRateLimitedError = guard<RateLimitedError>('rate_limited');

/** Thrown when every endpoint of a fallback route failed or was skipped. */
export class AllEndpointsFailedError extends ResilienceError {
  override name = 'AllEndpointsFailedError';
  constructor(readonly failures: Array<{ endpoint: string; error: unknown }>) {
    super(
      'all_endpoints_failed',
      `all ${failures.length} endpoint(s) failed: ${failures.map((f) => `${f.endpoint}: ${describe(f.error)}`).join('; ')}`,
    );
  }
}
export const isAllEndpointsFailedError = guard<AllEndpointsFailedError>('all_endpoints_failed');

/** Thrown when no readable, checksum-valid checkpoint generation exists. */
export class CheckpointCorruptError extends ResilienceError {
  override name = 'CheckpointCorruptError';
  constructor(message: string) {
    super('checkpoint_corrupt', message);
  }
}
export const isCheckpointCorruptError = guard<CheckpointCorruptError>('checkpoint_corrupt');

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
