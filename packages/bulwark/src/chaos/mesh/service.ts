import { listenOn } from '../listen.js';
/**
 * A minimal instrumented HTTP service on `node:http`, used by the demo mesh: route table with
 * `:param` segments, JSON bodies, one server span per request, request-scoped logging, and
 * outgoing calls that propagate the request id and parent span.
 *
 * Built-in endpoints (not traced): `GET /health`, `GET /_spans?since=<epoch ms>`,
 * `GET /_logs?since=<epoch ms>`.
 */

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createHttpClient, type HttpCallOptions } from './http-client.js';
import {
  headerValue,
  type LogEntry,
  type LogLevel,
  logStore,
  newRequestId,
  newSpanId,
  PARENT_SPAN_HEADER,
  parseSince,
  REQUEST_ID_HEADER,
  type RecordedSpan,
  type RingBuffer,
  spanStore,
} from './telemetry.js';

/** Largest request body a mesh service reads (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Span status of a request whose caller went away first (nginx's convention). */
export const CLIENT_CLOSED = 499;

/** A parsed incoming request. */
export interface ServiceRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or `undefined` when empty / not JSON. */
  body: unknown;
}

/** What a handler returns. */
export interface ServiceReply {
  status: number;
  body?: unknown;
}

/** The response of an outgoing call (body parsed as JSON when possible, else text). */
export interface UpstreamResponse {
  status: number;
  body: unknown;
}

/** Options of an outgoing call. */
export interface CallOptions {
  body?: unknown;
  signal?: AbortSignal;
}

/** Per-request context handed to handlers. */
export interface RequestContext {
  request: ServiceRequest;
  traceId: string;
  spanId: string;
  /** Aborts when the caller goes away before the response; outgoing calls are cancelled with it. */
  signal: AbortSignal;
  /** Writes a log line tagged with this service and request id. */
  log(level: LogLevel, message: string): void;
  /**
   * Calls another service (resolved by name), propagating the request id and this span as parent.
   * Resolves for any HTTP status; rejects on transport errors and aborts (of `options.signal` or
   * {@link RequestContext.signal}).
   */
  call(service: string, method: string, path: string, options?: CallOptions): Promise<UpstreamResponse>;
}

/** A route handler. */
export type Handler = (ctx: RequestContext) => Promise<ServiceReply>;

/** One route: method (`*` for any) and a path pattern with `:param` segments. */
export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

/** Options of {@link startService}. */
export interface ServiceOptions {
  name: string;
  routes: readonly Route[];
  /** Base URL of a dependency by service name (evaluated per call). */
  resolve: (service: string) => string | undefined;
  host?: string;
  port?: number;
}

/** A running service. */
export interface RunningService {
  name: string;
  url: string;
  port: number;
  spans: RingBuffer<RecordedSpan>;
  logs: RingBuffer<LogEntry>;
  close(): Promise<void>;
}

/**
 * An HTTP error carrying its status, so that `@bulwark/resilience` classifies it (5xx, 408, 429
 * transient; other 4xx permanent).
 */
export class HttpStatusError extends Error {
  /**
   * @param status - the HTTP status received
   * @param service - the service that answered
   */
  constructor(
    readonly status: number,
    readonly service: string,
  ) {
    super(`${service} answered HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/**
 * Returns the response when its status is 2xx, else throws {@link HttpStatusError}.
 *
 * @param res - an upstream response
 * @param service - name used in the error message
 */
export function expectOk(res: UpstreamResponse, service: string): UpstreamResponse {
  if (res.status < 200 || res.status > 299) throw new HttpStatusError(res.status, service);
  return res;
}

/** A short, single-line description of an error for log lines. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      if (g === '') return undefined;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return undefined;
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body: unknown, requestId?: string): void {
  if (res.destroyed || res.writableEnded) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (requestId !== undefined) headers[REQUEST_ID_HEADER] = requestId;
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * Starts one instrumented service.
 *
 * @param options - name, routes, dependency resolver, bind address
 * @returns the running service (call `close()` to stop it; open connections are closed too)
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { name } = options;
  const spans = spanStore();
  const logs = logStore();
  const client = createHttpClient();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok', service: name });
    if (method === 'GET' && url.pathname === '/_spans') {
      return send(res, 200, { service: name, spans: spans.since(parseSince(url.searchParams.get('since'))) });
    }
    if (method === 'GET' && url.pathname === '/_logs') {
      return send(res, 200, { service: name, logs: logs.since(parseSince(url.searchParams.get('since'))) });
    }

    const startMs = Date.now();
    const started = performance.now();
    const traceId = headerValue(req.headers, REQUEST_ID_HEADER) ?? newRequestId();
    const parentId = headerValue(req.headers, PARENT_SPAN_HEADER);
    const spanId = newSpanId();
    let operation = `${method} ${url.pathname}`;
    let status = 500;
    const cancel = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) cancel.abort(new Error('client closed the connection'));
    });
    const log = (level: LogLevel, message: string): void => {
      logs.push({ ts: Date.now(), level, service: name, message, request_id: traceId });
    };
    try {
      const bodyText = await readBody(req);
      let params: Record<string, string> | undefined;
      let route: Route | undefined;
      for (const r of options.routes) {
        if (r.method !== '*' && r.method !== method) continue;
        params = matchRoute(r.pattern, url.pathname);
        if (params) {
          route = r;
          break;
        }
      }
      if (!route || !params) {
        status = 404;
        operation = `${method} (unrouted)`;
        return send(res, 404, { error: 'not found', service: name }, traceId);
      }
      operation = `${method} ${route.pattern}`;
      const ctx: RequestContext = {
        request: {
          method,
          path: url.pathname,
          params,
          query: url.searchParams,
          headers: req.headers,
          body: parseJson(bodyText),
        },
        traceId,
        spanId,
        signal: cancel.signal,
        log,
        call: async (service, callMethod, path, callOptions = {}) => {
          const base = options.resolve(service);
          if (base === undefined) throw new Error(`${name}: no address for service ${service}`);
          const headers: Record<string, string> = { [REQUEST_ID_HEADER]: traceId, [PARENT_SPAN_HEADER]: spanId };
          const init: HttpCallOptions = { method: callMethod, headers };
          if (callOptions.body !== undefined) {
            headers['content-type'] = 'application/json';
            init.body = JSON.stringify(callOptions.body);
          }
          init.signal = callOptions.signal ? AbortSignal.any([callOptions.signal, cancel.signal]) : cancel.signal;
          const response = await client.request(new URL(path, base), init);
          return { status: response.status, body: parseJson(response.body) };
        },
      };
      const reply = await route.handler(ctx);
      status = cancel.signal.aborted ? CLIENT_CLOSED : reply.status;
      send(res, reply.status, reply.body, traceId);
    } catch (error) {
      if (cancel.signal.aborted) {
        status = CLIENT_CLOSED;
      } else {
        status = 500;
        log('ERROR', `unhandled error: ${describeError(error)}`);
        send(res, 500, { error: 'internal error', service: name }, traceId);
      }
    } finally {
      const span: RecordedSpan = {
        trace_id: traceId,
        span_id: spanId,
        service: name,
        operation,
        status,
        duration_ms: performance.now() - started,
        start_ms: startMs,
      };
      if (parentId !== undefined) span.parent_id = parentId;
      spans.push(span);
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listenOn(server, options.port, host);
  return {
    name,
    url: `http://${host}:${port}`,
    port,
    spans,
    logs,
    close: async () => {
      await closeServer(server);
      client.destroy();
    },
  };
}

/**
 * Closes a server and every connection it holds (idle keep-alive sockets included).
 *
 * @param server - a listening server
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
