import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/types.js';
import { BulwarkError, notFound } from '../../errors.js';
import { serviceIdSchema } from '../../service-id.js';
import type { TelemetrySource } from '../../telemetry/types.js';
import { discoverDependencies } from './discovery.js';
import { createGraphIndexCache, DISCOVERY_SOURCES, type GraphIndexCache, ingestGraph, listServices } from './store.js';

const serviceId = serviceIdSchema;

const ingestBody = z
  .object({
    source: z.enum(DISCOVERY_SOURCES),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    nodes: z
      .array(
        z.object({
          service_id: serviceId,
          metadata: z
            .object({
              team: z.string().max(100).optional(),
              criticality: z.enum(['low', 'medium', 'high', 'critical']).optional(),
              tier: z.number().int().min(0).max(10).optional(),
              namespace: z.string().max(100).optional(),
              runtime: z.string().max(100).optional(),
              service_type: z.enum(['internal', 'external']).optional(),
              published_sla: z.number().gt(0).max(1).optional(),
            })
            .passthrough()
            .optional(),
        }),
      )
      .max(10_000)
      .default([]),
    edges: z
      .array(
        z.object({
          source: serviceId,
          target: serviceId,
          attributes: z
            .object({
              communication_mode: z.enum(['sync', 'async']).optional(),
              criticality: z.enum(['hard', 'soft', 'degraded']).optional(),
              protocol: z.string().max(50).optional(),
              timeout_ms: z.number().int().min(0).max(3_600_000).optional(),
              retry_config: z.record(z.string(), z.unknown()).optional(),
              redundancy_group: z.string().max(100).optional(),
            })
            .strict()
            .optional(),
        }),
      )
      .max(100_000)
      .default([]),
  })
  .strict();

export function graphRoutes(
  db: Database,
  graph: GraphIndexCache = createGraphIndexCache(db),
  telemetry?: TelemetrySource,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/services/dependencies',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['slo'],
          summary: 'Bulk upsert of the dependency graph from one discovery source (one transaction)',
          description:
            'Processed synchronously (the TRD allowed 202-and-poll; ingestion of 1,000 services is fast enough to answer at once). A bad node or edge rejects the whole batch with its index in the error.',
          body: ingestBody,
        },
      },
      async (request) => {
        const result = await ingestGraph(db, {
          ...request.body,
          timestamp: request.body.timestamp ? new Date(request.body.timestamp) : undefined,
        });
        graph.invalidate();
        return result;
      },
    );

    r.post(
      '/api/v1/services/dependencies/discover',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['slo'],
          summary:
            'Discover dependencies from OpenTelemetry service-graph metrics and ingest them (otel_service_graph)',
          body: z
            .object({
              lookback_minutes: z.number().int().min(1).max(10_080).default(60),
              min_rps: z.number().min(0).default(0),
            })
            .strict()
            .default({ lookback_minutes: 60, min_rps: 0 }),
        },
      },
      async (request) => {
        const result = await discoverDependencies(db, telemetry, {
          lookbackMinutes: request.body.lookback_minutes,
          minRps: request.body.min_rps,
        });
        graph.invalidate();
        return result;
      },
    );

    r.get(
      '/api/v1/services',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo'],
          summary: 'List services (by id, cursor paginated), filtered by team or criticality',
          querystring: z.object({
            team: z.string().max(100).optional(),
            criticality: z.enum(['low', 'medium', 'high', 'critical']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            cursor: z.string().max(400).optional(),
          }),
        },
      },
      async (request) => {
        const q = request.query;
        let after: string | undefined;
        if (q.cursor) {
          after = Buffer.from(q.cursor, 'base64url').toString();
          if (!serviceId.safeParse(after).success) {
            throw new BulwarkError(
              'validation_failed',
              'query field /cursor is not a cursor this API issued; pass next_cursor from the previous page',
            );
          }
        }
        const rows = await listServices(db, { team: q.team, criticality: q.criticality, after, limit: q.limit + 1 });
        const items = rows.slice(0, q.limit);
        const last = items[items.length - 1];
        return {
          items,
          next_cursor: rows.length > q.limit && last ? Buffer.from(last.id).toString('base64url') : null,
        };
      },
    );

    r.get(
      '/api/v1/services/:id/dependencies',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo'],
          summary: 'Dependency subgraph of a service: upstream, downstream or both, up to 10 hops',
          params: z.object({ id: serviceId }),
          querystring: z.object({
            direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
            depth: z.coerce.number().int().min(1).max(10).default(3),
            include_external: z.enum(['true', 'false']).default('true'),
          }),
        },
      },
      async (request) => {
        const { id } = request.params;
        const { direction, depth, include_external } = request.query;
        const index = await graph.get();
        const known =
          index.has(id) || (await db.query<{ id: string }>(sql`select id from services where id = ${id}`)).length > 0;
        if (!known) throw notFound('service', id);
        const dirs = direction === 'both' ? (['downstream', 'upstream'] as const) : ([direction] as const);
        const edges = dirs
          .flatMap((d) => index.traverse(id, d, depth))
          .filter((e) => include_external === 'true' || e.target_type !== 'external');
        return { service_id: id, direction, depth, edges };
      },
    );
  };
}
