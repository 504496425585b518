import { exponentialBackoff, retry } from '@bulwark/resilience';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/types.js';
import { signCallback } from '../../tasks/callbacks.js';
import type { TelemetrySource } from '../../telemetry/types.js';
import { type DriftEvent, DriftVoter } from '../drift/index.js';
import { appendAudit } from '../lifecycle/store.js';

/**
 * Drift watch (FR-9): for every service with an active SLO, feed the per-minute p99 latency since
 * the last run into that service's 2-of-3 drift voter (Page-Hinkley, ADWIN, KS on the seasonally
 * normalised series; state kept in `drift_state`). On drift: the active recommendations are marked
 * stale, a `drift_triggered` entry goes to the audit log, a re-evaluation task is enqueued, and a
 * webhook is POSTed (HMAC-SHA256 signed like task callbacks, retried with backoff, every attempt
 * recorded in `drift_events`).
 */
export interface DriftWatchOptions {
  now?: Date;
  /** First run for a service: how much history to replay (the seasonal baseline needs a day). */
  warmupHours?: number;
  webhook?: { url: string; secret: string | undefined; attempts?: number; initialDelayMs?: number };
  /** Enqueue the re-evaluation (the task queue's submit); returns the task id. */
  enqueue?: (serviceId: string, event: DriftEvent) => Promise<string | undefined>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface DriftWatchResult {
  services: number;
  samples: number;
  events: Array<{ id: string; service_id: string; direction: string; relative: number | null; webhook_status: string }>;
}

const STEP = 60;

export async function runDriftWatch(
  db: Database,
  telemetry: TelemetrySource,
  o: DriftWatchOptions = {},
): Promise<DriftWatchResult> {
  const now = new Date(Math.floor((o.now ?? new Date()).getTime() / 60_000) * 60_000);
  const services = await db.query<{ service_id: string; state: DriftStateRow['state'] | null; last: Date | null }>(sql`
    select a.service_id, d.state, d.last_sample_at as last
    from active_slos a left join drift_state d on d.service_id = a.service_id and d.sli = 'latency_p99'
    order by a.service_id`);
  const result: DriftWatchResult = { services: services.length, samples: 0, events: [] };
  for (const s of services) {
    o.signal?.throwIfAborted();
    const voter = s.state ? DriftVoter.fromJSON(s.state as never) : new DriftVoter();
    const from = s.last
      ? new Date(new Date(s.last).getTime() + STEP * 1000)
      : new Date(now.getTime() - (o.warmupHours ?? 26) * 3_600_000);
    if (from >= now) continue;
    const points = await telemetry.latencySeries(s.service_id, { start: from, end: now }, STEP);
    const byMinute = new Map(points.map((p) => [Math.round(p.start.getTime() / 60_000), p.p99]));
    const events: DriftEvent[] = [];
    let last = from;
    for (let t = from.getTime(); t + STEP * 1000 <= now.getTime(); t += STEP * 1000) {
      const v = byMinute.get(Math.round(t / 60_000));
      const event = voter.update(v !== undefined && Number.isFinite(v) && v > 0 ? v : null);
      result.samples++;
      last = new Date(t);
      if (event) events.push(event);
    }
    await db.query(sql`
      insert into drift_state (service_id, sli, state, last_sample_at, updated_at)
      values (${s.service_id}, 'latency_p99', ${JSON.stringify(voter.toJSON())}::jsonb, ${last}, now())
      on conflict (service_id, sli) do update set state = excluded.state, last_sample_at = excluded.last_sample_at,
        updated_at = now()`);
    for (const event of events) result.events.push(await handleDrift(db, s.service_id, event, now, o));
  }
  return result;
}

interface DriftStateRow {
  state: unknown;
}

async function handleDrift(db: Database, serviceId: string, event: DriftEvent, now: Date, o: DriftWatchOptions) {
  const recorded = await db.transaction(async (tx) => {
    const stale = await tx.query<{ id: string }>(sql`
      update slo_recommendations set stale = true
      where service_id = ${serviceId} and status = 'active' and not stale returning id::text as id`);
    const rows = await tx.query<{ id: string }>(sql`
      insert into drift_events (service_id, sli, detected_at, direction, detectors, magnitude, stale_recommendations)
      values (${serviceId}, 'latency_p99', ${now}, ${event.direction}, ${JSON.stringify(event.detectors)}::jsonb,
              ${JSON.stringify(event.magnitude)}::jsonb, ${JSON.stringify(stale.map((r) => r.id))}::jsonb)
      returning id::text as id`);
    await appendAudit(tx, {
      service_id: serviceId,
      action: 'drift_triggered',
      actor: 'system:drift-watch',
      recommendation_id: null,
      previous_slo: undefined,
      new_slo: undefined,
      selected_tier: null,
      rationale: `p99 latency drifted ${event.direction}${event.magnitude.relative !== null ? ` by ${(event.magnitude.relative * 100).toFixed(1)}%` : ''} (${event.detectors.join(', ')})`,
      modification_delta: null,
      timestamp: now,
    });
    return { id: (rows[0] as { id: string }).id, stale: stale.map((r) => r.id) };
  });
  const taskId = o.enqueue ? await o.enqueue(serviceId, event) : undefined;
  if (taskId)
    await db.query(sql`update drift_events set reevaluation_task_id = ${taskId}::uuid where id = ${recorded.id}::uuid`);
  let status = 'none';
  if (o.webhook) {
    const body = JSON.stringify({
      type: 'slo.drift_detected',
      drift_event_id: recorded.id,
      service_id: serviceId,
      sli: 'latency_p99',
      detected_at: now.toISOString(),
      direction: event.direction,
      detectors: event.detectors,
      magnitude: event.magnitude,
      stale_recommendations: recorded.stale,
      reevaluation_task_id: taskId ?? null,
    });
    const attempts: Array<{ at: string; status: number | null; error?: string }> = [];
    const send = o.fetch ?? fetch;
    const hook = o.webhook;
    try {
      await retry({
        maxAttempts: hook.attempts ?? 4,
        backoff: exponentialBackoff({ initialMs: hook.initialDelayMs ?? 500, maxMs: 8000 }),
      }).execute(async ({ signal }) => {
        const at = new Date();
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (hook.secret)
          headers['x-bulwark-signature'] = signCallback(hook.secret, body, Math.floor(at.getTime() / 1000));
        try {
          const res = await send(hook.url, { method: 'POST', headers, body, signal });
          attempts.push({ at: at.toISOString(), status: res.status });
          if (!res.ok) throw Object.assign(new Error(`webhook answered ${res.status}`), { status: res.status });
        } catch (err) {
          if (!attempts.some((a) => a.at === at.toISOString())) {
            attempts.push({
              at: at.toISOString(),
              status: null,
              error: err instanceof Error ? err.message : String(err),
            });
          }
          throw err;
        }
      });
      status = 'delivered';
    } catch {
      status = 'failed';
    }
    await db.query(sql`update drift_events set webhook_status = ${status}, webhook_attempts = ${JSON.stringify(attempts)}::jsonb
      where id = ${recorded.id}::uuid`);
  }
  return {
    id: recorded.id,
    service_id: serviceId,
    direction: event.direction,
    relative: event.magnitude.relative,
    webhook_status: status,
  };
}
