import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { serviceIdSchema } from '../../service-id.js';
import type { ImpactService } from './service.js';

const percent = z.number().gt(0).max(100);

const body = z
  .object({
    service_id: serviceIdSchema,
    proposed_change: z
      .object({
        sli_type: z.literal('availability', {
          error: 'impact analysis composes availability only (latency percentiles do not compose); use "availability"',
        }),
        current_target: percent.optional(),
        proposed_target: percent,
      })
      .strict(),
  })
  .strict();

export function impactRoutes(service: ImpactService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/slos/impact-analysis',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo'],
          summary: "What a change of one service's availability does to every upstream service's SLO",
          description:
            'Read-only what-if: nothing is stored. Planning availability per service is its active SLO target, else its last observed availability.',
          body,
        },
      },
      async (request) => service.analyse(request.body),
    );
  };
}
