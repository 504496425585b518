import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  generatePrometheusRules,
  type SloDefinition,
  type SpecProblem,
  sliWindows,
  toOpenSloV1Yaml,
  toSlothSpec,
  toSlothYaml,
  validateSpec,
} from '../../../src/slo/alerts/index.js';

const def: SloDefinition = {
  service: 'checkout',
  team: 'payments',
  period: '28d',
  labels: { tier: '1' },
  minEventsPerHour: 60,
  objectives: [
    { name: 'availability', sli: { kind: 'availability' }, target: 99.9 },
    { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 250 }, target: 99 },
  ],
};

function lineOf(text: string, marker: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`marker ${marker} not in text`);
  return index + 1;
}

const BROKEN = `version: prometheus/v1
service: checkout
labels:
  bad-label: x
slos:
  - name: availability
    objective: 100.5
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[5m]))
        total_query: sum(rate(http_requests_total[{{.window}}])
    alerting:
      name: CheckoutAvailability
  - name: latency
    objective: 0
    sli:
      events:
        error_quer: sum(rate(x[{{.window}}]))
    alerting:
      name: Checkout Latency
      page_alert:
        disable: true
  - name: latency
    objective: 99
    sli:
      raw:
        error_ratio_query: x[{{.window}}] {{ .service }}
    alerting:
      page_alert: { disable: true }
      ticket_alert: { disable: true }
`;

describe('Sloth export', () => {
  it('passes validateSpec, and so does its OpenSLO counterpart', () => {
    expect(validateSpec(toSlothYaml(def))).toEqual([]);
    expect(validateSpec(toOpenSloV1Yaml(def))).toEqual([]);
    const minimal: SloDefinition = {
      service: 's',
      period: '30d',
      objectives: [{ name: 'a', sli: { kind: 'availability' }, target: 95 }],
    };
    expect(validateSpec(toSlothYaml(minimal))).toEqual([]);
  });

  it('is a prometheus/v1 spec with one SLO per objective, window-templated events and page/ticket severities', () => {
    const spec = parse(toSlothYaml(def)) as ReturnType<typeof toSlothSpec>;
    expect(spec.version).toBe('prometheus/v1');
    expect(spec.service).toBe('checkout');
    expect(spec.labels).toEqual({ team: 'payments', tier: '1' });
    expect(spec.slos.map((s) => [s.name, s.objective])).toEqual([
      ['availability', 99.9],
      ['latency-p99', 99],
    ]);
    for (const slo of spec.slos) {
      expect(slo.sli.events.error_query).toContain('{{.window}}');
      expect(slo.sli.events.total_query).toContain('{{.window}}');
      expect(slo.alerting.name).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      expect(slo.alerting.page_alert.labels?.severity).toBe('critical');
      expect(slo.alerting.ticket_alert.labels?.severity).toBe('warning');
    }
    expect(spec.slos[1]?.sli.events.error_query).toContain('le="0.25"');
  });

  it('tells in a comment that the period is a Sloth CLI flag and what Sloth cannot express', () => {
    const text = toSlothYaml(def);
    expect(text).toMatch(/^# .*--default-slo-period=28d/m);
    expect(text).toMatch(/^# .*low-traffic protection and the no-data alert/m);
  });

  it('yields, once Sloth renders the windows, the same SLI expressions as the Bulwark rules', () => {
    const spec = toSlothSpec(def);
    const rules = generatePrometheusRules(def).groups.flatMap((g) => g.rules);
    for (const slo of spec.slos) {
      for (const window of sliWindows(def.period).slice(0, -1)) {
        // Sloth's events template: (error)\n/\n(total)\n.
        const render = (q: string) => q.replaceAll('{{.window}}', window);
        const sloth = `(${render(slo.sli.events.error_query)})\n/\n(${render(slo.sli.events.total_query)})\n`;
        const rule = rules.find(
          (r) => r.record === `slo:sli_error:ratio_rate${window}` && r.labels?.sloth_slo === slo.name,
        );
        expect(rule?.expr).toBe(sloth);
      }
    }
  });
});

describe('validateSpec', () => {
  const problems = validateSpec(BROKEN);
  const at = (path: string): SpecProblem | undefined => problems.find((p) => p.path === path);

  it.each([
    ['slos[0].objective', /out of range/, 'objective: 100.5'],
    ['slos[1].objective', /out of range/, 'objective: 0'],
    ['slos[0].sli.events.error_query', /\{\{\.window\}\}/, 'error_query: sum(rate(http_requests_total{code'],
    ['slos[0].sli.events.total_query', /never closed/, 'total_query: sum(rate(http_requests_total[{{.window}}])'],
    ['slos[1].sli.events.error_query', /query is required/, 'error_quer:'],
    ['slos[1].sli.events.total_query', /query is required/, 'error_quer:'],
    ['slos[1].sli.events.error_quer', /unknown field/, 'error_quer:'],
    ['slos[1].alerting.name', /not a valid Prometheus alert name/, 'name: Checkout Latency'],
    ['slos[2].name', /duplicate SLO name "latency"/, '  - name: latency\n'.trim()],
    ['slos[2].sli.raw.error_ratio_query', /only the \{\{\.window\}\} template variable/, 'error_ratio_query:'],
    ['labels.bad-label', /not a valid Prometheus label name/, 'bad-label: x'],
  ])('reports %s', (path, message, marker) => {
    const p = at(path);
    expect(p, JSON.stringify(problems, null, 2)).toBeDefined();
    expect(p?.message).toMatch(message);
    expect(p?.document).toBe(0);
    if (path === 'slos[2].name') {
      // The duplicate is the second `- name: latency`.
      const lines = BROKEN.split('\n').flatMap((l, i) => (l.includes('- name: latency') ? [i + 1] : []));
      expect(p?.line).toBe(lines[1]);
    } else {
      expect(p?.line).toBe(lineOf(BROKEN, marker));
    }
  });

  it('reports nothing else, and accepts an alerting section without a name when both alerts are disabled', () => {
    expect(problems).toHaveLength(11);
    expect(problems.some((p) => p.path === 'slos[2].alerting.name')).toBe(false);
  });

  it('reports a missing alerting name while alerts are enabled, missing slos, and a wrong version', () => {
    expect(validateSpec('version: prometheus/v2\nservice: x\nslos: []\n').map((p) => p.path)).toEqual([
      'version',
      'slos',
    ]);
    const noAlertName = `version: prometheus/v1
service: x
slos:
  - name: a
    objective: 99
    sli:
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
`;
    expect(validateSpec(noAlertName)).toEqual([
      expect.objectContaining({ path: 'slos[0].alerting.name', message: expect.stringMatching(/required/) }),
    ]);
    expect(validateSpec('')).toEqual([expect.objectContaining({ message: 'the spec is empty' })]);
  });

  it('locates YAML syntax errors', () => {
    const text = 'version: prometheus/v1\nservice: x\nslos:\n  - name: a\n   objective: [\n';
    const [p] = validateSpec(text);
    expect(p?.message).toMatch(/YAML syntax error/);
    expect(p?.line).toBeGreaterThanOrEqual(4);
  });

  it('validates OpenSLO files with the OpenSLO rules', () => {
    const broken = toOpenSloV1Yaml(def).replace('target: 0.999', 'target: 99.9');
    expect(validateSpec(broken)).toEqual([
      expect.objectContaining({ path: 'spec.objectives[0].target', line: lineOf(broken, 'target: 99.9') }),
    ]);
  });

  it('validates every document of a multi-document Sloth file', () => {
    const valid = toSlothYaml(def);
    const text = `${valid}---\n${valid.replace('objective: 99.9', 'objective: 120')}`;
    expect(validateSpec(text)).toEqual([expect.objectContaining({ document: 1, path: 'slos[0].objective' })]);
  });
});
