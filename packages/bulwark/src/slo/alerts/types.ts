/**
 * SLO definitions for alert generation (FR-10): the input of the Prometheus rule generator and of
 * the OpenSLO / Sloth converters. Pure: no I/O.
 *
 * Glossary
 * - objective: one SLI with a target percent over the period (e.g. availability 99.9 over 30d).
 * - error budget: 1 − target/100, the share of events allowed to be bad over the period.
 * - burn rate: observed error ratio ÷ error budget; 1 spends the budget exactly over the period.
 * - window template: a PromQL query with Sloth's `{{.window}}` placeholder, rendered once per
 *   alert window (5m … 3d) and for the period.
 */
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import {
  hasWindowPlaceholder,
  LABEL_NAME_RE,
  METRIC_NAME_RE,
  OBJECTIVE_NAME_RE,
  otherTemplateActions,
  pascalCase,
  promqlStructureProblem,
  SERVICE_NAME_RE,
} from './promql.js';

/**
 * The SLO period (rolling window).
 *
 * @example
 * ```ts
 * const period: SloPeriod = '30d';
 * ```
 */
export type SloPeriod = '28d' | '30d';

/**
 * Availability SLI: bad events are server errors, or the given custom queries.
 *
 * @example
 * ```ts
 * const sli: AvailabilitySli = { kind: 'availability' };
 * ```
 */
export interface AvailabilitySli {
  kind: 'availability';
  /** Bad events, a window template with `{{.window}}` (e.g. `sum(rate(x{code=~"5.."}[{{.window}}]))`). */
  errorQuery?: string;
  /** All events, a window template with `{{.window}}`. Given together with `errorQuery`. */
  totalQuery?: string;
}

/**
 * Latency SLI: good events are requests faster than the threshold, read from a histogram `le` bucket.
 *
 * @example
 * ```ts
 * const sli: LatencySli = { kind: 'latency', thresholdMs: 300 };
 * ```
 */
export interface LatencySli {
  kind: 'latency';
  thresholdMs: number;
  /** Histogram bucket metric (ending in `_bucket`); defaults to `queries.latencyBucketMetric`. */
  bucketMetric?: string;
}

/**
 * How an objective's events are measured.
 *
 * @example
 * ```ts
 * const sli: SliSpec = { kind: 'latency', thresholdMs: 300, bucketMetric: 'rpc_duration_seconds_bucket' };
 * ```
 */
export type SliSpec = AvailabilitySli | LatencySli;

/**
 * One objective of a service.
 *
 * @example
 * ```ts
 * const o: SloObjective = { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 300 }, target: 99 };
 * ```
 */
export interface SloObjective {
  /** e.g. `availability`, `latency-p99`. */
  name: string;
  sli: SliSpec;
  /** Percent of good events, e.g. 99.9; strictly between 0 and 100. */
  target: number;
}

/**
 * Metric and label names used by the built-in SLI queries.
 *
 * @example
 * ```ts
 * const q: QueryConfig = { ...DEFAULT_QUERIES, serviceLabel: 'app' };
 * ```
 */
export interface QueryConfig {
  requestsMetric: string;
  serviceLabel: string;
  statusLabel: string;
  latencyBucketMetric: string;
}

/**
 * Everything needed to generate SLO recording and alerting rules for one service.
 *
 * @example
 * ```ts
 * const def: SloDefinition = {
 *   service: 'checkout', period: '30d', minEventsPerHour: 60,
 *   objectives: [{ name: 'availability', sli: { kind: 'availability' }, target: 99.9 }],
 * };
 * ```
 */
export interface SloDefinition {
  service: string;
  team?: string;
  period: SloPeriod;
  objectives: SloObjective[];
  /** Extra labels on every recording rule (and so on the alerts). */
  labels?: Record<string, string>;
  queries?: QueryConfig;
  /**
   * Low-traffic protection: a burn-rate condition only fires when the long window averaged at
   * least this many events per hour.
   */
  minEventsPerHour?: number;
}

/**
 * Defaults for {@link QueryConfig}.
 *
 * @example
 * ```ts
 * DEFAULT_QUERIES.requestsMetric; // => 'http_requests_total'
 * ```
 */
export const DEFAULT_QUERIES: Readonly<QueryConfig> = Object.freeze({
  requestsMetric: 'http_requests_total',
  serviceLabel: 'service',
  statusLabel: 'code',
  latencyBucketMetric: 'http_request_duration_seconds_bucket',
});

/**
 * Period lengths in hours.
 *
 * @example
 * ```ts
 * PERIOD_HOURS['28d']; // => 672
 * ```
 */
export const PERIOD_HOURS: Readonly<Record<SloPeriod, number>> = Object.freeze({ '28d': 672, '30d': 720 });

/** Labels that Bulwark sets itself and a definition may not override. */
const RESERVED_LABEL_PREFIXES = ['__', 'sloth_'];

/**
 * One problem found in a definition: where (`objectives[1].target`) and what.
 *
 * @example
 * ```ts
 * const issue: DefinitionIssue = { path: 'objectives[0].target', message: 'must be below 100' };
 * ```
 */
export interface DefinitionIssue {
  path: string;
  message: string;
}

const sliSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('availability'),
    errorQuery: z.string().optional(),
    totalQuery: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('latency'),
    thresholdMs: z.number().finite().positive(),
    bucketMetric: z.string().optional(),
  }),
]);

const definitionSchema = z.strictObject({
  service: z.string(),
  team: z.string().optional(),
  period: z.enum(['28d', '30d']),
  objectives: z
    .array(
      z.strictObject({
        name: z.string(),
        sli: sliSchema,
        target: z.number().finite().gt(0, 'must be above 0').lt(100, 'must be below 100 (100% leaves no budget)'),
      }),
    )
    .min(1, 'at least one objective is required'),
  labels: z.record(z.string(), z.string()).optional(),
  queries: z
    .strictObject({
      requestsMetric: z.string(),
      serviceLabel: z.string(),
      statusLabel: z.string(),
      latencyBucketMetric: z.string(),
    })
    .optional(),
  minEventsPerHour: z.number().finite().positive().optional(),
});

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/**
 * Problems in a definition (empty when valid): shape, names (strict, so no PromQL or template
 * injection through service or objective names), targets, labels and custom query templates.
 *
 * @example
 * ```ts
 * validateSloDefinition({ service: 'checkout', period: '30d', objectives: [] });
 * // => [{ path: 'objectives', message: 'at least one objective is required' }]
 * ```
 */
export function validateSloDefinition(def: unknown): DefinitionIssue[] {
  const parsed = definitionSchema.safeParse(def);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
  }
  const d = parsed.data;
  const issues: DefinitionIssue[] = [];
  if (!SERVICE_NAME_RE.test(d.service)) {
    issues.push({
      path: 'service',
      message: `invalid service name ${JSON.stringify(d.service)}: use 1-128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    });
  }
  if (d.team !== undefined && hasTemplateDelimiters(d.team)) {
    issues.push({ path: 'team', message: 'must not contain template delimiters {{ or }}' });
  }
  for (const [key, value] of Object.entries(d.labels ?? {})) {
    if (!LABEL_NAME_RE.test(key)) issues.push({ path: `labels.${key}`, message: 'not a valid Prometheus label name' });
    else if (RESERVED_LABEL_PREFIXES.some((p) => key.startsWith(p))) {
      issues.push({
        path: `labels.${key}`,
        message: `label names starting with ${RESERVED_LABEL_PREFIXES.join(' or ')} are reserved`,
      });
    }
    if (hasTemplateDelimiters(value)) {
      issues.push({ path: `labels.${key}`, message: 'label values must not contain template delimiters {{ or }}' });
    }
  }
  if (d.queries) {
    for (const key of ['requestsMetric', 'latencyBucketMetric'] as const) {
      if (!METRIC_NAME_RE.test(d.queries[key])) {
        issues.push({
          path: `queries.${key}`,
          message: `not a valid Prometheus metric name: ${JSON.stringify(d.queries[key])}`,
        });
      }
    }
    for (const key of ['serviceLabel', 'statusLabel'] as const) {
      if (!LABEL_NAME_RE.test(d.queries[key]) || d.queries[key].startsWith('__')) {
        issues.push({
          path: `queries.${key}`,
          message: `not a valid Prometheus label name: ${JSON.stringify(d.queries[key])}`,
        });
      }
    }
    if (!d.queries.latencyBucketMetric.endsWith('_bucket')) {
      issues.push({ path: 'queries.latencyBucketMetric', message: "a histogram bucket metric must end in '_bucket'" });
    }
  }
  const seen = new Map<string, number>();
  d.objectives.forEach((o, i) => {
    const at = `objectives[${i}]`;
    if (!OBJECTIVE_NAME_RE.test(o.name)) {
      issues.push({
        path: `${at}.name`,
        message: `invalid objective name ${JSON.stringify(o.name)}: use 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
      });
    }
    const key = pascalCase(o.name);
    const prev = seen.get(key);
    if (prev !== undefined) {
      issues.push({ path: `${at}.name`, message: `collides with objectives[${prev}].name (alert names would clash)` });
    } else seen.set(key, i);
    if (o.sli.kind === 'availability') {
      const { errorQuery, totalQuery } = o.sli;
      if ((errorQuery === undefined) !== (totalQuery === undefined)) {
        issues.push({ path: `${at}.sli`, message: 'give both errorQuery and totalQuery, or neither' });
      }
      for (const [field, q] of [
        ['errorQuery', errorQuery],
        ['totalQuery', totalQuery],
      ] as const) {
        if (q === undefined) continue;
        const problem = queryTemplateProblem(q);
        if (problem) issues.push({ path: `${at}.sli.${field}`, message: problem });
      }
    } else if (o.sli.bucketMetric !== undefined) {
      if (!METRIC_NAME_RE.test(o.sli.bucketMetric) || !o.sli.bucketMetric.endsWith('_bucket')) {
        issues.push({
          path: `${at}.sli.bucketMetric`,
          message: "must be a Prometheus metric name ending in '_bucket'",
        });
      }
    }
  });
  return issues;
}

/**
 * What is wrong with a query window template, or undefined: it must contain `{{.window}}`, no
 * other template action, and look like well-formed PromQL.
 *
 * @example
 * ```ts
 * queryTemplateProblem('sum(rate(x[5m]))'); // => 'missing the {{.window}} placeholder ...'
 * ```
 */
export function queryTemplateProblem(query: string): string | undefined {
  if (!hasWindowPlaceholder(query)) {
    return 'missing the {{.window}} placeholder: the query is evaluated over each alert window, e.g. rate(x[{{.window}}])';
  }
  const others = otherTemplateActions(query);
  if (others.length > 0) return `only the {{.window}} template variable is supported, found ${others.join(', ')}`;
  return promqlStructureProblem(query.replace(/\{\{\s*\.window\s*\}\}/g, '5m'));
}

function hasTemplateDelimiters(value: string): boolean {
  return value.includes('{{') || value.includes('}}');
}

/**
 * Throws a `validation_failed` BulwarkError listing every problem when the definition is invalid;
 * returns it typed otherwise. The error's `extensions.issues` holds the {@link DefinitionIssue}s.
 *
 * @example
 * ```ts
 * const def = assertValidSloDefinition(input); // throws on `service: 'x"} or vector(1)'`
 * ```
 */
export function assertValidSloDefinition(def: SloDefinition): SloDefinition {
  const issues = validateSloDefinition(def);
  if (issues.length > 0) {
    throw new BulwarkError(
      'validation_failed',
      `invalid SLO definition: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { extensions: { issues } },
    );
  }
  return def;
}

/**
 * The query configuration in effect (the definition's, or the defaults).
 *
 * @example
 * ```ts
 * effectiveQueries({ service: 's', period: '30d', objectives: [] }).requestsMetric; // => 'http_requests_total'
 * ```
 */
export function effectiveQueries(def: Pick<SloDefinition, 'queries'>): QueryConfig {
  return def.queries ?? { ...DEFAULT_QUERIES };
}
