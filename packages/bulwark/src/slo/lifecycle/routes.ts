import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import { serviceIdSchema } from '../../service-id.js';
import type { SloLifecycle } from './service.js';

const params = z.object({ id: serviceIdSchema });
const tier = z.enum(['conservative', 'balanced', 'aggressive']);
const targets = z
  .object({
    availability: z.number().gt(0).lt(100).optional(),
    latency_p95_ms: z.number().positive().optional(),
    latency_p99_ms: z.number().positive().optional(),
    // Field names used by the TRD's example request.
    availability_target: z.number().gt(0).lt(100).optional(),
    latency_p99_target_ms: z.number().positive().optional(),
    latency_p95_target_ms: z.number().positive().optional(),
  })
  .strict();

const decisionBody = z
  .object({
    action: z.enum(['accept', 'modify', 'reject', 'manual']),
    recommendation_id: z.uuid().optional(),
    selected_tier: tier.optional(),
    modifications: targets.optional(),
    rationale: z.string().max(4000).optional(),
    /** Ignored: the actor is the authenticated identity, never a free-text field. */
    actor: z.string().optional(),
  })
  .strict();

const historyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
});

function actorOf(request: FastifyRequest): string {
  const identity = (request as FastifyRequest & { identity?: { subject?: string; via?: string } }).identity;
  return identity?.subject ?? 'anonymous';
}

const encodeCursor = (seq: string) => Buffer.from(`audit:${seq}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const raw = Buffer.from(cursor, 'base64url').toString();
  const m = /^audit:(\d{1,18})$/.exec(raw);
  if (!m?.[1])
    throw new BulwarkError(
      'validation_failed',
      'query field /cursor is not a cursor this API issued; pass next_cursor from the previous page',
    );
  return m[1];
}

export function sloLifecycleRoutes(lifecycle: SloLifecycle): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/services/:id/slos',
      {
        config: { auth: { action: 'write', service: (req) => (req.params as { id?: string }).id } },
        schema: {
          tags: ['slo-lifecycle'],
          summary: 'Accept, modify or reject a recommendation, or set a manual SLO',
          description:
            'Replaces the active SLO atomically with an audit entry (append-only). The actor is the authenticated identity.',
          params,
          body: decisionBody,
        },
      },
      async (request, reply) => {
        const b = request.body;
        const m = b.modifications;
        const modifications = m
          ? {
              ...((m.availability ?? m.availability_target) !== undefined
                ? { availability: (m.availability ?? m.availability_target) as number }
                : {}),
              ...((m.latency_p95_ms ?? m.latency_p95_target_ms) !== undefined
                ? { latency_p95_ms: (m.latency_p95_ms ?? m.latency_p95_target_ms) as number }
                : {}),
              ...((m.latency_p99_ms ?? m.latency_p99_target_ms) !== undefined
                ? { latency_p99_ms: (m.latency_p99_ms ?? m.latency_p99_target_ms) as number }
                : {}),
            }
          : undefined;
        const result = await lifecycle.decide(
          request.params.id,
          {
            action: b.action,
            recommendation_id: b.recommendation_id,
            selected_tier: b.selected_tier,
            modifications,
            rationale: b.rationale,
          },
          actorOf(request),
        );
        return reply.status(result.status === 'active' ? 201 : 200).send(result);
      },
    );

    r.get(
      '/api/v1/services/:id/slos',
      {
        config: { auth: { action: 'read' } },
        schema: { tags: ['slo-lifecycle'], summary: 'The active SLO of a service', params },
      },
      async (request) => {
        const active = await lifecycle.active(request.params.id);
        return { service_id: request.params.id, active: active ?? null };
      },
    );

    r.get(
      '/api/v1/services/:id/slo-history',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo-lifecycle'],
          summary: 'Audit trail of SLO decisions, newest first (cursor paginated)',
          params,
          querystring: historyQuery,
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await lifecycle.history(request.params.id, {
          limit,
          cursor: cursor === undefined ? undefined : decodeCursor(cursor),
        });
        return {
          items: page.items.map(({ cursor: _c, ...rest }) => rest),
          next_cursor: page.next_cursor ? encodeCursor(page.next_cursor) : null,
        };
      },
    );
  };
}
