import { NEVER_SIGNAL } from './clock.js';
/** What an operation receives from the policies wrapping it. */
export interface ExecutionContext {
  /** Aborts when the caller aborts, a timeout fires or a hedge/fallback race is lost. */
  signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry … (set by retry; 1 elsewhere). */
  attempt: number;
}

export type Operation<T> = (context: ExecutionContext) => PromiseLike<T> | T;

/**
 * The common shape of every policy: run an operation under the policy's rules.
 *
 * @example
 * const result = await policy.execute(({ signal }) => fetch(url, { signal }));
 */
export interface Policy {
  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T>;
}

const NEVER = NEVER_SIGNAL;

/** A context for the outermost call. */
export function rootContext(signal: AbortSignal | undefined, attempt = 1): ExecutionContext {
  return { signal: signal ?? NEVER, attempt };
}

/**
 * Compose policies; the first is the outermost. `wrap(retry, breaker, timeout)` retries calls that
 * pass through the breaker, each attempt bounded by the timeout — the usual order.
 *
 * @example
 * const resilient = wrap(retry({ maxAttempts: 3 }), new CircuitBreaker({ policy: consecutiveFailures(5) }), timeout(2000));
 * await resilient.execute(({ signal }) => fetch(url, { signal }));
 */
export function wrap(...policies: Policy[]): Policy {
  if (policies.length === 0) return { execute: (op, signal) => Promise.resolve().then(() => op(rootContext(signal))) };
  return { execute: (operation, signal) => runLayer(policies, 0, operation, signal, 1) };
}

/** Run `operation` through `policies[index..]`; `attempt` is the highest attempt number seen outside. */
function runLayer<T>(
  policies: Policy[],
  index: number,
  operation: Operation<T>,
  signal: AbortSignal | undefined,
  attempt: number,
): Promise<T> {
  const policy = policies[index] as Policy;
  if (index === policies.length - 1) {
    // Hand the innermost context through untouched when possible: reading `signal` may
    // allocate (the timeout policy creates its AbortController lazily).
    return policy.execute((ctx) => operation(ctx.attempt >= attempt ? ctx : withAttempt(ctx, attempt)), signal);
  }
  return policy.execute(
    (ctx) => runLayer(policies, index + 1, operation, ctx.signal, Math.max(attempt, ctx.attempt)),
    signal,
  );
}

function withAttempt(ctx: ExecutionContext, attempt: number): ExecutionContext {
  return {
    attempt,
    get signal() {
      return ctx.signal;
    },
  };
}

/**
 * True for promises and other thenables: policies settle plain values at once instead of
 * scheduling a promise callback for them.
 *
 * @example
 * const result = operation(ctx);
 * if (!isThenable(result)) return Promise.resolve(result);
 */
export function isThenable<T>(value: PromiseLike<T> | T): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
