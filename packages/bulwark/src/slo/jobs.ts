import type { Config } from '../config.js';
import type { Database } from '../db/types.js';
import { insertTask } from '../tasks/store.js';
import type { HandlerRegistry } from '../tasks/registry.js';
import { PermanentTaskError } from '../tasks/types.js';
import { createTelemetrySource } from '../telemetry/index.js';
import type { TelemetrySource } from '../telemetry/types.js';
import { runAggregation } from './aggregation/job.js';
import { runDriftWatch } from './drift-watch/job.js';
import { createGraphIndexCache } from './graph/store.js';
import { createRecommendationService, type RecommendationService } from './recommend/service.js';

/**
 * The SLO engine's scheduled work, as tasks on the queue (so any worker runs it, retries apply and
 * a run is visible in the task API):
 * - `slo.aggregate` (hourly): SLI aggregates for every service, retention, stale marks;
 * - `slo.drift-watch` (every 5 minutes): drift detection over per-minute p99 of services with an
 *   active SLO; enqueues `slo.reevaluate` for each drift;
 * - `slo.reevaluate` {service_id}: regenerates the service's recommendations.
 * Scheduling submits each slot once (idempotency key per hour / 5-minute slot), so several server
 * instances can run the scheduler without duplicating work.
 */
export const SLO_JOB_KINDS = ['slo.aggregate', 'slo.drift-watch', 'slo.reevaluate'] as const;

export interface SloJobDeps {
  db: Database;
  telemetry: TelemetrySource | undefined;
  /** Built lazily: workers that never re-evaluate do not need it. */
  recommendations?: () => RecommendationService;
  webhook?: { url: string; secret: string | undefined };
}

/** Dependencies for a worker process from its configuration. */
export function sloJobDepsFromConfig(db: Database, config: Config): SloJobDeps {
  const telemetry = createTelemetrySource(config);
  let recommendations: RecommendationService | undefined;
  return {
    db,
    telemetry,
    recommendations: () => {
      recommendations ??= createRecommendationService({ db, graph: createGraphIndexCache(db), telemetry });
      return recommendations;
    },
    ...(config.driftWebhookUrl ? { webhook: { url: config.driftWebhookUrl, secret: config.callbackSecret } } : {}),
  };
}

export function registerSloJobs(registry: HandlerRegistry, deps: SloJobDeps): void {
  const telemetry = () => {
    if (!deps.telemetry) throw new PermanentTaskError('no telemetry source is configured (PROMETHEUS_URL)');
    return deps.telemetry;
  };
  registry.register('slo.aggregate', async (payload, ctx) => {
    const at = typeof payload.hour === 'string' ? new Date(payload.hour) : undefined;
    const r = await runAggregation(deps.db, telemetry(), { ...(at ? { now: at } : {}), signal: ctx.signal });
    if (r.stale_services.length > 0 && deps.recommendations) {
      for (const s of r.stale_services) deps.recommendations().invalidate(s);
    }
    return r;
  });
  registry.register('slo.drift-watch', async (payload, ctx) => {
    const at = typeof payload.at === 'string' ? new Date(payload.at) : new Date();
    const r = await runDriftWatch(deps.db, telemetry(), {
      now: at,
      signal: ctx.signal,
      ...(deps.webhook ? { webhook: deps.webhook } : {}),
      enqueue: async (serviceId) => {
        const { task } = await insertTask(deps.db, {
          kind: 'slo.reevaluate',
          parameters: { service_id: serviceId },
          idempotency_key: `slo.reevaluate:${serviceId}:${at.toISOString().slice(0, 13)}`,
          timeout_minutes: 10,
        });
        return task.id;
      },
    });
    if (deps.recommendations) for (const e of r.events) deps.recommendations().invalidate(e.service_id);
    return r;
  });
  registry.register('slo.reevaluate', async (payload) => {
    const serviceId = payload.service_id;
    if (typeof serviceId !== 'string') throw new PermanentTaskError('parameters.service_id is required');
    if (!deps.recommendations) throw new PermanentTaskError('recommendations are not available in this worker');
    const r = await deps.recommendations().get(serviceId, { sliType: 'all', lookbackDays: 30, forceRegenerate: true });
    return {
      service_id: serviceId,
      recommendation_ids: r.recommendations.map((x) => x.recommendation_id),
      stale: r.stale,
    };
  });
}

/** Submits the current hour's aggregation and the current 5-minute drift watch, once each. */
export async function submitDueSloJobs(db: Database, now = new Date()): Promise<void> {
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const slot = new Date(Math.floor(now.getTime() / 300_000) * 300_000);
  await insertTask(db, {
    kind: 'slo.aggregate',
    parameters: { hour: hour.toISOString() },
    idempotency_key: `slo.aggregate:${hour.toISOString()}`,
    timeout_minutes: 30,
  });
  await insertTask(db, {
    kind: 'slo.drift-watch',
    parameters: { at: slot.toISOString() },
    idempotency_key: `slo.drift-watch:${slot.toISOString()}`,
    timeout_minutes: 5,
  });
}
