import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/types.js';
import { createTtlCache } from './cache.js';
import { coverage, errorBudgetHealth, recommendationQuality } from './store.js';

const querystring = z.object({ refresh: z.enum(['true', 'false']).default('false') });

export interface DashboardOptions {
  db: Database;
  /** How long figures are served from memory (default 60 s). */
  ttlMs?: number;
  clock?: () => Date;
}

/** Read-only SLO dashboard (FR-12): coverage, error-budget health, recommendation quality. */
export function dashboardRoutes(o: DashboardOptions): FastifyPluginAsync {
  const clock = o.clock ?? (() => new Date());
  const ttlMs = o.ttlMs ?? 60_000;
  const cache = createTtlCache(ttlMs, clock);
  const { db } = o;
  const figures: Record<string, { summary: string; description: string; compute: () => Promise<object> }> = {
    coverage: {
      summary: 'SLO coverage: services with an active SLO / recommendation, overall, per team and per criticality',
      description:
        'The estate is internal, non-placeholder services (external and placeholder services are counted under `excluded`).',
      compute: () => coverage(db, clock()),
    },
    'error-budget-health': {
      summary: 'Error-budget health of services with an active availability SLO, and the 20 worst',
      description:
        'Budget consumed = (100 − observed) / (100 − target), observed being the newest availability recommendation’s observed availability; healthy < 50 %, warning < 100 %, exhausted otherwise, unknown without an observation.',
      compute: () => errorBudgetHealth(db),
    },
    'recommendation-quality': {
      summary: 'Acceptance, modification and rejection rates, tiers chosen, rejection reasons, breach rate',
      description:
        'One decision per recommendation (its latest accept / modify / reject / auto_approve); breach rate = share of active availability SLOs whose latest observed availability is below target.',
      compute: () => recommendationQuality(db),
    },
  };

  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    for (const [name, figure] of Object.entries(figures)) {
      r.get(
        `/api/v1/dashboard/${name}`,
        {
          config: { auth: { action: 'read' } },
          schema: {
            tags: ['slo-dashboard'],
            summary: figure.summary,
            description: `${figure.description} Cached for ${ttlMs / 1000} s per figure; refresh=true recomputes.`,
            querystring,
          },
        },
        async (request) => {
          const got = await cache.get(name, figure.compute, { refresh: request.query.refresh === 'true' });
          return { generated_at: got.generated_at.toISOString(), cached: got.cached, ...got.value };
        },
      );
    }
  };
}
