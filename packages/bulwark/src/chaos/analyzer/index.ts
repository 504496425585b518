/** Response analyzer: observation of one trial → severity in [0, 10] with evidence. Pure. */

export {
  analyzeObservation,
  type Blend,
  combineScores,
  DEFAULT_PEAK_FACTOR,
  DEFAULT_RECOVERY_TOLERANCE,
  DEFAULT_WEIGHTS,
  judgeRecovery,
} from './analyze.js';
export { countErrorLogs, RATE_CAP, RATE_KNEE, rateCurve, scoreBug } from './bug.js';
export {
  BASELINE_THRESHOLD_FACTOR,
  DEFAULT_LATENCY_THRESHOLD_MS,
  degradationScore,
  scorePerformance,
} from './performance.js';
export {
  type LatencySummary,
  latencySummary,
  quantileSorted,
  type StatusBreakdown,
  statusBreakdown,
  tailLatency,
} from './stats.js';
export { steadyStateOk } from './steady-state.js';
export { MIN_BASELINE_SHARE, scoreStructure, summarizeTraces, type TraceSummary } from './structure.js';
export type * from './types.js';
