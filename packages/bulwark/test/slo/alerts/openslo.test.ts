import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isBulwarkError } from '../../../src/errors.js';
import {
  BULWARK_ANNOTATIONS,
  burnRateWindows,
  checkOpenSlo,
  generatePrometheusRules,
  type OpenSloDocument,
  parseOpenSlo,
  type SloDefinition,
  type SpecProblem,
  toOpenSloV1,
  toOpenSloV1Yaml,
  toOpenSloV2alpha1,
  toOpenSloV2alpha1Yaml,
} from '../../../src/slo/alerts/index.js';

const full: SloDefinition = {
  service: 'checkout',
  team: 'payments',
  period: '28d',
  labels: { tier: '1', owner: 'team "core"' },
  queries: {
    requestsMetric: 'api_requests_total',
    serviceLabel: 'app',
    statusLabel: 'status',
    latencyBucketMetric: 'api_latency_seconds_bucket',
  },
  minEventsPerHour: 120,
  objectives: [
    { name: 'availability', sli: { kind: 'availability' }, target: 99.95 },
    { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 300 }, target: 99 },
    { name: 'latency-p95', sli: { kind: 'latency', thresholdMs: 120, bucketMetric: 'rpc_seconds_bucket' }, target: 95 },
    {
      name: 'grpc',
      sli: {
        kind: 'availability',
        errorQuery: 'sum(rate(grpc_server_handled_total{grpc_code!="OK"}[{{.window}}]))',
        totalQuery: 'sum(rate(grpc_server_handled_total[{{.window}}]))',
      },
      target: 99.5,
    },
  ],
};
const minimal: SloDefinition = {
  service: 'search',
  period: '30d',
  objectives: [{ name: 'availability', sli: { kind: 'availability' }, target: 99.9 }],
};

function problemsOf(text: string): SpecProblem[] {
  return checkOpenSlo(text).problems;
}

/** 1-based line of the first line of `text` containing `marker`. */
function lineOf(text: string, marker: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`marker ${marker} not in text`);
  return index + 1;
}

describe('OpenSLO v1 export and import', () => {
  it.each([
    ['every field', full],
    ['defaults only', minimal],
  ])('round-trips a definition with %s', (_name, def) => {
    expect(parseOpenSlo(toOpenSloV1Yaml(def))).toEqual([def]);
  });

  it('round-trips a snapped latency threshold when import knows the same buckets', () => {
    const def: SloDefinition = {
      ...minimal,
      objectives: [{ name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 300 }, target: 99 }],
    };
    const options = { bucketBoundariesSeconds: [0.1, 0.25, 0.5] };
    const text = toOpenSloV1Yaml(def, options);
    expect(text).toContain('le="0.25"');
    expect(parseOpenSlo(text, options)).toEqual([def]);
    // Without the buckets the annotation no longer matches the queries: the queries win.
    const [imported] = parseOpenSlo(text);
    expect(imported?.objectives[0]?.sli).toMatchObject({
      kind: 'availability',
      errorQuery: expect.stringContaining('le="0.25"'),
    });
  });

  it('round-trips arbitrary definitions', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$/);
    const objective = fc.record({
      name,
      sli: fc.oneof(
        fc.constant({ kind: 'availability' as const }),
        fc.record({ kind: fc.constant('latency' as const), thresholdMs: fc.integer({ min: 1, max: 60_000 }) }),
      ),
      target: fc.integer({ min: 5000, max: 99_999 }).map((n) => n / 1000),
    });
    const definition = fc.record(
      {
        service: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}[A-Za-z0-9]$/),
        team: fc.stringMatching(/^[a-z][a-z ]{0,15}$/),
        period: fc.constantFrom('28d' as const, '30d' as const),
        objectives: fc.uniqueArray(objective, {
          minLength: 1,
          maxLength: 4,
          selector: (o) => o.name.replace(/-/g, ''),
        }),
        labels: fc.dictionary(
          fc.stringMatching(/^[a-z][a-z0-9_]{0,10}[a-z0-9]$/),
          fc.string({ maxLength: 12 }).filter((v) => !v.includes('{{') && !v.includes('}}')),
          { minKeys: 1, maxKeys: 3 },
        ),
        minEventsPerHour: fc.integer({ min: 1, max: 100_000 }),
      },
      { requiredKeys: ['service', 'period', 'objectives'] },
    );
    fc.assert(
      fc.property(definition, (def) => {
        const d = def as SloDefinition;
        expect(parseOpenSlo(toOpenSloV1Yaml(d))).toEqual([d]);
      }),
      { numRuns: 60 },
    );
  });

  it('imports a foreign file (no Bulwark annotations) into rules that compute the same SLI', () => {
    const stripped = toOpenSloV1(full).map((doc) => {
      const { annotations: _annotations, ...metadata } = doc.metadata;
      return { ...doc, metadata };
    });
    const text = stripped.map((d) => JSON.stringify(d)).join('\n---\n');
    const [imported] = parseOpenSlo(text);
    expect(imported?.objectives.map((o) => o.sli.kind)).toEqual([
      'availability',
      'availability',
      'availability',
      'availability',
    ]);
    // Labels become Prometheus labels; without Bulwark's annotations the team comes from the labels if any.
    expect(imported?.labels).toEqual(full.labels);
    const sliRecords = (d: SloDefinition) =>
      generatePrometheusRules(d)
        .groups.filter((g) => g.name.startsWith('sloth-slo-sli-recordings-'))
        .flatMap((g) => g.rules.map((r) => [r.record, r.expr]));
    const renamed = {
      ...full,
      objectives: full.objectives.map((o, i) => ({ ...o, name: imported?.objectives[i]?.name ?? '' })),
    };
    expect(sliRecords(imported as SloDefinition)).toEqual(sliRecords(renamed));
  });

  it('turns good/total queries into an error query of total minus good', () => {
    const text = `
apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
spec:
  service: web
  indicator:
    metadata:
      name: web-good
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total[{{.window}}]))
  timeWindow:
    - duration: 4w
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: main
      targetPercent: 99.5
`;
    expect(parseOpenSlo(text)).toEqual([
      {
        service: 'web',
        period: '28d',
        objectives: [
          {
            name: 'web-availability',
            target: 99.5,
            sli: {
              kind: 'availability',
              errorQuery:
                '(sum(rate(http_requests_total[{{.window}}]))) - (sum(rate(http_requests_total{code!~"5.."}[{{.window}}])))',
              totalQuery: 'sum(rate(http_requests_total[{{.window}}]))',
            },
          },
        ],
      },
    ]);
  });

  it('emits one AlertPolicy with exactly one condition per burn-rate window pair, and says what is lost', () => {
    const docs = toOpenSloV1(minimal);
    const byName = new Map(docs.map((d) => [`${d.kind}/${d.metadata.name}`, d]));
    const policies = docs.filter((d) => d.kind === 'AlertPolicy');
    const windows = burnRateWindows('30d');
    expect(policies).toHaveLength(windows.length);
    policies.forEach((policy, i) => {
      const w = windows[i];
      const conditions = policy.spec.conditions as Array<{ conditionRef: string }>;
      expect(conditions).toHaveLength(1);
      const condition = byName.get(`AlertCondition/${conditions[0]?.conditionRef}`);
      expect(condition?.spec).toMatchObject({
        severity: w?.severity,
        condition: { kind: 'burnrate', op: 'gt', threshold: w?.factor, lookbackWindow: w?.longWindow },
      });
      expect(policy.metadata.annotations?.[BULWARK_ANNOTATIONS.shortWindow]).toBe(w?.shortWindow);
      const targets = policy.spec.notificationTargets as Array<{ targetRef: string }>;
      expect(byName.has(`AlertNotificationTarget/${targets[0]?.targetRef}`)).toBe(true);
    });
    const slo = docs.find((d) => d.kind === 'SLO');
    expect(((slo?.spec.alertPolicies ?? []) as Array<{ alertPolicyRef: string }>).map((p) => p.alertPolicyRef)).toEqual(
      policies.map((p) => p.metadata.name),
    );
    expect(toOpenSloV1Yaml(minimal)).toMatch(/^# .*one condition per AlertPolicy/);
    // And the output is itself a valid import.
    expect(problemsOf(toOpenSloV1Yaml(minimal))).toEqual([]);
  });

  it('uses RFC 1123 names for every object, even for long or mixed-case service names', () => {
    const def: SloDefinition = { ...minimal, service: `Very_Long.Service-${'x'.repeat(80)}` };
    for (const doc of toOpenSloV1(def)) expect(doc.metadata.name).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(parseOpenSlo(toOpenSloV1Yaml(def))).toEqual([def]);
  });

  it('writes multi-document YAML with one document per object', () => {
    const text = toOpenSloV1Yaml(full);
    const docs = parseAllDocuments(text);
    expect(docs).toHaveLength(toOpenSloV1(full).length);
    for (const d of docs) expect(d.errors).toEqual([]);
  });
});

describe('OpenSLO v2alpha1 export', () => {
  it('composes each severity as OR of (long AND short) burn-rate conditions in one AlertPolicy', () => {
    const docs = toOpenSloV2alpha1(minimal);
    expect(new Set(docs.map((d) => d.apiVersion))).toEqual(new Set(['openslo/v2alpha1']));
    const policies = docs.filter((d) => d.kind === 'AlertPolicy');
    expect(policies).toHaveLength(2);
    for (const severity of ['page', 'ticket'] as const) {
      const policy = policies.find((p) => p.metadata.name.endsWith(severity)) as OpenSloDocument;
      const [top] = policy.spec.conditions as Array<{
        or: Array<{ and: Array<{ kind: string; spec: { condition: Record<string, unknown> } }> }>;
      }>;
      const pairs = burnRateWindows('30d').filter((w) => w.severity === severity);
      expect(top?.or).toHaveLength(pairs.length);
      top?.or.forEach((branch, i) => {
        const w = pairs[i];
        expect(branch.and.map((c) => c.kind)).toEqual(['AlertCondition', 'AlertCondition']);
        expect(branch.and.map((c) => c.spec.condition.lookbackWindow)).toEqual([w?.longWindow, w?.shortWindow]);
        for (const c of branch.and)
          expect(c.spec.condition).toMatchObject({ kind: 'burnrate', op: 'gt', threshold: w?.factor });
      });
    }
  });

  it('uses the draft names sliRef and dataSourceRef + spec.query, and references a DataSource', () => {
    const docs = toOpenSloV2alpha1(minimal, { dataSourceRef: 'prom-main' });
    const slo = docs.find((d) => d.kind === 'SLO');
    const sli = docs.find((d) => d.kind === 'SLI');
    expect(slo?.spec.sliRef).toBe(sli?.metadata.name);
    expect(slo?.spec.indicatorRef).toBeUndefined();
    expect(sli?.spec.ratioMetric).toMatchObject({
      bad: { dataSourceRef: 'prom-main', spec: { query: expect.stringContaining('{{.window}}') } },
      total: { dataSourceRef: 'prom-main', spec: { query: expect.stringContaining('{{.window}}') } },
    });
    expect(docs.find((d) => d.kind === 'DataSource')?.metadata.name).toBe('prom-main');
    expect(toOpenSloV2alpha1Yaml(minimal)).toContain('draft');
  });
});

describe('OpenSLO import errors', () => {
  const valid = toOpenSloV1Yaml(minimal);

  it.each([
    {
      name: 'target outside 0..1',
      text: valid.replace('target: 0.999', 'target: 1.5'),
      path: 'spec.objectives[0].target',
      marker: 'target: 1.5',
      message: /between 0 and 1/,
    },
    {
      name: 'a missing SLI reference',
      text: valid.replace('indicatorRef: search-availability-sli', 'indicatorRef: nope'),
      path: 'spec.indicatorRef',
      marker: 'indicatorRef: nope',
      message: /no SLI named "nope"/,
    },
    {
      name: 'a query without {{.window}}',
      text: valid.replace('[{{.window}}])) or vector(0))', '[5m])) or vector(0))'),
      path: 'spec.ratioMetric.bad.metricSource.spec.query',
      marker: '[5m])) or vector(0))',
      message: /\{\{\.window\}\}/,
    },
    {
      name: 'Timeslices budgeting',
      text: valid.replace('budgetingMethod: Occurrences', 'budgetingMethod: Timeslices'),
      path: 'spec.budgetingMethod',
      marker: 'budgetingMethod: Timeslices',
      message: /Occurrences/,
    },
    {
      name: 'a 7d window',
      text: valid.replace('duration: 30d', 'duration: 7d'),
      path: 'spec.timeWindow[0].duration',
      marker: 'duration: 7d',
      message: /28d .* 30d/,
    },
    {
      name: 'a calendar window',
      text: valid.replace('isRolling: true', 'isRolling: false'),
      path: 'spec.timeWindow[0]',
      marker: '- duration: 30d',
      message: /rolling/,
    },
    {
      name: 'an AlertPolicy with two conditions',
      text: valid.replace(
        '    - conditionRef: search-availability-page-1h-5m\n',
        '    - conditionRef: search-availability-page-1h-5m\n    - conditionRef: search-availability-page-6h-30m\n',
      ),
      path: 'spec.conditions',
      marker: '- conditionRef: search-availability-page-1h-5m',
      message: /exactly one condition .* found 2/,
    },
    {
      name: 'an AlertCondition without threshold',
      text: valid.replace(/^ *threshold: 14\.4\n/m, ''),
      path: 'spec.condition.threshold',
      marker: 'kind: burnrate',
      message: /threshold must be a positive number/,
    },
  ])('reports $name at its document, path and line', ({ text, path, marker, message }) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    const [p] = problems;
    expect(p?.path).toBe(path);
    expect(p?.message).toMatch(message);
    expect(p?.line).toBe(lineOf(text, marker));
    // The document index counts `---` separators before the line.
    const before = text.split('\n').slice(0, (p?.line ?? 1) - 1);
    expect(p?.document).toBe(before.filter((l) => l === '---').length);
  });

  it('reports unsupported versions, thresholdMetric SLIs, raw ratios and non-Prometheus sources', () => {
    const text = `apiVersion: openslo/v2alpha1
kind: SLO
metadata: { name: a }
spec: {}
---
apiVersion: openslo/v1
kind: SLI
metadata: { name: t }
spec:
  thresholdMetric:
    metricSource: { type: Prometheus, spec: { query: 'x' } }
---
apiVersion: openslo/v1
kind: SLI
metadata: { name: r }
spec:
  ratioMetric:
    rawType: success
    raw:
      metricSource: { type: Prometheus, spec: { query: 'x' } }
---
apiVersion: openslo/v1
kind: SLI
metadata: { name: d }
spec:
  ratioMetric:
    bad: { metricSource: { type: Datadog, spec: { query: 'x' } } }
    total: { metricSource: { type: Datadog, spec: { query: 'x' } } }
`;
    const slo = (name: string, sli: string) => `---
apiVersion: openslo/v1
kind: SLO
metadata: { name: ${name} }
spec:
  service: svc
  indicatorRef: ${sli}
  timeWindow: [{ duration: 30d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
`;
    const problems = problemsOf(text + slo('s1', 't') + slo('s2', 'r') + slo('s3', 'd'));
    expect(problems.map((p) => [p.document, p.path])).toEqual([
      [0, 'apiVersion'],
      [1, 'spec.thresholdMetric'],
      [2, 'spec.ratioMetric.raw'],
      [3, 'spec.ratioMetric.bad.metricSource.type'],
      [3, 'spec.ratioMetric.total.metricSource.type'],
    ]);
    expect(problems[0]?.message).toMatch(/unsupported apiVersion "openslo\/v2alpha1"/);
  });

  it('reports YAML syntax errors with their document and line, and duplicate names', () => {
    const syntax = `${valid}---\nkind: SLO\nmetadata: {name: [}\n`;
    const docCount = valid.split('\n').filter((l) => l === '---').length + 1;
    const problems = problemsOf(syntax);
    expect(problems[0]).toMatchObject({ document: docCount, message: expect.stringMatching(/YAML syntax error/) });
    expect(problems[0]?.line).toBeGreaterThan(lineOf(syntax, 'metadata: {name: [}') - 1);
    const dup = `${valid}---\n${valid.split('---\n')[2]}`;
    expect(problemsOf(dup)).toEqual([
      expect.objectContaining({ path: 'metadata.name', message: expect.stringMatching(/duplicate SLI/) }),
    ]);
  });

  it('throws a validation error carrying every problem from parseOpenSlo', () => {
    const text = valid.replace('target: 0.999', 'target: 2').replace('service: search', 'service: "bad name"');
    try {
      parseOpenSlo(text);
      expect.unreachable('parseOpenSlo accepted an invalid file');
    } catch (err) {
      expect(isBulwarkError(err) && err.code).toBe('validation_failed');
      const problems = (isBulwarkError(err) ? err.extensions.problems : []) as SpecProblem[];
      expect(problems.map((p) => p.path).sort()).toEqual(['spec.objectives[0].target', 'spec.service']);
      expect((err as Error).message).toMatch(/document \d+, spec\.service \(line \d+, column \d+\)/);
    }
  });
});
