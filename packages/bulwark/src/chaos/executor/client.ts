/**
 * Client for any executor implementing the contract in openapi.ts (`GET /health`, `POST /runs`).
 *
 * Every call goes through `@bulwark/resilience`, composed as `wrap(retry, breaker, timeout)`:
 * - timeout per attempt: `health` a fixed bound; `run` the run's own length (baseline + duration +
 *   recovery) plus a margin;
 * - retry with exponential backoff on transient failures only (network errors, 408/425/429/5xx
 *   except 501/505, and health-check timeouts); never on other 4xx. A timed-out or 409 run is not
 *   retried either: re-running a long experiment blindly would double the faults;
 * - a circuit breaker opening after N consecutive transient failures (4xx do not count). While it
 *   is open calls fail at once with {@link ExecutorCircuitOpenError}, so a chaos session can pause
 *   or fail cleanly instead of hammering a dead executor.
 *
 * All failures surface as {@link ExecutorError} subclasses; branch on `code`.
 */

import {
  CircuitBreaker,
  type CircuitState,
  type Clock,
  classifyFailure,
  consecutiveFailures,
  exponentialBackoff,
  type FailureClass,
  isBrokenCircuitError,
  isTaskTimeoutError,
  type RetryPolicy,
  retry,
  timeout,
  wrap,
} from '@bulwark/resilience';
import { z } from 'zod';
import type { ExecutorHealth, RunRequest, RunResponse } from './schema.js';

/** Why an executor call failed. */
export type ExecutorErrorCode = 'circuit_open' | 'rejected' | 'unavailable' | 'timeout' | 'invalid_response';

/** Base class of every error the client throws. */
export class ExecutorError extends Error {
  /**
   * @param code - machine-readable reason
   * @param message - human-readable description
   * @param options - the underlying error
   */
  constructor(
    readonly code: ExecutorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExecutorError';
    this.permanent = code === 'rejected' || code === 'invalid_response';
  }

  /** True when retrying cannot help (read by `@bulwark/resilience`'s failure classifier). */
  readonly permanent: boolean;
}

/** The circuit is open: the executor failed repeatedly and the call was not attempted. */
export class ExecutorCircuitOpenError extends ExecutorError {
  /** @param retryAfterMs - time until the breaker admits a probe, when known */
  constructor(readonly retryAfterMs?: number) {
    super('circuit_open', 'executor circuit is open after repeated failures; the call was not attempted');
    this.name = 'ExecutorCircuitOpenError';
  }
}

/** The executor answered with an HTTP error status (`rejected` for 4xx, `unavailable` for 5xx). */
export class ExecutorHttpError extends ExecutorError {
  /**
   * @param status - HTTP status
   * @param problem - the RFC 7807 body when there was one
   * @param headers - response headers (for `Retry-After`)
   */
  constructor(
    readonly status: number,
    readonly problem:
      | { type?: string | undefined; title?: string | undefined; detail?: string | undefined }
      | undefined,
    readonly headers: Headers,
  ) {
    super(
      status >= 500 || status === 408 || status === 429 ? 'unavailable' : 'rejected',
      `executor answered HTTP ${status}${problem?.detail ? `: ${problem.detail}` : ''}`,
    );
    this.name = 'ExecutorHttpError';
  }
}

/** Options of {@link ExecutorClient}. */
export interface ExecutorClientOptions {
  /** Executor base URL, e.g. `http://127.0.0.1:8090`. */
  baseUrl: string;
  /** Total tries per call including the first (default 3). */
  maxAttempts?: number;
  /** First backoff delay (ms, default 200; doubles per retry, capped at 5 s). */
  backoffInitialMs?: number;
  /** Consecutive failed attempts that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open (ms, default 30 s). */
  openDurationMs?: number;
  /** Added to a run's own length to bound the `run` call (ms, default 30 s). */
  runTimeoutMarginMs?: number;
  /** Bound of a `health` call (ms, default 5 s). */
  healthTimeoutMs?: number;
  /** Injectable clock for the policies (tests). */
  clock?: Clock;
  /** Injectable fetch (default global fetch). */
  fetch?: typeof fetch;
}

const problemSchema = z.object({ type: z.string(), title: z.string(), detail: z.string() }).partial();

const sampleSchema = z.object({ requests: z.number(), status_counts: z.record(z.string(), z.number()) }).loose();
const runResponseSchema = z
  .object({
    observation: z
      .object({ during: sampleSchema, baseline: sampleSchema.optional(), recovery: sampleSchema.optional() })
      .loose(),
  })
  .loose();
const healthSchema = z.object({ status: z.string(), services: z.record(z.string(), z.unknown()) }).loose();

/** Classifier of `run` failures: like the default, but timeouts and 409 are permanent. */
function classifyRun(error: unknown): FailureClass {
  if (isTaskTimeoutError(error)) return 'permanent';
  if (error instanceof ExecutorHttpError && error.status === 409) return 'permanent';
  return classifyFailure(error);
}

/**
 * Resilient client of an executor.
 *
 * @example
 * const client = new ExecutorClient({ baseUrl: 'http://127.0.0.1:8090' });
 * const { observation } = await client.run({ plans, duration_s: 10, load: { rps: 50, path: '/checkout', method: 'POST' } });
 * const analysis = analyzeObservation(observation);
 */
export class ExecutorClient {
  private readonly baseUrl: string;
  private readonly breaker: CircuitBreaker;
  private readonly healthRetry: RetryPolicy;
  private readonly runRetry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly options: ExecutorClientOptions;

  /** @param options - base URL and resilience tuning */
  constructor(options: ExecutorClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    const clock = options.clock ? { clock: options.clock } : {};
    this.breaker = new CircuitBreaker({
      policy: consecutiveFailures(options.failureThreshold ?? 5),
      openDurationMs: options.openDurationMs ?? 30_000,
      // Only transient failures say the executor is unhealthy; a 4xx is the caller's fault.
      isFailure: (e) => !(e instanceof ExecutorError && e.permanent),
      ...clock,
    });
    const backoff = exponentialBackoff({ initialMs: options.backoffInitialMs ?? 200, maxMs: 5_000 });
    const maxAttempts = options.maxAttempts ?? 3;
    this.healthRetry = retry({ maxAttempts, backoff, ...clock });
    this.runRetry = retry({ maxAttempts, backoff, classify: classifyRun, ...clock });
  }

  /** The circuit breaker's state (`closed`, `open`, `half_open`). */
  get circuitState(): CircuitState {
    return this.breaker.state;
  }

  /**
   * `GET /health`.
   *
   * @throws ExecutorError (`circuit_open`, `unavailable`, `timeout`, `rejected`, `invalid_response`)
   */
  async health(): Promise<ExecutorHealth> {
    const body = await this.call(this.healthRetry, this.options.healthTimeoutMs ?? 5_000, 'GET', '/health');
    if (!healthSchema.safeParse(body).success) {
      throw new ExecutorError('invalid_response', 'executor health response does not match the contract');
    }
    return body as ExecutorHealth;
  }

  /**
   * `POST /runs`: runs one trial and returns its observation. Bounded by the run's length plus the
   * margin.
   *
   * @param request - plans, duration, load, optional baseline and recovery
   * @throws ExecutorError (`circuit_open`, `unavailable`, `timeout`, `rejected`, `invalid_response`)
   */
  async run(request: RunRequest): Promise<RunResponse> {
    const seconds = request.duration_s + (request.baseline_s ?? 0) + (request.recovery_s ?? 0);
    const limit = Math.ceil(seconds * 1000 + (this.options.runTimeoutMarginMs ?? 30_000));
    const body = await this.call(this.runRetry, limit, 'POST', '/runs', request);
    if (!runResponseSchema.safeParse(body).success) {
      throw new ExecutorError('invalid_response', 'executor run response does not match the contract');
    }
    const response = body as RunResponse;
    if (!Array.isArray(response.warnings)) response.warnings = [];
    return response;
  }

  private async call(
    policy: RetryPolicy,
    timeoutMs: number,
    method: string,
    path: string,
    payload?: unknown,
  ): Promise<unknown> {
    const resilient = wrap(policy, this.breaker, timeout(timeoutMs, this.options.clock));
    try {
      return await resilient.execute(async ({ signal }) => {
        const init: RequestInit = { method, signal, headers: { accept: 'application/json' } };
        if (payload !== undefined) {
          init.headers = { accept: 'application/json', 'content-type': 'application/json' };
          init.body = JSON.stringify(payload);
        }
        const res = await this.fetchImpl(`${this.baseUrl}${path}`, init);
        const text = await res.text();
        let parsed: unknown;
        try {
          parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
        } catch {
          parsed = undefined;
        }
        if (!res.ok) {
          const problem = problemSchema.safeParse(parsed);
          throw new ExecutorHttpError(res.status, problem.success ? problem.data : undefined, res.headers);
        }
        if (parsed === undefined)
          throw new ExecutorError('invalid_response', `executor ${method} ${path} returned no JSON`);
        return parsed;
      });
    } catch (error) {
      if (error instanceof ExecutorError) throw error;
      if (isBrokenCircuitError(error)) throw new ExecutorCircuitOpenError(error.retryAfterMs);
      if (isTaskTimeoutError(error)) {
        throw new ExecutorError('timeout', `executor ${method} ${path} did not answer within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new ExecutorError('unavailable', `executor ${method} ${path} failed: ${message}`, { cause: error });
    }
  }
}
