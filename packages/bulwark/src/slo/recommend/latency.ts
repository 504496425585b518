import { type RandomSource, seededRandom } from '@bulwark/resilience';
import type { LatencyPoint } from '../../telemetry/types.js';
import { blockBootstrap, quantileSorted } from './stats.js';
import type { TierName } from './types.js';

/**
 * Latency tiers from history.
 *
 * Percentiles do not average: the p99 of a month is not the mean of hourly p99s. Each hour's
 * distribution is rebuilt from its p50/p95/p99/p99.9 (exceedance interpolated log-linearly in
 * latency, extrapolated past p99.9 with the last slope), mixed by request count per day on a
 * fixed logarithmic latency grid, and periods of 30 days are simulated with the same block
 * bootstrap as availability. For each tier (FR-2: conservative p99.9, balanced p99, aggressive
 * p95) the target is an upper quantile of that period-level percentile plus a noise margin (5%,
 * 10% when hourly p99 varies a lot — a proxy for noisy neighbours). The breach probability is the
 * share of simulated periods whose percentile exceeds the target.
 */
export const LATENCY_TIERS: Record<TierName, { percentile: string; q: number; alpha: number; margin: boolean }> = {
  conservative: { percentile: 'p99.9', q: 0.999, alpha: 0.001, margin: true },
  balanced: { percentile: 'p99', q: 0.99, alpha: 0.01, margin: true },
  aggressive: { percentile: 'p95', q: 0.95, alpha: 0.05, margin: false },
};

export interface LatencyTier {
  target_ms: number;
  percentile: string;
  estimated_breach_probability: number;
}

export interface LatencyAnalysis {
  /** Period-level percentiles over the whole lookback (ms). */
  observed: { p50: number; p95: number; p99: number; p999: number };
  tiers: Record<TierName, LatencyTier>;
  noiseMargin: number;
  /** Median over simulated periods of the period-level p99, and its upper tier quantile. */
  p99Median: number;
  p99Upper: number;
  /** Ratio of the daily peak hour's p99 to the daily median hour's (seasonality). */
  seasonality: number;
}

const GRID = 160;
const KNOTS: Array<[keyof Pick<LatencyPoint, 'p50' | 'p95' | 'p99' | 'p999'>, number]> = [
  ['p50', 0.5],
  ['p95', 0.05],
  ['p99', 0.01],
  ['p999', 0.001],
];

function usable(p: LatencyPoint): boolean {
  return p.count > 0 && KNOTS.every(([k]) => Number.isFinite(p[k]) && p[k] > 0);
}

/**
 * Adds count · P(latency > x) of one hour to `out` at every grid point (log x ascending): the
 * exceedance is interpolated linearly in (log x, log P) between the percentile knots, starting at
 * P = 1 at a quarter of the median and extrapolated past p99.9 with the last slope.
 */
function addExceedance(p: LatencyPoint, grid: Float64Array, out: Float64Array): void {
  const xs = [Math.log(p.p50) - Math.log(4)];
  const ls = [0];
  for (const [k, s] of KNOTS) {
    xs.push(Math.max(Math.log(p[k]), (xs[xs.length - 1] as number) + 1e-6));
    ls.push(Math.log(s));
  }
  let seg = 0;
  const last = xs.length - 1;
  for (let g = 0; g < grid.length; g++) {
    const x = grid[g] as number;
    if (x <= (xs[0] as number)) {
      out[g] = (out[g] as number) + p.count;
      continue;
    }
    while (seg < last - 1 && x > (xs[seg + 1] as number)) seg++;
    const x0 = xs[seg] as number;
    const x1 = xs[seg + 1] as number;
    const l0 = ls[seg] as number;
    const l1 = ls[seg + 1] as number;
    out[g] = (out[g] as number) + p.count * Math.exp(l0 + ((l1 - l0) * (x - x0)) / (x1 - x0));
  }
}

interface DayMix {
  /** Expected requests above each grid point. */
  exceed: Float64Array;
  count: number;
}

function buildGrid(points: readonly LatencyPoint[]): Float64Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const p of points) {
    lo = Math.min(lo, p.p50 / 4);
    hi = Math.max(hi, p.p999 * 8);
  }
  const grid = new Float64Array(GRID);
  const a = Math.log(lo);
  const b = Math.log(hi);
  for (let i = 0; i < GRID; i++) grid[i] = a + ((b - a) * i) / (GRID - 1);
  return grid;
}

function dayMixes(points: readonly LatencyPoint[], grid: Float64Array): DayMix[] {
  const byDay = new Map<number, DayMix>();
  for (const p of points) {
    const day = Math.floor(p.start.getTime() / 86_400_000);
    let m = byDay.get(day);
    if (!m) {
      m = { exceed: new Float64Array(GRID), count: 0 };
      byDay.set(day, m);
    }
    m.count += p.count;
    addExceedance(p, grid, m.exceed);
  }
  return [...byDay.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
}

/** The latency (ms) exceeded by a share `1 − q` of requests of a mixture. */
function mixQuantile(exceed: Float64Array, count: number, grid: Float64Array, q: number): number {
  const limit = (1 - q) * count;
  for (let g = 0; g < GRID; g++) {
    const e = exceed[g] as number;
    if (e <= limit) {
      if (g === 0) return Math.exp(grid[0] as number);
      const e0 = exceed[g - 1] as number;
      const t = e0 === e ? 0 : (e0 - limit) / (e0 - e);
      return Math.exp((grid[g - 1] as number) + t * ((grid[g] as number) - (grid[g - 1] as number)));
    }
  }
  return Math.exp(grid[GRID - 1] as number);
}

export interface LatencyInputs {
  points: readonly LatencyPoint[];
  periodDays?: number;
  seed?: number;
  samples?: number;
}

export function analyseLatency(input: LatencyInputs): LatencyAnalysis {
  const points = input.points.filter(usable);
  if (points.length === 0) throw new Error('no latency data');
  const periodDays = input.periodDays ?? 30;
  const grid = buildGrid(points);
  const days = dayMixes(points, grid);
  const rand: RandomSource = seededRandom(input.seed ?? 1);
  const samples = input.samples ?? 1000;

  const whole = new Float64Array(GRID);
  let wholeCount = 0;
  for (const d of days) {
    wholeCount += d.count;
    for (let g = 0; g < GRID; g++) whole[g] = (whole[g] as number) + (d.exceed[g] as number);
  }
  const observed = {
    p50: mixQuantile(whole, wholeCount, grid, 0.5),
    p95: mixQuantile(whole, wholeCount, grid, 0.95),
    p99: mixQuantile(whole, wholeCount, grid, 0.99),
    p999: mixQuantile(whole, wholeCount, grid, 0.999),
  };

  const sims: Record<TierName, Float64Array> = {
    conservative: new Float64Array(samples),
    balanced: new Float64Array(samples),
    aggressive: new Float64Array(samples),
  };
  const acc = new Float64Array(GRID);
  const idx = new Int32Array(periodDays);
  for (let s = 0; s < samples; s++) {
    acc.fill(0);
    let count = 0;
    blockBootstrap(days.length, periodDays, 2, rand, idx);
    for (let i = 0; i < periodDays; i++) {
      const d = days[idx[i] as number] as DayMix;
      count += d.count;
      for (let g = 0; g < GRID; g++) acc[g] = (acc[g] as number) + (d.exceed[g] as number);
    }
    for (const tier of Object.keys(LATENCY_TIERS) as TierName[]) {
      sims[tier][s] = mixQuantile(acc, count, grid, LATENCY_TIERS[tier].q);
    }
  }
  for (const tier of Object.keys(sims) as TierName[]) sims[tier].sort();

  const hourlyP99 = Float64Array.from(points, (p) => p.p99).sort();
  const meanP99 = hourlyP99.reduce((a, b) => a + b, 0) / hourlyP99.length;
  const sd = Math.sqrt(hourlyP99.reduce((a, b) => a + (b - meanP99) ** 2, 0) / hourlyP99.length);
  const noiseMargin = sd / meanP99 > 0.5 ? 0.1 : 0.05;

  const tiers = {} as Record<TierName, LatencyTier>;
  for (const tier of Object.keys(LATENCY_TIERS) as TierName[]) {
    const t = LATENCY_TIERS[tier];
    const upper = quantileSorted(sims[tier], 1 - t.alpha);
    const target = Math.ceil(upper * (t.margin ? 1 + noiseMargin : 1));
    tiers[tier] = {
      target_ms: target,
      percentile: t.percentile,
      estimated_breach_probability: Number(exceedShare(sims[tier], target).toFixed(4)),
    };
  }
  // Looser percentiles need larger targets: keep conservative ≥ balanced ≥ aggressive in ms.
  tiers.balanced.target_ms = Math.max(tiers.balanced.target_ms, tiers.aggressive.target_ms);
  tiers.conservative.target_ms = Math.max(tiers.conservative.target_ms, tiers.balanced.target_ms);

  return {
    observed,
    tiers,
    noiseMargin,
    p99Median: quantileSorted(sims.balanced, 0.5),
    p99Upper: quantileSorted(sims.balanced, 1 - LATENCY_TIERS.balanced.alpha),
    seasonality: seasonality(points),
  };
}

function exceedShare(sorted: Float64Array, target: number): number {
  let n = 0;
  for (const v of sorted) if (v > target) n++;
  return sorted.length === 0 ? 1 : n / sorted.length;
}

/** Median over days of (peak hourly p99 / median hourly p99). */
function seasonality(points: readonly LatencyPoint[]): number {
  const byDay = new Map<number, number[]>();
  for (const p of points) {
    const d = Math.floor(p.start.getTime() / 86_400_000);
    const list = byDay.get(d) ?? [];
    list.push(p.p99);
    byDay.set(d, list);
  }
  const ratios: number[] = [];
  for (const list of byDay.values()) {
    if (list.length < 12) continue;
    const sorted = Float64Array.from(list).sort();
    ratios.push((sorted[sorted.length - 1] as number) / quantileSorted(sorted, 0.5));
  }
  return ratios.length === 0 ? 1 : quantileSorted(Float64Array.from(ratios).sort(), 0.5);
}
