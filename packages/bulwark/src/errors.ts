/**
 * One error family for the whole platform. Domain code throws `BulwarkError` with a stable
 * string `code`; the HTTP edge maps codes to statuses once (http/problem.ts). Check errors by
 * `code` (see `isBulwarkError`), never by `instanceof`, so duplicated module copies still work.
 */

export const ERROR_CATALOGUE = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_request: { status: 400, title: 'Malformed request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  dependency_unavailable: { status: 503, title: 'Dependency unavailable' },
  not_ready: { status: 503, title: 'Service not ready' },
  timeout: { status: 504, title: 'Upstream timeout' },
  invalid_config: { status: 500, title: 'Invalid configuration' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface BulwarkErrorOptions {
  cause?: unknown;
  /** Extension members copied into the problem+json body (RFC 7807 §3.2). */
  extensions?: Record<string, unknown>;
  /** Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
  headers?: Record<string, string>;
}

const BRAND = Symbol.for('bulwark.error');

export class BulwarkError extends Error {
  readonly code: ErrorCode;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: BulwarkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BulwarkError';
    this.code = code;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

export function isBulwarkError(value: unknown): value is BulwarkError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export function notFound(what: string, id: string): BulwarkError {
  return new BulwarkError('not_found', `${what} '${id}' does not exist`);
}

export function validationFailed(detail: string, extensions?: Record<string, unknown>): BulwarkError {
  return new BulwarkError('validation_failed', detail, extensions ? { extensions } : {});
}
