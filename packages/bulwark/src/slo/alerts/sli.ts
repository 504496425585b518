/**
 * Turns an objective's SLI into Sloth-style event queries (window templates with `{{.window}}`):
 * error events and total events, whose ratio is the SLI error ratio. Pure.
 */
import { formatNumber, labelFilter, promqlString } from './promql.js';
import { effectiveQueries, type SloDefinition, type SloObjective } from './types.js';

/**
 * Options shared by everything that resolves SLIs (rule generation, spec export and import).
 *
 * @example
 * ```ts
 * resolveSli(def, objective, { bucketBoundariesSeconds: [0.1, 0.25, 0.5, 1] });
 * ```
 */
export interface SliOptions {
  /**
   * The latency histogram's bucket boundaries in seconds. When given, a latency threshold is
   * snapped to the nearest boundary (the `le` series only exists at boundaries).
   */
  bucketBoundariesSeconds?: readonly number[];
}

/**
 * An SLI as event queries.
 *
 * @example
 * ```ts
 * const { errorQuery, totalQuery, notes }: ResolvedSli = resolveSli(def, objective);
 * ```
 */
export interface ResolvedSli {
  /** Bad events per second, window template. */
  errorQuery: string;
  /** All events per second, window template. */
  totalQuery: string;
  /**
   * A plain selector of the SLI's raw series when Bulwark built the queries (for `absent()`), or
   * undefined for custom queries.
   */
  eventsSelector?: string;
  /** Explanations worth showing to whoever deploys the rules (e.g. threshold snapping). */
  notes: string[];
}

/**
 * The `le` bucket for a latency threshold: snapped to the nearest configured boundary (ties go to
 * the lower, stricter one), or the threshold itself when no boundaries are known.
 *
 * @example
 * ```ts
 * snapToBucket(0.3, [0.1, 0.25, 0.5, 1]); // => { le: 0.25, snapped: true }
 * snapToBucket(0.3, undefined); // => { le: 0.3, snapped: false }
 * ```
 */
export function snapToBucket(
  thresholdSeconds: number,
  boundaries: readonly number[] | undefined,
): { le: number; snapped: boolean } {
  const finite = (boundaries ?? []).filter((b) => Number.isFinite(b) && b > 0);
  if (finite.length === 0) return { le: thresholdSeconds, snapped: false };
  let best = finite[0] as number;
  for (const b of finite) {
    const d = Math.abs(b - thresholdSeconds);
    const bestD = Math.abs(best - thresholdSeconds);
    if (d < bestD || (d === bestD && b < best)) best = b;
  }
  return { le: best, snapped: best !== thresholdSeconds };
}

/**
 * A matcher for a histogram `le` label. Integer boundaries match both `1` (client libraries) and
 * `1.0` (Prometheus 3 normalises classic histogram `le` values to float format).
 *
 * @example
 * ```ts
 * leMatcher(0.25); // => 'le="0.25"'
 * leMatcher(1); // => 'le=~"1|1\\\\.0"'
 * ```
 */
export function leMatcher(le: number): string {
  const text = formatNumber(le);
  if (Number.isInteger(le)) return `le=~${promqlString(`${text}|${text}\\.0`)}`;
  return `le=${promqlString(text)}`;
}

/**
 * Resolves an objective's SLI to event queries.
 * - availability without custom queries: `status=~"5.."` requests (0 when no such series) ÷ all
 *   requests of the service;
 * - availability with custom queries: used as given;
 * - latency: (count − bucket{le=threshold}) ÷ count, i.e. 1 − rate(bucket{le}) / rate(count).
 *
 * @example
 * ```ts
 * resolveSli({ service: 'checkout', period: '30d', objectives: [] },
 *   { name: 'availability', sli: { kind: 'availability' }, target: 99.9 }).errorQuery;
 * // => '(sum(rate(http_requests_total{service="checkout", code=~"5.."}[{{.window}}])) or vector(0))'
 * ```
 */
export function resolveSli(def: SloDefinition, objective: SloObjective, options: SliOptions = {}): ResolvedSli {
  const q = effectiveQueries(def);
  const service = `${q.serviceLabel}=${promqlString(def.service)}`;
  const sli = objective.sli;
  if (sli.kind === 'availability') {
    if (sli.errorQuery !== undefined && sli.totalQuery !== undefined) {
      return { errorQuery: sli.errorQuery, totalQuery: sli.totalQuery, notes: [] };
    }
    return {
      // `or vector(0)`: client libraries create the 5xx series only on the first error; without it
      // a service that never failed would have no SLI at all instead of 0.
      errorQuery: `(sum(rate(${q.requestsMetric}{${service}, ${q.statusLabel}=~"5.."}[{{.window}}])) or vector(0))`,
      totalQuery: `sum(rate(${q.requestsMetric}{${service}}[{{.window}}]))`,
      eventsSelector: `${q.requestsMetric}{${service}}`,
      notes: [],
    };
  }
  const bucket = sli.bucketMetric ?? q.latencyBucketMetric;
  const count = `${bucket.replace(/_bucket$/, '')}_count`;
  const threshold = sli.thresholdMs / 1000;
  const { le, snapped } = snapToBucket(threshold, options.bucketBoundariesSeconds);
  const notes: string[] = [];
  if (snapped) {
    notes.push(
      `${objective.name}: threshold ${formatNumber(sli.thresholdMs)} ms snapped to the nearest bucket boundary le="${formatNumber(le)}" (${formatNumber(le * 1000)} ms) of ${bucket}.`,
    );
  } else if (!options.bucketBoundariesSeconds || options.bucketBoundariesSeconds.length === 0) {
    notes.push(
      `${objective.name}: uses ${bucket}{le="${formatNumber(le)}"} as is; it must be an exact bucket boundary of the histogram or the SLI has no data (pass the bucket boundaries to snap the threshold).`,
    );
  }
  const countRate = `sum(rate(${count}{${service}}[{{.window}}]))`;
  return {
    errorQuery: `(${countRate} - sum(rate(${bucket}{${service}, ${leMatcher(le)}}[{{.window}}])))`,
    totalQuery: countRate,
    eventsSelector: `${count}{${service}}`,
    notes,
  };
}

/**
 * The Sloth SLO id of an objective: `<service>-<objective>`.
 *
 * @example
 * ```ts
 * slothId('checkout', 'availability'); // => 'checkout-availability'
 * ```
 */
export function slothId(service: string, objective: string): string {
  return `${service}-${objective}`;
}

/**
 * The Sloth identity labels of an objective's series (sorted like Sloth's filters).
 *
 * @example
 * ```ts
 * slothIdLabels('checkout', 'availability');
 * // => { sloth_id: 'checkout-availability', sloth_service: 'checkout', sloth_slo: 'availability' }
 * ```
 */
export function slothIdLabels(service: string, objective: string): Record<string, string> {
  return { sloth_id: slothId(service, objective), sloth_service: service, sloth_slo: objective };
}

/**
 * The PromQL filter selecting one objective's Sloth series.
 *
 * @example
 * ```ts
 * slothFilter('checkout', 'availability');
 * // => '{sloth_id="checkout-availability", sloth_service="checkout", sloth_slo="availability"}'
 * ```
 */
export function slothFilter(service: string, objective: string): string {
  return labelFilter(slothIdLabels(service, objective));
}
