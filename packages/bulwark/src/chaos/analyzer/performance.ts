/**
 * Performance scorer: how much slower did requests get?
 *
 *   s(x, base, T) = clamp(9 · (x − base) / max(T − base, 1 ms), 0, 10)
 *   s_tail   = s(tail during, tail baseline, T99)   tail = p99, else max, else p95
 *   s_median = s(p50 during,  p50 baseline,  T50)
 *   performance score = max(s_tail, s_median)
 *
 * T99 defaults to 5 × baseline tail (1000 ms without a baseline or with a zero baseline); T50 to
 * 5 × baseline p50 (1000 ms likewise). Reaching the threshold scores 9, and 10 is reached at
 * 1/9 of the (threshold − baseline) span beyond it. Taking the max means a median shift (every
 * request slower) counts even when the tail hardly moves. Without baseline latency the baseline is
 * 0 ms. Missing data: no usable latency during the fault → `missing`.
 */

import { clamp, type LatencySummary, latencySummary, nonNegative, tailLatency } from './stats.js';
import type { ComponentScore, PerformanceOptions, Sample } from './types.js';

/** Threshold used when there is no (positive) baseline and none is configured, in ms. */
export const DEFAULT_LATENCY_THRESHOLD_MS = 1000;
/** Default threshold as a multiple of the baseline. */
export const BASELINE_THRESHOLD_FACTOR = 5;

/**
 * The degradation curve s (see the module header).
 *
 * @param value - latency during the fault (ms)
 * @param base - baseline latency (ms); 0 when unknown
 * @param threshold - latency that scores 9 (ms)
 * @returns a score in [0, 10]
 */
export function degradationScore(value: number, base: number, threshold: number): number {
  const span = Math.max(threshold - base, 1);
  return clamp((9 * (value - base)) / span, 0, 10);
}

function threshold(configured: number | undefined, base: number): number {
  const t = nonNegative(configured);
  if (t !== undefined && t > 0) return t;
  return base > 0 ? BASELINE_THRESHOLD_FACTOR * base : DEFAULT_LATENCY_THRESHOLD_MS;
}

const ms = (x: number): string => `${Math.round(x * 10) / 10} ms`;

/**
 * Scores latency degradation during the fault against the baseline.
 *
 * @param during - the window while the fault was applied
 * @param baseline - the window before (optional)
 * @param options - thresholds
 * @returns score in [0, 10]; details `p50`, `tail`, `baseline_p50`, `baseline_tail`,
 *   `threshold_tail`, `threshold_p50`, `score_tail`, `score_p50` (those that could be derived)
 */
export function scorePerformance(
  during: Sample | undefined,
  baseline?: Sample,
  options: PerformanceOptions = {},
): ComponentScore {
  const d = latencySummary(during);
  const b: LatencySummary = latencySummary(baseline) ?? {};
  const tail = tailLatency(d);
  if (!d || (tail === undefined && d.p50 === undefined)) {
    return { score: 0, evidence: ['no latency data during the fault'], details: {}, missing: true };
  }
  const details: Record<string, number> = {};
  const evidence: string[] = [];
  let score = 0;

  if (tail !== undefined) {
    const base = tailLatency(b) ?? 0;
    const t = threshold(options.p99ThresholdMs, base);
    const s = degradationScore(tail, base, t);
    Object.assign(details, { tail, baseline_tail: base, threshold_tail: t, score_tail: s });
    score = Math.max(score, s);
    evidence.push(`p99 ${ms(tail)} vs baseline ${ms(base)} (threshold ${ms(t)})`);
  }
  if (d.p50 !== undefined) {
    const base = b.p50 ?? 0;
    const t = threshold(options.p50ThresholdMs, base);
    const s = degradationScore(d.p50, base, t);
    Object.assign(details, { p50: d.p50, baseline_p50: base, threshold_p50: t, score_p50: s });
    const line = `p50 ${ms(d.p50)} vs baseline ${ms(base)} (threshold ${ms(t)})`;
    // The component that drives the score comes first.
    if (s > score) evidence.unshift(line);
    else evidence.push(line);
    score = Math.max(score, s);
  }
  return { score, evidence, details };
}
