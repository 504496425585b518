import { BulwarkError } from '../../errors.js';
import type {
  ActiveSlo,
  AvailabilityTier,
  Decision,
  DecisionRequest,
  LatencyTier,
  RecommendationForDecision,
  SloTargets,
  TierName,
} from './types.js';

/**
 * Pure decision: validates an accept / modify / reject / manual request against the stored
 * recommendation and the current SLO, and returns what to write. No I/O; the service applies it in
 * one transaction together with the audit entry.
 */
export function decide(input: {
  request: DecisionRequest;
  actor: string;
  serviceId: string;
  current: ActiveSlo | undefined;
  recommendation: RecommendationForDecision | undefined;
  now: Date;
}): Decision {
  const { request, actor, serviceId, current, recommendation, now } = input;
  const audit = {
    action: request.action,
    actor,
    recommendation_id: request.recommendation_id ?? null,
    selected_tier: request.selected_tier ?? null,
    rationale: request.rationale?.trim() || null,
  };

  if (request.action === 'manual') {
    const targets = cleanTargets(request.modifications);
    if (Object.keys(targets).length === 0) {
      throw invalid(
        'a manual SLO needs at least one target in `modifications` (availability, latency_p95_ms or latency_p99_ms)',
      );
    }
    if (!audit.rationale) throw invalid('a manual SLO needs a `rationale` explaining where its targets come from');
    return {
      next: {
        service_id: serviceId,
        targets: { ...carryOver(current), ...targets },
        source: 'manual',
        recommendation_id: null,
        selected_tier: null,
        activated_by: actor,
      },
      modification_delta: null,
      audit: { ...audit, recommendation_id: null, selected_tier: null },
    };
  }

  if (!request.recommendation_id)
    throw invalid(`\`recommendation_id\` is required to ${request.action} a recommendation`);
  if (!recommendation) {
    throw new BulwarkError('not_found', `recommendation '${request.recommendation_id}' does not exist`);
  }
  if (recommendation.service_id !== serviceId) {
    throw invalid(
      `recommendation '${recommendation.id}' belongs to service '${recommendation.service_id}', not '${serviceId}'`,
    );
  }

  if (request.action === 'reject') {
    if (!audit.rationale)
      throw invalid('rejecting a recommendation needs a `rationale` so the next reviewer knows why');
    return { next: undefined, modification_delta: null, audit };
  }

  if (recommendation.status !== 'active' || recommendation.expires_at.getTime() <= now.getTime()) {
    const state = recommendation.status === 'active' ? 'expired' : recommendation.status;
    throw new BulwarkError(
      'conflict',
      `recommendation '${recommendation.id}' is ${state}; fetch current recommendations (GET /api/v1/services/${serviceId}/slo-recommendations) and decide on the new one`,
    );
  }
  const tierName = request.selected_tier;
  if (!tierName)
    throw invalid(`\`selected_tier\` (conservative | balanced | aggressive) is required to ${request.action}`);
  const tier = recommendation.tiers[tierName];
  if (!tier) throw invalid(`recommendation '${recommendation.id}' has no '${tierName}' tier`);
  const recommended = tierTargets(recommendation.sli_type, tier);

  let targets = recommended;
  let delta: Record<string, string> | null = null;
  if (request.action === 'modify') {
    const mods = cleanTargets(request.modifications);
    if (Object.keys(mods).length === 0) {
      throw invalid('`modifications` must change at least one target (availability, latency_p95_ms or latency_p99_ms)');
    }
    targets = { ...recommended, ...mods };
    delta = modificationDelta(recommended, mods);
  } else if (request.modifications && Object.keys(cleanTargets(request.modifications)).length > 0) {
    throw invalid('`modifications` are only allowed with action `modify`');
  }

  return {
    next: {
      service_id: serviceId,
      // Accepting a latency recommendation keeps an active availability target, and vice versa.
      targets: { ...carryOver(current), ...targets },
      source: request.action === 'modify' ? 'recommendation_modified' : 'recommendation_accepted',
      recommendation_id: recommendation.id,
      selected_tier: tierName,
      activated_by: actor,
    },
    modification_delta: delta,
    audit,
  };
}

function invalid(detail: string): BulwarkError {
  return new BulwarkError('validation_failed', detail);
}

function carryOver(current: ActiveSlo | undefined): SloTargets {
  return current ? { ...current.targets } : {};
}

function cleanTargets(t: SloTargets | undefined): SloTargets {
  const out: SloTargets = {};
  if (!t) return out;
  if (t.availability !== undefined) out.availability = t.availability;
  if (t.latency_p95_ms !== undefined) out.latency_p95_ms = t.latency_p95_ms;
  if (t.latency_p99_ms !== undefined) out.latency_p99_ms = t.latency_p99_ms;
  return out;
}

/** Targets a tier stands for: availability percent, or a latency bound at its percentile. */
export function tierTargets(sliType: 'availability' | 'latency', tier: AvailabilityTier | LatencyTier): SloTargets {
  if (sliType === 'availability') return { availability: (tier as AvailabilityTier).target };
  const lt = tier as LatencyTier;
  // p99.9 and p99 tiers bound the p99 target; p95 tiers bound p95.
  return lt.percentile === 'p95' ? { latency_p95_ms: lt.target_ms } : { latency_p99_ms: lt.target_ms };
}

const LABELS: Record<keyof SloTargets, string> = {
  availability: 'availability',
  latency_p95_ms: 'latency_p95_ms',
  latency_p99_ms: 'latency_p99_ms',
};

/** Human-readable signed differences, e.g. `{ availability: "+0.05 from recommended 99.9" }`. */
export function modificationDelta(recommended: SloTargets, modified: SloTargets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(LABELS) as Array<keyof SloTargets>) {
    const m = modified[key];
    if (m === undefined) continue;
    const r = recommended[key];
    if (r === undefined) {
      out[LABELS[key]] = `set to ${formatNumber(m)} (not part of the recommendation)`;
      continue;
    }
    const d = m - r;
    if (d === 0) continue;
    out[LABELS[key]] = `${d > 0 ? '+' : '-'}${formatNumber(Math.abs(d))} from recommended ${formatNumber(r)}`;
  }
  return out;
}

function formatNumber(n: number): string {
  // Round away float noise (99.95 - 99.9 = 0.04999…) without hiding real precision.
  return String(Number.parseFloat(n.toFixed(6)));
}

export type { TierName };
