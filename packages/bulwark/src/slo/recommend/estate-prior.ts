import { type DayCounts, observedIncidents } from './availability.js';
import { detectRegimeChange, REGIME_MIN_BEFORE, REGIME_MIN_DAYS_DAILY } from './regime.js';

/**
 * What the estate teaches about any one service's next period, learnt from the daily counts of
 * many services over the same lookback (pure; the adapter in estate-prior-service.ts fetches
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

/** Histories shorter than this count for incident sizes but not for the incident-rate prior. */
const MIN_DAYS_FOR_RATE = REGIME_MIN_BEFORE;

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
  let services = 0;
  const rates: Array<{ k: number; n: number }> = [];
  const depsOf = new Map<string, string[]>();
  for (const [id, days] of histories) {
    if (days.length === 0) continue;
    services++;
    const deps = [...new Set(hardDependencies(id))].filter((d) => d !== id);
    depsOf.set(id, deps);
    const change = detectRegimeChange(days);
    if (change) changes.push(Math.min(MAX_STEP_RATIO, Math.max(1 / MAX_STEP_RATIO, change.ratio)));
    detectableDays += Math.max(0, days.length - REGIME_MIN_BEFORE - REGIME_MIN_DAYS_DAILY);
    sources += 1 + deps.length;
    const seen = observedIncidents(days, change);
    incidents.set(id, new Map(seen.map((x) => [x.day, x.cost])));
    if (days.length >= MIN_DAYS_FOR_RATE) rates.push({ k: seen.length, n: days.length });
  }
  const incidentCosts = onceEach(incidents, depsOf);
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

/**
 * Each incident day's cost once: a service's incident day is dropped when one of its hard
 * dependencies had an incident day too (the dependency's incident, counted there or further down).
 * Where the dependencies that explain it lead only round a cycle of services that all dropped the
 * day, none would count it: the first of that cycle (by id) keeps it.
 */
function onceEach(
  incidents: ReadonlyMap<string, ReadonlyMap<number, number>>,
  hardDependencies: ReadonlyMap<string, readonly string[]>,
): number[] {
  const ids = [...incidents.keys()];
  const depsOf = new Map(ids.map((id) => [id, (hardDependencies.get(id) ?? []).filter((d) => incidents.has(d))]));
  const kept = new Set<string>();
  const dropped: Array<{ id: string; day: number }> = [];
  const out: number[] = [];
  for (const id of ids) {
    for (const [day, cost] of incidents.get(id) as ReadonlyMap<number, number>) {
      if ((depsOf.get(id) ?? []).some((d) => incidents.get(d)?.has(day))) dropped.push({ id, day });
      else {
        kept.add(`${id}@${day}`);
        out.push(cost);
      }
    }
  }
  for (const { id, day } of dropped) {
    // The services that explain this day, following hard dependencies that had it too.
    const reached = new Set([id]);
    const stack = [id];
    let explained = false;
    while (stack.length > 0 && !explained) {
      for (const d of depsOf.get(stack.pop() as string) ?? []) {
        if (reached.has(d) || !incidents.get(d)?.has(day)) continue;
        if (kept.has(`${d}@${day}`)) {
          explained = true;
          break;
        }
        reached.add(d);
        stack.push(d);
      }
    }
    if (explained) continue;
    const first = [...reached].sort()[0] as string;
    kept.add(`${first}@${day}`);
    out.push(incidents.get(first)?.get(day) as number);
  }
  return out;
}
