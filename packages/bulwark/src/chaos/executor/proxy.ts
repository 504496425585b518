import { listenOn } from '../listen.js';
/**
 * Fault-injecting HTTP reverse proxy: forwards every request to one target service (method, path,
 * headers and body streamed both ways; hop-by-hop headers dropped) and applies the installed fault
 * rules (see rules.ts): delay before forwarding, abort with a status without forwarding, or both.
 *
 * Tracing: a request without `x-request-id` gets one; the proxy records its own span (service =
 * the proxied service, operation `proxy`, parent = the caller's `x-bulwark-span`) and forwards its
 * span id as the new `x-bulwark-span`, so the callee's span hangs below it. The injected fault is
 * in the span's attributes. When the client goes away the upstream request is cancelled.
 */

import { randomInt } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { type RandomSource, seededRandom } from '@bulwark/resilience';
import { closeServer } from '../mesh/service.js';
import {
  headerValue,
  newRequestId,
  newSpanId,
  PARENT_SPAN_HEADER,
  REQUEST_ID_HEADER,
  type RecordedSpan,
  spanStore,
} from '../mesh/telemetry.js';
import type { FaultPlan } from '../space/plan.js';
import { decideFault, type FaultDecision, type InstalledRule } from './rules.js';

/** Header the proxy sets on responses it aborted. */
export const FAULT_HEADER = 'x-bulwark-fault';

/** Status recorded when the client went away before the response (nginx convention). */
export const CLIENT_CLOSED_STATUS = 499;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Copies headers without the hop-by-hop ones (RFC 9110 §7.6.1), including those named in
 * `Connection`.
 *
 * @param headers - incoming headers (lower-case names)
 * @returns a new header object
 */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Base URL of the proxied service (http only). */
  target: string;
  /** Name of the proxied service; plans for other services are ignored. */
  service: string;
  /** Listen port (default 0: a free port). */
  port?: number;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Seed of the percentage draws (default: random). */
  seed?: number;
  /** Clock for rule windows (epoch ms; default `Date.now`). */
  now?: () => number;
}

/** Counters since start. */
export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  aborted: number;
  delayed: number;
  upstreamErrors: number;
  clientClosed: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  url: string;
  port: number;
  service: string;
  target: string;
  /**
   * Replaces the installed rules with the plans targeting this service (others are ignored);
   * windows start now.
   *
   * @returns the number of rules installed
   */
  install(plans: readonly FaultPlan[]): number;
  /** Removes every rule. */
  clear(): void;
  /** The installed rules. */
  rules(): InstalledRule[];
  /** Spans recorded since `since` (epoch ms; all when omitted). */
  spans(since?: number): RecordedSpan[];
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

function faultAttributes(decision: FaultDecision | undefined): Record<string, string | number> {
  if (!decision) return { fault: 'none' };
  const attrs: Record<string, string | number> = { fault: decision.type, fault_rule: decision.rule };
  if (decision.type !== 'abort') attrs.fault_delay_ms = decision.delayMs;
  if (decision.abortStatus !== undefined) attrs.fault_abort_status = decision.abortStatus;
  return attrs;
}

/**
 * Starts a fault proxy in front of one service.
 *
 * @param options - target URL, service name, bind address, seed
 * @returns the running proxy
 * @example
 * const proxy = await startFaultProxy({ target: 'http://127.0.0.1:9001', service: 'payment' });
 * proxy.install([{ target_service: 'payment', fault: { type: 'delay', delay_ms: 600 }, percentage: 100, start_delay_s: 0, duration_s: 30 }]);
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy target must be an http:// URL, got ${options.target}`);
  const now = options.now ?? Date.now;
  const random: RandomSource = seededRandom(options.seed ?? randomInt(0, 2 ** 31));
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const spans = spanStore();
  let installed: InstalledRule[] = [];
  const counters: FaultProxyStats = {
    requests: 0,
    forwarded: 0,
    aborted: 0,
    delayed: 0,
    upstreamErrors: 0,
    clientClosed: 0,
  };
  const basePath = target.pathname.replace(/\/$/, '');

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    counters.requests += 1;
    const startMs = Date.now();
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const traceId = headerValue(req.headers, REQUEST_ID_HEADER) ?? newRequestId();
    const parentId = headerValue(req.headers, PARENT_SPAN_HEADER);
    const spanId = newSpanId();
    const decision = decideFault(installed, { method, path, headers: req.headers }, now(), random);
    const attributes: Record<string, string | number | boolean> = {
      method,
      path: path.split('?')[0] ?? path,
      ...faultAttributes(decision),
    };
    let recorded = false;
    const record = (status: number, extra: Record<string, string | number | boolean> = {}): void => {
      if (recorded) return;
      recorded = true;
      const span: RecordedSpan = {
        trace_id: traceId,
        span_id: spanId,
        service: options.service,
        operation: 'proxy',
        status,
        duration_ms: performance.now() - started,
        start_ms: startMs,
        attributes: { ...attributes, ...extra },
      };
      if (parentId !== undefined) span.parent_id = parentId;
      spans.push(span);
    };

    let timer: ReturnType<typeof setTimeout> | undefined;
    let upstream: ReturnType<typeof httpRequest> | undefined;
    res.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      if (!res.writableFinished) {
        counters.clientClosed += 1;
        upstream?.destroy();
        record(CLIENT_CLOSED_STATUS, { client_closed: true });
      }
    });

    const abort = (status: number): void => {
      counters.aborted += 1;
      req.resume();
      const body = JSON.stringify({ error: 'fault injected', service: options.service, status });
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        [FAULT_HEADER]: 'abort',
        [REQUEST_ID_HEADER]: traceId,
      });
      res.end(body, () => record(status));
    };

    const forward = (): void => {
      counters.forwarded += 1;
      const headers = endToEndHeaders(req.headers);
      headers.host = target.host;
      headers[REQUEST_ID_HEADER] = traceId;
      headers[PARENT_SPAN_HEADER] = spanId;
      const up = httpRequest({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method,
        path: basePath + path,
        headers,
        agent,
      });
      upstream = up;
      up.on('response', (upRes) => {
        const status = upRes.statusCode ?? 502;
        const outHeaders = endToEndHeaders(upRes.headers);
        if (decision) outHeaders[FAULT_HEADER] = decision.type;
        res.writeHead(status, outHeaders);
        upRes.pipe(res);
        upRes.on('end', () => record(status));
        upRes.on('error', () => res.destroy());
      });
      up.on('error', (error) => {
        if (res.destroyed || res.writableEnded) return;
        counters.upstreamErrors += 1;
        if (res.headersSent) {
          res.destroy();
          record(502, { upstream_error: error.message });
          return;
        }
        const body = JSON.stringify({ error: 'upstream unavailable', service: options.service });
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body, () => record(502, { upstream_error: error.message }));
      });
      req.pipe(up);
    };

    const proceed = (): void => {
      if (res.destroyed) return;
      if (decision?.abortStatus !== undefined) abort(decision.abortStatus);
      else forward();
    };
    if (decision && decision.delayMs > 0) {
      counters.delayed += 1;
      timer = setTimeout(proceed, decision.delayMs);
    } else proceed();
  };

  const server = createServer(handle);
  const host = options.host ?? '127.0.0.1';
  const port = await listenOn(server, options.port, host);

  return {
    url: `http://${host}:${port}`,
    port,
    service: options.service,
    target: options.target,
    install(plans) {
      const at = now();
      installed = plans.filter((p) => p.target_service === options.service).map((plan) => ({ plan, installedAt: at }));
      return installed.length;
    },
    clear() {
      installed = [];
    },
    rules: () => [...installed],
    spans: (since) => spans.since(since),
    stats: () => ({ ...counters }),
    async close() {
      installed = [];
      await closeServer(server);
      agent.destroy();
    },
  };
}
