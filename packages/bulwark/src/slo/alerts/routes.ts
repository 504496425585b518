import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Queryable } from '../../db/types.js';
import { BulwarkError } from '../../errors.js';
import { serviceIdSchema } from '../../service-id.js';
import type { SloLifecycle } from '../lifecycle/service.js';
import type { SloTargets } from '../lifecycle/types.js';
import { fromActiveSlo } from './from-active-slo.js';
import { parseOpenSlo, toOpenSloV1Yaml, toOpenSloV2alpha1Yaml } from './openslo.js';
import { generatePrometheusRules, toYaml } from './prometheus-rules.js';
import { toSlothYaml } from './sloth.js';
import type { SloDefinition } from './types.js';

/**
 * Alert rules and SLO specs for a service's active SLO, and OpenSLO import (FR-10):
 * - GET /api/v1/services/{id}/slos/alerts?format=prometheus|openslo|openslo-v2alpha1|sloth
 * - POST /api/v1/slos/import  { "openslo": "<multi-document YAML>" } -> manual SLOs
 */
const serviceId = serviceIdSchema;

function actorOf(request: FastifyRequest): string {
  const identity = (request as FastifyRequest & { identity?: { subject?: string } }).identity;
  return identity?.subject ?? 'anonymous';
}

/** The Bulwark SLO targets an OpenSLO definition maps to, or a 400 naming what does not map. */
export function targetsOf(def: SloDefinition): SloTargets {
  const t: SloTargets = {};
  for (const o of def.objectives) {
    if (o.sli.kind === 'availability') t.availability = o.target;
    else if (o.target === 99) t.latency_p99_ms = o.sli.thresholdMs;
    else if (o.target === 95) t.latency_p95_ms = o.sli.thresholdMs;
    else {
      throw new BulwarkError(
        'validation_failed',
        `${def.service}: objective '${o.name}' is a latency objective at ${o.target}%; Bulwark SLOs hold p99 (99%) and p95 (95%) latency targets`,
      );
    }
  }
  return t;
}

export function sloAlertRoutes(lifecycle: SloLifecycle, db: Queryable): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/services/:id/slos/alerts',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['slo-lifecycle'],
          summary:
            'Burn-rate alert rules (Prometheus, Sloth-compatible names) or an OpenSLO / Sloth spec of the active SLO',
          description:
            'format=prometheus: recording + multi-window multi-burn-rate alerting rules (page 1h/5m 14.4x, 6h/30m 6x; ticket 1d/2h 3x, 3d/6h 1x for 30d), a no-data alert, and low-traffic protection with min_events_per_hour. openslo: OpenSLO v1 (one condition per AlertPolicy). openslo-v2alpha1: composed windows. sloth: a Sloth prometheus/v1 spec. Answers YAML.',
          params: z.object({ id: serviceId }),
          querystring: z.object({
            format: z.enum(['prometheus', 'openslo', 'openslo-v2alpha1', 'sloth']).default('prometheus'),
            period: z.enum(['28d', '30d']).default('30d'),
            min_events_per_hour: z.coerce.number().int().min(1).max(10_000_000).optional(),
          }),
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const q = request.query;
        const active = await lifecycle.active(id);
        if (!active) {
          throw new BulwarkError(
            'not_found',
            `service '${id}' has no active SLO; accept a recommendation (POST /api/v1/services/${id}/slos) first`,
          );
        }
        const def = fromActiveSlo(active, id, {
          period: q.period,
          ...(q.min_events_per_hour !== undefined ? { minEventsPerHour: q.min_events_per_hour } : {}),
        });
        let text: string;
        if (q.format === 'prometheus') {
          const rules = generatePrometheusRules(def);
          text = toYaml(rules);
        } else if (q.format === 'openslo') text = toOpenSloV1Yaml(def);
        else if (q.format === 'openslo-v2alpha1') text = toOpenSloV2alpha1Yaml(def);
        else text = toSlothYaml(def);
        return reply.type('application/yaml; charset=utf-8').send(text);
      },
    );

    r.post(
      '/api/v1/slos/import',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['slo-lifecycle'],
          summary:
            'Import OpenSLO v1 documents as manual SLOs (every document is validated before anything is written)',
          body: z.object({ openslo: z.string().min(1).max(1_000_000) }).strict(),
        },
      },
      async (request) => {
        const defs = parseOpenSlo(request.body.openslo);
        if (defs.length === 0) throw new BulwarkError('validation_failed', 'body field /openslo holds no SLO document');
        // Validate every definition before the first write.
        const planned = defs.map((d) => ({ service: d.service, targets: targetsOf(d) }));
        for (const p of planned) {
          if (!serviceId.safeParse(p.service).success) {
            throw new BulwarkError('validation_failed', `'${p.service}' is not a valid service id`);
          }
        }
        const known = new Set(
          (
            await db.query<{ id: string }>(
              sql`select id from services where id in (${sql.join(
                planned.map((p) => sql`${p.service}`),
                sql`, `,
              )})`,
            )
          ).map((r) => r.id),
        );
        const missing = planned.filter((p) => !known.has(p.service)).map((p) => p.service);
        if (missing.length > 0) {
          throw new BulwarkError(
            'not_found',
            `unknown service(s) ${missing.join(', ')}; ingest them with POST /api/v1/services/dependencies first (nothing was imported)`,
          );
        }
        const actor = actorOf(request);
        const results = [];
        for (const p of planned) {
          results.push(
            await lifecycle.decide(
              p.service,
              { action: 'manual', modifications: p.targets, rationale: 'imported from OpenSLO' },
              actor,
            ),
          );
        }
        return { imported: results.length, slos: results };
      },
    );
  };
}
