/**
 * Drift detection for SLI streams: Page-Hinkley, ADWIN2 and a windowed two-sample
 * Kolmogorov–Smirnov test, combined by a 2-of-3 vote on seasonally adjusted residuals.
 * Pure: no I/O, no clock, no randomness; every streaming object serialises with toJSON/fromJSON.
 */
export { Adwin, type AdwinOptions, type AdwinState } from './adwin.js';
export {
  type KsResult,
  KsWindowDetector,
  type KsWindowOptions,
  type KsWindowState,
  kolmogorovQ,
  ksPValue,
  ksStatistic,
  ksTwoSample,
  ksTwoSampleSorted,
} from './ks.js';
export { type NormalizedSample, type NormalizerOptions, type NormalizerState, SliNormalizer } from './normalize.js';
export { PageHinkley, type PageHinkleyMode, type PageHinkleyOptions, type PageHinkleyState } from './page-hinkley.js';
export { SortedMultiset } from './sorted.js';
export { type DriftDirection, requireFinite, requireInteger } from './types.js';
export {
  type DetectorName,
  DRIFT_VOTER_DEFAULTS,
  type DriftEvent,
  type DriftMagnitude,
  DriftVoter,
  type DriftVoterOptions,
  type DriftVoterState,
  detectDrift,
  type ResolvedDriftVoterOptions,
} from './vote.js';
