import { latencySummary, nonNegative, percent, statusBreakdown, tailLatency } from './stats.js';
import type { Sample, SteadyStateLimits, SteadyStateResult } from './types.js';

/**
 * Checks a window against the steady-state limits: error rate ((5xx + transport errors) / requests)
 * ≤ `max_error_rate` and tail latency (p99, else max, else p95) ≤ `max_p99_ms`. Fail-safe: a
 * window that cannot show it is healthy (no requests; no latency while a latency limit is set; an
 * invalid limit) is not ok, so chaos never starts on a system whose health is unknown.
 *
 * @param sample - the window to check (possibly malformed)
 * @param limits - the limits; an absent field is not checked
 * @returns `ok` and one reason per violated or uncheckable limit
 * @example
 * steadyStateOk({ requests: 100, status_counts: { '200': 98, '503': 2 } }, { max_error_rate: 0.01 });
 * // { ok: false, reasons: ['error rate 2.00% exceeds 1.00%'] }
 */
export function steadyStateOk(sample: Sample | undefined, limits: SteadyStateLimits): SteadyStateResult {
  const reasons: string[] = [];
  const counts = statusBreakdown(sample);
  if (counts.total === 0) reasons.push('no requests observed');

  if (limits.max_error_rate !== undefined) {
    const max = nonNegative(limits.max_error_rate);
    if (max === undefined) reasons.push(`invalid max_error_rate ${String(limits.max_error_rate)}`);
    else if (counts.total > 0 && counts.serverErrorRate > max) {
      reasons.push(`error rate ${percent(counts.serverErrorRate)} exceeds ${percent(max)}`);
    }
  }
  if (limits.max_p99_ms !== undefined) {
    const max = nonNegative(limits.max_p99_ms);
    const tail = tailLatency(latencySummary(sample));
    if (max === undefined) reasons.push(`invalid max_p99_ms ${String(limits.max_p99_ms)}`);
    else if (tail === undefined) reasons.push('no latency data to check p99');
    else if (tail > max) reasons.push(`p99 ${Math.round(tail * 10) / 10} ms exceeds ${max} ms`);
  }
  return { ok: reasons.length === 0, reasons };
}
