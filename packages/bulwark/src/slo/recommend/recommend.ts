import type { AvailabilityPoint, LatencyPoint } from '../../telemetry/types.js';
import {
  achievability,
  type CompositeInput,
  compositeAvailability,
  errorBudgetShare,
} from '../graph/composite-availability.js';
import { fnv1a } from '../../service-id.js';
import { ARCHETYPES, type Archetype } from './archetypes.js';
import {
  type AvailabilityAnalysis,
  type AvailabilityInputs,
  type AvailabilityTier,
  analyseAvailability,
  stepChance,
  toDays,
  trafficCap,
} from './availability.js';
import type { EstatePrior } from './estate-prior.js';
import { type LatencyAnalysis, type LatencyTier, analyseLatency } from './latency.js';
import { type DataQuality, dataQuality } from './quality.js';
import { shapley } from './shapley.js';
import { roundTargetDown } from './stats.js';
import type { TierName } from './types.js';

/**
 * The recommendation pipeline as one pure function: history + dependency graph in, three tiers
 * per SLI with explanations out. The adapter (service.ts) fetches the inputs and stores the result.
 */
export interface RecommendInput {
  service: string;
  archetype: Archetype;
  range: { start: Date; end: Date };
  /** Hourly availability counts over the range (omit hours without requests). */
  availability: readonly AvailabilityPoint[];
  /** Hourly latency percentiles over the range. */
  latency: readonly LatencyPoint[];
  /** The service's downstream graph with each node's observed availability (0–1). */
  graph: CompositeInput;
  periodDays?: number;
  sliTypes: ReadonlyArray<'availability' | 'latency'>;
  seed?: number;
  /**
   * What the estate showed over the same lookback (see estate-prior.ts): the prior of this
   * service's incident sizes and rate, and the deploy steps priced into its forecast.
   */
  estate?: EstatePrior;
  /** Forecast from the current regime after a detected step in the error rate (default true; see regime.ts). */
  regime?: boolean;
}

export interface FeatureAttribution {
  feature: string;
  /** The input's actual value and the baseline it is compared with. */
  value: number;
  baseline: number;
  /** Shapley value: the change of the balanced target this input accounts for (points or ms). */
  contribution: number;
  /** |contribution| / Σ|contribution|. */
  share: number;
}

export interface Counterfactual {
  feature: string;
  condition: string;
  result: string;
  balanced_before: number;
  balanced_after: number;
}

export interface AvailabilityRecommendation {
  sli_type: 'availability';
  metric: 'error_rate';
  tiers: Record<TierName, AvailabilityTier>;
  explanation: {
    summary: string;
    observed_availability: number;
    feature_attribution: FeatureAttribution[];
    attribution_baseline: { target: number; description: string };
    dependency_impact: DependencyImpact;
    counterfactuals: Counterfactual[];
    /**
     * A step in the ordinary error rate (a deploy regression or fix, here or in a dependency)
     * found in the history; the tiers forecast from the level after it. Null when none was found.
     */
    regime_change: RegimeChangeReport | null;
    warnings: string[];
  };
}

export interface RegimeChangeReport {
  /** First day (UTC, YYYY-MM-DD) at the new level. */
  since: string;
  /** Ordinary error rate before and after, percent of requests. */
  error_rate_before: number;
  error_rate_after: number;
  /** after / before. */
  ratio: number;
}

export interface LatencyRecommendation {
  sli_type: 'latency';
  metric: 'p99_response_time_ms';
  tiers: Record<TierName, LatencyTier>;
  explanation: {
    summary: string;
    observed_ms: LatencyAnalysis['observed'];
    feature_attribution: FeatureAttribution[];
    attribution_baseline: { target_ms: number; description: string };
    counterfactuals: Counterfactual[];
    note: string;
    warnings: string[];
  };
}

export interface DependencyImpact {
  /** Percent; 100 when the service has no hard dependencies. */
  composite_availability_bound: number;
  hard_dependency_count: number;
  bottleneck_service: string | null;
  bottleneck_contribution: string | null;
  error_budget_consumption: Array<{
    service: string;
    availability: number;
    external: boolean;
    budget_share: number;
    high_risk: boolean;
  }>;
  soft_dependency_risks: Array<{ service: string; criticality: string }>;
  cycles: string[][];
}

export interface RecommendOutput {
  data_quality: DataQuality;
  cold_start: boolean;
  confidence: 'high' | 'medium' | 'low';
  recommendations: Array<AvailabilityRecommendation | LatencyRecommendation>;
}

const pct = (x: number, digits = 3) => Number(x.toFixed(digits));
const fmt = (x: number) => `${Number(x.toFixed(3))}%`;

/** Minimum days of history for a history-based recommendation (below: archetype cold start). */
export const MIN_HISTORY_DAYS = 30;

export function recommend(input: RecommendInput): RecommendOutput {
  const periodDays = input.periodDays ?? 30;
  const seed = input.seed ?? fnv1a(input.service);
  const q = dataQuality(input.availability, input.range);
  const coldStart = q.days_with_data < MIN_HISTORY_DAYS;
  const days = toDays(input.availability);
  const lowTraffic = trafficCap(days, periodDays) < 0.9999;
  const confidence: RecommendOutput['confidence'] =
    coldStart || q.data_completeness < 0.8 ? 'low' : q.data_completeness < 0.95 || lowTraffic ? 'medium' : 'high';
  const arche = ARCHETYPES[input.archetype];
  const note = coldStart
    ? `Only ${q.days_with_data} day(s) of data (${MIN_HISTORY_DAYS} needed): targets anchored on the ${arche.label} archetype (${arche.availability}%, p99 ${arche.p99_ms} ms); low confidence, re-evaluate when ${MIN_HISTORY_DAYS} days have accumulated`
    : `Based on ${q.days_with_data} days of data with ${(q.data_completeness * 100).toFixed(1)}% completeness${lowTraffic ? '; low traffic limits how many nines can be measured' : ''}`;
  const recommendations: RecommendOutput['recommendations'] = [];
  if (input.sliTypes.includes('availability')) {
    recommendations.push(recommendAvailability(input, days, periodDays, seed, coldStart));
  }
  if (input.sliTypes.includes('latency')) {
    const lat = recommendLatency(input, periodDays, seed, coldStart);
    if (lat) recommendations.push(lat);
  }
  return { data_quality: { ...q, confidence_note: note }, cold_start: coldStart, confidence, recommendations };
}

interface Bounds {
  total: number;
  internal: number;
  composite: ReturnType<typeof compositeAvailability>;
}

/** The dependency bound with the service's own availability left out (it is what we predict). */
function bounds(graph: CompositeInput, service: string, overrides?: Map<string, number>): Bounds {
  const nodes = new Map(graph.nodes);
  nodes.set(service, { self: 1 });
  for (const [id, r] of overrides ?? []) nodes.set(id, { ...nodes.get(id), self: r });
  const composite = compositeAvailability({ nodes, edges: graph.edges }, service);
  const internalNodes = new Map(nodes);
  for (const [id, n] of nodes) if (n.external) internalNodes.set(id, { self: 1 });
  const internal = compositeAvailability({ nodes: internalNodes, edges: graph.edges }, service).availability;
  return { total: composite.availability, internal, composite };
}

/**
 * The estate prior as one service's period model reads it: a service with more hard dependencies
 * has more sources of a deploy step, so its chance per day is the estate's per-service rate scaled
 * by its sources (itself and its hard dependencies) over the estate's mean.
 */
function estateModel(input: RecommendInput): Pick<AvailabilityInputs, 'incidentPool' | 'incidentRate' | 'steps'> {
  const e = input.estate;
  if (!e) return {};
  const hard = new Set(
    (input.graph.edges.get(input.service) ?? [])
      .filter((d) => d.criticality === 'hard' && d.target !== input.service)
      .map((d) => d.target),
  );
  return {
    ...(e.incidentCosts.length > 0 ? { incidentPool: e.incidentCosts } : {}),
    ...(e.incidentRate ? { incidentRate: e.incidentRate } : {}),
    ...(e.steps
      ? { steps: { perDay: (e.steps.perServiceDay * (1 + hard.size)) / e.steps.meanSources, ratios: e.steps.ratios } }
      : {}),
  };
}

function recommendAvailability(
  input: RecommendInput,
  days: ReturnType<typeof toDays>,
  periodDays: number,
  seed: number,
  coldStart: boolean,
): AvailabilityRecommendation {
  const arche = ARCHETYPES[input.archetype];
  const b = bounds(input.graph, input.service);
  const cap = trafficCap(days, periodDays);
  // Model inputs every availability analysis of this service shares (the first and the re-runs).
  const model = {
    ...estateModel(input),
    ...(input.regime === false ? { regime: false } : {}),
  };
  const warnings: string[] = [];
  let analysis: AvailabilityAnalysis | undefined;
  if (days.length > 0) {
    analysis = analyseAvailability({ days, periodDays, dependencyBound: b.total, trafficCap: cap, seed, ...model });
  }
  let tiers: Record<TierName, AvailabilityTier>;
  // The scoring function behind the balanced tier, over the inputs the attribution explains.
  const features = [
    'historical_availability',
    'downstream_dependency_risk',
    'external_api_reliability',
    'traffic_volume_cap',
  ];
  // Cold start: a few days cannot price incident risk; history only lowers the archetype when the
  // service already runs below it on average.
  const historical =
    analysis && !coldStart ? analysis.raw.balanced : Math.min(arche.availability, analysis?.observed ?? 100);
  const score = (x: readonly number[]) =>
    Math.min(x[0] as number, (x[1] as number) * (x[2] as number) * 100, (x[3] as number) * 100);
  const actual = [historical, b.internal, b.total / Math.max(b.internal, 1e-12), Math.min(1, cap)];
  const baseline = [arche.availability, 1, 1, 1];

  if (analysis && !coldStart) {
    tiers = analysis.tiers;
  } else {
    // Cold start: the archetype anchors balanced; any history we have can only lower it.
    const balanced = roundTargetDown(score(actual));
    const spread = (factor: number) => roundTargetDown(100 - (100 - balanced) * factor);
    const breach = (t: number) =>
      analysis
        ? Number((analysis.periods.filter((p) => p < t / 100).length / analysis.periods.length).toFixed(4))
        : 0.5;
    const tier = (t: number): AvailabilityTier => ({
      target: t,
      error_budget_monthly_minutes: Number(((1 - t / 100) * periodDays * 1440).toFixed(1)),
      estimated_breach_probability: breach(t),
      confidence_interval: [spread(4), Math.min(100, spread(0.25))],
    });
    tiers = {
      conservative: tier(spread(2)),
      balanced: tier(balanced),
      aggressive: tier(Math.max(balanced, spread(0.5))),
    };
    warnings.push('cold start: fewer than 30 days of history; these targets are archetype-based and low confidence');
  }
  const balanced = tiers.balanced.target;

  const phi = shapley(score, actual, baseline);
  const attribution = toAttribution(features, actual, baseline, phi, 100);

  const budget = 1 - balanced / 100;
  const consumption = b.composite.hardDependencies
    .map((d) => {
      const node = input.graph.nodes.get(d.service);
      const share = budget > 0 ? errorBudgetShare(d.availability, balanced / 100) : Number.POSITIVE_INFINITY;
      return {
        service: d.service,
        availability: pct(d.availability * 100, 4),
        external: node?.external === true,
        budget_share: Number(Math.min(share, 1e6).toFixed(4)),
        high_risk: node?.external === true && share > 0.3,
      };
    })
    .sort((x, y) => y.budget_share - x.budget_share);
  const bottleneck = b.composite.bottleneck;
  const bottleneckShare = consumption.find((c) => c.service === bottleneck?.service)?.budget_share;
  const impact: DependencyImpact = {
    composite_availability_bound: pct(b.total * 100, 4),
    hard_dependency_count: b.composite.hardDependencies.length,
    bottleneck_service: bottleneck?.service ?? null,
    bottleneck_contribution:
      bottleneck && bottleneckShare !== undefined
        ? `Consumes ${(bottleneckShare * 100).toFixed(0)}% of the error budget at the balanced ${fmt(balanced)} target`
        : null,
    error_budget_consumption: consumption.slice(0, 20),
    soft_dependency_risks: b.composite.softRisks,
    cycles: b.composite.cycles,
  };
  for (const c of consumption) {
    if (c.high_risk)
      warnings.push(
        `high dependency risk: external ${c.service} consumes ${(c.budget_share * 100).toFixed(0)}% of the error budget`,
      );
  }
  if (analysis && analysis.raw.balanced > b.total * 100) {
    const a = achievability(b.total, analysis.raw.balanced / 100);
    if (a.message) warnings.push(`${a.message} (history alone would support ${fmt(analysis.raw.balanced)})`);
  }
  const change = !coldStart ? analysis?.regimeChange : undefined;
  const regime: RegimeChangeReport | null = change
    ? {
        since: new Date(change.day * 86_400_000).toISOString().slice(0, 10),
        error_rate_before: Number((change.before * 100).toPrecision(3)),
        error_rate_after: Number((change.after * 100).toPrecision(3)),
        ratio: Number(change.ratio.toPrecision(3)),
      }
    : null;
  if (regime && change && change.ratio > 1) {
    warnings.push(
      `error rate stepped up ×${regime.ratio} on ${regime.since} (${regime.error_rate_before}% → ${regime.error_rate_after}% of requests) and has stayed there: the targets assume it stays; fixing it would raise them`,
    );
  }
  if (analysis?.cappedBy === 'traffic') {
    warnings.push(`low traffic: a ${periodDays}-day budget at higher targets would hold fewer than 3 failed requests`);
  }

  // Counterfactuals: re-run the pipeline with one input changed.
  const counterfactuals: Counterfactual[] = [];
  const rerunWithBound = (bound: number) => roundTargetDown(Math.min(historical, bound * 100, cap * 100));
  if (bottleneck) {
    const better = 1 - (1 - bottleneck.availability) / 10;
    const worse = Math.max(0, 1 - (1 - bottleneck.availability) * 10);
    for (const [label, value] of [
      ['improved', better],
      ['degraded', worse],
    ] as const) {
      const after = rerunWithBound(bounds(input.graph, input.service, new Map([[bottleneck.service, value]])).total);
      counterfactuals.push({
        feature: 'downstream_dependency_risk',
        condition: `If ${bottleneck.service} ${label} by one nine to ${fmt(value * 100)}`,
        result:
          after === balanced
            ? `Balanced target would stay at ${fmt(balanced)}`
            : `Balanced target would ${after > balanced ? 'increase' : 'decrease'} to ${fmt(after)}`,
        balanced_before: balanced,
        balanced_after: after,
      });
    }
  }
  if (analysis && days.length > 7 && !coldStart) {
    let worst = 0;
    days.forEach((d, i) => {
      const w = days[worst] as (typeof days)[number];
      if ((d.total - d.good) / Math.max(1, d.total) > (w.total - w.good) / Math.max(1, w.total)) worst = i;
    });
    const without = days.filter((_, i) => i !== worst);
    const rerun = analyseAvailability({
      days: without,
      periodDays,
      dependencyBound: b.total,
      trafficCap: cap,
      seed,
      samples: 1000,
      ciReplicates: 0,
      ...model,
    });
    const wd = days[worst] as (typeof days)[number];
    counterfactuals.push({
      feature: 'historical_availability',
      condition: `If the worst day (${new Date(wd.day * 86_400_000).toISOString().slice(0, 10)}, ${fmt((wd.good / Math.max(1, wd.total)) * 100)}) had been a normal day`,
      result: `Balanced target would be ${fmt(rerun.tiers.balanced.target)}`,
      balanced_before: balanced,
      balanced_after: rerun.tiers.balanced.target,
    });
  }
  if (analysis?.cappedBy === 'traffic') {
    const after = roundTargetDown(Math.min(historical, b.total * 100, (1 - (1 - cap) / 10) * 100));
    counterfactuals.push({
      feature: 'traffic_volume_cap',
      condition: 'If the service handled 10x the traffic',
      result: `Balanced target could be ${fmt(after)}`,
      balanced_before: balanced,
      balanced_after: after,
    });
  }

  const observed = analysis?.observed ?? Number.NaN;
  const margin = observed - balanced;
  const summary = [
    analysis
      ? `${input.service} achieved ${fmt(observed)} availability over ${days.length} days.`
      : `${input.service} has no availability history.`,
    `The Balanced target of ${fmt(balanced)}${Number.isFinite(margin) ? ` provides a ${fmt(margin)} margin` : ''}${tiers.balanced.estimated_breach_probability !== undefined ? ` and would have been breached in ${(tiers.balanced.estimated_breach_probability * 100).toFixed(1)}% of simulated ${periodDays}-day periods` : ''}.`,
    `Composite availability bound is ${fmt(b.total * 100)} given ${b.composite.hardDependencies.length} hard dependencies${analysis?.cappedBy === 'dependencies' ? ' and caps this target' : ''}.`,
    ...(regime
      ? [
          `The ordinary error rate moved from ${regime.error_rate_before}% to ${regime.error_rate_after}% on ${regime.since}; the forecast starts from the current level.`,
        ]
      : []),
    ...(analysis && model.incidentPool
      ? [
          `Incident sizes: ${analysis.incidentDays} incident day(s) here, weighed against ${model.incidentPool.length} across the estate.`,
        ]
      : []),
    ...(analysis && model.steps
      ? [
          `Deploy steps: ${model.steps.ratios.length} error-rate steps seen across the estate put the chance of one here (in this service or a hard dependency) at ${(stepChance(model.steps, periodDays) * 100).toFixed(1)}% per ${periodDays} days; priced in.`,
        ]
      : []),
  ].join(' ');

  return {
    sli_type: 'availability',
    metric: 'error_rate',
    tiers,
    explanation: {
      summary,
      observed_availability: pct(observed, 4),
      feature_attribution: attribution,
      attribution_baseline: {
        target: arche.availability,
        description: `exact Shapley values of the balanced-target function relative to the ${arche.label} archetype default (all dependencies perfect, no traffic limit); contributions sum to balanced − baseline before rounding`,
      },
      dependency_impact: impact,
      counterfactuals,
      regime_change: regime,
      warnings,
    },
  };
}

function recommendLatency(
  input: RecommendInput,
  periodDays: number,
  seed: number,
  coldStart: boolean,
): LatencyRecommendation | undefined {
  const arche = ARCHETYPES[input.archetype];
  const usable = input.latency.filter((p) => p.count > 0 && Number.isFinite(p.p99) && p.p99 > 0);
  const warnings: string[] = [];
  if (usable.length === 0 && !coldStart) return undefined;
  let analysis: LatencyAnalysis | undefined;
  if (usable.length > 0) analysis = analyseLatency({ points: usable, periodDays, seed });
  let tiers: Record<TierName, LatencyTier>;
  const features = ['p99_latency_historical', 'tail_variability', 'noisy_neighbor_margin'];
  const actual = analysis
    ? [analysis.p99Median, analysis.p99Upper / Math.max(analysis.p99Median, 1e-9), 1 + analysis.noiseMargin]
    : [arche.p99_ms, 1, 1];
  const baseline = [arche.p99_ms, 1, 1];
  const score = (x: readonly number[]) => (x[0] as number) * (x[1] as number) * (x[2] as number);
  if (analysis && !coldStart) {
    tiers = analysis.tiers;
  } else {
    const balanced = Math.ceil(Math.max(arche.p99_ms, analysis ? score(actual) : 0));
    tiers = {
      conservative: { target_ms: Math.ceil(balanced * 2), percentile: 'p99.9', estimated_breach_probability: 0.5 },
      balanced: { target_ms: balanced, percentile: 'p99', estimated_breach_probability: 0.5 },
      aggressive: { target_ms: Math.ceil(balanced * 0.6), percentile: 'p95', estimated_breach_probability: 0.5 },
    };
    warnings.push('cold start: fewer than 30 days of history; latency targets are archetype-based and low confidence');
  }
  const phi = shapley(score, actual, baseline);
  const attribution = toAttribution(features, actual, baseline, phi, 1);
  const balanced = tiers.balanced.target_ms;
  const counterfactuals: Counterfactual[] = [];
  if (analysis && !coldStart) {
    const noMargin = Math.ceil(analysis.p99Upper);
    counterfactuals.push({
      feature: 'noisy_neighbor_margin',
      condition: `If the ${(analysis.noiseMargin * 100).toFixed(0)}% noise margin were dropped`,
      result: `Balanced target would be ${noMargin} ms`,
      balanced_before: balanced,
      balanced_after: noMargin,
    });
    const byDay = new Map<number, number>();
    for (const p of usable) {
      const d = Math.floor(p.start.getTime() / 86_400_000);
      byDay.set(d, Math.max(byDay.get(d) ?? 0, p.p99));
    }
    const worstDay = [...byDay.entries()].sort((a, b) => b[1] - a[1])[0];
    if (worstDay && byDay.size > 7) {
      const rerun = analyseLatency({
        points: usable.filter((p) => Math.floor(p.start.getTime() / 86_400_000) !== worstDay[0]),
        periodDays,
        seed,
        samples: 500,
      });
      counterfactuals.push({
        feature: 'p99_latency_historical',
        condition: `If the slowest day (${new Date(worstDay[0] * 86_400_000).toISOString().slice(0, 10)}, hourly p99 up to ${Math.round(worstDay[1])} ms) had been a normal day`,
        result: `Balanced target would be ${rerun.tiers.balanced.target_ms} ms`,
        balanced_before: balanced,
        balanced_after: rerun.tiers.balanced.target_ms,
      });
    }
  }
  const summary = analysis
    ? `${input.service} p99 latency measured at ${Math.round(analysis.observed.p99)} ms over the lookback (period-level, from hourly distributions). Balanced target of ${balanced} ms provides ${(((balanced - analysis.observed.p99) / analysis.observed.p99) * 100).toFixed(1)}% headroom; daily peak-hour p99 runs ${analysis.seasonality.toFixed(2)}x the median hour.`
    : `${input.service} has no latency history; the ${arche.label} archetype's p99 of ${arche.p99_ms} ms is used.`;
  return {
    sli_type: 'latency',
    metric: 'p99_response_time_ms',
    tiers,
    explanation: {
      summary,
      observed_ms: analysis?.observed ?? { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, p999: Number.NaN },
      feature_attribution: attribution,
      attribution_baseline: {
        target_ms: arche.p99_ms,
        description: `exact Shapley values of balanced = p99 × tail variability × (1 + margin), relative to the ${arche.label} archetype p99`,
      },
      counterfactuals,
      note: 'Latency SLO derived from the measured end-to-end distribution of this service, not by composing dependency latencies (percentiles are non-additive).',
      warnings,
    },
  };
}

function toAttribution(
  features: string[],
  actual: readonly number[],
  baseline: readonly number[],
  phi: number[],
  scale: number,
): FeatureAttribution[] {
  const total = phi.reduce((s, v) => s + Math.abs(v), 0);
  return features
    .map((feature, i) => ({
      feature,
      value: Number(((actual[i] as number) * (i === 0 ? 1 : scale === 100 && i > 0 ? 100 : 1)).toFixed(4)),
      baseline: Number(((baseline[i] as number) * (i === 0 ? 1 : scale === 100 && i > 0 ? 100 : 1)).toFixed(4)),
      contribution: Number((phi[i] as number).toFixed(6)),
      share: total > 0 ? Number((Math.abs(phi[i] as number) / total).toFixed(4)) : 0,
    }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}
