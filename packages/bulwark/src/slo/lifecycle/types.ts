/**
 * SLO lifecycle: turning recommendations into active SLOs, with an append-only audit trail.
 *
 * Glossary
 * - recommendation: a stored, expiring proposal of three tiers for one service and SLI type
 *   (conservative / balanced / aggressive), produced by the recommendation engine.
 * - tier: one of the three proposals; availability tiers carry `target` (percent), latency tiers
 *   `target_ms` and `percentile`.
 * - active SLO: the targets a service is held to now; at most one per service, replaced atomically.
 * - action: accept (a tier as is), modify (a tier with changed targets), reject (keep what is
 *   active, record why), manual (targets without a recommendation), auto_approve (a rule accepted
 *   on the owner's behalf).
 * - audit entry: one immutable row per action with the previous and new SLO snapshots; the
 *   database refuses UPDATE and DELETE on the audit table.
 * - modification delta: for each changed target, the signed difference from the recommended value.
 */

export type SliType = 'availability' | 'latency';
export type TierName = 'conservative' | 'balanced' | 'aggressive';
export const TIER_NAMES: readonly TierName[] = ['conservative', 'balanced', 'aggressive'];

export type LifecycleAction = 'accept' | 'modify' | 'reject' | 'manual' | 'auto_approve';
export type AuditAction = LifecycleAction | 'expire' | 'drift_triggered';
export type SloSource = 'recommendation_accepted' | 'recommendation_modified' | 'manual';

/** The targets an SLO holds a service to; absent targets are not part of the SLO. */
export interface SloTargets {
  /** Percent, e.g. 99.9. */
  availability?: number;
  latency_p95_ms?: number;
  latency_p99_ms?: number;
}

export interface AvailabilityTier {
  target: number;
  error_budget_monthly_minutes?: number;
  estimated_breach_probability?: number;
}

export interface LatencyTier {
  target_ms: number;
  percentile: string;
  estimated_breach_probability?: number;
}

/** What the lifecycle needs to know about one stored recommendation. */
export interface RecommendationForDecision {
  id: string;
  service_id: string;
  sli_type: SliType;
  status: 'active' | 'superseded' | 'expired';
  expires_at: Date;
  tiers: Partial<Record<TierName, AvailabilityTier | LatencyTier>>;
}

export interface ActiveSlo {
  id: string;
  service_id: string;
  targets: SloTargets;
  source: SloSource;
  recommendation_id: string | null;
  selected_tier: TierName | null;
  activated_at: Date;
  activated_by: string;
}

export interface DecisionRequest {
  action: LifecycleAction;
  recommendation_id?: string | undefined;
  selected_tier?: TierName | undefined;
  /** For modify: the targets that differ from the tier; for manual: all targets. */
  modifications?: SloTargets | undefined;
  rationale?: string | undefined;
}

/** The outcome of a decision, before it is written. */
export interface Decision {
  /** The SLO to make active, or undefined when the action keeps the current one (reject). */
  next: Omit<ActiveSlo, 'id' | 'activated_at'> | undefined;
  modification_delta: Record<string, string> | null;
  audit: {
    action: AuditAction;
    actor: string;
    recommendation_id: string | null;
    selected_tier: TierName | null;
    rationale: string | null;
  };
}
