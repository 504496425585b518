import { type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';
import type { DataQuality } from './quality.js';

/** One stored recommendation (one SLI type of one service). */
export interface StoredRecommendation {
  id: string;
  service_id: string;
  sli_type: 'availability' | 'latency';
  tiers: Record<string, unknown>;
  explanation: Record<string, unknown>;
  data_quality: DataQuality;
  lookback_window_start: Date;
  lookback_window_end: Date;
  lookback_days: number;
  dependency_graph_snapshot_id: string | null;
  telemetry_source: string;
  confidence: 'high' | 'medium' | 'low';
  cold_start: boolean;
  stale: boolean;
  generated_at: Date;
  expires_at: Date;
  status: 'active' | 'superseded' | 'expired';
}

const COLUMNS = sql.raw(`id, service_id, sli_type, tiers, explanation, data_quality, lookback_window_start,
  lookback_window_end, lookback_days, dependency_graph_snapshot_id::text as dependency_graph_snapshot_id,
  telemetry_source, confidence, cold_start, stale, generated_at, expires_at, status`);

const revive = (r: StoredRecommendation): StoredRecommendation => ({
  ...r,
  lookback_window_start: new Date(r.lookback_window_start),
  lookback_window_end: new Date(r.lookback_window_end),
  generated_at: new Date(r.generated_at),
  expires_at: new Date(r.expires_at),
});

/** Active, fresh recommendations computed for this graph snapshot and lookback (the cache). */
export async function findCached(
  q: Queryable,
  o: { service: string; sliTypes: readonly string[]; lookbackDays: number; snapshotId: string; notBefore: Date },
): Promise<StoredRecommendation[]> {
  const rows = await q.query<StoredRecommendation>(sql`
    select ${COLUMNS} from slo_recommendations
    where service_id = ${o.service} and status = 'active' and not stale
      and sli_type in (${sql.join(
        o.sliTypes.map((t) => sql`${t}`),
        sql`, `,
      )})
      and lookback_days = ${o.lookbackDays}
      and dependency_graph_snapshot_id = ${o.snapshotId}::uuid
      and generated_at >= ${o.notBefore}
    order by generated_at desc`);
  return rows.map(revive);
}

/** The newest stored recommendation per SLI type, whatever its state (served stale on outages). */
export async function findLatest(
  q: Queryable,
  o: { service: string; sliTypes: readonly string[] },
): Promise<StoredRecommendation[]> {
  const rows = await q.query<StoredRecommendation>(sql`
    select distinct on (sli_type) ${COLUMNS} from slo_recommendations
    where service_id = ${o.service} and sli_type in (${sql.join(
      o.sliTypes.map((t) => sql`${t}`),
      sql`, `,
    )})
    order by sli_type, generated_at desc`);
  return rows.map(revive);
}

export type NewRecommendation = Omit<StoredRecommendation, 'id' | 'status' | 'stale'>;

/** Insert new recommendations and supersede the previous active ones of the same SLI types. */
export async function saveRecommendations(q: Queryable, rows: NewRecommendation[]): Promise<StoredRecommendation[]> {
  const out: StoredRecommendation[] = [];
  for (const r of rows) {
    await q.query(sql`
      update slo_recommendations set status = 'superseded'
      where service_id = ${r.service_id} and sli_type = ${r.sli_type} and status = 'active'`);
    const inserted = await q.query<StoredRecommendation>(sql`
      insert into slo_recommendations (service_id, sli_type, tiers, explanation, data_quality, lookback_window_start,
        lookback_window_end, lookback_days, dependency_graph_snapshot_id, telemetry_source, confidence, cold_start,
        generated_at, expires_at)
      values (${r.service_id}, ${r.sli_type}, ${JSON.stringify(r.tiers)}::jsonb, ${JSON.stringify(r.explanation)}::jsonb,
        ${JSON.stringify(r.data_quality)}::jsonb, ${r.lookback_window_start}, ${r.lookback_window_end}, ${r.lookback_days},
        ${r.dependency_graph_snapshot_id}::uuid, ${r.telemetry_source}, ${r.confidence}, ${r.cold_start},
        ${r.generated_at}, ${r.expires_at})
      returning ${COLUMNS}`);
    out.push(revive(inserted[0] as StoredRecommendation));
  }
  return out;
}

/** Latest observed availability (percent) per service, from stored recommendations. */
export async function observedAvailabilities(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.query<{ service_id: string; observed: number | null }>(sql`
    select distinct on (service_id) service_id, (explanation->>'observed_availability')::float8 as observed
    from slo_recommendations where sli_type = 'availability'
    order by service_id, generated_at desc`);
  const out = new Map<string, number>();
  for (const r of rows) if (r.observed !== null && Number.isFinite(r.observed)) out.set(r.service_id, r.observed);
  return out;
}

export function inList(values: readonly string[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
}
