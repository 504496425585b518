import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';
import type { ActiveSlo, AuditAction, Decision, RecommendationForDecision, SloTargets, TierName } from './types.js';

interface ActiveRow {
  id: string;
  service_id: string;
  availability_target: number | null;
  latency_p95_target_ms: number | null;
  latency_p99_target_ms: number | null;
  source: ActiveSlo['source'];
  recommendation_id: string | null;
  selected_tier: TierName | null;
  activated_at: Date;
  activated_by: string;
}

function toActive(r: ActiveRow): ActiveSlo {
  const targets: SloTargets = {};
  if (r.availability_target !== null) targets.availability = r.availability_target;
  if (r.latency_p95_target_ms !== null) targets.latency_p95_ms = r.latency_p95_target_ms;
  if (r.latency_p99_target_ms !== null) targets.latency_p99_ms = r.latency_p99_target_ms;
  return {
    id: r.id,
    service_id: r.service_id,
    targets,
    source: r.source,
    recommendation_id: r.recommendation_id,
    selected_tier: r.selected_tier,
    activated_at: new Date(r.activated_at),
    activated_by: r.activated_by,
  };
}

export async function serviceExists(q: Queryable, serviceId: string): Promise<boolean> {
  const rows = await q.query(sql`select 1 from services where id = ${serviceId}`);
  return rows.length > 0;
}

/** Serialises decisions on one service for the rest of the transaction. */
export async function lockService(q: Queryable, serviceId: string): Promise<void> {
  await q.query(sql`select pg_advisory_xact_lock(hashtext(${`slo-lifecycle:${serviceId}`}))`);
}

export async function getActiveSlo(q: Queryable, serviceId: string): Promise<ActiveSlo | undefined> {
  const rows = await q.query<ActiveRow>(sql`
    select id, service_id, availability_target, latency_p95_target_ms, latency_p99_target_ms, source,
           recommendation_id, selected_tier, activated_at, activated_by
    from active_slos where service_id = ${serviceId}`);
  return rows[0] ? toActive(rows[0]) : undefined;
}

export async function getRecommendationForDecision(
  q: Queryable,
  recommendationId: string,
): Promise<RecommendationForDecision | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(recommendationId)) return undefined;
  const rows = await q.query<RecommendationForDecision>(sql`
    select id, service_id, sli_type, status, expires_at, tiers
    from slo_recommendations where id = ${recommendationId}`);
  const r = rows[0];
  return r ? { ...r, expires_at: new Date(r.expires_at) } : undefined;
}

export async function saveActiveSlo(q: Queryable, next: NonNullable<Decision['next']>, now: Date): Promise<ActiveSlo> {
  const t = next.targets;
  const rows = await q.query<ActiveRow>(sql`
    insert into active_slos (service_id, availability_target, latency_p95_target_ms, latency_p99_target_ms, source,
                             recommendation_id, selected_tier, activated_at, activated_by)
    values (${next.service_id}, ${t.availability ?? null}, ${t.latency_p95_ms ?? null}, ${t.latency_p99_ms ?? null},
            ${next.source}, ${next.recommendation_id}, ${next.selected_tier}, ${now}, ${next.activated_by})
    on conflict (service_id) do update set
      availability_target = excluded.availability_target,
      latency_p95_target_ms = excluded.latency_p95_target_ms,
      latency_p99_target_ms = excluded.latency_p99_target_ms,
      source = excluded.source,
      recommendation_id = excluded.recommendation_id,
      selected_tier = excluded.selected_tier,
      activated_at = excluded.activated_at,
      activated_by = excluded.activated_by
    returning id, service_id, availability_target, latency_p95_target_ms, latency_p99_target_ms, source,
              recommendation_id, selected_tier, activated_at, activated_by`);
  return toActive(rows[0] as ActiveRow);
}

export interface AuditEntry {
  id: string;
  cursor: string;
  service_id: string;
  action: AuditAction;
  actor: string;
  recommendation_id: string | null;
  previous_slo: unknown;
  new_slo: unknown;
  selected_tier: string | null;
  rationale: string | null;
  modification_delta: Record<string, string> | null;
  timestamp: Date;
}

export async function appendAudit(
  q: Queryable,
  entry: {
    service_id: string;
    action: AuditAction;
    actor: string;
    recommendation_id: string | null;
    previous_slo: ActiveSlo | undefined;
    new_slo: ActiveSlo | undefined;
    selected_tier: string | null;
    rationale: string | null;
    modification_delta: Record<string, string> | null;
    timestamp: Date;
  },
): Promise<string> {
  const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
  const rows = await q.query<{ id: string }>(sql`
    insert into slo_audit_log (service_id, action, actor, recommendation_id, previous_slo, new_slo, selected_tier,
                               rationale, modification_delta, "timestamp")
    values (${entry.service_id}, ${entry.action}, ${entry.actor}, ${entry.recommendation_id},
            ${json(entry.previous_slo)}::jsonb, ${json(entry.new_slo)}::jsonb, ${entry.selected_tier},
            ${entry.rationale}, ${json(entry.modification_delta)}::jsonb, ${entry.timestamp})
    returning id`);
  return (rows[0] as { id: string }).id;
}

/** Newest first; `cursor` is the opaque position of the last entry of the previous page. */
export async function listAudit(
  q: Queryable,
  serviceId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: AuditEntry[]; next_cursor: string | null }> {
  const before = page.cursor === undefined ? null : page.cursor;
  const rows = await q.query<AuditEntry>(sql`
    select id, seq::text as cursor, service_id, action, actor, recommendation_id, previous_slo, new_slo, selected_tier,
           rationale, modification_delta, "timestamp"
    from slo_audit_log
    where service_id = ${serviceId} and (${before}::bigint is null or seq < ${before}::bigint)
    order by seq desc
    limit ${page.limit + 1}`);
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > page.limit && last ? last.cursor : null };
}
