import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import { RUN_LIMITS } from '../executor/schema.js';
import { MAX_FAULT_SPACE_LENGTH } from '../space/index.js';
import type { ChaosSessionService } from './service.js';
import { SESSION_STATUSES } from './types.js';

const sessionId = z.object({ id: z.uuid() });

const createBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    space: z.string().min(1).max(MAX_FAULT_SPACE_LENGTH).optional(),
    space_format: z.enum(['yaml', 'json']).optional(),
    space_object: z.record(z.string(), z.unknown()).optional(),
    executor_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
    load: z
      .object({
        rps: z.number().positive().max(RUN_LIMITS.maxRps).optional(),
        path: z.string().startsWith('/').max(2048).optional(),
        method: z
          .string()
          .regex(/^[A-Za-z]+$/, 'must be an HTTP method')
          .max(16)
          .optional(),
        duration_s: z.number().positive().max(RUN_LIMITS.maxPhaseSeconds).optional(),
        baseline_s: z.number().min(0).max(RUN_LIMITS.maxPhaseSeconds).optional(),
        recovery_s: z.number().min(0).max(RUN_LIMITS.maxPhaseSeconds).optional(),
      })
      .strict()
      .optional(),
    budget: z
      .object({
        max_trials: z.number().int().min(1).max(500).optional(),
        max_minutes: z.number().int().min(1).max(170).optional(),
      })
      .strict()
      .optional(),
    seed: z.number().int().min(0).max(2_147_483_647).optional(),
    guard: z
      .object({
        max_error_rate: z.number().min(0).max(1).optional(),
        max_p99_ms: z.number().positive().optional(),
        steady_state_retries: z.number().int().min(0).max(10).optional(),
        require_recovery: z.boolean().optional(),
        retry_pause_s: z.number().min(0).max(300).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const listQuery = z.object({
  status: z.enum(SESSION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

const getQuery = z.object({ trials: z.enum(['true', 'false']).default('true') });

const encodeCursor = (seq: string) => Buffer.from(`chaos-sessions:${seq}`).toString('base64url');
function decodeCursor(c: string): string {
  const m = /^chaos-sessions:(\d{1,18})$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m?.[1]) {
    throw new BulwarkError(
      'validation_failed',
      'query field /cursor is not a cursor this API issued; pass next_cursor from the previous page',
    );
  }
  return m[1];
}

function actorOf(request: FastifyRequest): string {
  const identity = (request as FastifyRequest & { identity?: { subject?: string } }).identity;
  return identity?.subject ?? 'anonymous';
}

export function chaosSessionRoutes(service: ChaosSessionService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/api/v1/optimization/sessions',
      {
        config: { auth: { action: 'write', anyWriter: true } },
        schema: {
          tags: ['chaos'],
          summary: 'Start a chaos optimisation session',
          description:
            'Validates the fault space (400 with located issues), records the session and queues a `chaos.session` task that proposes fault plans, runs them on the executor and records every trial.',
          body: createBody,
        },
      },
      async (request, reply) => {
        const b = request.body;
        const session = await service.create({ ...b, created_by: actorOf(request) });
        return reply.status(201).send(session);
      },
    );

    r.get(
      '/api/v1/optimization/sessions',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['chaos'],
          summary: 'List chaos optimisation sessions (newest first, cursor paginated)',
          querystring: listQuery,
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await service.list(
          { status: q.status },
          { limit: q.limit + 1, beforeSeq: q.cursor ? decodeCursor(q.cursor) : undefined },
        );
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return {
          items: page.map(({ seq_text: _s, ...s }) => s),
          next_cursor: rows.length > q.limit && last ? encodeCursor(last.seq_text) : null,
        };
      },
    );

    r.get(
      '/api/v1/optimization/sessions/:id',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['chaos'],
          summary: 'A chaos session: status, progress, best plans with evidence, trials and explanation',
          params: sessionId,
          querystring: getQuery,
        },
      },
      async (request) => service.get(request.params.id, { trials: request.query.trials === 'true' }),
    );

    r.post(
      '/api/v1/optimization/sessions/:id/stop',
      {
        config: { auth: { action: 'write', anyWriter: true } },
        schema: {
          tags: ['chaos'],
          summary: 'Stop a chaos session after the trial in flight',
          description: 'Idempotent (202); 409 when the session has already finished.',
          params: sessionId,
        },
      },
      async (request, reply) => reply.status(202).send(await service.stop(request.params.id)),
    );
  };
}
