/**
 * SLI aggregates (TRD FR-6): per service and window, availability, error rate and request rate,
 * computed hourly from the telemetry source and kept for dashboards, drift checks and stale marks.
 *
 * Glossary
 * - window: the span an aggregate covers, ending at the run's hour: 1h, 1d, 7d, 28d, 90d.
 * - granularity: how often a row is kept. Every run writes `1h` rows (kept 90 days); the run at
 *   00:00 UTC writes `1d` rows instead (kept one year).
 * - significant change: the 28-day error rate moved by more than 5% (relative) *and* by at least
 *   0.01 point from the availability the active recommendation was computed on; the
 *   recommendation is then marked stale and regenerated on its next request.
 */
export const WINDOWS = { '1h': 1, '1d': 24, '7d': 168, '28d': 672, '90d': 2160 } as const;
export type AggregateWindow = keyof typeof WINDOWS;

export interface AggregateRow {
  service_id: string;
  window: AggregateWindow;
  sli_type: 'availability' | 'error_rate' | 'request_rate';
  value: number;
  sample_count: number;
}

/** Rows for one window from per-service request counts. */
export function aggregateRows(
  window: AggregateWindow,
  counts: ReadonlyMap<string, { good: number; total: number }>,
): AggregateRow[] {
  const seconds = WINDOWS[window] * 3600;
  const rows: AggregateRow[] = [];
  for (const [service_id, c] of counts) {
    if (!(c.total > 0)) continue;
    const availability = (c.good / c.total) * 100;
    const sample_count = Math.round(c.total);
    rows.push({ service_id, window, sli_type: 'availability', value: availability, sample_count });
    rows.push({ service_id, window, sli_type: 'error_rate', value: 100 - availability, sample_count });
    rows.push({ service_id, window, sli_type: 'request_rate', value: c.total / seconds, sample_count });
  }
  return rows;
}

/** Whether a new 28-day availability (percent) differs significantly from the recommendation's. */
export function significantChange(recommendedOn: number, current: number): boolean {
  const before = 100 - recommendedOn;
  const after = 100 - current;
  const absolute = Math.abs(after - before);
  return absolute >= 0.01 && absolute / Math.max(before, 1e-4) > 0.05;
}

/** Granularity of the rows a run at `at` writes. */
export function granularityAt(at: Date): '1h' | '1d' {
  return at.getUTCHours() === 0 ? '1d' : '1h';
}
