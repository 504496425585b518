/**
 * Bug scorer: how much did the fault make the system fail (status codes, error logs)?
 *
 * The original design scored by presence (5xx → 10, 4xx → 8, ERROR logs → 6, error rate > 0 → 3).
 * Here each level becomes the ceiling of a rate-aware curve, so one 5xx in 10,000 requests no longer
 * scores like an outage:
 *
 *   f(r)       = min(1, ln(1 + r / R0) / ln(1 + R_CAP / R0)),  R0 = 5e-5, R_CAP = 0.2
 *   s_server   = 10 · f(excess 5xx-or-transport rate)          (timeouts count like 5xx)
 *   s_failure  =  8 · f(excess failure rate: 4xx + 5xx + transport)
 *   s_logs     =  6 · (1 − 0.5^n), n = excess ERROR-level log lines
 *   bug score  = max(s_server, s_failure, s_logs)
 *
 * f is smooth, concave and strictly increasing up to R_CAP: 0.01 % → 1.3, 0.1 % → 3.7, 1 % → 6.4,
 * 5 % → 8.3, 10 % → 9.2, ≥ 20 % → 10 (for 5xx). "Excess" is the rate during the fault minus the
 * baseline rate, floored at 0 (no baseline: baseline rate 0). The old "error rate > 0 → 3" rule is
 * subsumed by s_failure, which counts every non-success. s_failure includes 5xx so that adding a 5xx
 * never lowers the score even when it also dilutes the 4xx rate (monotone in the 5xx count).
 * Baseline ERROR logs are scaled by the ratio of the windows' `requests` before being subtracted.
 *
 * Missing data: a window with no requests, no status counts and no error logs is `missing`.
 */

import { clamp, nonNegative, percent, statusBreakdown } from './stats.js';
import type { ComponentScore, ErrorLog, Sample } from './types.js';

/** Rate at which the rate curve reaches its ceiling. */
export const RATE_CAP = 0.2;
/** Curve knee: rates far below it score ~linearly, above it ~logarithmically. */
export const RATE_KNEE = 5e-5;

const ERROR_LEVELS = new Set(['error', 'err', 'fatal', 'critical', 'crit', 'panic', 'alert', 'emerg', 'emergency']);

/**
 * The rate curve f in [0, 1] (see the module header).
 *
 * @param rate - an error rate in [0, 1]; non-finite or negative gives 0
 * @returns ln(1 + rate/RATE_KNEE) / ln(1 + RATE_CAP/RATE_KNEE), capped at 1
 */
export function rateCurve(rate: number): number {
  if (!Number.isFinite(rate) || rate <= 0) return 0;
  return Math.min(1, Math.log1p(rate / RATE_KNEE) / Math.log1p(RATE_CAP / RATE_KNEE));
}

/**
 * Number of ERROR-level log lines (levels error, err, fatal, critical, crit, panic, alert,
 * emerg(ency); case-insensitive). Malformed entries are ignored.
 */
export function countErrorLogs(logs: readonly ErrorLog[] | undefined): number {
  if (!Array.isArray(logs)) return 0;
  let n = 0;
  for (const log of logs) {
    const level = typeof log === 'object' && log !== null ? (log as { level?: unknown }).level : undefined;
    if (typeof level === 'string' && ERROR_LEVELS.has(level.trim().toLowerCase())) n += 1;
  }
  return n;
}

/**
 * Scores failures during the fault against the baseline.
 *
 * @param during - the window while the fault was applied
 * @param baseline - the window before (optional)
 * @returns score in [0, 10]; details `requests`, `server_error_rate`, `failure_rate`,
 *   `baseline_server_error_rate`, `baseline_failure_rate`, `excess_server_error_rate`,
 *   `excess_failure_rate`, `error_logs`, `excess_error_logs`, `score_server`, `score_failure`,
 *   `score_logs`
 */
export function scoreBug(during: Sample | undefined, baseline?: Sample): ComponentScore {
  const d = statusBreakdown(during);
  const b = statusBreakdown(baseline);
  const logs = countErrorLogs(during?.error_logs);
  const baselineLogs = countErrorLogs(baseline?.error_logs);
  if (d.total === 0 && logs === 0) {
    return {
      score: 0,
      evidence: ['no requests, status counts or error logs observed during the fault'],
      details: { requests: 0, error_logs: 0 },
      missing: true,
    };
  }

  const excessServer = Math.max(0, d.serverErrorRate - b.serverErrorRate);
  const excessFailure = Math.max(0, d.failureRate - b.failureRate);
  // Compare like with like, by the declared request counts only: scaling by status counts would let
  // an extra 5xx raise the subtracted baseline and lower the score.
  const dRequests = nonNegative(during?.requests) ?? 0;
  const bRequests = nonNegative(baseline?.requests) ?? 0;
  const logScale = dRequests > 0 && bRequests > 0 ? (nonNegative(dRequests / bRequests) ?? 1) : 1;
  const excessLogs = Math.max(0, logs - baselineLogs * logScale);

  const server = 10 * rateCurve(excessServer);
  const failure = 8 * rateCurve(excessFailure);
  const logScore = 6 * (1 - 0.5 ** excessLogs);
  const score = Math.max(server, failure, logScore);

  const evidence: string[] = [];
  const vsBaseline = (rate: number): string => (baseline ? ` (baseline ${percent(rate)})` : '');
  if (d.server5xx + d.transport > 0) {
    const parts = [`${d.server5xx} 5xx`, ...(d.transport > 0 ? [`${d.transport} transport errors/timeouts`] : [])];
    evidence.push(
      `server errors ${percent(d.serverErrorRate)} of ${d.total} requests: ${parts.join(', ')}${vsBaseline(b.serverErrorRate)}`,
    );
  }
  if (d.client4xx > 0) {
    evidence.push(`${d.client4xx} 4xx responses; failure rate ${percent(d.failureRate)}${vsBaseline(b.failureRate)}`);
  }
  if (logs > 0) {
    evidence.push(`${logs} ERROR log lines${baseline ? ` (baseline ${baselineLogs})` : ''}`);
  }
  if (evidence.length === 0) evidence.push(`no failures in ${d.total} requests`);
  // Most severe reason first.
  if (logScore > server && logScore > failure && evidence.length > 1) evidence.unshift(evidence.pop() as string);

  return {
    score: clamp(score, 0, 10),
    evidence,
    details: {
      requests: d.total,
      server_error_rate: d.serverErrorRate,
      failure_rate: d.failureRate,
      baseline_server_error_rate: b.serverErrorRate,
      baseline_failure_rate: b.failureRate,
      excess_server_error_rate: excessServer,
      excess_failure_rate: excessFailure,
      error_logs: logs,
      excess_error_logs: excessLogs,
      score_server: server,
      score_failure: failure,
      score_logs: logScore,
    },
  };
}
