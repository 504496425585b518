import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';
import type { TierName } from '../lifecycle/types.js';
import type { Condition } from './condition.js';

export interface AutoApprovalRule {
  id: string;
  name: string;
  condition: string;
  tier: TierName;
  enabled: boolean;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

const RULE_COLUMNS = sql.raw('id, name, condition, tier, enabled, created_by, updated_by, created_at, updated_at');

const reviveRule = (r: AutoApprovalRule): AutoApprovalRule => ({
  ...r,
  created_at: new Date(r.created_at),
  updated_at: new Date(r.updated_at),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

/** Rules in evaluation order (by name). */
export async function listRules(q: Queryable, o: { enabledOnly?: boolean } = {}): Promise<AutoApprovalRule[]> {
  const rows = await q.query<AutoApprovalRule>(sql`
    select ${RULE_COLUMNS} from auto_approval_rules
    ${o.enabledOnly === true ? sql`where enabled` : sql``}
    order by name collate "C"`);
  return rows.map(reviveRule);
}

export async function getRule(q: Queryable, id: string): Promise<AutoApprovalRule | undefined> {
  if (!isUuid(id)) return undefined;
  const rows = await q.query<AutoApprovalRule>(sql`select ${RULE_COLUMNS} from auto_approval_rules where id = ${id}`);
  return rows[0] ? reviveRule(rows[0]) : undefined;
}

export async function insertRule(
  q: Queryable,
  r: { name: string; condition: string; parsed: Condition; tier: TierName; enabled: boolean; actor: string },
): Promise<AutoApprovalRule> {
  const rows = await q.query<AutoApprovalRule>(sql`
    insert into auto_approval_rules (name, condition, parsed, tier, enabled, created_by, updated_by)
    values (${r.name}, ${r.condition}, ${JSON.stringify(r.parsed)}::jsonb, ${r.tier}, ${r.enabled}, ${r.actor},
            ${r.actor})
    returning ${RULE_COLUMNS}`);
  return reviveRule(rows[0] as AutoApprovalRule);
}

export async function updateRule(
  q: Queryable,
  id: string,
  patch: {
    name?: string | undefined;
    condition?: string | undefined;
    parsed?: Condition | undefined;
    tier?: TierName | undefined;
    enabled?: boolean | undefined;
  },
  actor: string,
): Promise<AutoApprovalRule | undefined> {
  if (!isUuid(id)) return undefined;
  const rows = await q.query<AutoApprovalRule>(sql`
    update auto_approval_rules set
      name = coalesce(${patch.name ?? null}::text, name),
      condition = coalesce(${patch.condition ?? null}::text, condition),
      parsed = coalesce(${patch.parsed === undefined ? null : JSON.stringify(patch.parsed)}::jsonb, parsed),
      tier = coalesce(${patch.tier ?? null}::text, tier),
      enabled = coalesce(${patch.enabled ?? null}::boolean, enabled),
      updated_by = ${actor}
    where id = ${id}
    returning ${RULE_COLUMNS}`);
  return rows[0] ? reviveRule(rows[0]) : undefined;
}

export async function deleteRule(q: Queryable, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await q.query<{ id: string }>(sql`delete from auto_approval_rules where id = ${id} returning id`);
  return rows.length > 0;
}

/** One active recommendation with what auto-approval needs to judge it. */
export interface Candidate {
  id: string;
  service_id: string;
  sli_type: 'availability' | 'latency';
  tiers: Record<string, unknown>;
  data_completeness: number | null;
  lookback_days: number;
  confidence: 'high' | 'medium' | 'low';
  cold_start: boolean;
  stale: boolean;
  team: string | null;
  criticality: string | null;
  service_tier: number | null;
  /** Source of the service's active SLO, when it has one. */
  active_source: 'recommendation_accepted' | 'recommendation_modified' | 'manual' | null;
  /** A human or a rule already accepted, modified, rejected or auto-approved this recommendation. */
  decided: boolean;
}

/**
 * The newest active, unexpired recommendation per (service, SLI type); optionally only those whose
 * id is in `ids`. Older active rows of the same pair are left alone (the newest supersedes them).
 */
export async function listCandidates(q: Queryable, o: { now: Date; ids?: readonly string[] }): Promise<Candidate[]> {
  const ids = o.ids?.filter(isUuid);
  if (ids && ids.length === 0) return [];
  const idFilter = ids
    ? sql`and n.id in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  return q.query<Candidate>(sql`
    with newest as (
      select distinct on (service_id, sli_type) *
      from slo_recommendations
      where status = 'active' and expires_at > ${o.now}
      order by service_id, sli_type, generated_at desc, id
    )
    select n.id, n.service_id, n.sli_type, n.tiers,
           case when jsonb_typeof(n.data_quality->'data_completeness') = 'number'
                then (n.data_quality->>'data_completeness')::float8 end as data_completeness,
           n.lookback_days, n.confidence, n.cold_start,
           (n.stale or coalesce(n.data_quality->>'stale', '') = 'true') as stale,
           s.team, s.criticality, s.tier as service_tier,
           a.source as active_source,
           exists (
             select 1 from slo_audit_log l
             where l.recommendation_id = n.id and l.action in ('accept', 'modify', 'reject', 'auto_approve')
           ) as decided
    from newest n
    join services s on s.id = n.service_id
    left join active_slos a on a.service_id = n.service_id
    where true ${idFilter}
    order by n.service_id, n.sli_type`);
}
