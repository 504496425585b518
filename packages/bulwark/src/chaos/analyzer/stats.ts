/**
 * Defensive readers for the executor's samples: status breakdowns and latency percentiles from any
 * of the three encodings. Every function accepts malformed input (NaN, negatives, wrong types,
 * missing fields) and returns finite, non-negative numbers or `undefined`.
 */

import type { Sample } from './types.js';

/** `x` when it is a finite number ≥ 0, otherwise `undefined`. */
export function nonNegative(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}

/** Clamps to [low, high]; non-finite input gives `low`. */
export function clamp(x: number, low: number, high: number): number {
  if (!Number.isFinite(x)) return Number.isNaN(x) || x < 0 ? low : high;
  return Math.min(high, Math.max(low, x));
}

/** Counts of one sample by outcome class. */
export interface StatusBreakdown {
  /** Denominator for rates: max(requests, Σ status counts). */
  total: number;
  success: number;
  client4xx: number;
  server5xx: number;
  /** `"error"` and any key that is not an HTTP status (`"timeout"`, `"0"` …). */
  transport: number;
  /** (server5xx + transport) / total; 0 when total is 0. */
  serverErrorRate: number;
  /** (client4xx + server5xx + transport) / total; 0 when total is 0. */
  failureRate: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * Splits a sample's status counts into classes. Keys `"100"`–`"399"` (and `"1xx"`–`"3xx"`) are
 * successes, `"4xx"` client errors, `"5xx"` server errors, anything else a transport error.
 * Non-finite or negative counts are ignored.
 *
 * @param sample - possibly malformed sample
 * @returns the breakdown; `total` 0 means the window holds no request data
 */
export function statusBreakdown(sample: Sample | undefined): StatusBreakdown {
  let success = 0;
  let client4xx = 0;
  let server5xx = 0;
  let transport = 0;
  const counts = isRecord(sample) && isRecord(sample.status_counts) ? sample.status_counts : {};
  for (const [rawKey, rawCount] of Object.entries(counts)) {
    const count = nonNegative(rawCount) ?? 0;
    if (count === 0) continue;
    const key = rawKey.trim().toLowerCase();
    const cls = /^([1-5])(?:\d\d|xx)$/.exec(key)?.[1];
    if (cls === '1' || cls === '2' || cls === '3') success += count;
    else if (cls === '4') client4xx += count;
    else if (cls === '5') server5xx += count;
    else transport += count;
  }
  const counted = success + client4xx + server5xx + transport;
  const requests = isRecord(sample) ? (nonNegative(sample.requests) ?? 0) : 0;
  const total = Math.max(requests, counted);
  const rate = (n: number): number => (total > 0 && Number.isFinite(n / total) ? Math.min(1, n / total) : 0);
  return {
    total,
    success,
    client4xx,
    server5xx,
    transport,
    serverErrorRate: rate(server5xx + transport),
    failureRate: rate(client4xx + server5xx + transport),
  };
}

/** Latency summary in ms; a field is absent when it cannot be derived. */
export interface LatencySummary {
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

/**
 * The q-quantile of ascending `sorted` by linear interpolation between closest ranks (the
 * "type 7" estimator of R and NumPy's default).
 *
 * @param sorted - ascending values, non-empty
 * @param q - in [0, 1]
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * clamp(q, 0, 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (h - lo);
}

function fromSamples(raw: readonly unknown[]): LatencySummary | undefined {
  const values = new Float64Array(raw.length);
  let n = 0;
  for (const x of raw) {
    const v = nonNegative(x);
    if (v !== undefined) values[n++] = v;
  }
  if (n === 0) return undefined;
  const sorted = values.subarray(0, n).sort();
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[n - 1] as number,
  };
}

/**
 * Percentiles from a histogram by linear interpolation inside the bucket holding the rank (as
 * Prometheus' `histogram_quantile`). A quantile that falls in the overflow bucket is reported as
 * the highest finite bound. Unsorted bounds are sorted; bad bounds or counts are dropped.
 */
function fromHistogram(h: Record<string, unknown>): LatencySummary | undefined {
  const le = Array.isArray(h.le) ? h.le : [];
  const counts = Array.isArray(h.counts) ? h.counts : [];
  const buckets: Array<{ upper: number; count: number }> = [];
  let overflow = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const count = nonNegative(counts[i]) ?? 0;
    const bound = le[i];
    if (i >= le.length || bound === Number.POSITIVE_INFINITY) overflow += count;
    else if (nonNegative(bound) !== undefined) buckets.push({ upper: bound as number, count });
  }
  buckets.sort((a, b) => a.upper - b.upper);
  if (h.cumulative === true) {
    // Cumulative counts: per-bucket = difference to the previous bound (never negative).
    let previous = 0;
    for (const b of buckets) {
      const c = b.count;
      b.count = Math.max(0, c - previous);
      previous = Math.max(previous, c);
    }
    overflow = Math.max(0, overflow - previous);
  }
  const finiteTotal = buckets.reduce((s, b) => s + b.count, 0);
  const total = finiteTotal + overflow;
  if (!(total > 0) || !Number.isFinite(total) || buckets.length === 0) return undefined;
  const highest = (buckets[buckets.length - 1] as { upper: number }).upper;

  const quantile = (q: number): number => {
    const rank = q * total;
    let before = 0;
    let lower = 0;
    for (const b of buckets) {
      if (b.count > 0 && before + b.count >= rank) {
        return lower + (b.upper - lower) * clamp((rank - before) / b.count, 0, 1);
      }
      before += b.count;
      lower = b.upper;
    }
    return highest;
  };
  let max = highest;
  if (overflow === 0) {
    for (let i = buckets.length - 1; i >= 0; i -= 1) {
      const b = buckets[i] as { upper: number; count: number };
      if (b.count > 0) {
        max = b.upper;
        break;
      }
    }
  }
  return { p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99), max };
}

/**
 * Latency summary of a sample from percentiles, raw samples (percentiles computed) or a histogram
 * (percentiles interpolated).
 *
 * @param sample - possibly malformed sample
 * @returns the summary, or `undefined` when the sample holds no usable latency
 */
export function latencySummary(sample: Sample | undefined): LatencySummary | undefined {
  if (!isRecord(sample) || !isRecord(sample.latency_ms)) return undefined;
  const input = sample.latency_ms as Record<string, unknown>;
  if (Array.isArray(input.samples)) return fromSamples(input.samples);
  if (isRecord(input.histogram)) return fromHistogram(input.histogram);
  const out: LatencySummary = {};
  for (const key of ['p50', 'p95', 'p99', 'max'] as const) {
    const v = nonNegative(input[key]);
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The tail latency used for scoring and checks: p99, else max (an upper bound, so conservative),
 * else p95.
 */
export function tailLatency(summary: LatencySummary | undefined): number | undefined {
  return summary?.p99 ?? summary?.max ?? summary?.p95;
}

/** Formats a rate in [0, 1] as a percentage with enough digits for small rates. */
export function percent(rate: number): string {
  const p = rate * 100;
  return `${p >= 1 || p === 0 ? p.toFixed(2) : p.toPrecision(2)}%`;
}
