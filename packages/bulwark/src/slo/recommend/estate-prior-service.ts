import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';
import { fnv1a } from '../../service-id.js';
import type { TelemetrySource, TimeRange } from '../../telemetry/types.js';
import { toDays } from './availability.js';
import { buildEstatePrior, type EstatePrior } from './estate-prior.js';

/**
 * The estate prior over a lookback (see estate-prior.ts): incident sizes, incident rates and
 * deploy steps as the estate shows them, the prior of any one service's forecast. On the backtest
 * (docs/benchmarks.md) the incident-size pool alone took the balanced tier's breach rate from 6.7%
 * to 1.7%; the rate prior and the deploy steps took the worst calibration error from 0.055 to 0.033.
 *
 * Built from the daily counts of up to `sampleSize` services (a fixed hash-ordered sample, so the
 * prior does not depend on which service asked first) and of their hard dependencies (so that a
 * dependency's incident seen by its dependents counts once), in two range queries on Prometheus,
 * and kept for `ttlMs` per lookback length. A failure yields no prior (each service on its own
 * history) and is retried on the next call.
 */
export interface EstatePriorOptions {
  telemetry: TelemetrySource;
  /** Every service id of the estate. */
  listServices: () => Promise<string[]>;
  /** The hard dependencies of each service (default: none known). */
  hardDependencies?: () => Promise<(id: string) => readonly string[]>;
  /** Services sampled for the prior (default 500). */
  sampleSize?: number;
  /** How long a prior is reused (default 6 hours). */
  ttlMs?: number;
  now?: () => number;
}

export type EstatePriorSource = (range: TimeRange) => Promise<EstatePrior | undefined>;

export function createEstatePrior(o: EstatePriorOptions): EstatePriorSource {
  const ttl = o.ttlMs ?? 6 * 3_600_000;
  const size = o.sampleSize ?? 500;
  const now = o.now ?? Date.now;
  const priors = new Map<number, { at: number; value: Promise<EstatePrior | undefined> }>();

  async function build(range: TimeRange): Promise<EstatePrior | undefined> {
    const [ids, depsOf] = await Promise.all([
      o.listServices(),
      o.hardDependencies ? o.hardDependencies() : Promise.resolve(() => [] as string[]),
    ]);
    const sample = ids
      .map((id) => ({ id, h: fnv1a(id) }))
      .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
      .slice(0, size)
      .map((s) => s.id);
    if (sample.length === 0) return undefined;
    const wanted = [...new Set([...sample, ...sample.flatMap((id) => depsOf(id))])];
    const daily = await o.telemetry.dailyCounts(wanted, range);
    const histories = new Map([...daily].map(([id, points]) => [id, toDays(points)]));
    const prior = buildEstatePrior(histories, depsOf);
    return prior.incidentCosts.length > 0 || prior.steps ? prior : undefined;
  }

  return (range) => {
    const days = Math.round((range.end.getTime() - range.start.getTime()) / 86_400_000);
    const hit = priors.get(days);
    if (hit && now() - hit.at < ttl) return hit.value;
    const value = build(range).catch(() => {
      priors.delete(days);
      return undefined;
    });
    priors.set(days, { at: now(), value });
    return value;
  };
}

/** Ids of the services described by some source (placeholders have no telemetry of their own). */
export async function listServiceIds(db: Queryable): Promise<string[]> {
  return (await db.query<{ id: string }>(sql`select id from services where not placeholder`)).map((r) => r.id);
}
