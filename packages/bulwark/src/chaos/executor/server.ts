/**
 * Built-in executor: a fault proxy in front of every service plus an HTTP API (Fastify) that runs
 * trials — baseline, faults + load, recovery — and returns the analyzer's {@link Observation}.
 * The API is described by {@link EXECUTOR_OPENAPI} (served at `GET /openapi.json`); errors are
 * RFC 7807 `application/problem+json`.
 *
 * The services must call each other through the proxies for faults on inner services to take
 * effect (the demo mesh accepts `upstreams` for that; see `startMeshWithExecutor`). Load is driven
 * at the entry service's proxy. Runs are serialised: a second `POST /runs` while one is in
 * progress gets 409.
 */

import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Observation } from '../analyzer/types.js';
import { fetchTelemetry, phaseSample } from './collect.js';
import { driveLoad, type LoadResult } from './load.js';
import { EXECUTOR_OPENAPI } from './openapi.js';
import { type FaultProxy, startFaultProxy } from './proxy.js';
import {
  type ExecutorHealth,
  parseRunRequest,
  RUN_LIMITS,
  type RunRequest,
  type RunResponse,
  type ValidationIssue,
} from './schema.js';

/** Options of {@link startExecutor}. */
export interface ExecutorOptions {
  /** Service name → base URL of the real service. */
  services: Record<string, string>;
  /** Name of the entry service (load is driven at its proxy). */
  entry: string;
  /** API port (default 0: a free port). */
  port?: number;
  /** Bind address of the API and the proxies (default 127.0.0.1). */
  host?: string;
  /** Proxy for service i listens on `proxyBasePort + i` (default: free ports). */
  proxyBasePort?: number;
  /** Seed of the proxies' percentage draws (proxy i uses seed + i; default random). */
  seed?: number;
  /** Pause after the last phase before reading telemetry, for late spans (ms, default 300). */
  settleMs?: number;
  /** Requests sent (and discarded) before the baseline to warm connections up (default 5). */
  warmupRequests?: number;
}

/** A running executor. */
export interface Executor {
  url: string;
  port: number;
  /** The fault proxy in front of each service. */
  proxies: Record<string, FaultProxy>;
  /** Proxy URL of each service: where callers must send traffic for faults to apply. */
  proxyUrls: Record<string, string>;
  /** Runs one trial in-process (what `POST /runs` does). */
  run(request: RunRequest): Promise<RunResponse>;
  close(): Promise<void>;
}

/** RFC 7807 problem body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: ValidationIssue[];
}

/** Content type of problem responses. */
export const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, [code: string, title: string]> = {
  400: ['validation_failed', 'Request validation failed'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  413: ['payload_too_large', 'Payload too large'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  500: ['internal', 'Internal server error'],
};

function problem(status: number, detail: string, instance?: string, errors?: ValidationIssue[]): ProblemDetails {
  const [code, title] =
    TITLES[status] ?? (status >= 500 ? ['internal', 'Internal server error'] : ['malformed_request', 'Bad request']);
  const body: ProblemDetails = { type: `urn:bulwark:problem:${code}`, title, status, detail };
  if (instance !== undefined) body.instance = instance;
  if (errors !== undefined) body.errors = errors;
  return body;
}

function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply.code(body.status).header('content-type', PROBLEM_JSON).send(JSON.stringify(body));
}

class BusyError extends Error {}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function isUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/**
 * Starts the executor: one fault proxy per service and the HTTP API.
 *
 * @param options - services (real URLs), entry service, ports, seed
 * @returns the running executor
 * @throws Error when `entry` is not one of `services`
 */
export async function startExecutor(options: ExecutorOptions): Promise<Executor> {
  const names = Object.keys(options.services);
  if (!names.includes(options.entry)) {
    throw new Error(`entry service '${options.entry}' is not one of: ${names.join(', ') || '(none)'}`);
  }
  const host = options.host ?? '127.0.0.1';
  const settleMs = options.settleMs ?? 300;
  const warmup = Math.max(0, options.warmupRequests ?? 5);

  const proxies: Record<string, FaultProxy> = {};
  try {
    for (const [i, name] of names.entries()) {
      proxies[name] = await startFaultProxy({
        target: options.services[name] as string,
        service: name,
        host,
        ...(options.proxyBasePort === undefined ? {} : { port: options.proxyBasePort + i }),
        ...(options.seed === undefined ? {} : { seed: options.seed + i }),
      });
    }
  } catch (error) {
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    throw error;
  }
  const proxyUrls = Object.fromEntries(Object.entries(proxies).map(([n, p]) => [n, p.url]));
  const entryProxy = proxies[options.entry] as FaultProxy;

  let busy = false;
  const clearAll = () => {
    for (const p of Object.values(proxies)) p.clear();
  };

  const run = async (request: RunRequest): Promise<RunResponse> => {
    if (busy) throw new BusyError('another run is in progress');
    busy = true;
    const runId = randomBytes(6).toString('hex');
    try {
      const since = Date.now() - 1_000;
      const url = new URL(request.load.path, entryProxy.url).toString();
      const phase = (tag: string, seconds: number): Promise<LoadResult> =>
        driveLoad({
          url,
          method: request.load.method,
          rps: request.load.rps,
          durationS: seconds,
          timeoutMs: request.load.timeout_ms ?? RUN_LIMITS.defaultTimeoutMs,
          requestIdPrefix: `${runId}-${tag}`,
          ...(request.load.headers ? { headers: request.load.headers } : {}),
          ...(request.load.body === undefined ? {} : { body: request.load.body }),
        });
      if (warmup > 0) await driveLoad({ ...warmupOptions(url, request, runId), rps: warmup * 10, durationS: 0.1 });

      const baselineS = request.baseline_s ?? 0;
      const recoveryS = request.recovery_s ?? 0;
      const baseline = baselineS > 0 ? await phase('b', baselineS) : undefined;
      for (const p of Object.values(proxies)) p.install(request.plans);
      let during: LoadResult;
      try {
        during = await phase('d', request.duration_s);
      } finally {
        clearAll();
      }
      const recovery = recoveryS > 0 ? await phase('r', recoveryS) : undefined;
      await wait(settleMs);

      const telemetry = await fetchTelemetry(options.services, since);
      for (const p of Object.values(proxies)) telemetry.spans.push(...p.spans(since));
      const observation: Observation = { during: phaseSample(during, `${runId}-d`, telemetry) };
      if (baseline) observation.baseline = phaseSample(baseline, `${runId}-b`, telemetry);
      if (recovery) observation.recovery = phaseSample(recovery, `${runId}-r`, telemetry);
      return { run_id: runId, observation, warnings: telemetry.warnings };
    } finally {
      clearAll();
      busy = false;
    }
  };

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    let detail = status >= 500 ? 'the run failed unexpectedly' : error.message;
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      detail = `body is not valid JSON: ${error.message}`;
    } else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      detail = 'body is empty; send a JSON RunRequest';
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      detail = `${error.message}; send JSON with content-type: application/json`;
    }
    return sendProblem(reply, problem(status, detail, request.url));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, `no route ${request.method} ${request.url.split('?')[0]}`, request.url)),
  );

  app.get('/openapi.json', async () => EXECUTOR_OPENAPI);
  app.get('/health', async (): Promise<ExecutorHealth> => {
    const entries = await Promise.all(
      names.map(async (name) => {
        const target = options.services[name] as string;
        return [name, { target, proxy: proxyUrls[name] as string, up: await isUp(target) }] as const;
      }),
    );
    const services = Object.fromEntries(entries);
    return {
      status: entries.every(([, s]) => s.up) ? 'ok' : 'degraded',
      entry: options.entry,
      busy,
      services,
    };
  });
  app.post('/runs', async (request, reply) => {
    const parsed = parseRunRequest(request.body, names);
    if (!parsed.ok) {
      const first = parsed.issues[0];
      const more = parsed.issues.length > 1 ? ` (and ${parsed.issues.length - 1} more)` : '';
      const detail = first ? `${first.path}: ${first.message}${more}` : 'body does not match RunRequest';
      return sendProblem(reply, problem(400, detail, request.url, parsed.issues));
    }
    try {
      return await run(parsed.value);
    } catch (error) {
      if (error instanceof BusyError) {
        return sendProblem(reply, problem(409, 'another run is in progress; runs are serialised', request.url));
      }
      throw error;
    }
  });

  try {
    await app.listen({ port: options.port ?? 0, host });
  } catch (error) {
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    proxies,
    proxyUrls,
    run,
    close: () => {
      closed ??= (async () => {
        await app.close();
        await Promise.all(Object.values(proxies).map((p) => p.close()));
      })();
      return closed;
    },
  };
}

function warmupOptions(url: string, request: RunRequest, runId: string) {
  return {
    url,
    method: request.load.method,
    timeoutMs: request.load.timeout_ms ?? RUN_LIMITS.defaultTimeoutMs,
    requestIdPrefix: `${runId}-w`,
    ...(request.load.headers ? { headers: request.load.headers } : {}),
    ...(request.load.body === undefined ? {} : { body: request.load.body }),
  };
}
