/**
 * Blends the three scorers into one severity in [0, 10].
 *
 *   w_i      = configured weight (default bug 0.5, performance 0.3, structure 0.2), normalised over
 *              the components that had data (a component without data gets weight 0)
 *   weighted = Σ w_i · s_i                      (the contributions)
 *   peak     = peakFactor · max{ s_i : w_i > 0 } (peakFactor default 0.8)
 *   severity = clamp(max(weighted, peak), 0, 10)
 *
 * The peak term keeps one catastrophic component from being diluted: 10 on bug alone gives 8, not 5.
 * When no component has data, severity = `missingScore` (default 0): an empty observation must not
 * attract the optimizer. Invalid weights (negative, non-finite) fall back to the defaults, as do
 * weights that are all 0 over the available components.
 */

import { scoreBug } from './bug.js';
import { scorePerformance } from './performance.js';
import { clamp, latencySummary, nonNegative, percent, statusBreakdown, tailLatency } from './stats.js';
import { scoreStructure } from './structure.js';
import type {
  Analysis,
  AnalyzerOptions,
  ComponentName,
  ComponentScore,
  Observation,
  RecoveryTolerance,
  WeightedComponent,
} from './types.js';

/** Default component weights (normalised before use). */
export const DEFAULT_WEIGHTS: Readonly<Record<ComponentName, number>> = { bug: 0.5, performance: 0.3, structure: 0.2 };
/** Default factor on the largest component in the blend. */
export const DEFAULT_PEAK_FACTOR = 0.8;
/** Default recovery tolerances. */
export const DEFAULT_RECOVERY_TOLERANCE: Readonly<Required<RecoveryTolerance>> = { errorRate: 0.005, p99Ratio: 0.2 };

const NAMES: readonly ComponentName[] = ['bug', 'performance', 'structure'];

/** Blended result without the recovery verdict. */
export type Blend = Omit<Analysis, 'recovered'>;

/**
 * Blends component scores (see the module header for the formula).
 *
 * @param components - the three scorer outputs
 * @param options - weights, peak factor, missing-data score
 * @returns severity, weighted mean, per-component weight and contribution, and evidence
 */
export function combineScores(components: Record<ComponentName, ComponentScore>, options: AnalyzerOptions = {}): Blend {
  const missingScore = clamp(nonNegative(options.missingScore) ?? 0, 0, 10);
  const peakFactor = clamp(nonNegative(options.peakFactor) ?? DEFAULT_PEAK_FACTOR, 0, 1);
  const score = (n: ComponentName): number => clamp(components[n].score, 0, 10);
  const available = NAMES.filter((n) => !components[n].missing);

  const raw = (source: Partial<Record<ComponentName, number>>): Record<ComponentName, number> => {
    const out = { ...DEFAULT_WEIGHTS };
    for (const n of NAMES) {
      const w = nonNegative(source[n]);
      if (w !== undefined) out[n] = w;
    }
    return out;
  };
  let weights = raw(options.weights ?? {});
  let sum = available.reduce((s, n) => s + weights[n], 0);
  if (!(sum > 0) || !Number.isFinite(sum)) {
    weights = { ...DEFAULT_WEIGHTS };
    sum = available.reduce((s, n) => s + weights[n], 0);
  }

  const result = {} as Record<ComponentName, WeightedComponent>;
  let weighted = 0;
  let peak = 0;
  for (const n of NAMES) {
    const s = components[n].missing ? missingScore : score(n);
    const weight = available.includes(n) && sum > 0 ? weights[n] / sum : 0;
    const contribution = weight * s;
    result[n] = { score: s, weight, contribution };
    weighted += contribution;
    if (weight > 0) peak = Math.max(peak, s);
  }
  const severity = available.length === 0 ? missingScore : clamp(Math.max(weighted, peakFactor * peak), 0, 10);

  const evidence: string[] = [];
  for (const n of NAMES) {
    const prefix = components[n].missing ? `${n} (no data, excluded)` : `${n} ${result[n].score.toFixed(1)}`;
    for (const line of components[n].evidence) evidence.push(`${prefix}: ${line}`);
  }
  return { severity, weighted: clamp(weighted, 0, 10), components: result, evidence };
}

/**
 * Whether the system came back: the recovery window's 5xx rate is within `errorRate` of the
 * baseline's (0 without a baseline) and its tail latency within `p99Ratio` of the baseline's (not
 * checked when either lacks latency).
 *
 * @returns the verdict and its evidence, or `undefined` when there is no recovery data
 */
export function judgeRecovery(
  observation: Observation,
  tolerance: RecoveryTolerance = {},
): { recovered: boolean; evidence: string[] } | undefined {
  if (!observation.recovery) return undefined;
  const errorTolerance = nonNegative(tolerance.errorRate) ?? DEFAULT_RECOVERY_TOLERANCE.errorRate;
  const latencyTolerance = nonNegative(tolerance.p99Ratio) ?? DEFAULT_RECOVERY_TOLERANCE.p99Ratio;
  const r = statusBreakdown(observation.recovery);
  if (r.total === 0) return undefined;
  const b = statusBreakdown(observation.baseline);
  const evidence: string[] = [];
  let recovered = true;

  const allowed = b.serverErrorRate + errorTolerance;
  if (r.serverErrorRate > allowed) {
    recovered = false;
    evidence.push(`recovery error rate ${percent(r.serverErrorRate)} above baseline ${percent(b.serverErrorRate)}`);
  }
  const rTail = tailLatency(latencySummary(observation.recovery));
  const bTail = tailLatency(latencySummary(observation.baseline));
  if (rTail !== undefined && bTail !== undefined) {
    if (rTail > bTail * (1 + latencyTolerance)) {
      recovered = false;
      evidence.push(`recovery p99 ${Math.round(rTail)} ms above baseline ${Math.round(bTail)} ms`);
    }
  } else {
    evidence.push('recovery latency not compared (no latency in recovery or baseline)');
  }
  evidence.unshift(recovered ? 'recovered to baseline' : 'did not recover to baseline');
  return { recovered, evidence };
}

/**
 * Analyses one trial: bug, performance and structure scores blended into a severity in [0, 10],
 * plus the recovery verdict when a recovery window is given. Never throws on malformed data; the
 * severity is always finite.
 *
 * @param observation - what the executor observed
 * @param options - weights, peak factor, missing-data score, latency thresholds, recovery tolerance
 * @returns the analysis
 * @example
 * const a = analyzeObservation({ baseline, during, recovery });
 * a.severity; // e.g. 8.3 with 5 % 5xx during the fault
 */
export function analyzeObservation(observation: Observation, options: AnalyzerOptions = {}): Analysis {
  const obs: Observation =
    typeof observation === 'object' && observation !== null ? observation : ({} as unknown as Observation);
  const components: Record<ComponentName, ComponentScore> = {
    bug: scoreBug(obs.during, obs.baseline),
    performance: scorePerformance(obs.during, obs.baseline, options.performance ?? {}),
    structure: scoreStructure(obs.during, obs.baseline),
  };
  const blend = combineScores(components, options);
  const analysis: Analysis = blend;
  const recovery = judgeRecovery(obs, options.recovery ?? {});
  if (recovery) {
    analysis.recovered = recovery.recovered;
    analysis.evidence.push(...recovery.evidence.map((e) => `recovery: ${e}`));
  }
  return analysis;
}
