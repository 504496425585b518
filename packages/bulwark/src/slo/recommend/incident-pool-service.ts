import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';
import { fnv1a } from '../../service-id.js';
import type { TelemetrySource, TimeRange } from '../../telemetry/types.js';
import { observedIncidentCosts, toDays } from './availability.js';

/**
 * The estate's incident costs over a lookback: the prior for the size of any one service's next
 * incident (see `simulatePeriods`). A service with two incidents in 30 days has not shown the size
 * distribution of its third; the estate has. On the backtest (docs/benchmarks.md) pooling took the
 * balanced tier's breach rate from 6.7% to 1.7% and its distance to the achievable target from
 * 0.62 to 0.28 point.
 *
 * Built from the daily counts of up to `sampleSize` services (a fixed hash-ordered sample, so the
 * pool does not depend on which service asked first), in two range queries on Prometheus, and kept
 * for `ttlMs` per lookback length. A failure yields no pool (each service on its own history)
 * and is retried on the next call.
 */
export interface IncidentPoolOptions {
  telemetry: TelemetrySource;
  /** Every service id of the estate. */
  listServices: () => Promise<string[]>;
  /** Services sampled for the pool (default 500). */
  sampleSize?: number;
  /** How long a pool is reused (default 6 hours). */
  ttlMs?: number;
  now?: () => number;
}

export type IncidentPool = (range: TimeRange) => Promise<readonly number[] | undefined>;

export function createIncidentPool(o: IncidentPoolOptions): IncidentPool {
  const ttl = o.ttlMs ?? 6 * 3_600_000;
  const size = o.sampleSize ?? 500;
  const now = o.now ?? Date.now;
  const pools = new Map<number, { at: number; value: Promise<readonly number[] | undefined> }>();

  async function build(range: TimeRange): Promise<readonly number[] | undefined> {
    const ids = await o.listServices();
    const sample = ids
      .map((id) => ({ id, h: fnv1a(id) }))
      .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
      .slice(0, size)
      .map((s) => s.id);
    if (sample.length === 0) return undefined;
    const daily = await o.telemetry.dailyCounts(sample, range);
    const costs: number[] = [];
    for (const points of daily.values()) costs.push(...observedIncidentCosts(toDays(points)));
    return costs.length > 0 ? costs : undefined;
  }

  return (range) => {
    const days = Math.round((range.end.getTime() - range.start.getTime()) / 86_400_000);
    const hit = pools.get(days);
    if (hit && now() - hit.at < ttl) return hit.value;
    const value = build(range).catch(() => {
      pools.delete(days);
      return undefined;
    });
    pools.set(days, { at: now(), value });
    return value;
  };
}

/** Ids of the services described by some source (placeholders have no telemetry of their own). */
export async function listServiceIds(db: Queryable): Promise<string[]> {
  return (await db.query<{ id: string }>(sql`select id from services where not placeholder`)).map((r) => r.id);
}
