import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { BulwarkError, ERROR_CATALOGUE, type ErrorCode, isBulwarkError } from '../errors.js';

/** RFC 7807 problem details, with Bulwark's extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  request_id: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Longest path parameter the router accepts. */
export const MAX_PARAM_LENGTH = 300;

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'malformed_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  503: 'dependency_unavailable',
  504: 'timeout',
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

function describeValidation(context: string | undefined, issues: ValidationIssue[]) {
  const where = context ?? 'body';
  const errors = issues.slice(0, 20).map((i) => ({
    pointer: i.instancePath && i.instancePath !== '/' ? i.instancePath : '',
    in: where,
    detail: i.message ?? 'is invalid',
  }));
  const first = errors[0];
  const detail = first
    ? `${where}${first.pointer ? ` field ${first.pointer}` : ''}: ${first.detail}${
        errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''
      }`
    : `${where} is invalid`;
  return new BulwarkError('validation_failed', detail, { extensions: { errors } });
}

/** Normalise any throwable into a BulwarkError (once, here). */
export function normaliseError(error: unknown): BulwarkError {
  if (isBulwarkError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    return describeValidation(error.validationContext, error.validation);
  }
  const fe = error as Partial<FastifyError> | undefined;
  if (fe && Array.isArray(fe.validation)) {
    return describeValidation(fe.validationContext, fe.validation as ValidationIssue[]);
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'malformed_request';
    let detail = fe?.message ?? ERROR_CATALOGUE[code].title;
    if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      detail = 'request body is larger than the server accepts; send a smaller body';
    } else if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      detail = `${fe.message}; send JSON with Content-Type: application/json`;
    } else if (fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      detail = 'Content-Type is application/json but the body is empty; send a JSON document or no Content-Type';
    } else if (fe?.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      detail = `a path parameter is longer than ${MAX_PARAM_LENGTH} characters; no resource has such an id`;
    } else if (fe?.code === 'FST_ERR_BAD_URL') {
      detail = 'the URL is not valid (bad percent-encoding?)';
    } else if (error instanceof SyntaxError || fe?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      detail = `body is not valid JSON: ${fe?.message ?? 'parse error'}`;
    }
    return new BulwarkError(code, detail, { cause: error });
  }
  return new BulwarkError('internal', 'an unexpected error occurred', { cause: error });
}

export function problemFor(error: BulwarkError, request: FastifyRequest): Problem {
  const meta = ERROR_CATALOGUE[error.code];
  const detail =
    error.code === 'internal'
      ? `an unexpected error occurred; quote request id ${request.id} when reporting it`
      : error.message;
  return {
    ...error.extensions,
    type: `urn:bulwark:problem:${error.code}`,
    title: meta.title,
    status: meta.status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code: error.code,
    request_id: String(request.id),
  };
}

export function sendProblem(reply: FastifyReply, error: BulwarkError): FastifyReply {
  const problem = problemFor(error, reply.request);
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** For Fastify's `frameworkErrors`: router errors (bad URL, over-long parameter) as problems too. */
export function frameworkProblem(error: unknown, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, normaliseError(error));
}

/** Installs the single error handler and the 404 handler. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((raw, request, reply) => {
    const error = normaliseError(raw);
    if (error.status >= 500) {
      request.log.error({ err: raw, code: error.code }, 'request failed');
    } else {
      request.log.info({ code: error.code, detail: error.message }, 'request rejected');
    }
    return sendProblem(reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new BulwarkError('not_found', `no route ${request.method} ${request.url.split('?')[0]}; see /docs for the API`),
    ),
  );
}
