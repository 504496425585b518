import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { serviceIdSchema } from '../../service-id.js';
import type { RecommendationService } from './service.js';

const serviceId = serviceIdSchema;

export function recommendationRoutes(service: RecommendationService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/services/:id/slo-recommendations',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo'],
          summary: 'Dependency-aware SLO recommendations in three tiers, with explanations',
          description:
            'Served from the 24 h cache unless force_regenerate=true, the dependency graph changed, or the cached result was marked stale. When telemetry is unavailable the last stored result is returned with stale=true; with nothing stored the answer is 503.',
          params: z.object({ id: serviceId }),
          querystring: z.object({
            sli_type: z.enum(['availability', 'latency', 'all']).default('all'),
            lookback_days: z.coerce.number().int().min(7).max(365).default(30),
            force_regenerate: z.enum(['true', 'false']).default('false'),
          }),
        },
      },
      async (request, reply) => {
        const q = {
          sliType: request.query.sli_type,
          lookbackDays: request.query.lookback_days,
          forceRegenerate: request.query.force_regenerate === 'true',
        };
        const body = await service.cachedJson(request.params.id, q);
        if (body !== undefined) return reply.type('application/json; charset=utf-8').send(body);
        return service.get(request.params.id, q);
      },
    );
  };
}
