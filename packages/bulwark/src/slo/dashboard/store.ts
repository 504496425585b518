import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';

/**
 * SLO dashboard figures (FR-12), each one SQL pass over the SLO tables.
 *
 * Glossary
 * - estate: the services SLOs are for: internal, non-placeholder services (external APIs and
 *   services only named by an edge are counted separately as `excluded`).
 * - coverage: share of the estate with an active SLO, in percent.
 * - observed availability: `explanation.observed_availability` (percent) of the newest availability
 *   recommendation of a service that has one.
 * - budget consumed: (100 − observed) / (100 − target), the share of the error budget the observed
 *   availability uses; reported capped to [0, 1], ranked uncapped.
 * - decision: the latest accept / modify / reject / auto_approve audit entry of a recommendation
 *   (one per recommendation, so accept-then-modify counts once, as modified).
 */

/** Percent with two decimals, null when the denominator is 0. */
const pct = (num: string, den: string) => `round(100.0 * (${num}) / nullif(${den}, 0), 2)::float8`;
/** Ratio with four decimals, null when the denominator is 0. */
const ratio = (num: string, den: string) => sql.raw(`round((${num})::numeric / nullif(${den}, 0), 4)::float8`);

export interface CoverageGroup {
  total: number;
  with_active_slo: number;
  with_active_recommendation: number;
  /** Active recommendation but no active SLO: waiting for a decision. */
  awaiting_decision: number;
  coverage_pct: number | null;
}

export interface Coverage {
  services_total: number;
  with_active_slo: number;
  with_active_recommendation: number;
  awaiting_decision: number;
  coverage_pct: number | null;
  by_team: Array<CoverageGroup & { team: string }>;
  by_criticality: Array<CoverageGroup & { criticality: string }>;
  excluded: { external: number; placeholder: number };
}

interface CoverageRow extends CoverageGroup {
  dimension: 'overall' | 'team' | 'criticality';
  key: string;
}

export async function coverage(q: Queryable, now: Date): Promise<Coverage> {
  const counts = sql.raw(`count(*)::int as total,
      count(*) filter (where has_slo)::int as with_active_slo,
      count(*) filter (where has_rec)::int as with_active_recommendation,
      count(*) filter (where has_rec and not has_slo)::int as awaiting_decision,
      ${pct('count(*) filter (where has_slo)', 'count(*)')} as coverage_pct`);
  const rows = await q.query<CoverageRow>(sql`
    with estate as (
      select coalesce(s.team, 'unassigned') as team, coalesce(s.criticality, 'unspecified') as criticality,
             exists (select 1 from active_slos a where a.service_id = s.id) as has_slo,
             exists (select 1 from slo_recommendations r
                     where r.service_id = s.id and r.status = 'active' and r.expires_at > ${now}) as has_rec
      from services s
      where not s.placeholder and s.service_type = 'internal'
    )
    select 'overall' as dimension, '' as key, ${counts} from estate
    union all
    select 'team', team, ${counts} from estate group by team
    union all
    select 'criticality', criticality, ${counts} from estate group by criticality
    order by 1, 2`);
  const excluded = await q.query<{ external: number; placeholder: number }>(sql`
    select count(*) filter (where placeholder)::int as placeholder,
           count(*) filter (where not placeholder and service_type <> 'internal')::int as external
    from services`);
  const group = ({ dimension: _d, key: _k, ...g }: CoverageRow): CoverageGroup => g;
  const overall = rows.find((r) => r.dimension === 'overall');
  return {
    services_total: overall?.total ?? 0,
    with_active_slo: overall?.with_active_slo ?? 0,
    with_active_recommendation: overall?.with_active_recommendation ?? 0,
    awaiting_decision: overall?.awaiting_decision ?? 0,
    coverage_pct: overall?.coverage_pct ?? null,
    by_team: rows.filter((r) => r.dimension === 'team').map((r) => ({ team: r.key, ...group(r) })),
    by_criticality: rows.filter((r) => r.dimension === 'criticality').map((r) => ({ criticality: r.key, ...group(r) })),
    excluded: excluded[0] ?? { external: 0, placeholder: 0 },
  };
}

/** Newest observed availability (percent) per service. */
const LATEST_OBSERVED = `
  select distinct on (service_id) service_id, generated_at as observed_at,
         (explanation->>'observed_availability')::float8 as observed
  from slo_recommendations
  where sli_type = 'availability' and jsonb_typeof(explanation->'observed_availability') = 'number'
  order by service_id, generated_at desc`;

export type BudgetStatus = 'healthy' | 'warning' | 'exhausted' | 'unknown';

export interface BudgetRow {
  service_id: string;
  team: string | null;
  criticality: string | null;
  target: number;
  observed: number | null;
  observed_at: Date | null;
  budget_consumed: number | null;
  status: BudgetStatus;
}

export interface ErrorBudgetHealth {
  /** Services with an active availability SLO. */
  services: number;
  counts: Record<BudgetStatus, number>;
  /** Highest budget consumption first (services without an observation are left out). */
  worst: BudgetRow[];
}

const BUDGET = sql.raw(`
  with latest as (${LATEST_OBSERVED}),
  slos as (
    select a.service_id, s.team, s.criticality, a.availability_target as target, l.observed, l.observed_at,
           -- greatest() ignores nulls: no observation must stay null (unknown), not 0 (healthy).
           case when l.observed is not null
                then greatest(0, (100 - l.observed) / (100 - a.availability_target)) end as consumed
    from active_slos a
    left join services s on s.id = a.service_id
    left join latest l on l.service_id = a.service_id
    where a.availability_target is not null
  ),
  classified as (
    select *, case when consumed is null then 'unknown'
                   when consumed < 0.5 then 'healthy'
                   when consumed < 1 then 'warning'
                   else 'exhausted' end as status
    from slos
  )`);

export async function errorBudgetHealth(q: Queryable, limit = 20): Promise<ErrorBudgetHealth> {
  const counts = await q.query<{ status: BudgetStatus; n: number }>(sql`
    ${BUDGET}
    select status, count(*)::int as n from classified group by status`);
  const worst = await q.query<BudgetRow>(sql`
    ${BUDGET}
    select service_id, team, criticality, target, observed, observed_at,
           round(least(consumed, 1)::numeric, 4)::float8 as budget_consumed, status
    from classified
    where consumed is not null
    order by consumed desc, service_id
    limit ${limit}`);
  const byStatus: Record<BudgetStatus, number> = { healthy: 0, warning: 0, exhausted: 0, unknown: 0 };
  for (const c of counts) byStatus[c.status] = c.n;
  return {
    services: counts.reduce((sum, c) => sum + c.n, 0),
    counts: byStatus,
    worst: worst.map((w) => ({ ...w, observed_at: w.observed_at === null ? null : new Date(w.observed_at) })),
  };
}

export interface RecommendationQuality {
  /** Recommendations with a decision (their latest accept / modify / reject / auto_approve). */
  decided: number;
  accepted: number;
  modified: number;
  rejected: number;
  auto_approved: number;
  /** (accepted + modified + auto_approved) / decided. */
  acceptance_rate: number | null;
  /** modified / decided. */
  modification_rate: number | null;
  /** rejected / decided. */
  rejection_rate: number | null;
  /** Adopted decisions (accept, modify, auto_approve) per tier chosen; share = of all adopted. */
  by_tier: Array<{
    tier: string;
    adopted: number;
    accepted: number;
    modified: number;
    auto_approved: number;
    share: number | null;
  }>;
  /** Rejection rationales (trimmed, case-insensitive), most frequent first, top 20. */
  rejection_reasons: Array<{ reason: string; count: number }>;
  /** Active availability SLOs whose latest observed availability is below target. */
  breach: { measured: number; breached: number; breach_rate: number | null };
}

const DECISIONS = sql.raw(`
  with decisions as (
    select distinct on (recommendation_id) recommendation_id, action, selected_tier, rationale
    from slo_audit_log
    where recommendation_id is not null and action in ('accept', 'modify', 'reject', 'auto_approve')
    order by recommendation_id, seq desc
  )`);

export async function recommendationQuality(q: Queryable): Promise<RecommendationQuality> {
  const totals = await q.query<Omit<RecommendationQuality, 'by_tier' | 'rejection_reasons' | 'breach'>>(sql`
    ${DECISIONS}
    select count(*)::int as decided,
           count(*) filter (where action = 'accept')::int as accepted,
           count(*) filter (where action = 'modify')::int as modified,
           count(*) filter (where action = 'reject')::int as rejected,
           count(*) filter (where action = 'auto_approve')::int as auto_approved,
           ${ratio("count(*) filter (where action <> 'reject')", 'count(*)')} as acceptance_rate,
           ${ratio("count(*) filter (where action = 'modify')", 'count(*)')} as modification_rate,
           ${ratio("count(*) filter (where action = 'reject')", 'count(*)')} as rejection_rate
    from decisions`);
  const byTier = await q.query<RecommendationQuality['by_tier'][number]>(sql`
    ${DECISIONS}
    select coalesce(selected_tier, 'unknown') as tier, count(*)::int as adopted,
           count(*) filter (where action = 'accept')::int as accepted,
           count(*) filter (where action = 'modify')::int as modified,
           count(*) filter (where action = 'auto_approve')::int as auto_approved,
           ${ratio('count(*)', 'sum(count(*)) over ()')} as share
    from decisions
    where action <> 'reject'
    group by 1
    order by 1`);
  const reasons = await q.query<{ reason: string; count: number }>(sql`
    ${DECISIONS}
    select min(coalesce(nullif(btrim(rationale), ''), '(none)')) as reason, count(*)::int as count
    from decisions
    where action = 'reject'
    group by lower(coalesce(nullif(btrim(rationale), ''), '(none)'))
    order by count desc, reason
    limit 20`);
  const breach = await q.query<RecommendationQuality['breach']>(sql`
    with latest as (${sql.raw(LATEST_OBSERVED)})
    select count(l.observed)::int as measured,
           count(*) filter (where l.observed < a.availability_target)::int as breached,
           ${ratio('count(*) filter (where l.observed < a.availability_target)', 'count(l.observed)')} as breach_rate
    from active_slos a
    left join latest l on l.service_id = a.service_id
    where a.availability_target is not null`);
  const t = totals[0] ?? {
    decided: 0,
    accepted: 0,
    modified: 0,
    rejected: 0,
    auto_approved: 0,
    acceptance_rate: null,
    modification_rate: null,
    rejection_rate: null,
  };
  return {
    ...t,
    by_tier: byTier,
    rejection_reasons: reasons,
    breach: breach[0] ?? { measured: 0, breached: 0, breach_rate: null },
  };
}
