/**
 * Prometheus recording and alerting rules for SLOs (FR-10), compatible with Sloth's series names
 * and labels so Sloth's Grafana dashboards work, plus two things Sloth lacks: a no-data alert and
 * low-traffic protection. Pure: builds data and text, writes nothing.
 *
 * Per objective, three groups (as Sloth): SLI error ratios per window, SLO metadata, alerts.
 */
import { stringify } from 'yaml';
import { type BurnRateWindow, type BurnSeverity, burnRateWindows, sliWindows } from './burn-rate.js';
import { formatNumber, pascalCase, renderWindow } from './promql.js';
import { resolveSli, type SliOptions, slothFilter, slothId, slothIdLabels } from './sli.js';
import { assertValidSloDefinition, PERIOD_HOURS, type SloDefinition, type SloObjective } from './types.js';

/**
 * One Prometheus rule (recording when `record` is set, alerting when `alert` is set).
 *
 * @example
 * ```ts
 * const rule: PrometheusRule = { record: 'slo:objective:ratio', expr: 'vector(0.999)' };
 * ```
 */
export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * A Prometheus rule group.
 *
 * @example
 * ```ts
 * const group: PrometheusRuleGroup = { name: 'sloth-slo-meta-recordings-checkout-availability', rules: [] };
 * ```
 */
export interface PrometheusRuleGroup {
  name: string;
  rules: PrometheusRule[];
}

/**
 * A Prometheus rule file.
 *
 * @example
 * ```ts
 * const file: PrometheusRuleFile = { groups: [] };
 * ```
 */
export interface PrometheusRuleFile {
  groups: PrometheusRuleGroup[];
}

/**
 * Generated rules plus notes for whoever deploys them (not part of the rule file).
 *
 * @example
 * ```ts
 * const { groups, notes }: GeneratedRules = generatePrometheusRules(def);
 * ```
 */
export interface GeneratedRules extends PrometheusRuleFile {
  notes: string[];
}

/**
 * Options of {@link generatePrometheusRules}.
 *
 * @example
 * ```ts
 * generatePrometheusRules(def, { bucketBoundariesSeconds: [0.1, 0.25, 0.5, 1], noDataFor: '15m' });
 * ```
 */
export interface GenerateOptions extends SliOptions {
  /** Values of the `severity` label; default `critical` (page) and `warning` (ticket). */
  severityLabels?: { page: string; ticket: string };
  /** Runbook URL template with `{service}` and `{slo}`; default `https://runbooks.example.com/slo/{service}/{slo}`. */
  runbookUrl?: string;
  /** How long the SLI's series must be absent before the no-data alert fires; default `10m`. */
  noDataFor?: string;
  /** Severity of the no-data alert; default `ticket`. */
  noDataSeverity?: BurnSeverity;
}

/**
 * Name of the per-window SLI error ratio series, as Sloth: `slo:sli_error:ratio_rate<window>`.
 *
 * @example
 * ```ts
 * `${SLI_ERROR_METRIC_PREFIX}5m`; // => 'slo:sli_error:ratio_rate5m'
 * ```
 */
export const SLI_ERROR_METRIC_PREFIX = 'slo:sli_error:ratio_rate';

/**
 * Sloth's metadata series names.
 *
 * @example
 * ```ts
 * SLOTH_META_METRICS.errorBudget; // => 'slo:error_budget:ratio'
 * ```
 */
export const SLOTH_META_METRICS = Object.freeze({
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  timePeriodDays: 'slo:time_period:days',
  currentBurnRate: 'slo:current_burn_rate:ratio',
  periodBurnRate: 'slo:period_burn_rate:ratio',
  periodErrorBudgetRemaining: 'slo:period_error_budget_remaining:ratio',
  info: 'sloth_slo_info',
});

const WINDOW_LABEL = 'sloth_window';
const DEFAULT_RUNBOOK = 'https://runbooks.example.com/slo/{service}/{slo}';

/**
 * The alert name of an objective's burn-rate alert: `<Service><Slo>BurnRatePage` / `…Ticket`.
 *
 * @example
 * ```ts
 * burnRateAlertName('checkout-service', 'latency-p99', 'page'); // => 'CheckoutServiceLatencyP99BurnRatePage'
 * ```
 */
export function burnRateAlertName(service: string, objective: string, severity: BurnSeverity): string {
  return `${pascalCase(service)}${pascalCase(objective)}BurnRate${severity === 'page' ? 'Page' : 'Ticket'}`;
}

/**
 * The alert name of an objective's no-data alert: `<Service><Slo>SliNoData`.
 *
 * @example
 * ```ts
 * noDataAlertName('checkout', 'availability'); // => 'CheckoutAvailabilitySliNoData'
 * ```
 */
export function noDataAlertName(service: string, objective: string): string {
  return `${pascalCase(service)}${pascalCase(objective)}SliNoData`;
}

/**
 * Generates the recording and alerting rules of every objective of a definition. Throws a
 * `validation_failed` BulwarkError (with `extensions.issues`) for an invalid definition.
 *
 * Alerts, per objective:
 * - `…BurnRatePage`: (1h and 5m above 14.4× budget) or (6h and 30m above 6×) for 30d;
 * - `…BurnRateTicket`: (1d and 2h above 3×) or (3d and 6h above 1×) for 30d;
 *   factors follow the period (28d: 13.44, 5.6, 2.8, 0.933…);
 * - with `minEventsPerHour`, each window pair also needs the long window to average at least that
 *   many events per hour, so one failed request out of three does not page;
 * - `…SliNoData`: the SLI's events series is absent for `noDataFor` (10m).
 *
 * @example
 * ```ts
 * const rules = generatePrometheusRules({
 *   service: 'checkout', period: '30d', minEventsPerHour: 60,
 *   objectives: [{ name: 'availability', sli: { kind: 'availability' }, target: 99.9 }],
 * });
 * rules.groups.map((g) => g.name);
 * // => ['sloth-slo-sli-recordings-checkout-availability', 'sloth-slo-meta-recordings-checkout-availability',
 * //     'sloth-slo-alerts-checkout-availability']
 * ```
 */
export function generatePrometheusRules(def: SloDefinition, options: GenerateOptions = {}): GeneratedRules {
  assertValidSloDefinition(def);
  const groups: PrometheusRuleGroup[] = [];
  const notes: string[] = [];
  for (const objective of def.objectives) {
    const generated = objectiveGroups(def, objective, options);
    groups.push(...generated.groups);
    notes.push(...generated.notes);
  }
  return { groups, notes };
}

function commonLabels(def: SloDefinition): Record<string, string> {
  return { ...(def.team !== undefined ? { team: def.team } : {}), ...(def.labels ?? {}) };
}

function objectiveGroups(
  def: SloDefinition,
  objective: SloObjective,
  options: GenerateOptions,
): { groups: PrometheusRuleGroup[]; notes: string[] } {
  const service = def.service;
  const slo = objective.name;
  const id = slothId(service, slo);
  const idLabels = slothIdLabels(service, slo);
  const filter = slothFilter(service, slo);
  const labels = { ...idLabels, ...commonLabels(def) };
  const sli = resolveSli(def, objective, options);
  const windows = sliWindows(def.period);
  const shortest = windows[0] as string;

  const sliRules: PrometheusRule[] = windows.map((window) => {
    if (window === def.period) {
      // As Sloth: the period ratio is averaged from the 5m series (cheap, slightly less exact). The
      // labels repeat the inherited identity so rules of different objectives are never duplicates.
      const source = `${SLI_ERROR_METRIC_PREFIX}${shortest}${filter}[${window}]`;
      return {
        record: `${SLI_ERROR_METRIC_PREFIX}${window}`,
        expr: `sum_over_time(${source})\n/ ignoring (${WINDOW_LABEL})\ncount_over_time(${source})\n`,
        labels: { ...labels, [WINDOW_LABEL]: window },
      };
    }
    return {
      record: `${SLI_ERROR_METRIC_PREFIX}${window}`,
      expr: `(${renderWindow(sli.errorQuery, window)})\n/\n(${renderWindow(sli.totalQuery, window)})\n`,
      labels: { ...labels, [WINDOW_LABEL]: window },
    };
  });

  const objectiveRatio = objective.target / 100;
  const m = SLOTH_META_METRICS;
  const burnRateExpr = (window: string): string =>
    `${SLI_ERROR_METRIC_PREFIX}${window}${filter}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n${m.errorBudget}${filter}\n`;
  const metaRules: PrometheusRule[] = [
    { record: m.objective, expr: `vector(${formatNumber(objectiveRatio)})`, labels },
    { record: m.errorBudget, expr: `vector(1-${formatNumber(objectiveRatio)})`, labels },
    { record: m.timePeriodDays, expr: `vector(${formatNumber(PERIOD_HOURS[def.period] / 24)})`, labels },
    { record: m.currentBurnRate, expr: burnRateExpr(shortest), labels },
    { record: m.periodBurnRate, expr: burnRateExpr(def.period), labels },
    { record: m.periodErrorBudgetRemaining, expr: `1 - ${m.periodBurnRate}${filter}`, labels },
    {
      record: m.info,
      expr: 'vector(1)',
      labels: {
        ...labels,
        sloth_mode: 'cli-gen-prom',
        sloth_objective: formatNumber(objective.target),
        sloth_spec: 'prometheus/v1',
        sloth_version: 'bulwark',
      },
    },
  ];

  const budget = formatNumber(1 - objectiveRatio);
  const allWindows = burnRateWindows(def.period);
  const severityLabels = options.severityLabels ?? { page: 'critical', ticket: 'warning' };
  const runbook = (options.runbookUrl ?? DEFAULT_RUNBOOK).replaceAll('{service}', service).replaceAll('{slo}', slo);
  const alertRules: PrometheusRule[] = (['page', 'ticket'] as const).map((severity) => {
    const pairs = allWindows.filter((w) => w.severity === severity);
    const expr = pairs
      .map((w) => windowPairCondition(w, filter, budget, def.minEventsPerHour, sli.totalQuery))
      .join(`or ignoring (${WINDOW_LABEL})\n`);
    return {
      alert: burnRateAlertName(service, slo, severity),
      expr,
      labels: { severity: severityLabels[severity], sloth_severity: severity },
      annotations: {
        title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
        summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
        description: burnDescription(pairs, def, objective),
        runbook_url: runbook,
      },
    };
  });

  const noDataSeverity = options.noDataSeverity ?? 'ticket';
  alertRules.push({
    alert: noDataAlertName(service, slo),
    expr: `absent(${sli.eventsSelector ?? renderWindow(sli.totalQuery, shortest)})`,
    for: options.noDataFor ?? '10m',
    labels: {
      ...commonLabels(def),
      ...idLabels,
      severity: severityLabels[noDataSeverity],
      sloth_severity: noDataSeverity,
    },
    annotations: {
      title: `(${noDataSeverity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLI has no data.`,
      summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLI has no data: the burn-rate alerts are blind.',
      description:
        'No events were recorded for this SLI: the service may be down, no longer scraped, or its metrics were renamed. Burn-rate alerts cannot fire without data.',
      runbook_url: runbook,
    },
  });

  return {
    groups: [
      { name: `sloth-slo-sli-recordings-${id}`, rules: sliRules },
      { name: `sloth-slo-meta-recordings-${id}`, rules: metaRules },
      { name: `sloth-slo-alerts-${id}`, rules: alertRules },
    ],
    notes: sli.notes,
  };
}

function windowPairCondition(
  w: BurnRateWindow,
  filter: string,
  budget: string,
  minEventsPerHour: number | undefined,
  totalQuery: string,
): string {
  const threshold = `(${formatNumber(w.factor)} * ${budget})`;
  let out = '(\n';
  out += `    (${SLI_ERROR_METRIC_PREFIX}${w.longWindow}${filter} > ${threshold})\n`;
  out += `    and ignoring (${WINDOW_LABEL})\n`;
  out += `    (${SLI_ERROR_METRIC_PREFIX}${w.shortWindow}${filter} > ${threshold})\n`;
  if (minEventsPerHour !== undefined) {
    // Low-traffic protection: events per hour averaged over the long window (the total query is a
    // per-second rate, as Sloth's total_query).
    out += '    and on ()\n';
    out += `    ((${renderWindow(totalQuery, w.longWindow)}) * 3600 >= ${formatNumber(minEventsPerHour)})\n`;
  }
  return `${out})\n`;
}

function burnDescription(pairs: BurnRateWindow[], def: SloDefinition, objective: SloObjective): string {
  const parts = pairs.map(
    (w) =>
      `${formatNumber(w.budgetConsumed * 100)}% of the ${def.period} budget in ${w.longWindow} (burn rate ${formatNumber(w.factor)}x over ${w.longWindow} and ${w.shortWindow})`,
  );
  let text = `Error ratio {{ $value | humanizePercentage }} against a ${formatNumber(objective.target)}% objective: fires at ${parts.join(' or ')}.`;
  if (def.minEventsPerHour !== undefined) {
    text += ` Suppressed while the long window averages fewer than ${formatNumber(def.minEventsPerHour)} events per hour.`;
  }
  return text;
}

/**
 * The rule file as YAML, ready for `promtool check rules` and Prometheus. Notes become leading
 * comments; nothing but `groups` is emitted (Prometheus rejects unknown fields).
 *
 * @example
 * ```ts
 * const text = toYaml(generatePrometheusRules(def));
 * text.includes('record: slo:sli_error:ratio_rate5m'); // => true
 * ```
 */
export function toYaml(rules: PrometheusRuleFile | GeneratedRules): string {
  const header = ['# Generated by Bulwark: SLO recording and alerting rules (Sloth-compatible names). Do not edit.'];
  if ('notes' in rules) for (const n of rules.notes) header.push(`# Note: ${n.replace(/[\r\n]+/g, ' ')}`);
  const body = stringify({ groups: rules.groups }, { lineWidth: 0, aliasDuplicateObjects: false });
  return `${header.join('\n')}\n${body}`;
}
