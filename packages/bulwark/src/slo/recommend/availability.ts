import { type RandomSource, seededRandom } from '@bulwark/resilience';
import type { DayCounts } from './days.js';
import { detectRegimeChange, type RegimeChange, toCurrentRegime } from './regime.js';
import { blockBootstrap, gamma, gauss, poisson, quantileSorted, roundTargetDown } from './stats.js';
import type { TierName } from './types.js';

export { type DayCounts, MIN_POINTS_FOR_BASE, toDays } from './days.js';

/**
 * Availability tiers from history.
 *
 * An SLO is judged over a period (28 or 30 days), so the quantity to predict is the availability
 * of a whole period, not of an hour or a day. From the daily request counts of the lookback we
 * draw many synthetic periods with a stationary block bootstrap (blocks of days, so an incident
 * and its aftermath stay together) and read the tiers off that distribution:
 *
 * - conservative: its 0.1th percentile (breached by ~0.1% of periods like the past ones),
 * - balanced: its 1st percentile, then capped by the dependency bound and the traffic cap,
 * - aggressive: its 5th percentile,
 *
 * each rounded down to 0.01 points (0.001 above 99.99). The breach probability of a tier is the
 * share of simulated periods below its rounded target; the confidence interval comes from an outer
 * bootstrap of the history itself (how much the tier would move with a different month of data).
 * A per-period +0.5 failure (Jeffreys-style) keeps a spotless short history from promising 100%.
 */
export const AVAILABILITY_TIER_QUANTILE: Record<TierName, number> = {
  conservative: 0.001,
  balanced: 0.01,
  aggressive: 0.05,
};

export interface PeriodOptions {
  periodDays: number;
  samples: number;
  /** Mean block length in days of the stationary bootstrap. */
  meanBlockDays: number;
  rand: RandomSource;
  /** Half-life (days) of the recency weighting of block starts; default: no weighting. */
  recencyHalfLifeDays?: number;
  /** Model incidents separately (Poisson–Gamma); default true. */
  incidents?: boolean;
  /**
   * Incident costs seen across the estate (each incident once: see estate-prior.ts), the prior for
   * the size of this service's next incident. Empty or absent: this service's own costs only.
   */
  incidentPool?: readonly number[];
  /**
   * Gamma prior of the incident-day rate (per day) learnt from the estate (see estate-prior.ts),
   * in place of Jeffreys' (shape ½, no pseudo-days).
   */
  incidentRate?: { shape: number; days: number };
  /**
   * Deploy steps: the chance per day that this service's ordinary error rate steps (a regression
   * in it or in one of its hard dependencies, or a fix), and the after/before ratios seen.
   */
  steps?: { perDay: number; ratios: readonly number[] };
}

/**
 * Availability (0–1) of `samples` simulated periods, sorted ascending.
 *
 * Two components, because a month is "ordinary days plus whatever incidents happen":
 * - ordinary days: each day's failures with its incident excess removed, drawn by a block
 *   bootstrap whose block starts favour recent days (half-life `recencyHalfLifeDays`), so a
 *   deploy regression or fix during the lookback moves the forecast toward the current regime;
 * - incidents: an incident day is one whose error rate is well above the median day's
 *   (> 3× median + 0.01 points); its excess failures are its incident cost. The number of incidents in a
 *   period is Poisson with a rate drawn from its Gamma posterior (Jeffreys prior: shape k + ½,
 *   rate = days observed), so a short spotless history still carries some incident risk; each
 *   incident costs a share of a day's traffic. Its size comes from one of two sources:
 *   - with an estate pool (`incidentPool`: the incident costs of the other services over the same
 *     lookback): this service's own costs with probability k / (k + POOL_WEIGHT), else the pool —
 *     a service with two incidents seen has not shown the size distribution of its next one, and the
 *     estate has; own costs are jittered log-normally by σ OWN_JITTER_POOLED, pool costs by
 *     POOL_JITTER (measured on the backtest: balanced breaches 6.7% → 1.7%, calibration error
 *     0.049 → 0.020, distance to the achievable target 0.62 → 0.28 point);
 *   - without one: the observed costs jittered by σ JITTER, or, with none observed,
 *     log-uniformly between 0.1% and 3% of a day (a few minutes to ~45 minutes down).
 *   With an estate rate prior (`incidentRate`) the Gamma posterior is (shape + k, days + n)
 *   instead: a service with no incidents in 30 days is not promised the rate of one that has none.
 * - deploy steps (`steps`): with the estate's chance per day, a step at a uniform day of the period
 *   multiplies the ordinary error rate (the median day's) by a ratio drawn from those seen, from
 *   that day on. Regime detection (regime.ts) moves the forecast to a step already taken; this
 *   prices in the next one, which is what breaches SLOs after a quiet lookback.
 */
export function simulatePeriods(days: readonly DayCounts[], o: PeriodOptions): Float64Array {
  const out = new Float64Array(o.samples);
  const n = days.length;
  const { median, costs: incidentCosts, incidentDay } = splitIncidents(days);
  const clean = new Float64Array(n);
  const total = Float64Array.from(days, (d) => d.total);
  days.forEach((d, i) => {
    clean[i] = incidentDay[i] ? median * d.total : d.total - d.good;
  });
  const pool = o.incidentPool ?? [];
  const pooled = pool.length > 0;
  const ownShare = pooled ? incidentCosts.length / (incidentCosts.length + POOL_WEIGHT) : 1;
  const ownJitter = pooled ? OWN_JITTER_POOLED : JITTER;
  // Recency-weighted block starts (cumulative weights for inverse-CDF sampling).
  const halfLife = o.recencyHalfLifeDays ?? Number.POSITIVE_INFINITY;
  const cum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += 2 ** (-(n - 1 - i) / halfLife);
    cum[i] = acc;
  }
  const startAt = () => {
    const u = o.rand() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const p = 1 / Math.max(1, o.meanBlockDays);
  const shape = incidentCosts.length + (o.incidentRate ? o.incidentRate.shape : 0.5);
  const rateDays = n + (o.incidentRate ? o.incidentRate.days : 0);
  const ratios = o.steps?.ratios ?? [];
  const chance = ratios.length > 0 && o.steps ? stepChance(o.steps, o.periodDays) : 0;
  for (let s = 0; s < o.samples; s++) {
    let b = 0.5;
    let t = 1;
    let cur = startAt();
    let stepAt = o.periodDays;
    let stepBy = 0;
    if (chance > 0 && o.rand() < chance) {
      stepAt = Math.floor(o.rand() * o.periodDays);
      stepBy = ((ratios[Math.floor(o.rand() * ratios.length)] as number) - 1) * median;
    }
    for (let i = 0; i < o.periodDays; i++) {
      if (i > 0) cur = o.rand() < p ? startAt() : cur + 1 < n ? cur + 1 : startAt();
      b += (clean[cur] as number) + (i >= stepAt ? stepBy * (total[cur] as number) : 0);
      t += total[cur] as number;
    }
    if (o.incidents !== false) {
      const lambda = gamma(shape, o.rand) / rateDays;
      const k = poisson(lambda * o.periodDays, o.rand);
      const perDay = t / o.periodDays;
      for (let j = 0; j < k; j++) {
        // Costs are jittered log-normally: the next incident need not be exactly as large as one
        // already seen.
        let cost: number;
        if (pooled && o.rand() >= ownShare) {
          cost = (pool[Math.floor(o.rand() * pool.length)] as number) * Math.exp(POOL_JITTER * gauss(o.rand));
        } else if (incidentCosts.length > 0) {
          cost =
            (incidentCosts[Math.floor(o.rand() * incidentCosts.length)] as number) *
            Math.exp(ownJitter * gauss(o.rand));
        } else {
          cost = Math.exp(Math.log(0.001) + o.rand() * (Math.log(0.03) - Math.log(0.001)));
        }
        b += cost * perDay;
      }
    }
    out[s] = Math.max(0, 1 - b / t);
  }
  return out.sort();
}

/** Chance of at least one deploy step in a period of `periodDays` (steps arrive at `perDay`). */
export function stepChance(steps: { perDay: number }, periodDays: number): number {
  return 1 - Math.exp(-steps.perDay * periodDays);
}

/**
 * Incident days of a history: days whose error rate is above 3× the median day's + 0.01 points;
 * their cost is the excess over the median (a share of that day's traffic).
 */
function splitIncidents(days: readonly DayCounts[]): { median: number; costs: number[]; incidentDay: boolean[] } {
  const rates = days.map((d) => (d.total > 0 ? (d.total - d.good) / d.total : 0));
  const median = rates.length > 0 ? quantileSorted(Float64Array.from(rates).sort(), 0.5) : 0;
  const threshold = median * 3 + 1e-4;
  const incidentDay = rates.map((r) => r > threshold);
  const costs = rates.filter((_, i) => incidentDay[i]).map((r) => r - median);
  return { median, costs, incidentDay };
}

/**
 * The incident days of one service's history and their costs (shares of a day's traffic), as
 * {@link simulatePeriods} sees them, read from the regime `change` leaves it in (so days at a level
 * a deploy has since left are not incidents; `undefined`: as recorded). The estate prior's
 * incident sizes are these, each incident once (see estate-prior.ts).
 */
export function observedIncidents(
  days: readonly DayCounts[],
  change: RegimeChange | undefined,
): Array<{ day: number; cost: number }> {
  const current = toCurrentRegime(days, change);
  const { costs, incidentDay } = splitIncidents(current);
  const incidentDays = current.filter((_, i) => incidentDay[i]);
  return costs.map((cost, k) => ({ day: (incidentDays[k] as DayCounts).day, cost }));
}

export interface AvailabilityTier {
  /** Percent. */
  target: number;
  error_budget_monthly_minutes: number;
  estimated_breach_probability: number;
  /** 95% interval of the tier target (percent) under resampling of the history. */
  confidence_interval: [number, number];
}

export interface AvailabilityInputs {
  days: readonly DayCounts[];
  periodDays?: number;
  /** Composite bound of the hard dependencies (0–1); caps the balanced tier. */
  dependencyBound?: number;
  /** Highest target the traffic can measure (0–1): one period's budget must hold ≥ 3 failed requests. */
  trafficCap?: number;
  seed?: number;
  samples?: number;
  ciReplicates?: number;
  /** Estate incident costs, the prior of this service's incident sizes (see simulatePeriods). */
  incidentPool?: readonly number[];
  /** Estate prior of the incident-day rate (see simulatePeriods). */
  incidentRate?: PeriodOptions['incidentRate'];
  /** Deploy steps priced in (see simulatePeriods). */
  steps?: PeriodOptions['steps'];
  /**
   * Detect a regime change (a deploy regression or fix that stepped the baseline error rate) and
   * forecast from the current regime (see regime.ts); default true.
   */
  regime?: boolean;
}

export interface AvailabilityAnalysis {
  /** Availability over the whole lookback, percent. */
  observed: number;
  /** Uncapped tier quantiles, percent (before rounding and capping). */
  raw: Record<TierName, number>;
  tiers: Record<TierName, AvailabilityTier>;
  /** What limited the balanced tier, when something did. */
  cappedBy: 'dependencies' | 'traffic' | undefined;
  /** Sorted simulated period availabilities (0–1), for breach probabilities of other targets. */
  periods: Float64Array;
  /** Days of the history counted as incident days (see simulatePeriods). */
  incidentDays: number;
  /** The regime change the forecast starts from, when one was detected. */
  regimeChange: RegimeChange | undefined;
}

const MEAN_BLOCK_DAYS = 2;
const RECENCY_HALF_LIFE_DAYS = 21;
const JITTER = 0.55;
/** Pseudo-incidents the estate pool counts for against a service's own (see simulatePeriods). */
const POOL_WEIGHT = 4;
const OWN_JITTER_POOLED = 0.3;
const POOL_JITTER = 0.2;

/** Highest meaningful target for a traffic volume: ≥ 3 failed requests of budget per period. */
export function trafficCap(days: readonly DayCounts[], periodDays: number): number {
  const totals = days.reduce((s, d) => s + d.total, 0);
  const perDay = days.length > 0 ? totals / days.length : 0;
  const perPeriod = perDay * periodDays;
  return perPeriod <= 3 ? 0 : 1 - 3 / perPeriod;
}

/** Share of simulated periods below a target (percent). */
export function breachProbability(periods: Float64Array, targetPercent: number): number {
  const t = targetPercent / 100;
  let lo = 0;
  let hi = periods.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((periods[mid] as number) < t - 1e-12) lo = mid + 1;
    else hi = mid;
  }
  return periods.length === 0 ? 1 : lo / periods.length;
}

type EstateOptions = Pick<PeriodOptions, 'incidentPool' | 'incidentRate' | 'steps'>;

/** The estate-learnt parts of the period model an analysis passes on (absent ones left out). */
function estateOptions(input: AvailabilityInputs): EstateOptions {
  return {
    ...(input.incidentPool ? { incidentPool: input.incidentPool } : {}),
    ...(input.incidentRate ? { incidentRate: input.incidentRate } : {}),
    ...(input.steps ? { steps: input.steps } : {}),
  };
}

export function analyseAvailability(input: AvailabilityInputs): AvailabilityAnalysis {
  const periodDays = input.periodDays ?? 30;
  if (input.days.length === 0) throw new Error('no availability data');
  const regimeChange = input.regime === false ? undefined : detectRegimeChange(input.days);
  const days = toCurrentRegime(input.days, regimeChange);
  const rand = seededRandom(input.seed ?? 1);
  const estate = estateOptions(input);
  const periods = simulatePeriods(days, {
    periodDays,
    samples: input.samples ?? 2000,
    meanBlockDays: MEAN_BLOCK_DAYS,
    rand,
    recencyHalfLifeDays: RECENCY_HALF_LIFE_DAYS,
    ...estate,
  });
  const good = input.days.reduce((s, d) => s + d.good, 0);
  const total = input.days.reduce((s, d) => s + d.total, 0);
  const raw = {} as Record<TierName, number>;
  for (const [tier, q] of Object.entries(AVAILABILITY_TIER_QUANTILE) as Array<[TierName, number]>) {
    raw[tier] = quantileSorted(periods, q) * 100;
  }

  // Balanced: capped by what dependencies and traffic allow. Then keep the tiers ordered (rounding
  // down is monotone, so rounding the capped values is capping the rounded ones).
  const capTraffic = (input.trafficCap ?? 1) * 100;
  const capDeps = (input.dependencyBound ?? 1) * 100;
  const cappedBy: AvailabilityAnalysis['cappedBy'] =
    capTraffic < Math.min(raw.balanced, capDeps) ? 'traffic' : capDeps < raw.balanced ? 'dependencies' : undefined;
  const capped = capTiers(raw, capDeps, capTraffic);
  const targets: Record<TierName, number> = {
    conservative: roundTargetDown(capped.conservative),
    balanced: roundTargetDown(capped.balanced),
    aggressive: roundTargetDown(capped.aggressive),
  };

  const ci = confidenceIntervals(days, periodDays, input.ciReplicates ?? 40, rand, estate, (q) =>
    capTiers(q, capDeps, capTraffic),
  );
  const tiers = {} as Record<TierName, AvailabilityTier>;
  for (const tier of Object.keys(AVAILABILITY_TIER_QUANTILE) as TierName[]) {
    const target = targets[tier];
    tiers[tier] = {
      target,
      error_budget_monthly_minutes: Number(((1 - target / 100) * periodDays * 1440).toFixed(1)),
      estimated_breach_probability: Number(breachProbability(periods, target).toFixed(4)),
      confidence_interval: ci[tier],
    };
  }
  return {
    observed: total > 0 ? (good / total) * 100 : Number.NaN,
    raw,
    tiers,
    cappedBy,
    periods,
    incidentDays: splitIncidents(days).costs.length,
    regimeChange,
  };
}

/**
 * Tier values (percent) from raw quantiles as the targets are set: balanced capped by the
 * dependency bound and the traffic cap, the other two by the traffic cap, kept ordered.
 */
function capTiers(raw: Record<TierName, number>, capDeps: number, capTraffic: number): Record<TierName, number> {
  const balanced = Math.min(raw.balanced, capDeps, capTraffic);
  return {
    conservative: Math.min(raw.conservative, capTraffic, balanced),
    balanced,
    aggressive: Math.max(Math.min(raw.aggressive, capTraffic), balanced),
  };
}

/**
 * 2.5th–97.5th percentile of each tier over resampled histories, capped as the tiers are (a tier
 * the dependency bound caps does not move with the history above the cap).
 */
function confidenceIntervals(
  days: readonly DayCounts[],
  periodDays: number,
  replicates: number,
  rand: RandomSource,
  estate: EstateOptions,
  capped: (raw: Record<TierName, number>) => Record<TierName, number>,
): Record<TierName, [number, number]> {
  const n = days.length;
  const per: Record<TierName, number[]> = { conservative: [], balanced: [], aggressive: [] };
  const idx = new Int32Array(n);
  const history: DayCounts[] = new Array(n);
  for (let r = 0; r < replicates; r++) {
    blockBootstrap(n, n, MEAN_BLOCK_DAYS, rand, idx);
    for (let i = 0; i < n; i++) history[i] = days[idx[i] as number] as DayCounts;
    const periods = simulatePeriods(history, {
      periodDays,
      samples: 250,
      meanBlockDays: MEAN_BLOCK_DAYS,
      rand,
      recencyHalfLifeDays: RECENCY_HALF_LIFE_DAYS,
      ...estate,
    });
    const raw = {} as Record<TierName, number>;
    for (const [tier, q] of Object.entries(AVAILABILITY_TIER_QUANTILE) as Array<[TierName, number]>) {
      raw[tier] = quantileSorted(periods, q) * 100;
    }
    const tiers = capped(raw);
    for (const tier of Object.keys(per) as TierName[]) per[tier].push(tiers[tier]);
  }
  const out = {} as Record<TierName, [number, number]>;
  for (const tier of Object.keys(per) as TierName[]) {
    const sorted = Float64Array.from(per[tier]).sort();
    out[tier] = [
      Number(quantileSorted(sorted, 0.025).toFixed(4)),
      Number(Math.min(100, quantileSorted(sorted, 0.975)).toFixed(4)),
    ];
  }
  return out;
}
