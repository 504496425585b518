/**
 * Response analyzer: turns what the executor observed during one trial into a severity in [0, 10].
 *
 * Glossary
 * - sample: what was observed over one window (request count, status counts, latency, logs, spans).
 * - baseline / during / recovery: the windows before, while and after the fault is applied.
 * - 5xx rate: (5xx responses + transport errors) / requests; transport errors are the status key
 *   `"error"` and any key that is not an HTTP status (e.g. `"timeout"`).
 * - failure rate: (4xx + 5xx + transport errors) / requests.
 * - excess: the rate during the fault minus the baseline rate, floored at 0.
 * - component: one scorer's result (bug, performance, structure), each in [0, 10].
 * - severity: the blended score the optimizer maximises.
 *
 * The types mirror the executor's wire format (snake_case) and are read defensively: any number
 * may be NaN, negative or missing, and the analyzer still returns finite scores in [0, 10].
 */

/** Latency as percentiles (ms). */
export interface LatencyPercentiles {
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

/** Latency as raw per-request samples (ms). */
export interface LatencySamples {
  samples: number[];
}

/**
 * Latency as a histogram. `le[i]` is the upper bound (ms) of bucket i. By default `counts[i]` is
 * the number of observations in (`le[i-1]`, `le[i]`] (the first bucket starts at 0); with
 * `cumulative: true` it is the number ≤ `le[i]` (Prometheus style). A trailing extra count (one
 * more count than bounds) is the overflow (+Inf) bucket.
 */
export interface LatencyHistogram {
  histogram: { le: number[]; counts: number[]; cumulative?: boolean };
}

/** Any of the three latency encodings. */
export type LatencyInput = LatencyPercentiles | LatencySamples | LatencyHistogram;

/** One log line reported by the executor. */
export interface ErrorLog {
  level: string;
  message: string;
  service?: string;
}

/** One trace span. */
export interface Span {
  trace_id: string;
  span_id: string;
  parent_id?: string;
  service: string;
  operation: string;
  status?: number;
  duration_ms: number;
}

/** What was observed over one window. */
export interface Sample {
  requests: number;
  /** Keyed by HTTP status (`"200"`, `"503"`) or `"error"` for transport errors. */
  status_counts: Record<string, number>;
  latency_ms?: LatencyInput;
  error_logs?: ErrorLog[];
  spans?: Span[];
}

/** The executor's observation of one trial. */
export interface Observation {
  baseline?: Sample;
  during: Sample;
  recovery?: Sample;
}

/** One scorer's output. */
export interface ComponentScore {
  /** In [0, 10]. */
  score: number;
  /** Human-readable reasons, most important first. */
  evidence: string[];
  /** Numbers behind the score (rates, percentiles, counts …); all finite. */
  details: Record<string, number>;
  /** True when the window held no data for this scorer (the score is then the default). */
  missing?: boolean;
}

/** The three scorers. */
export type ComponentName = 'bug' | 'performance' | 'structure';

/** A component as it entered the blend. */
export interface WeightedComponent {
  score: number;
  /** Normalised weight actually used (0 for a component without data). */
  weight: number;
  /** weight · score. */
  contribution: number;
}

/** The analyzer's verdict on one trial. */
export interface Analysis {
  /** In [0, 10], always finite. */
  severity: number;
  /** Σ contributions (the weighted mean of the components that had data). */
  weighted: number;
  components: Record<ComponentName, WeightedComponent>;
  evidence: string[];
  /** Present when a recovery sample was given and could be judged. */
  recovered?: boolean;
}

/** Steady-state limits (the fault space's `steady_state`). */
export interface SteadyStateLimits {
  /** Maximum (5xx + transport errors) / requests, in [0, 1]. */
  max_error_rate?: number;
  max_p99_ms?: number;
}

/** Result of a steady-state check. */
export interface SteadyStateResult {
  ok: boolean;
  reasons: string[];
}

/** Tuning for {@link ComponentScore} computation and blending; every field is optional. */
export interface AnalyzerOptions {
  /** Relative weights; normalised over the components that had data. Default 0.5 / 0.3 / 0.2. */
  weights?: Partial<Record<ComponentName, number>>;
  /** severity = max(weighted, peakFactor · max component). Default 0.8; clamped to [0, 1]. */
  peakFactor?: number;
  /** Score of a component whose window held no data. Default 0. */
  missingScore?: number;
  performance?: PerformanceOptions;
  recovery?: RecoveryTolerance;
}

/** Latency thresholds for the performance scorer. */
export interface PerformanceOptions {
  /** p99 at which the score reaches 9. Default 5 × baseline p99, or 1000 ms without a baseline. */
  p99ThresholdMs?: number;
  /** p50 at which the score reaches 9. Default 5 × baseline p50, or 1000 ms without a baseline. */
  p50ThresholdMs?: number;
}

/** How close to the baseline the recovery window must be to count as recovered. */
export interface RecoveryTolerance {
  /** Allowed absolute increase of the 5xx rate over the baseline. Default 0.005. */
  errorRate?: number;
  /** Allowed relative increase of p99 over the baseline. Default 0.2 (20 %). */
  p99Ratio?: number;
}
