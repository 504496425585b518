/**
 * Guard rails of a session (pure): the steady state before a fault (like Chaos Mesh's
 * `abortWithStatusCheck` / Litmus `stopOnFailure`) and recovery after it, plus the observation
 * summary stored with each trial.
 */

import { latencySummary, statusBreakdown, steadyStateOk } from '../analyzer/index.js';
import type { Analysis, Observation, Sample, SteadyStateLimits } from '../analyzer/types.js';
import type { FaultPlan } from '../space/plan.js';
import type { ObservationSummary, PhaseSummary, SessionGuard } from './types.js';

/** The steady-state limits a guard enforces (unset limits are not checked). */
export function guardLimits(guard: Pick<SessionGuard, 'max_error_rate' | 'max_p99_ms'>): SteadyStateLimits {
  const limits: SteadyStateLimits = {};
  if (guard.max_error_rate !== undefined) limits.max_error_rate = guard.max_error_rate;
  if (guard.max_p99_ms !== undefined) limits.max_p99_ms = guard.max_p99_ms;
  return limits;
}

/** Whether the window before the fault shows the steady state. */
export function baselineVerdict(
  observation: Observation,
  guard: Pick<SessionGuard, 'max_error_rate' | 'max_p99_ms'>,
): { ok: boolean; reasons: string[] } {
  return steadyStateOk(observation.baseline, guardLimits(guard));
}

/**
 * Whether the system recovered after the fault: the analyzer's recovery judgement (relative to the
 * baseline) and the steady-state limits on the recovery window must both hold. Without a recovery
 * window there is nothing to judge (`recovered: null`).
 */
export function recoveryVerdict(
  observation: Observation,
  analysis: Pick<Analysis, 'recovered'>,
  guard: Pick<SessionGuard, 'max_error_rate' | 'max_p99_ms'>,
): { recovered: boolean | null; reasons: string[] } {
  if (!observation.recovery) return { recovered: null, reasons: [] };
  const reasons: string[] = [];
  if (analysis.recovered === false) reasons.push('recovery window is worse than the baseline');
  const steady = steadyStateOk(observation.recovery, guardLimits(guard));
  reasons.push(...steady.reasons);
  return { recovered: reasons.length === 0, reasons };
}

/** The FAILED reason for a baseline that never reached the steady state. */
export function steadyStateFailure(trialIndex: number, reasons: readonly string[]): string {
  return `steady state not reached before trial ${trialIndex}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`;
}

/** The FAILED reason for a trial after which the system did not recover. */
export function recoveryFailure(trialIndex: number, plans: readonly FaultPlan[], reasons: readonly string[]): string {
  return `system did not recover after trial ${trialIndex} (plan ${describePlans(plans)})${
    reasons.length > 0 ? `: ${reasons.join('; ')}` : ''
  }`;
}

/** One line per plan set: `payment delay 600ms 100%; cache abort 503 50%`. */
export function describePlans(plans: readonly FaultPlan[]): string {
  if (plans.length === 0) return 'no faults';
  return plans
    .map((p) => {
      const parts = [p.target_service, p.fault.type];
      if (p.fault.abort_status !== undefined) parts.push(String(p.fault.abort_status));
      if (p.fault.delay_ms !== undefined) parts.push(`${p.fault.delay_ms}ms`);
      parts.push(`${Math.round(p.percentage * 10) / 10}%`);
      return parts.join(' ');
    })
    .join('; ');
}

function phase(sample: Sample): PhaseSummary {
  const counts = statusBreakdown(sample);
  const latency = latencySummary(sample);
  const status_counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(sample.status_counts ?? {})) if (Number.isFinite(v)) status_counts[k] = v;
  return {
    requests: Number.isFinite(sample.requests) ? sample.requests : counts.total,
    status_counts,
    error_rate: counts.serverErrorRate,
    p50_ms: latency?.p50 ?? null,
    p99_ms: latency?.p99 ?? latency?.max ?? null,
  };
}

/** Counts, error rate and latency per phase (no raw samples, spans or logs). */
export function summarizeObservation(observation: Observation): ObservationSummary {
  const out: ObservationSummary = { during: phase(observation.during) };
  if (observation.baseline) out.baseline = phase(observation.baseline);
  if (observation.recovery) out.recovery = phase(observation.recovery);
  return out;
}
