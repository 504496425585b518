import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/types.js';
import { notFound } from '../../errors.js';
import { serviceIdSchema } from '../../service-id.js';

/** `GET /api/v1/services/{id}/drift-events`: what drift watch found and did, newest first. */
export function driftRoutes(db: Database): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/services/:id/drift-events',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo-lifecycle'],
          summary:
            'Drift detected on a service: detectors, magnitude, stale marks, re-evaluation task, webhook deliveries',
          params: z.object({ id: serviceIdSchema }),
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
        },
      },
      async (request) => {
        const { id } = request.params;
        const known = await db.query(sql`select 1 from services where id = ${id}`);
        if (known.length === 0) throw notFound('service', id);
        const items = await db.query(sql`
          select id::text as id, sli, detected_at, direction, detectors, magnitude, stale_recommendations,
                 reevaluation_task_id::text as reevaluation_task_id, webhook_status, webhook_attempts
          from drift_events where service_id = ${id} order by detected_at desc, created_at desc limit ${request.query.limit}`);
        return { service_id: id, items };
      },
    );
  };
}
