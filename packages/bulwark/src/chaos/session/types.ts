/**
 * Chaos optimisation sessions.
 *
 * Glossary
 * - session: one search for the worst failure modes of a system: a fault space, an executor, a
 *   load, a budget and guard rails. Runs as one `chaos.session` task on the task queue.
 * - trial: one proposed point, mapped to fault plans, applied by the executor and scored by the
 *   analyzer. Trials are numbered 0, 1, … per session and recorded exactly once.
 * - guard: the rails that end a session early: the steady state before each fault (baseline) must
 *   hold, and optionally the system must recover after it.
 */

import type { FaultPlan } from '../space/plan.js';

export const SESSION_STATUSES = ['PENDING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const FINISHED: readonly SessionStatus[] = ['COMPLETED', 'FAILED'];

/** The task kind that runs a session. */
export const CHAOS_SESSION_KIND = 'chaos.session';

export interface SessionLoad {
  rps: number;
  path: string;
  method: string;
  /** Seconds with the faults installed. */
  duration_s: number;
  /** Seconds of steady state observed before the faults. */
  baseline_s: number;
  /** Seconds observed after the faults are cleared. */
  recovery_s: number;
}

export interface SessionBudget {
  max_trials: number;
  max_minutes: number;
}

export interface SessionGuard {
  /** Steady-state limit on (5xx + transport errors) / requests (default: the space's steady_state). */
  max_error_rate?: number;
  /** Steady-state limit on p99 latency (default: the space's steady_state). */
  max_p99_ms?: number;
  /** Re-checks of the steady state after a failed baseline before the session fails. */
  steady_state_retries: number;
  /** Fail the session when a trial's recovery window does not return to the steady state. */
  require_recovery: boolean;
  /** Pause before a steady-state re-check or an executor retry (seconds). */
  retry_pause_s: number;
}

/** A session row (without the space text unless asked for). */
export interface SessionRow {
  id: string;
  name: string;
  status: SessionStatus;
  space_text: string;
  space_format: 'yaml' | 'json';
  executor_url: string;
  load: SessionLoad;
  budget: SessionBudget;
  guard: SessionGuard;
  seed: number;
  task_id: string | null;
  trials_done: number;
  best_severity: number | null;
  stop_requested: boolean;
  result: SessionResult | null;
  error: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  expires_at: Date;
}

/** Per phase: counts and tail latency, never raw samples. */
export interface PhaseSummary {
  requests: number;
  status_counts: Record<string, number>;
  error_rate: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface ObservationSummary {
  baseline?: PhaseSummary;
  during: PhaseSummary;
  recovery?: PhaseSummary;
}

export interface TrialRow {
  session_id: string;
  index: number;
  point: Record<string, string | number | boolean | null>;
  plans: FaultPlan[];
  severity: number;
  components: Record<string, { score: number; weight: number; contribution: number }>;
  evidence: string[];
  observation_summary: ObservationSummary;
  steady_state_ok: boolean;
  recovered: boolean | null;
  created_at: Date;
}

/** Why a session ended. */
export type EndReason =
  | 'budget_trials'
  | 'budget_time'
  | 'stopped'
  | 'guard'
  | 'executor'
  | 'space_exhausted'
  | 'task_failed';

export interface SessionResult {
  reason: EndReason;
  /** Human-readable reason (the guard's or executor's message for a failure). */
  detail: string;
  best: Array<Pick<TrialRow, 'index' | 'severity' | 'plans' | 'point' | 'components' | 'evidence'>>;
  explanation: {
    featureImportance: Record<string, number>;
    partialDependence: Record<string, Array<{ value: string | number | boolean; mean: number }>>;
  } | null;
}
