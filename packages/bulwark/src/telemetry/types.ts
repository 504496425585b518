/**
 * The only way the SLO engine sees metrics.
 *
 * Glossary
 * - SLI (service level indicator): a measured ratio of good events to valid events
 *   (availability: non-5xx requests / requests; latency: requests faster than a threshold / requests).
 * - window: a half-open time interval [start, end) with counts aggregated over it.
 * - step: the width of each window in a series, in seconds (3600 = hourly).
 *
 * Implementations: `prometheus.ts` (PromQL over the HTTP API, every call wrapped with
 * @bulwark/resilience) and `synthetic.ts` (deterministic, seeded; demo, tests, benchmarks).
 */

export interface TimeRange {
  start: Date;
  end: Date;
}

/** Request counts of one service in one window. `good` = requests that did not fail (non-5xx). */
export interface AvailabilityPoint {
  start: Date;
  good: number;
  total: number;
}

/** Latency distribution of one service in one window, in milliseconds. */
export interface LatencyPoint {
  start: Date;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  /** Requests observed in the window (0 = no data). */
  count: number;
}

/** An edge discovered from traces (OpenTelemetry service-graph connector metrics). */
export interface DiscoveredEdge {
  source: string;
  target: string;
  /** Requests per second over the discovery range. */
  rps: number;
  /** Failed share of those requests. */
  errorRate: number;
}

export interface TelemetrySource {
  /** `prometheus` or `synthetic`: recorded in recommendation provenance. */
  readonly kind: 'prometheus' | 'synthetic';
  /** Per-window availability counts for a service, oldest first; windows without data are omitted. */
  availabilitySeries(service: string, range: TimeRange, stepSeconds: number): Promise<AvailabilityPoint[]>;
  /** Per-window latency percentiles for a service, oldest first; windows without data are omitted. */
  latencySeries(service: string, range: TimeRange, stepSeconds: number): Promise<LatencyPoint[]>;
  /**
   * Request counts of many services over one range in as few queries as the source allows
   * (Prometheus: two `sum by (service)` queries for any number of services). Services without
   * data are absent from the map.
   */
  summaries(services: readonly string[], range: TimeRange): Promise<Map<string, { good: number; total: number }>>;
  /**
   * Daily availability counts of many services over one range, oldest first per service, in as few
   * queries as the source allows (Prometheus: two `sum by (service)` range queries with a 1-day
   * step). Services and days without requests are absent.
   */
  dailyCounts(services: readonly string[], range: TimeRange): Promise<Map<string, AvailabilityPoint[]>>;
  /** Service-to-service edges seen in traces over the range (empty when the source has none). */
  discoverEdges(range: TimeRange): Promise<DiscoveredEdge[]>;
  /** Resolves when the source answers; throws with a reason otherwise (readiness). */
  ping(): Promise<void>;
}
