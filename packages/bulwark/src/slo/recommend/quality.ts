import type { AvailabilityPoint } from '../../telemetry/types.js';

/**
 * Data quality of a lookback: completeness (share of hourly windows with data) and the gaps
 * (runs of missing hours), largest first.
 */
export interface DataQuality {
  data_completeness: number;
  days_with_data: number;
  telemetry_gaps: Array<{ start: string; end: string; hours: number }>;
  confidence_note: string;
}

export function dataQuality(
  points: readonly AvailabilityPoint[],
  range: { start: Date; end: Date },
  stepSeconds = 3600,
): Omit<DataQuality, 'confidence_note'> {
  const stepMs = stepSeconds * 1000;
  const first = Math.ceil(range.start.getTime() / stepMs);
  const last = Math.floor(range.end.getTime() / stepMs); // exclusive
  const expected = Math.max(1, last - first);
  const present = new Set<number>();
  for (const p of points) if (p.total > 0) present.add(Math.floor(p.start.getTime() / stepMs));
  const gaps: DataQuality['telemetry_gaps'] = [];
  let run = -1;
  for (let w = first; w <= last; w++) {
    const missing = w < last && !present.has(w);
    if (missing && run < 0) run = w;
    if (!missing && run >= 0) {
      gaps.push({
        start: new Date(run * stepMs).toISOString(),
        end: new Date(w * stepMs).toISOString(),
        hours: ((w - run) * stepSeconds) / 3600,
      });
      run = -1;
    }
  }
  gaps.sort((a, b) => b.hours - a.hours);
  const days = new Set([...present].map((w) => Math.floor((w * stepMs) / 86_400_000)));
  let inRange = 0;
  for (const w of present) if (w >= first && w < last) inRange++;
  return {
    data_completeness: Number((inRange / expected).toFixed(4)),
    days_with_data: days.size,
    telemetry_gaps: gaps.slice(0, 20),
  };
}
