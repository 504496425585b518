import { isBrokenCircuitError, isBulkheadRejectedError, isIsolatedCircuitError, isTaskTimeoutError } from './errors.js';

/** transient: worth retrying; permanent: retrying cannot help. */
export type FailureClass = 'transient' | 'permanent';

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The HTTP status an error carries (`status`, `statusCode`, or `response.status`). */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  const s = e.status ?? e.statusCode ?? e.response?.status;
  return typeof s === 'number' ? s : undefined;
}

function codeOf(error: unknown): string | undefined {
  let e: unknown = error;
  // fetch wraps socket errors: TypeError('fetch failed', { cause: { code } }).
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Default classification: HTTP 408/425/429/5xx (but 501 and 505) and network errors are
 * transient; other 4xx, programming errors (TypeError, RangeError, SyntaxError, ReferenceError) and
 * errors flagged `permanent: true` are permanent; a timeout is transient; open or isolated
 * circuits and a full bulkhead are permanent for a retry loop (retrying them only adds load).
 * Anything else is treated as transient.
 *
 * @example
 * classifyFailure(Object.assign(new Error('x'), { status: 503 })) // 'transient'
 */
export function classifyFailure(error: unknown): FailureClass {
  if (typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true)
    return 'permanent';
  if (isTaskTimeoutError(error)) return 'transient';
  if (isBrokenCircuitError(error) || isIsolatedCircuitError(error) || isBulkheadRejectedError(error))
    return 'permanent';
  const status = statusOf(error);
  if (status !== undefined) {
    if (status === 408 || status === 425 || status === 429) return 'transient';
    if (status >= 500) return status === 501 || status === 505 ? 'permanent' : 'transient';
    if (status >= 400) return 'permanent';
  }
  const code = codeOf(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return 'transient';
  if (error instanceof TypeError && (error as Error).message === 'fetch failed') return 'transient';
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  ) {
    return 'permanent';
  }
  return 'transient';
}

/**
 * Milliseconds a server asked us to wait: `retryAfterMs` on the error, or a `Retry-After` header
 * (seconds or HTTP date) on `headers` / `response.headers`.
 */
export function retryAfterMs(error: unknown, nowEpochMs: number = Date.now()): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { retryAfterMs?: unknown; headers?: unknown; response?: { headers?: unknown } };
  if (typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0) return e.retryAfterMs;
  const headers = e.headers ?? e.response?.headers;
  let raw: unknown;
  if (headers && typeof (headers as { get?: unknown }).get === 'function')
    raw = (headers as Headers).get('retry-after');
  else if (headers && typeof headers === 'object') raw = (headers as Record<string, unknown>)['retry-after'];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
}
