import { sql } from 'drizzle-orm';
import type { Database } from '../../db/types.js';
import type { TelemetrySource } from '../../telemetry/types.js';
import {
  type AggregateRow,
  type AggregateWindow,
  aggregateRows,
  granularityAt,
  significantChange,
  WINDOWS,
} from './compute.js';

/**
 * The hourly aggregation run: one bulk telemetry query pair per window for all services, one
 * transaction to store the rows, apply retention and mark recommendations stale.
 */
export interface AggregationResult {
  hour: string;
  services: number;
  rows: number;
  marked_stale: string[];
  /** Recommendations that passed their expiry in this run. */
  expired: number;
  /** Services whose recommendation was marked stale. */
  stale_services: string[];
  deleted: number;
  duration_ms: number;
}

export async function runAggregation(
  db: Database,
  telemetry: TelemetrySource,
  o: { now?: Date; signal?: AbortSignal } = {},
): Promise<AggregationResult> {
  const started = Date.now();
  const hour = new Date(Math.floor((o.now ?? new Date()).getTime() / 3_600_000) * 3_600_000);
  const services = (
    await db.query<{ id: string }>(sql`select id from services where service_type = 'internal' order by id`)
  ).map((r) => r.id);
  const rows: AggregateRow[] = [];
  let current28d = new Map<string, { good: number; total: number }>();
  for (const window of Object.keys(WINDOWS) as AggregateWindow[]) {
    o.signal?.throwIfAborted();
    const counts = await telemetry.summaries(services, {
      start: new Date(hour.getTime() - WINDOWS[window] * 3_600_000),
      end: hour,
    });
    if (window === '28d') current28d = counts;
    rows.push(...aggregateRows(window, counts));
  }
  const granularity = granularityAt(hour);
  return db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      await tx.query(sql`
        insert into sli_aggregates (service_id, sli_type, window_name, granularity, value, sample_count, computed_at)
        select r.service_id, r.sli_type, r.window_name, ${granularity}, r.value, r.sample_count, ${hour}
        from jsonb_to_recordset(${JSON.stringify(
          chunk.map((r) => ({ ...r, window_name: r.window })),
        )}::jsonb) as r(service_id text, sli_type text, window_name text, value float8, sample_count bigint)
        on conflict (service_id, sli_type, window_name, granularity, computed_at)
        do update set value = excluded.value, sample_count = excluded.sample_count`);
    }
    const deleted = await tx.query<{ n: number }>(sql`
      with d as (
        delete from sli_aggregates
        where (granularity = '1h' and computed_at < ${hour}::timestamptz - interval '90 days')
           or (granularity = '1d' and computed_at < ${hour}::timestamptz - interval '365 days')
        returning 1)
      select count(*)::int as n from d`);
    // FR-5 housekeeping: recommendations past expires_at become 'expired' (with an audit entry), and
    // superseded or expired ones older than 90 days are purged.
    const expired = await tx.query<{ id: string; service_id: string }>(sql`
      update slo_recommendations set status = 'expired'
      where status = 'active' and expires_at < ${hour} returning id::text as id, service_id`);
    for (const e of expired) {
      await tx.query(sql`
        insert into slo_audit_log (service_id, action, actor, recommendation_id, "timestamp")
        values (${e.service_id}, 'expire', 'system:aggregation', ${e.id}::uuid, ${hour})`);
    }
    await tx.query(sql`
      delete from slo_recommendations r
      where r.status in ('superseded', 'expired') and r.generated_at < ${hour}::timestamptz - interval '90 days'
        and not exists (select 1 from active_slos a where a.recommendation_id = r.id)`);
    // Stale marks: the 28-day availability moved away from what the recommendation was computed on.
    const recs = await tx.query<{ id: string; service_id: string; observed: number | null }>(sql`
      select id, service_id, (explanation->>'observed_availability')::float8 as observed
      from slo_recommendations where status = 'active' and sli_type = 'availability' and not stale`);
    const stale: string[] = [];
    const staleServices = new Set<string>();
    for (const r of recs) {
      const c = current28d.get(r.service_id);
      if (!c || r.observed === null || !Number.isFinite(r.observed)) continue;
      if (significantChange(r.observed, (c.good / c.total) * 100)) {
        stale.push(r.id);
        staleServices.add(r.service_id);
      }
    }
    if (stale.length > 0) {
      await tx.query(
        sql`update slo_recommendations set stale = true where id in (${sql.join(
          stale.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`,
      );
    }
    return {
      hour: hour.toISOString(),
      services: services.length,
      rows: rows.length,
      marked_stale: stale,
      expired: expired.length,
      stale_services: [...staleServices].sort(),
      deleted: deleted[0]?.n ?? 0,
      duration_ms: Date.now() - started,
    };
  });
}
