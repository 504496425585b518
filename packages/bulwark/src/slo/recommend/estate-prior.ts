import { type DayCounts, observedIncidents } from './availability.js';
import { detectRegimeChange, REGIME_MIN_BEFORE, REGIME_MIN_DAYS_DAILY } from './regime.js';

/**
 * What the estate teaches about any one service's next period, learnt from the daily counts of
 * many services over the same lookback (pure; the adapter in incident-pool-service.ts fetches
 * them). A service with two incidents in 60 days has shown neither the size of its next one, nor
 * how often services like it have incidents, nor how often a deploy steps its error rate; the
 * estate has shown all three.
 */
export interface EstatePrior {
  /**
   * Incident-day costs (shares of a day's traffic), each incident counted once: an incident day of
   * a service on which one of its hard dependencies had one too is the dependency's incident,
   * already counted there (a platform outage seen by 20 dependents is one incident, not 20).
   */
  incidentCosts: number[];
  /**
   * Gamma prior of a service's incident-day rate (per day): `shape` pseudo-incident-days over
   * `days` pseudo-days, fitted to the estate's incident-day counts by moments (the spread of the
   * services' rates beyond Poisson noise). Undefined when the estate shows no such spread.
   */
  incidentRate: { shape: number; days: number } | undefined;
  /**
   * Regime changes (deploy regressions and fixes, see regime.ts) seen in services' error rates:
   * how often per service-day, how large (after / before, kept within 0.1–10), and the mean number
   * of sources (the service and its hard dependencies, each of which can step) behind each history.
   * Undefined without any.
   */
  steps: { perServiceDay: number; ratios: number[]; meanSources: number } | undefined;
}

/** A step's after/before ratio is kept within [1/MAX_STEP_RATIO, MAX_STEP_RATIO]. */
const MAX_STEP_RATIO = 10;

/**
 * The estate prior from services' daily counts (`histories`, by service id) and their hard
 * dependencies. Dependencies without a history of their own are not deduplicated against.
 */
export function buildEstatePrior(
  histories: ReadonlyMap<string, readonly DayCounts[]>,
  hardDependencies: (id: string) => readonly string[],
): EstatePrior {
  const incidents = new Map<string, Map<number, number>>();
  const changes: number[] = [];
  let detectableDays = 0;
  let sources = 0;
  const rates: Array<{ k: number; n: number }> = [];
  for (const [id, days] of histories) {
    if (days.length === 0) continue;
    const change = detectRegimeChange(days);
    if (change) changes.push(Math.min(MAX_STEP_RATIO, Math.max(1 / MAX_STEP_RATIO, change.ratio)));
    detectableDays += Math.max(0, days.length - REGIME_MIN_BEFORE - REGIME_MIN_DAYS_DAILY);
    sources += 1 + new Set(hardDependencies(id).filter((d) => d !== id)).size;
    const seen = observedIncidents(days, change);
    incidents.set(id, new Map(seen.map((s) => [s.day, s.cost])));
    rates.push({ k: seen.length, n: days.length });
  }
  const incidentCosts: number[] = [];
  for (const [id, byDay] of incidents) {
    const deps = hardDependencies(id)
      .filter((d) => d !== id)
      .map((d) => incidents.get(d))
      .filter((m) => m !== undefined);
    for (const [day, cost] of byDay) if (!deps.some((m) => m.has(day))) incidentCosts.push(cost);
  }
  const services = rates.length;
  return {
    incidentCosts,
    incidentRate: rateMoments(rates),
    steps:
      changes.length > 0 && detectableDays > 0
        ? { perServiceDay: changes.length / detectableDays, ratios: changes, meanSources: sources / services }
        : undefined,
  };
}

/**
 * Method-of-moments Gamma prior of per-day rates from counts k over n days: the variance of k/n
 * across services is the rates' own variance plus Poisson noise (mean rate / n).
 */
function rateMoments(rates: ReadonlyArray<{ k: number; n: number }>): EstatePrior['incidentRate'] {
  if (rates.length < 2) return undefined;
  const r = rates.map(({ k, n }) => k / n);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1);
  const noise = rates.reduce((a, { n }) => a + mean / n, 0) / rates.length;
  const between = variance - noise;
  if (!(mean > 0) || !(between > 0)) return undefined;
  const days = mean / between;
  return { shape: mean * days, days };
}
