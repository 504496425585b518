/**
 * Builds an alerting {@link SloDefinition} from the SLO a service is held to now. Pure.
 */
import { BulwarkError } from '../../errors.js';
import type { ActiveSlo } from '../lifecycle/types.js';
import { DEFAULT_QUERIES, type QueryConfig, type SloDefinition, type SloObjective, type SloPeriod } from './types.js';

/**
 * Options of {@link fromActiveSlo}.
 *
 * @example
 * ```ts
 * const options: FromActiveSloOptions = { period: '28d', team: 'payments', minEventsPerHour: 60 };
 * ```
 */
export interface FromActiveSloOptions {
  /** Default `30d`. */
  period?: SloPeriod;
  team?: string;
  labels?: Record<string, string>;
  /** Overrides of the default metric and label names. */
  queries?: Partial<QueryConfig>;
  minEventsPerHour?: number;
}

/**
 * Converts an active SLO's targets into objectives:
 * - `availability` (percent) → objective `availability`;
 * - `latency_p99_ms` → objective `latency-p99`: 99% of requests faster than the threshold;
 * - `latency_p95_ms` → objective `latency-p95`: 95% of requests faster than the threshold.
 * Throws a `validation_failed` BulwarkError when the SLO has no target.
 *
 * @example
 * ```ts
 * fromActiveSlo(active, 'checkout', { minEventsPerHour: 60 }).objectives;
 * // => [{ name: 'availability', sli: { kind: 'availability' }, target: 99.9 },
 * //     { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 800 }, target: 99 }]
 * ```
 */
export function fromActiveSlo(slo: ActiveSlo, serviceName: string, options: FromActiveSloOptions = {}): SloDefinition {
  const t = slo.targets;
  const objectives: SloObjective[] = [];
  if (t.availability !== undefined) {
    objectives.push({ name: 'availability', sli: { kind: 'availability' }, target: t.availability });
  }
  if (t.latency_p99_ms !== undefined) {
    objectives.push({ name: 'latency-p99', sli: { kind: 'latency', thresholdMs: t.latency_p99_ms }, target: 99 });
  }
  if (t.latency_p95_ms !== undefined) {
    objectives.push({ name: 'latency-p95', sli: { kind: 'latency', thresholdMs: t.latency_p95_ms }, target: 95 });
  }
  if (objectives.length === 0) {
    throw new BulwarkError('validation_failed', `active SLO ${slo.id} of ${serviceName} has no target to alert on`);
  }
  const def: SloDefinition = { service: serviceName, period: options.period ?? '30d', objectives };
  if (options.team !== undefined) def.team = options.team;
  if (options.labels !== undefined) def.labels = { ...options.labels };
  if (options.queries !== undefined) def.queries = { ...DEFAULT_QUERIES, ...options.queries };
  if (options.minEventsPerHour !== undefined) def.minEventsPerHour = options.minEventsPerHour;
  return def;
}
