import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BulwarkError } from '../errors.js';
import { sendProblem } from './problem.js';

/** A named readiness check: resolves when the component is usable, throws when it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface ComponentStatus {
  status: 'up' | 'down' | 'degraded';
  latency_ms: number;
  detail?: string;
}

/** A check may throw this to report "working, but degraded" without failing readiness. */
export class DegradedError extends Error {
  override name = 'DegradedError';
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<ComponentStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const status = err instanceof DegradedError ? 'degraded' : 'down';
    return { status, latency_ms: Math.round(performance.now() - started), detail };
  } finally {
    clearTimeout(timer);
  }
}

export function installHealthRoutes(app: FastifyInstance, version: string): void {
  const startedAt = Date.now();
  app.get(
    '/api/v1/health',
    {
      config: { auth: { action: 'public' } },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up and serving',
        response: { 200: z.object({ status: z.literal('ok'), version: z.string(), uptime_seconds: z.number() }) },
      },
    },
    async () => ({ status: 'ok' as const, version, uptime_seconds: Math.round((Date.now() - startedAt) / 1000) }),
  );

  app.get(
    '/api/v1/health/ready',
    {
      config: { auth: { action: 'public' } },
      schema: {
        tags: ['health'],
        summary: 'Readiness: database and configured dependencies (Redis, Prometheus) answer',
        description:
          '200 when every component is up or degraded; 503 problem+json naming the failing components otherwise.',
      },
    },
    async (_request, reply) => {
      const entries = [...app.readiness.entries()];
      const results = await Promise.all(entries.map(async ([name, check]) => [name, await runCheck(check)] as const));
      const components = Object.fromEntries(results);
      const down = results.filter(([, r]) => r.status === 'down');
      if (down.length > 0) {
        const detail = `not ready: ${down.map(([n, r]) => `${n} is down (${r.detail ?? 'no detail'})`).join('; ')}`;
        return sendProblem(reply, new BulwarkError('not_ready', detail, { extensions: { components } }));
      }
      return { status: 'ready', components };
    },
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Map<string, ReadinessCheck>;
  }
}
