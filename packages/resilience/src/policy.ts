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
  const last = policies.length - 1;
  return {
    execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
      const run = (index: number, ctxSignal: AbortSignal | undefined, attempt: number): Promise<T> => {
        const policy = policies[index] as Policy;
        if (index === last) {
          // Hand the innermost context through untouched when possible: reading `signal` may
          // allocate (the timeout policy creates its AbortController lazily).
          return policy.execute(
            (ctx) => operation(ctx.attempt >= attempt ? ctx : withAttempt(ctx, attempt)),
            ctxSignal,
          );
        }
        return policy.execute((ctx) => run(index + 1, ctx.signal, Math.max(attempt, ctx.attempt)), ctxSignal);
      };
      return run(0, signal, 1);
    },
  };
}

function withAttempt(ctx: ExecutionContext, attempt: number): ExecutionContext {
  return {
    attempt,
    get signal() {
      return ctx.signal;
    },
  };
}
