/**
 * OpenSLO export (v1 and the v2alpha1 draft) and OpenSLO v1 import. Pure: text and data only.
 *
 * Export to v1 — what is lost. A v1 AlertPolicy holds exactly one AlertCondition, and a burn-rate
 * condition has one `lookbackWindow`. Bulwark's alerts need two windows per burn rate (long AND
 * short) and two burn rates per severity (OR). So v1 gets one AlertPolicy per window pair, with the
 * long window as `lookbackWindow`; lost are:
 * - the multi-window AND: the short confirmation window (5m/30m/2h/6h) survives only as the
 *   annotation `bulwark.dev/short-window`, which other tools ignore: they alert on the long window
 *   alone, firing on the same burns but resetting much later after the burn stops;
 * - the OR between the two pairs of a severity (they become two independent policies);
 * - low-traffic protection (`minEventsPerHour`), kept only as a Bulwark annotation;
 * - the no-data alert, approximated by `alertWhenNoData: true` on the ticket policies.
 *
 * Export to v2alpha1 — uncertain. The OpenSLO draft `enhancements/v2alpha1.md` proposes `and` / `or`
 * lists inside an AlertPolicy's `conditions` and renames SLO `indicator(Ref)` to `sli(Ref)` and SLI
 * `metricSource` to `dataSourceRef` + `spec`; that is what is emitted (apiVersion `openslo/v2alpha1`).
 * Known divergences: the OpenSLO Go SDK's `v2alpha` uses apiVersion `openslo.com/v2alpha` and still
 * allows exactly one condition per policy; the draft's example writes `lookbackWindow: -1h` (emitted
 * here as `1h`); `alertAfter` is omitted (the SDK rejects a zero duration). Treat the v2alpha1 output
 * as a best-effort preview, not a validated format.
 *
 * Import (v1 only): SLO documents with an inline `indicator` or an `indicatorRef` to an SLI in the
 * same file; `ratioMetric` with `good`+`total` or `bad`+`total` Prometheus queries using Sloth's
 * `{{.window}}` placeholder; one rolling `timeWindow` of 28d (or 4w) or 30d; `Occurrences`
 * budgeting; objectives with `target` (0..1) or `targetPercent` (0..100). Alert policies are checked
 * but not imported: Bulwark regenerates its own multi-window alerts. Files must be self-contained:
 * every reference must name a document in the same file.
 */
import { stringify } from 'yaml';
import { BulwarkError } from '../../errors.js';
import { type BurnRateWindow, type BurnSeverity, burnRateWindows } from './burn-rate.js';
import { dnsLabel, formatNumber, LABEL_NAME_RE, roundNumber, SERVICE_NAME_RE } from './promql.js';
import { resolveSli, type SliOptions } from './sli.js';
import {
  assertValidSloDefinition,
  type QueryConfig,
  queryTemplateProblem,
  type SliSpec,
  type SloDefinition,
  type SloObjective,
  type SloPeriod,
  validateSloDefinition,
} from './types.js';
import {
  describeProblem,
  isRecord,
  loadYamlDocuments,
  type SourceDocument,
  type SpecPath,
  type SpecProblem,
} from './yaml-source.js';

/**
 * OpenSLO v1 apiVersion.
 *
 * @example
 * ```ts
 * toOpenSloV1(def)[0]?.apiVersion === OPENSLO_V1; // => true
 * ```
 */
export const OPENSLO_V1 = 'openslo/v1';
/**
 * OpenSLO v2alpha1 draft apiVersion (see the module notes on its uncertainty).
 *
 * @example
 * ```ts
 * toOpenSloV2alpha1(def)[0]?.apiVersion; // => 'openslo/v2alpha1'
 * ```
 */
export const OPENSLO_V2ALPHA1 = 'openslo/v2alpha1';

/**
 * Annotations through which Bulwark round-trips what OpenSLO cannot express.
 *
 * @example
 * ```ts
 * slo.metadata.annotations?.[BULWARK_ANNOTATIONS.objective]; // => 'availability'
 * ```
 */
export const BULWARK_ANNOTATIONS = Object.freeze({
  objective: 'bulwark.dev/objective',
  sli: 'bulwark.dev/sli',
  team: 'bulwark.dev/team',
  queries: 'bulwark.dev/queries',
  minEventsPerHour: 'bulwark.dev/min-events-per-hour',
  shortWindow: 'bulwark.dev/short-window',
});

/**
 * OpenSLO object metadata.
 *
 * @example
 * ```ts
 * const m: OpenSloMetadata = {
 *   name: 'checkout-availability', annotations: { 'bulwark.dev/objective': 'availability' },
 * };
 * ```
 */
export interface OpenSloMetadata {
  name: string;
  displayName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * One OpenSLO document.
 *
 * @example
 * ```ts
 * const doc: OpenSloDocument = { apiVersion: 'openslo/v1', kind: 'Service', metadata: { name: 'checkout' }, spec: {} };
 * ```
 */
export interface OpenSloDocument {
  apiVersion: string;
  kind: string;
  metadata: OpenSloMetadata;
  spec: Record<string, unknown>;
}

/**
 * Options of the OpenSLO exporters.
 *
 * @example
 * ```ts
 * toOpenSloV1(def, { dataSourceRef: 'prometheus-main', notificationTargets: { page: 'pagerduty', ticket: 'jira' } });
 * ```
 */
export interface OpenSloExportOptions extends SliOptions {
  /**
   * Name of the Prometheus DataSource. v1: set as `metricSourceRef` (inline `type: Prometheus`
   * otherwise); v2alpha1: default `prometheus`.
   */
  dataSourceRef?: string;
  /** AlertNotificationTarget names per severity; default `<service>-page` and `<service>-ticket`. */
  notificationTargets?: { page: string; ticket: string };
}

interface ObjectiveNames {
  sli: string;
  slo: string;
}

function names(def: SloDefinition, objective: SloObjective): ObjectiveNames {
  return { sli: dnsLabel(def.service, objective.name, 'sli'), slo: dnsLabel(def.service, objective.name) };
}

function pairName(def: SloDefinition, objective: SloObjective, w: BurnRateWindow): string {
  return dnsLabel(def.service, objective.name, w.severity, w.longWindow, w.shortWindow);
}

function targetNames(def: SloDefinition, options: OpenSloExportOptions): Record<BurnSeverity, string> {
  return (
    options.notificationTargets ?? { page: dnsLabel(def.service, 'page'), ticket: dnsLabel(def.service, 'ticket') }
  );
}

function sloAnnotations(def: SloDefinition, objective: SloObjective): Record<string, string> {
  const a: Record<string, string> = {
    [BULWARK_ANNOTATIONS.objective]: objective.name,
    [BULWARK_ANNOTATIONS.sli]: JSON.stringify(objective.sli),
  };
  if (def.team !== undefined) a[BULWARK_ANNOTATIONS.team] = def.team;
  if (def.queries !== undefined) a[BULWARK_ANNOTATIONS.queries] = JSON.stringify(def.queries);
  if (def.minEventsPerHour !== undefined) a[BULWARK_ANNOTATIONS.minEventsPerHour] = String(def.minEventsPerHour);
  return a;
}

function sloMetadata(def: SloDefinition, objective: SloObjective): OpenSloMetadata {
  return {
    name: names(def, objective).slo,
    displayName: `${def.service} ${objective.name}`.slice(0, 63),
    ...(def.labels && Object.keys(def.labels).length > 0 ? { labels: { ...def.labels } } : {}),
    annotations: sloAnnotations(def, objective),
  };
}

function sloDescription(def: SloDefinition, objective: SloObjective): string {
  return `${objective.name} of ${def.service}: ${formatNumber(objective.target)}% of events good over a rolling ${def.period}.`;
}

const SLI_DESCRIPTION =
  'Bad and total events per second. Queries are window templates: {{.window}} stands for each alert window (Sloth convention).';

function notificationTargetDocs(
  apiVersion: string,
  def: SloDefinition,
  options: OpenSloExportOptions,
): OpenSloDocument[] {
  const t = targetNames(def, options);
  return (['page', 'ticket'] as const).map((severity) => ({
    apiVersion,
    kind: 'AlertNotificationTarget',
    metadata: { name: t[severity] },
    spec: {
      description: `${severity === 'page' ? 'Pages the on-call' : 'Opens a ticket'} for ${def.service} SLO alerts.`,
      target: 'alertmanager',
    },
  }));
}

function burnConditionSpec(def: SloDefinition, w: BurnRateWindow, lookbackWindow: string): Record<string, unknown> {
  return {
    description: `Burn rate above ${formatNumber(w.factor)}x over ${lookbackWindow}: ${formatNumber(w.budgetConsumed * 100)}% of the ${def.period} error budget within ${w.longWindow}.`,
    severity: w.severity,
    condition: { kind: 'burnrate', op: 'gt', threshold: w.factor, lookbackWindow },
  };
}

/**
 * Exports a definition as OpenSLO v1 documents: two AlertNotificationTargets, then per objective an
 * SLI (ratioMetric bad/total), an SLO, and one AlertCondition plus one AlertPolicy per burn-rate
 * window pair (v1 allows a single condition per policy; see the module notes for what is lost).
 *
 * @example
 * ```ts
 * const docs = toOpenSloV1({ service: 'checkout', period: '30d',
 *   objectives: [{ name: 'availability', sli: { kind: 'availability' }, target: 99.9 }] });
 * docs.filter((d) => d.kind === 'AlertPolicy').length; // => 4
 * ```
 */
export function toOpenSloV1(def: SloDefinition, options: OpenSloExportOptions = {}): OpenSloDocument[] {
  assertValidSloDefinition(def);
  const docs = notificationTargetDocs(OPENSLO_V1, def, options);
  const targets = targetNames(def, options);
  const metricSource = (query: string) => ({
    metricSource: {
      ...(options.dataSourceRef !== undefined ? { metricSourceRef: options.dataSourceRef } : {}),
      type: 'Prometheus',
      spec: { query },
    },
  });
  for (const objective of def.objectives) {
    const n = names(def, objective);
    const sli = resolveSli(def, objective, options);
    const windows = burnRateWindows(def.period);
    docs.push({
      apiVersion: OPENSLO_V1,
      kind: 'SLI',
      metadata: { name: n.sli },
      spec: {
        description: SLI_DESCRIPTION,
        ratioMetric: { counter: true, bad: metricSource(sli.errorQuery), total: metricSource(sli.totalQuery) },
      },
    });
    docs.push({
      apiVersion: OPENSLO_V1,
      kind: 'SLO',
      metadata: sloMetadata(def, objective),
      spec: {
        description: sloDescription(def, objective),
        service: def.service,
        indicatorRef: n.sli,
        timeWindow: [{ duration: def.period, isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ displayName: objective.name, target: roundNumber(objective.target / 100) }],
        alertPolicies: windows.map((w) => ({ alertPolicyRef: pairName(def, objective, w) })),
      },
    });
    for (const w of windows) {
      const name = pairName(def, objective, w);
      docs.push({
        apiVersion: OPENSLO_V1,
        kind: 'AlertCondition',
        metadata: { name },
        spec: burnConditionSpec(def, w, w.longWindow),
      });
      docs.push({
        apiVersion: OPENSLO_V1,
        kind: 'AlertPolicy',
        metadata: { name, annotations: { [BULWARK_ANNOTATIONS.shortWindow]: w.shortWindow } },
        spec: {
          description: `${w.severity === 'page' ? 'Page' : 'Ticket'} when ${formatNumber(w.budgetConsumed * 100)}% of the ${def.period} error budget burns within ${w.longWindow}. OpenSLO v1 cannot express the ${w.shortWindow} confirmation window that Bulwark's Prometheus alert also requires.`,
          alertWhenBreaching: true,
          alertWhenResolved: false,
          alertWhenNoData: w.severity === 'ticket',
          conditions: [{ conditionRef: name }],
          notificationTargets: [{ targetRef: targets[w.severity] }],
        },
      });
    }
  }
  return docs;
}

/**
 * Exports a definition in the OpenSLO v2alpha1 draft: per objective an SLI and an SLO, and one
 * AlertPolicy per severity whose conditions compose the window pairs as
 * `or: [ and: [long, short], and: [long, short] ]` (best effort; see the module notes).
 *
 * @example
 * ```ts
 * const policy = toOpenSloV2alpha1(def).find((d) => d.kind === 'AlertPolicy');
 * policy?.spec.conditions; // => [{ or: [{ and: [ …1h…, …5m… ] }, { and: [ …6h…, …30m… ] }] }]
 * ```
 */
export function toOpenSloV2alpha1(def: SloDefinition, options: OpenSloExportOptions = {}): OpenSloDocument[] {
  assertValidSloDefinition(def);
  const dataSourceRef = options.dataSourceRef ?? 'prometheus';
  const docs: OpenSloDocument[] = [
    {
      apiVersion: OPENSLO_V2ALPHA1,
      kind: 'DataSource',
      metadata: { name: dataSourceRef },
      spec: {
        description: 'Prometheus holding the SLI series; connection details are deployment-specific.',
        prometheus: {},
      },
    },
    ...notificationTargetDocs(OPENSLO_V2ALPHA1, def, options),
  ];
  const targets = targetNames(def, options);
  const metric = (query: string) => ({ dataSourceRef, spec: { query } });
  for (const objective of def.objectives) {
    const n = names(def, objective);
    const sli = resolveSli(def, objective, options);
    const windows = burnRateWindows(def.period);
    const policyName = (severity: BurnSeverity) => dnsLabel(def.service, objective.name, severity);
    docs.push({
      apiVersion: OPENSLO_V2ALPHA1,
      kind: 'SLI',
      metadata: { name: n.sli },
      spec: {
        description: SLI_DESCRIPTION,
        ratioMetric: { counter: true, bad: metric(sli.errorQuery), total: metric(sli.totalQuery) },
      },
    });
    docs.push({
      apiVersion: OPENSLO_V2ALPHA1,
      kind: 'SLO',
      metadata: sloMetadata(def, objective),
      spec: {
        description: sloDescription(def, objective),
        service: def.service,
        sliRef: n.sli,
        timeWindow: [{ duration: def.period, isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ displayName: objective.name, target: roundNumber(objective.target / 100) }],
        alertPolicies: (['page', 'ticket'] as const).map((s) => ({ alertPolicyRef: policyName(s) })),
      },
    });
    for (const severity of ['page', 'ticket'] as const) {
      const pairs = windows.filter((w) => w.severity === severity);
      const inline = (w: BurnRateWindow, window: string) => ({
        kind: 'AlertCondition',
        metadata: { name: dnsLabel(def.service, objective.name, severity, window) },
        spec: burnConditionSpec(def, w, window),
      });
      docs.push({
        apiVersion: OPENSLO_V2ALPHA1,
        kind: 'AlertPolicy',
        metadata: { name: policyName(severity) },
        spec: {
          description: `Multi-window multi-burn-rate ${severity} alert (each burn rate over a long and a short window).`,
          alertWhenBreaching: true,
          alertWhenResolved: false,
          alertWhenNoData: severity === 'ticket',
          conditions: [{ or: pairs.map((w) => ({ and: [inline(w, w.longWindow), inline(w, w.shortWindow)] })) }],
          notificationTargets: [{ targetRef: targets[severity] }],
        },
      });
    }
  }
  return docs;
}

/**
 * Serialises OpenSLO documents as one multi-document YAML text, with optional leading comments.
 *
 * @example
 * ```ts
 * openSloToYaml(toOpenSloV1(def)).startsWith('apiVersion: openslo/v1'); // => true
 * ```
 */
export function openSloToYaml(docs: readonly OpenSloDocument[], comments: readonly string[] = []): string {
  const head = comments.map((c) => `# ${c.replace(/[\r\n]+/g, ' ')}\n`).join('');
  return head + docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/**
 * {@link toOpenSloV1} as YAML, headed by a comment saying what OpenSLO v1 cannot express.
 *
 * @example
 * ```ts
 * const text = toOpenSloV1Yaml(def); // multi-document YAML, one AlertPolicy per window pair
 * ```
 */
export function toOpenSloV1Yaml(def: SloDefinition, options: OpenSloExportOptions = {}): string {
  return openSloToYaml(toOpenSloV1(def, options), [
    'Generated by Bulwark. OpenSLO v1 allows one condition per AlertPolicy: each burn-rate window pair is',
    'its own policy on the long window; the short confirmation window (multi-window AND), low-traffic',
    'protection and the no-data alert exist only in the Prometheus rules Bulwark generates.',
  ]);
}

/**
 * {@link toOpenSloV2alpha1} as YAML, headed by a comment on the draft's uncertainty.
 *
 * @example
 * ```ts
 * const text = toOpenSloV2alpha1Yaml(def); // apiVersion: openslo/v2alpha1 documents
 * ```
 */
export function toOpenSloV2alpha1Yaml(def: SloDefinition, options: OpenSloExportOptions = {}): string {
  return openSloToYaml(toOpenSloV2alpha1(def, options), [
    'Generated by Bulwark from the OpenSLO v2alpha1 draft (and/or alert conditions); the draft is not final.',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Import

/**
 * Result of {@link checkOpenSlo}: the definitions found and every problem (empty when valid).
 *
 * @example
 * ```ts
 * const { definitions, problems }: OpenSloCheckResult = checkOpenSlo(text);
 * ```
 */
export interface OpenSloCheckResult {
  definitions: SloDefinition[];
  problems: SpecProblem[];
}

const KNOWN_KINDS = new Set([
  'SLO',
  'SLI',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
  'DataSource',
  'Service',
]);
const DURATION_RE = /^[0-9]+[mhdwMQY]$/;
const PERIODS: Record<string, SloPeriod> = { '28d': '28d', '4w': '28d', '30d': '30d' };

interface Indexed {
  doc: SourceDocument;
  value: Record<string, unknown>;
}

interface ParsedObjective {
  objective: SloObjective;
  doc: SourceDocument;
  base: Omit<SloDefinition, 'objectives'>;
}

/**
 * Checks OpenSLO v1 YAML (multi-document) and converts its SLOs to definitions, collecting every
 * problem with its document index, path, line and column instead of stopping at the first.
 * SLOs of the same service and settings merge into one definition (objectives in file order).
 *
 * @example
 * ```ts
 * const { definitions, problems } = checkOpenSlo(text);
 * if (problems.length === 0) generatePrometheusRules(definitions[0]);
 * ```
 */
export function checkOpenSlo(text: string, options: SliOptions = {}): OpenSloCheckResult {
  const problems: SpecProblem[] = [];
  const docs = loadYamlDocuments(text, problems);
  const byKind = new Map<string, Map<string, Indexed>>();
  const valid: Indexed[] = [];
  for (const doc of docs) {
    if (doc.value === null || doc.value === undefined) continue;
    if (!isRecord(doc.value)) {
      doc.problem([], 'an OpenSLO document must be a mapping with apiVersion, kind, metadata and spec');
      continue;
    }
    const v = doc.value;
    if (v.apiVersion !== OPENSLO_V1) {
      doc.problem(
        ['apiVersion'],
        v.apiVersion === undefined
          ? `apiVersion is required (${OPENSLO_V1})`
          : `unsupported apiVersion ${JSON.stringify(v.apiVersion)}: only ${OPENSLO_V1} can be imported`,
      );
      continue;
    }
    if (typeof v.kind !== 'string' || !KNOWN_KINDS.has(v.kind)) {
      doc.problem(['kind'], `kind must be one of ${[...KNOWN_KINDS].join(', ')}`);
      continue;
    }
    const name = isRecord(v.metadata) ? v.metadata.name : undefined;
    if (typeof name !== 'string' || name === '') {
      doc.problem(['metadata', 'name'], 'metadata.name is required');
      continue;
    }
    if (!isRecord(v.spec)) {
      doc.problem(['spec'], 'spec is required and must be a mapping');
      continue;
    }
    const ofKind = byKind.get(v.kind) ?? new Map<string, Indexed>();
    byKind.set(v.kind, ofKind);
    if (ofKind.has(name)) {
      doc.problem(['metadata', 'name'], `duplicate ${v.kind} name ${JSON.stringify(name)}`);
      continue;
    }
    const entry = { doc, value: v };
    ofKind.set(name, entry);
    valid.push(entry);
  }
  const lookup = (kind: string, name: unknown): Indexed | undefined =>
    typeof name === 'string' ? byKind.get(kind)?.get(name) : undefined;

  const parsed: ParsedObjective[] = [];
  for (const entry of valid) {
    const { doc, value } = entry;
    const spec = value.spec as Record<string, unknown>;
    switch (value.kind) {
      case 'DataSource':
        if (typeof spec.type !== 'string' || spec.type === '')
          doc.problem(['spec', 'type'], 'DataSource spec.type is required');
        break;
      case 'AlertCondition':
        checkAlertConditionSpec(doc, ['spec'], spec);
        break;
      case 'AlertNotificationTarget':
        if (typeof spec.target !== 'string' || spec.target === '')
          doc.problem(['spec', 'target'], 'spec.target is required');
        break;
      case 'AlertPolicy':
        checkAlertPolicySpec(doc, ['spec'], spec, lookup);
        break;
      case 'SLO':
        parsed.push(...parseSlo(entry, lookup, options));
        break;
      default:
        break;
    }
  }
  return { definitions: groupDefinitions(parsed), problems };
}

/**
 * Parses OpenSLO v1 YAML into definitions. A Bulwark-exported SLI (annotation `bulwark.dev/sli`) is
 * restored as such only when it resolves to exactly the queries in the file, so pass the same
 * `bucketBoundariesSeconds` as at export; otherwise the queries are kept as a custom SLI. Throws a
 * `validation_failed` BulwarkError whose `extensions.problems` lists every {@link SpecProblem}
 * (document index, path, line, message).
 *
 * @example
 * ```ts
 * const defs = parseOpenSlo(toOpenSloV1Yaml(def)); // => [def] (round trip)
 * ```
 */
export function parseOpenSlo(yamlText: string, options: SliOptions = {}): SloDefinition[] {
  const { definitions, problems } = checkOpenSlo(yamlText, options);
  if (problems.length > 0) {
    throw new BulwarkError('validation_failed', `invalid OpenSLO: ${problems.map(describeProblem).join('; ')}`, {
      extensions: { problems },
    });
  }
  return definitions;
}

type Lookup = (kind: string, name: unknown) => Indexed | undefined;

function checkAlertConditionSpec(doc: SourceDocument, at: SpecPath, spec: Record<string, unknown>): void {
  if (typeof spec.severity !== 'string' || spec.severity === '')
    doc.problem([...at, 'severity'], 'severity is required');
  const c = spec.condition;
  if (!isRecord(c)) {
    doc.problem([...at, 'condition'], 'condition is required');
    return;
  }
  const cat = [...at, 'condition'];
  if (c.kind !== undefined && c.kind !== 'burnrate') doc.problem([...cat, 'kind'], 'condition.kind must be burnrate');
  if (typeof c.threshold !== 'number' || !Number.isFinite(c.threshold) || c.threshold <= 0) {
    doc.problem([...cat, 'threshold'], 'threshold must be a positive number (the burn rate)');
  }
  if (typeof c.lookbackWindow !== 'string' || !DURATION_RE.test(c.lookbackWindow)) {
    doc.problem([...cat, 'lookbackWindow'], 'lookbackWindow must be a duration shorthand such as 1h');
  }
  if (c.alertAfter !== undefined && (typeof c.alertAfter !== 'string' || !DURATION_RE.test(c.alertAfter))) {
    doc.problem([...cat, 'alertAfter'], 'alertAfter must be a duration shorthand such as 5m');
  }
  if (c.op !== undefined && !['gt', 'gte', 'lt', 'lte'].includes(String(c.op))) {
    doc.problem([...cat, 'op'], 'op must be one of gt, gte, lt, lte');
  }
}

function checkAlertPolicySpec(doc: SourceDocument, at: SpecPath, spec: Record<string, unknown>, lookup: Lookup): void {
  const conditions = spec.conditions;
  if (!Array.isArray(conditions) || conditions.length !== 1) {
    doc.problem(
      [...at, 'conditions'],
      `OpenSLO v1 allows exactly one condition per AlertPolicy, found ${Array.isArray(conditions) ? conditions.length : 'none'}`,
    );
  } else {
    const c: unknown = conditions[0];
    const cat = [...at, 'conditions', 0];
    if (isRecord(c) && c.conditionRef !== undefined) {
      if (!lookup('AlertCondition', c.conditionRef)) {
        doc.problem([...cat, 'conditionRef'], `no AlertCondition named ${JSON.stringify(c.conditionRef)} in this file`);
      }
    } else if (isRecord(c) && c.kind === 'AlertCondition' && isRecord(c.spec)) {
      checkAlertConditionSpec(doc, [...cat, 'spec'], c.spec);
    } else {
      doc.problem(cat, 'a condition needs conditionRef, or an inline kind: AlertCondition with a spec');
    }
  }
  const targets = spec.notificationTargets;
  if (!Array.isArray(targets) || targets.length === 0) {
    doc.problem([...at, 'notificationTargets'], 'notificationTargets is required (at least one)');
    return;
  }
  targets.forEach((t: unknown, i) => {
    const tat = [...at, 'notificationTargets', i];
    if (isRecord(t) && t.targetRef !== undefined) {
      if (!lookup('AlertNotificationTarget', t.targetRef)) {
        doc.problem(
          [...tat, 'targetRef'],
          `no AlertNotificationTarget named ${JSON.stringify(t.targetRef)} in this file`,
        );
      }
    } else if (!(isRecord(t) && t.kind === 'AlertNotificationTarget' && isRecord(t.spec))) {
      doc.problem(tat, 'a notification target needs targetRef, or an inline kind: AlertNotificationTarget with a spec');
    }
  });
}

function parseSlo(entry: Indexed, lookup: Lookup, options: SliOptions): ParsedObjective[] {
  const { doc, value } = entry;
  const spec = value.spec as Record<string, unknown>;
  const metadata = value.metadata as Record<string, unknown>;
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const fromBulwark = typeof annotations[BULWARK_ANNOTATIONS.objective] === 'string';
  let ok = true;
  const fail = (path: SpecPath, message: string) => {
    doc.problem(path, message);
    ok = false;
  };

  const service = spec.service;
  if (typeof service !== 'string' || service === '') fail(['spec', 'service'], 'spec.service is required');
  else if (!SERVICE_NAME_RE.test(service)) {
    fail(
      ['spec', 'service'],
      `service ${JSON.stringify(service)} is not a valid name (letters, digits, '.', '_', '-'; at most 128)`,
    );
  }

  // Indicator.
  let sliSpec: Record<string, unknown> | undefined;
  let sliDoc = doc;
  let sliAt: SpecPath = [];
  if ((spec.indicator === undefined) === (spec.indicatorRef === undefined)) {
    fail(['spec'], 'exactly one of indicator and indicatorRef is required');
  } else if (spec.indicator !== undefined) {
    if (!isRecord(spec.indicator) || !isRecord(spec.indicator.spec))
      fail(['spec', 'indicator'], 'indicator needs a spec');
    else {
      sliSpec = spec.indicator.spec;
      sliAt = ['spec', 'indicator', 'spec'];
    }
  } else {
    const found = lookup('SLI', spec.indicatorRef);
    if (!found) fail(['spec', 'indicatorRef'], `no SLI named ${JSON.stringify(spec.indicatorRef)} in this file`);
    else {
      sliSpec = found.value.spec as Record<string, unknown>;
      sliDoc = found.doc;
      sliAt = ['spec'];
    }
  }
  let queries: { errorQuery: string; totalQuery: string } | undefined;
  if (sliSpec) {
    queries = parseRatioMetric(sliDoc, sliAt, sliSpec, lookup);
    if (!queries) ok = false;
  }

  // Time window.
  let period: SloPeriod | undefined;
  const tw = spec.timeWindow;
  if (!Array.isArray(tw) || tw.length !== 1 || !isRecord(tw[0])) {
    fail(['spec', 'timeWindow'], 'timeWindow must hold exactly one window');
  } else {
    const w = tw[0];
    if (w.calendar !== undefined || w.isRolling !== true) {
      fail(
        ['spec', 'timeWindow', 0],
        'only rolling windows (isRolling: true) are supported; calendar-aligned windows are not',
      );
    }
    period = typeof w.duration === 'string' ? PERIODS[w.duration] : undefined;
    if (!period) {
      fail(
        ['spec', 'timeWindow', 0, 'duration'],
        `unsupported duration ${JSON.stringify(w.duration)}: use 28d (or 4w) or 30d`,
      );
    }
  }
  if (spec.budgetingMethod !== 'Occurrences') {
    fail(
      ['spec', 'budgetingMethod'],
      spec.budgetingMethod === undefined
        ? 'budgetingMethod is required (Occurrences)'
        : `budgetingMethod ${JSON.stringify(spec.budgetingMethod)} is not supported: burn-rate alerts need Occurrences`,
    );
  }

  // Objectives.
  const targets: Array<{ target: number; displayName: string | undefined }> = [];
  if (!Array.isArray(spec.objectives) || spec.objectives.length === 0) {
    fail(['spec', 'objectives'], 'at least one objective is required');
  } else {
    spec.objectives.forEach((o: unknown, i) => {
      const at = ['spec', 'objectives', i];
      if (!isRecord(o)) {
        fail(at, 'an objective must be a mapping');
        return;
      }
      if (o.op !== undefined || o.value !== undefined)
        fail(at, 'op and value apply to thresholdMetric SLIs, which are not supported');
      if ((o.target === undefined) === (o.targetPercent === undefined)) {
        fail(at, 'exactly one of target and targetPercent is required');
        return;
      }
      let percent: number | undefined;
      if (o.target !== undefined) {
        if (typeof o.target !== 'number' || !(o.target > 0 && o.target < 1))
          fail([...at, 'target'], 'target must be a number between 0 and 1 (exclusive)');
        else percent = roundNumber(o.target * 100);
      } else if (typeof o.targetPercent !== 'number' || !(o.targetPercent > 0 && o.targetPercent < 100)) {
        fail([...at, 'targetPercent'], 'targetPercent must be a number between 0 and 100 (exclusive)');
      } else percent = o.targetPercent;
      if (percent !== undefined)
        targets.push({ target: percent, displayName: typeof o.displayName === 'string' ? o.displayName : undefined });
    });
  }

  // Alert policies are checked, not imported.
  if (spec.alertPolicies !== undefined) {
    if (!Array.isArray(spec.alertPolicies)) fail(['spec', 'alertPolicies'], 'alertPolicies must be a list');
    else {
      spec.alertPolicies.forEach((p: unknown, i) => {
        const at = ['spec', 'alertPolicies', i];
        if (isRecord(p) && p.alertPolicyRef !== undefined) {
          if (!lookup('AlertPolicy', p.alertPolicyRef)) {
            fail([...at, 'alertPolicyRef'], `no AlertPolicy named ${JSON.stringify(p.alertPolicyRef)} in this file`);
          }
        } else if (isRecord(p) && p.kind === 'AlertPolicy' && isRecord(p.spec)) {
          checkAlertPolicySpec(doc, [...at, 'spec'], p.spec, lookup);
        } else fail(at, 'an alert policy needs alertPolicyRef, or an inline kind: AlertPolicy with a spec');
      });
    }
  }

  // Definition-level settings: Bulwark annotations, else metadata labels.
  const labels = importLabels(metadata.labels);
  const base: Omit<SloDefinition, 'objectives'> = { service: String(service), period: period ?? '30d' };
  const team = annotations[BULWARK_ANNOTATIONS.team] ?? (fromBulwark ? undefined : labels?.team);
  if (team !== undefined) {
    if (typeof team === 'string') base.team = team;
    else fail(['metadata', 'annotations', BULWARK_ANNOTATIONS.team], 'must be a string');
  }
  if (labels && Object.keys(labels).length > 0) base.labels = labels;
  const queriesJson = annotations[BULWARK_ANNOTATIONS.queries];
  if (queriesJson !== undefined) {
    const q = parseJson(queriesJson);
    if (!isQueryConfig(q)) {
      fail(
        ['metadata', 'annotations', BULWARK_ANNOTATIONS.queries],
        'must be JSON with requestsMetric, serviceLabel, statusLabel and latencyBucketMetric',
      );
    } else base.queries = q;
  }
  const minEvents = annotations[BULWARK_ANNOTATIONS.minEventsPerHour];
  if (minEvents !== undefined) {
    const n = Number(minEvents);
    if (!(Number.isFinite(n) && n > 0))
      fail(['metadata', 'annotations', BULWARK_ANNOTATIONS.minEventsPerHour], 'must be a positive number');
    else base.minEventsPerHour = n;
  }
  if (!ok || !queries) return [];

  // The SLI: Bulwark's own description when it resolves to exactly the queries in the file (the
  // queries are the truth; the annotation is a hint), else the queries as a custom availability SLI.
  let sli: SliSpec = { kind: 'availability', errorQuery: queries.errorQuery, totalQuery: queries.totalQuery };
  const hinted = annotations[BULWARK_ANNOTATIONS.sli];
  if (hinted !== undefined) {
    const candidate = parseJson(hinted);
    if (!isSliSpec(candidate)) {
      doc.problem(
        ['metadata', 'annotations', BULWARK_ANNOTATIONS.sli],
        'must be JSON of a Bulwark SLI (kind availability or latency)',
      );
      return [];
    }
    const probe = { ...base, objectives: [] };
    const resolved = resolveSli(probe, { name: 'probe', sli: candidate, target: 99 }, options);
    if (resolved.errorQuery === queries.errorQuery && resolved.totalQuery === queries.totalQuery) sli = candidate;
  }

  const baseName = (() => {
    const hintedName = annotations[BULWARK_ANNOTATIONS.objective];
    return typeof hintedName === 'string' ? hintedName : dnsLabel(String(metadata.name));
  })();
  return targets.map((t, i) => ({
    doc,
    base,
    objective: {
      name: targets.length === 1 ? baseName : dnsLabel(baseName, t.displayName ?? String(i + 1)),
      sli,
      target: t.target,
    },
  }));
}

function parseRatioMetric(
  doc: SourceDocument,
  at: SpecPath,
  spec: Record<string, unknown>,
  lookup: Lookup,
): { errorQuery: string; totalQuery: string } | undefined {
  if (spec.thresholdMetric !== undefined) {
    doc.problem(
      [...at, 'thresholdMetric'],
      'thresholdMetric SLIs are not supported: use a ratioMetric (good or bad, and total)',
    );
    return undefined;
  }
  const rm = spec.ratioMetric;
  if (!isRecord(rm)) {
    doc.problem([...at, 'ratioMetric'], 'ratioMetric is required');
    return undefined;
  }
  const rat = [...at, 'ratioMetric'];
  if (rm.raw !== undefined) {
    doc.problem([...rat, 'raw'], 'raw ratio metrics are not supported: give good or bad, and total, as event queries');
    return undefined;
  }
  if ((rm.good === undefined) === (rm.bad === undefined)) {
    doc.problem(rat, 'exactly one of good and bad is required');
    return undefined;
  }
  const numeratorKey = rm.good !== undefined ? 'good' : 'bad';
  const numerator = metricQuery(doc, [...rat, numeratorKey], rm[numeratorKey], lookup);
  const total = rm.total === undefined ? undefined : metricQuery(doc, [...rat, 'total'], rm.total, lookup);
  if (rm.total === undefined) doc.problem([...rat, 'total'], 'total is required');
  if (numerator === undefined || total === undefined) return undefined;
  return numeratorKey === 'bad'
    ? { errorQuery: numerator, totalQuery: total }
    : { errorQuery: `(${total}) - (${numerator})`, totalQuery: total };
}

function metricQuery(doc: SourceDocument, at: SpecPath, metric: unknown, lookup: Lookup): string | undefined {
  const ms = isRecord(metric) ? metric.metricSource : undefined;
  if (!isRecord(ms)) {
    doc.problem([...at, 'metricSource'], 'metricSource is required');
    return undefined;
  }
  const mat = [...at, 'metricSource'];
  let type = ms.type;
  if (type === undefined && ms.metricSourceRef !== undefined) {
    const ds = lookup('DataSource', ms.metricSourceRef);
    if (!ds) {
      doc.problem(
        [...mat, 'metricSourceRef'],
        `no DataSource named ${JSON.stringify(ms.metricSourceRef)} in this file, and no type given`,
      );
      return undefined;
    }
    type = (ds.value.spec as Record<string, unknown>).type;
  }
  if (typeof type !== 'string' || type.toLowerCase() !== 'prometheus') {
    doc.problem([...mat, 'type'], `only Prometheus metric sources are supported, found ${JSON.stringify(type)}`);
    return undefined;
  }
  const query = isRecord(ms.spec) ? ms.spec.query : undefined;
  if (typeof query !== 'string' || query.trim() === '') {
    doc.problem([...mat, 'spec', 'query'], 'spec.query (a PromQL query) is required');
    return undefined;
  }
  const problem = queryTemplateProblem(query);
  if (problem) {
    doc.problem([...mat, 'spec', 'query'], problem);
    return undefined;
  }
  return query;
}

function importLabels(raw: unknown): Record<string, string> | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    let key = k.replace(/[^a-zA-Z0-9_]/g, '_');
    if (!LABEL_NAME_RE.test(key)) key = `l_${key}`;
    if (key.startsWith('__') || key.startsWith('sloth_')) key = `l${key}`;
    out[key] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return out;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isQueryConfig(v: unknown): v is QueryConfig {
  return (
    isRecord(v) &&
    (['requestsMetric', 'serviceLabel', 'statusLabel', 'latencyBucketMetric'] as const).every(
      (k) => typeof v[k] === 'string',
    ) &&
    Object.keys(v).length === 4
  );
}

function isSliSpec(v: unknown): v is SliSpec {
  if (!isRecord(v)) return false;
  const optionalString = (x: unknown) => x === undefined || typeof x === 'string';
  if (v.kind === 'availability') {
    return (
      Object.keys(v).every((k) => ['kind', 'errorQuery', 'totalQuery'].includes(k)) &&
      optionalString(v.errorQuery) &&
      optionalString(v.totalQuery)
    );
  }
  if (v.kind === 'latency') {
    return (
      Object.keys(v).every((k) => ['kind', 'thresholdMs', 'bucketMetric'].includes(k)) &&
      typeof v.thresholdMs === 'number' &&
      v.thresholdMs > 0 &&
      optionalString(v.bucketMetric)
    );
  }
  return false;
}

function groupDefinitions(parsed: ParsedObjective[]): SloDefinition[] {
  const groups = new Map<string, { def: SloDefinition; docs: SourceDocument[] }>();
  for (const p of parsed) {
    const key = JSON.stringify([
      p.base.service,
      p.base.period,
      p.base.team,
      sortedEntries(p.base.labels),
      p.base.queries,
      p.base.minEventsPerHour,
    ]);
    const group = groups.get(key) ?? { def: { ...p.base, objectives: [] }, docs: [] };
    groups.set(key, group);
    group.def.objectives.push(p.objective);
    group.docs.push(p.doc);
  }
  const out: SloDefinition[] = [];
  for (const { def, docs } of groups.values()) {
    const issues = validateSloDefinition(def);
    for (const issue of issues) {
      const m = /^objectives\[(\d+)\](.*)$/.exec(issue.path);
      const doc = docs[m ? Number(m[1]) : 0] ?? docs[0];
      if (!doc) continue;
      const objectivePath = m ? `objective${m[2] ?? ''}` : issue.path;
      doc.problem([], `in the imported definition, ${objectivePath}: ${issue.message}`);
    }
    if (issues.length === 0) out.push(def);
  }
  return out;
}

function sortedEntries(labels: Record<string, string> | undefined): Array<[string, string]> | undefined {
  return labels ? Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : undefined;
}
