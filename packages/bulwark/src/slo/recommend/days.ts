import type { AvailabilityPoint } from '../../telemetry/types.js';

/** A service's history as UTC days: what the availability forecast and regime detection read. */
export interface DayCounts {
  /** Unix day number (days since 1970-01-01 UTC). */
  day: number;
  good: number;
  total: number;
  /** Hours of the day with data. */
  hours: number;
  /**
   * Failures of the day at its baseline rate: the failure rate of its points without the worst
   * sixth of them (an incident of a few hours), times the day's total. Only for days with at least
   * {@link MIN_POINTS_FOR_BASE} points; what regime-change detection reads (see regime.ts).
   */
  base?: number;
  /**
   * The day's points in time order as (failed, total) pairs, kept with `base`: where in its first
   * day a regime change happened (see regime.ts).
   */
  points?: Float64Array;
}

/** Points a day needs for a baseline rate (hourly data: half a day). */
export const MIN_POINTS_FOR_BASE = 12;

/** Hourly (or finer) availability points summed per UTC day, oldest first. */
export function toDays(points: readonly AvailabilityPoint[]): DayCounts[] {
  const byDay = new Map<number, { d: DayCounts; points: AvailabilityPoint[] }>();
  for (const p of points) {
    const day = Math.floor(p.start.getTime() / 86_400_000);
    let e = byDay.get(day);
    if (!e) {
      e = { d: { day, good: 0, total: 0, hours: 0 }, points: [] };
      byDay.set(day, e);
    }
    e.d.good += p.good;
    e.d.total += p.total;
    e.d.hours += 1;
    e.points.push(p);
  }
  const out: DayCounts[] = [];
  for (const { d, points: pts } of byDay.values()) {
    if (pts.length >= MIN_POINTS_FOR_BASE && d.total > 0) {
      const ratio = (p: AvailabilityPoint) => (p.total > 0 ? (p.total - p.good) / p.total : 0);
      const kept = [...pts].sort((a, b) => ratio(a) - ratio(b)).slice(0, pts.length - Math.ceil(pts.length / 6));
      const keptTotal = kept.reduce((s, p) => s + p.total, 0);
      const keptBad = kept.reduce((s, p) => s + p.total - p.good, 0);
      d.base = keptTotal > 0 ? (keptBad / keptTotal) * d.total : 0;
      const inOrder = [...pts].sort((a, b) => a.start.getTime() - b.start.getTime());
      d.points = new Float64Array(inOrder.length * 2);
      inOrder.forEach((p, k) => {
        (d.points as Float64Array)[2 * k] = p.total - p.good;
        (d.points as Float64Array)[2 * k + 1] = p.total;
      });
    }
    out.push(d);
  }
  return out.sort((a, b) => a.day - b.day);
}
