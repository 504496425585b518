import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isBulwarkError } from '../../../src/errors.js';
import {
  burnRateAlertName,
  fromActiveSlo,
  type GenerateOptions,
  generatePrometheusRules,
  noDataAlertName,
  type PrometheusRule,
  promqlString,
  type SloDefinition,
  type SloObjective,
  toYaml,
} from '../../../src/slo/alerts/index.js';
import { alertFiring, checkRules, promtoolAvailable, type SeriesInput, testRules } from './promtool.js';

const HAS_PROMTOOL = promtoolAvailable();

const availability: SloObjective = { name: 'availability', sli: { kind: 'availability' }, target: 99.9 };
const latency: SloObjective = { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 300 }, target: 99 };

function def(over: Partial<SloDefinition> = {}): SloDefinition {
  return { service: 'checkout', period: '30d', objectives: [availability], ...over };
}

function rules(d: SloDefinition, options?: GenerateOptions): PrometheusRule[] {
  return generatePrometheusRules(d, options).groups.flatMap((g) => g.rules);
}

function errorOf(fn: () => unknown): { code: string; paths: string[] } | undefined {
  try {
    fn();
  } catch (err) {
    if (!isBulwarkError(err)) throw err;
    const issues = (err.extensions.issues ?? []) as Array<{ path: string }>;
    return { code: err.code, paths: issues.map((i) => i.path) };
  }
  return undefined;
}

// Sloth's series names, as its Grafana dashboards query them.
const SLOTH_SERIES = [
  'slo:sli_error:ratio_rate5m',
  'slo:sli_error:ratio_rate30m',
  'slo:sli_error:ratio_rate1h',
  'slo:sli_error:ratio_rate2h',
  'slo:sli_error:ratio_rate6h',
  'slo:sli_error:ratio_rate1d',
  'slo:sli_error:ratio_rate3d',
  'slo:objective:ratio',
  'slo:error_budget:ratio',
  'slo:time_period:days',
  'slo:current_burn_rate:ratio',
  'slo:period_burn_rate:ratio',
  'slo:period_error_budget_remaining:ratio',
  'sloth_slo_info',
];

describe('generatePrometheusRules: structure', () => {
  it.each(['28d', '30d'] as const)('records every Sloth series name, with the %s period ratio', (period) => {
    const records = rules(def({ period, objectives: [availability, latency] })).flatMap((r) => r.record ?? []);
    for (const name of [...SLOTH_SERIES, `slo:sli_error:ratio_rate${period}`]) {
      // Once per objective.
      expect(records.filter((r) => r === name)).toHaveLength(2);
    }
  });

  it('labels every recording rule with Sloth identity labels (sloth_id = service-slo) and the team', () => {
    const generated = generatePrometheusRules(def({ team: 'payments', objectives: [availability, latency] }));
    for (const group of generated.groups) {
      for (const rule of group.rules.filter((r) => r.record)) {
        expect(rule.labels?.sloth_service).toBe('checkout');
        expect(['availability', 'latency-p99']).toContain(rule.labels?.sloth_slo);
        expect(rule.labels?.sloth_id).toBe(`checkout-${rule.labels?.sloth_slo}`);
        expect(rule.labels?.team).toBe('payments');
        if (rule.record?.startsWith('slo:sli_error:')) {
          expect(rule.labels?.sloth_window).toBe(rule.record.replace('slo:sli_error:ratio_rate', ''));
        }
      }
    }
  });

  it('names alerts <Service><Slo>BurnRatePage / Ticket and gives them severities and annotations', () => {
    const alerts = rules(def({ service: 'checkout-service', objectives: [latency] })).filter((r) => r.alert);
    expect(alerts.map((a) => a.alert)).toEqual([
      'CheckoutServiceLatencyP99BurnRatePage',
      'CheckoutServiceLatencyP99BurnRateTicket',
      'CheckoutServiceLatencyP99SliNoData',
    ]);
    const [page, ticket] = alerts;
    expect(page?.labels).toMatchObject({ severity: 'critical', sloth_severity: 'page' });
    expect(ticket?.labels).toMatchObject({ severity: 'warning', sloth_severity: 'ticket' });
    for (const a of alerts) {
      expect(Object.keys(a.annotations ?? {})).toEqual(
        expect.arrayContaining(['summary', 'description', 'runbook_url']),
      );
      expect(a.annotations?.runbook_url).toContain('checkout-service/latency-p99');
    }
  });

  it('requires both windows of a pair and either pair of a severity', () => {
    const page = rules(def()).find((r) => r.alert === burnRateAlertName('checkout', 'availability', 'page'));
    const pairs = (page?.expr ?? '').split('or ignoring (sloth_window)');
    expect(pairs).toHaveLength(2);
    expect(pairs[0]).toMatch(
      /ratio_rate1h\{[^}]*\} > \(14\.4 \* 0\.001\)\)\s+and ignoring \(sloth_window\)\s+\(slo:sli_error:ratio_rate5m/,
    );
    expect(pairs[1]).toMatch(
      /ratio_rate6h\{[^}]*\} > \(6 \* 0\.001\)\)\s+and ignoring \(sloth_window\)\s+\(slo:sli_error:ratio_rate30m/,
    );
  });

  it('adds a minimum-events condition over the long window to every pair only with low-traffic protection', () => {
    const withProtection = rules(def({ minEventsPerHour: 120 })).filter((r) => r.alert?.includes('BurnRate'));
    for (const alert of withProtection) {
      const pairs = alert.expr.split('or ignoring (sloth_window)');
      for (const pair of pairs) {
        const long = /ratio_rate(\w+)\{/.exec(pair)?.[1];
        expect(pair).toContain(
          `and on ()\n    ((sum(rate(http_requests_total{service="checkout"}[${long}]))) * 3600 >= 120)`,
        );
      }
    }
    const without = rules(def()).filter((r) => r.alert?.includes('BurnRate'));
    for (const alert of without) expect(alert.expr).not.toContain('3600');
  });

  it('watches the SLI events series for absence with a no-data alert of at least 10 minutes', () => {
    const all = rules(def({ objectives: [availability, latency] }));
    const noData = all.filter((r) => r.alert?.endsWith('SliNoData'));
    expect(noData.map((r) => r.expr)).toEqual([
      'absent(http_requests_total{service="checkout"})',
      'absent(http_request_duration_seconds_count{service="checkout"})',
    ]);
    for (const r of noData) expect(r.for).toBe('10m');
  });

  it('computes the latency error ratio from the le bucket and the histogram count', () => {
    const sli5m = rules(def({ objectives: [latency] })).find((r) => r.record === 'slo:sli_error:ratio_rate5m');
    expect(sli5m?.expr).toContain('sum(rate(http_request_duration_seconds_count{service="checkout"}[5m]))');
    expect(sli5m?.expr).toContain('sum(rate(http_request_duration_seconds_bucket{service="checkout", le="0.3"}[5m]))');
  });

  it('snaps the latency threshold to the nearest bucket boundary when buckets are given, with a note', () => {
    const generated = generatePrometheusRules(def({ objectives: [latency] }), {
      bucketBoundariesSeconds: [0.1, 0.25, 0.5, 1],
    });
    const exprs = generated.groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
    expect(exprs).toContain('le="0.25"');
    expect(exprs).not.toContain('le="0.3"');
    expect(generated.notes.join(' ')).toMatch(/300 ms snapped .*le="0.25"/);
    const unsnapped = generatePrometheusRules(def({ objectives: [latency] }));
    expect(unsnapped.notes.join(' ')).toMatch(/le="0.3".*must be an exact bucket boundary/);
    expect(toYaml(unsnapped)).toMatch(/^# Note: latency-p99: .*le="0.3"/m);
  });

  it('keeps a threshold that already is a boundary without a snapping note', () => {
    const generated = generatePrometheusRules(def({ objectives: [latency] }), {
      bucketBoundariesSeconds: [0.1, 0.3, 1],
    });
    expect(generated.notes).toEqual([]);
  });

  it('emits YAML that parses back to exactly the rule groups, without aliases', () => {
    const generated = generatePrometheusRules(def({ team: 'payments', objectives: [availability, latency] }));
    const text = toYaml(generated);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text)).toEqual({ groups: generated.groups });
  });
});

describe('generatePrometheusRules: validation and injection', () => {
  const hostileServices = [
    'checkout"} or vector(1) or up{x="',
    'check\\out',
    'check"out',
    'checkout\n- alert: Evil',
    '{{ .Value }}',
    'checkout service',
    '',
    '-checkout',
    'x'.repeat(129),
  ];

  it.each(hostileServices)('rejects the service name %j with a validation error on `service`', (service) => {
    expect(errorOf(() => generatePrometheusRules(def({ service })))).toEqual({
      code: 'validation_failed',
      paths: ['service'],
    });
  });

  it('rejects hostile objective names, label names and templated label values', () => {
    expect(
      errorOf(() => generatePrometheusRules(def({ objectives: [{ ...availability, name: 'a"} or vector(1)' }] }))),
    ).toMatchObject({ paths: ['objectives[0].name'] });
    expect(errorOf(() => generatePrometheusRules(def({ labels: { 'bad-name': 'x' } })))).toMatchObject({
      paths: ['labels.bad-name'],
    });
    expect(errorOf(() => generatePrometheusRules(def({ labels: { sloth_id: 'x' } })))).toMatchObject({
      paths: ['labels.sloth_id'],
    });
    expect(errorOf(() => generatePrometheusRules(def({ labels: { tier: '{{ .Value }}' } })))).toMatchObject({
      paths: ['labels.tier'],
    });
    expect(
      errorOf(() =>
        generatePrometheusRules(
          def({
            queries: {
              requestsMetric: 'x{a="b"}',
              serviceLabel: 'service',
              statusLabel: 'code',
              latencyBucketMetric: 'h_bucket',
            },
          }),
        ),
      ),
    ).toMatchObject({ paths: ['queries.requestsMetric'] });
  });

  it('rejects impossible targets and custom queries without {{.window}}', () => {
    for (const target of [0, 100, 101, -1, Number.NaN]) {
      expect(errorOf(() => generatePrometheusRules(def({ objectives: [{ ...availability, target }] })))?.paths).toEqual(
        ['objectives[0].target'],
      );
    }
    const custom: SloObjective = {
      name: 'availability',
      sli: {
        kind: 'availability',
        errorQuery: 'sum(rate(x{code="500"}[5m]))',
        totalQuery: 'sum(rate(x[{{.window}}]))',
      },
      target: 99,
    };
    expect(errorOf(() => generatePrometheusRules(def({ objectives: [custom] })))?.paths).toEqual([
      'objectives[0].sli.errorQuery',
    ]);
  });

  it('rejects duplicate objective names (alert names would clash)', () => {
    expect(
      errorOf(() => generatePrometheusRules(def({ objectives: [latency, { ...latency, name: 'latency_p99' }] })))
        ?.paths,
    ).toEqual(['objectives[1].name']);
  });

  it('escapes quotes, backslashes and control characters in PromQL strings', () => {
    expect(promqlString('plain')).toBe('"plain"');
    expect(promqlString('a"b')).toBe('"a\\"b"');
    expect(promqlString('a\\b')).toBe('"a\\\\b"');
    expect(promqlString('a\nb\tc\u0001')).toBe('"a\\nb\\tc\\u0001"');
  });
});

describe.skipIf(!HAS_PROMTOOL)('generated rules pass promtool check rules', () => {
  const active = {
    id: 'slo-1',
    service_id: 'svc-1',
    targets: { availability: 99.95, latency_p95_ms: 250, latency_p99_ms: 800 },
    source: 'manual' as const,
    recommendation_id: null,
    selected_tier: null,
    activated_at: new Date('2026-01-01T00:00:00Z'),
    activated_by: 'jane@example.com',
  };
  const variants: Array<[string, SloDefinition, GenerateOptions?]> = [
    ['availability only, 30d', def()],
    ['latency only, 28d, low-traffic protection', def({ period: '28d', objectives: [latency], minEventsPerHour: 60 })],
    ['both, 30d, low-traffic protection', def({ objectives: [availability, latency], minEventsPerHour: 100 })],
    ['both, 28d, no protection', def({ period: '28d', objectives: [availability, latency] })],
    [
      'custom availability queries, low-traffic protection',
      def({
        minEventsPerHour: 10,
        objectives: [
          {
            name: 'grpc-availability',
            sli: {
              kind: 'availability',
              errorQuery: 'sum(rate(grpc_server_handled_total{grpc_service="checkout", grpc_code!="OK"}[{{.window}}]))',
              totalQuery: 'sum(rate(grpc_server_handled_total{grpc_service="checkout"}[{{ .window }}]))',
            },
            target: 99.5,
          },
        ],
      }),
    ],
    [
      'from an active SLO (availability, p95, p99), team and labels',
      fromActiveSlo(active, 'payments-api', { team: 'payments', labels: { tier: '1' }, minEventsPerHour: 30 }),
    ],
    [
      'latency with bucket snapping and an integer boundary',
      def({
        objectives: [latency, { name: 'latency-slow', sli: { kind: 'latency', thresholdMs: 900 }, target: 99.9 }],
      }),
      { bucketBoundariesSeconds: [0.1, 0.25, 0.5, 1, 2.5] },
    ],
    [
      'label values with quotes, backslashes and newlines',
      def({ labels: { owner: 'team "core"\\ops\nnight' }, team: "o'brien" }),
    ],
    [
      'custom query and severity options',
      def({ objectives: [availability, latency] }),
      {
        severityLabels: { page: 'P1', ticket: 'P3' },
        noDataFor: '15m',
        noDataSeverity: 'page',
        runbookUrl: 'https://wiki.example.com/{service}#{slo}',
      },
    ],
  ];

  it.each(variants)('%s', async (_name, d, options) => {
    const text = toYaml(generatePrometheusRules(d, options));
    const result = await checkRules(text);
    expect(result.output).not.toContain('FAILED');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('keeps label values with quotes and backslashes exact through YAML', () => {
    const labels = { owner: 'team "core"\\ops\nnight' };
    const text = toYaml(generatePrometheusRules(def({ labels })));
    const parsed = parse(text) as { groups: Array<{ rules: PrometheusRule[] }> };
    expect(parsed.groups[0]?.rules[0]?.labels?.owner).toBe(labels.owner);
  });
});

const counter = (perMinute: number, minutes: number) => `0+${perMinute}x${minutes}`;
function requests(service: string, code: string, values: string): SeriesInput {
  return { series: `http_requests_total{service="${service}", code="${code}"}`, values };
}

describe.skipIf(!HAS_PROMTOOL)('generated alerts behave as intended (promtool test rules)', () => {
  const page = burnRateAlertName('checkout', 'availability', 'page');
  const ticket = burnRateAlertName('checkout', 'availability', 'ticket');
  const noData = noDataAlertName('checkout', 'availability');

  async function expectPass(rulesYaml: string, series: SeriesInput[], tests: Parameters<typeof testRules>[2]) {
    const result = await testRules(rulesYaml, series, tests);
    expect(result.code, result.output).toBe(0);
  }

  it('pages and tickets on a sustained 10% error rate (100x the 0.1% budget), also with low-traffic protection', async () => {
    const series = [requests('checkout', '200', counter(900, 120)), requests('checkout', '500', counter(100, 120))];
    const expectations = [
      alertFiring(page, '30m', true),
      alertFiring(ticket, '30m', true),
      alertFiring(noData, '30m', false),
    ];
    await expectPass(toYaml(generatePrometheusRules(def())), series, expectations);
    await expectPass(toYaml(generatePrometheusRules(def({ minEventsPerHour: 100 }))), series, expectations);
  });

  it('stays quiet on a healthy service', async () => {
    const series = [requests('checkout', '200', counter(1000, 120)), requests('checkout', '500', counter(0, 120))];
    await expectPass(toYaml(generatePrometheusRules(def())), series, [
      alertFiring(page, '100m', false),
      alertFiring(ticket, '100m', false),
    ]);
  });

  it('stops paging once the short windows are clean although the 1h window still burns fast (multi-window AND)', async () => {
    const series = [
      requests('checkout', '200', counter(900, 125)),
      requests('checkout', '500', `${counter(100, 60)} 6000+0x65`),
    ];
    await expectPass(toYaml(generatePrometheusRules(def())), series, [
      alertFiring(page, '50m', true),
      alertFiring(page, '95m', false),
      {
        expr: 'count(slo:sli_error:ratio_rate1h{sloth_slo="availability"} > 14.4 * 0.001)',
        eval_time: '95m',
        exp_samples: [{ labels: '{}', value: 1 }],
      },
    ]);
  });

  it('does not page for 1 failed request out of 3 in an hour with low-traffic protection, but does without', async () => {
    // Successful requests at minutes 20 and 40, a failed one at minute 58.
    const series = [requests('checkout', '200', '0x19 1x19 2x30'), requests('checkout', '500', '0x57 1x12')];
    await expectPass(toYaml(generatePrometheusRules(def())), series, [alertFiring(page, '60m', true)]);
    await expectPass(toYaml(generatePrometheusRules(def({ minEventsPerHour: 100 }))), series, [
      alertFiring(page, '60m', false),
      alertFiring(ticket, '60m', false),
    ]);
  });

  it('raises the no-data alert after 10 minutes without the service series', async () => {
    const series = [requests('other', '200', counter(100, 30))];
    await expectPass(toYaml(generatePrometheusRules(def())), series, [
      alertFiring(noData, '5m', true, 'pending'),
      alertFiring(noData, '5m', false),
      alertFiring(noData, '15m', true),
    ]);
  });

  it("selects only its own service's series (no prefix or case matches)", async () => {
    const mine = generatePrometheusRules(def());
    const other = generatePrometheusRules(def({ service: 'checkout-v2' }));
    const text = toYaml({ groups: [...mine.groups, ...other.groups] });
    const series = [
      requests('checkout', '200', counter(1000, 60)),
      requests('checkout-v2', '500', counter(1000, 60)),
      requests('Checkout', '500', counter(1000, 60)),
    ];
    await expectPass(text, series, [
      alertFiring(page, '30m', false),
      alertFiring(burnRateAlertName('checkout-v2', 'availability', 'page'), '30m', true),
      {
        expr: 'count(slo:sli_error:ratio_rate5m{sloth_service="checkout"} == 0)',
        eval_time: '30m',
        exp_samples: [{ labels: '{}', value: 1 }],
      },
    ]);
  });

  it('escaped label values select exactly the series with that value, whatever it contains', async () => {
    const hostile = ['a"b', 'a\\b', '"} or vector(1) or probe{v="', 'line\nbreak', 'tab\tand\u0001', 'ünï €'];
    // The input series are written with JSON escaping, an independent escaper PromQL also reads.
    const series = hostile.flatMap((v) => [
      { series: `probe{v=${JSON.stringify(v)}}`, values: '1+0x10' },
      { series: `probe{v=${JSON.stringify(`${v}x`)}}`, values: '1+0x10' },
    ]);
    await expectPass(
      toYaml(generatePrometheusRules(def())),
      series,
      hostile.map((v) => ({
        expr: `count(probe{v=${promqlString(v)}})`,
        eval_time: '5m',
        exp_samples: [{ labels: '{}', value: 1 }],
      })),
    );
  });

  describe('latency', () => {
    const latencyPage = burnRateAlertName('checkout', 'latency-p99', 'page');
    const histogram = (le: string, fastPerMinute: number): SeriesInput[] => [
      {
        series: `http_request_duration_seconds_bucket{service="checkout", le="${le}"}`,
        values: counter(fastPerMinute, 60),
      },
      { series: 'http_request_duration_seconds_bucket{service="checkout", le="+Inf"}', values: counter(100, 60) },
      { series: 'http_request_duration_seconds_count{service="checkout"}', values: counter(100, 60) },
    ];

    it('pages when half the requests are slower than the threshold, not when all are fast', async () => {
      const text = toYaml(generatePrometheusRules(def({ objectives: [latency] })));
      await expectPass(text, histogram('0.3', 50), [alertFiring(latencyPage, '30m', true)]);
      await expectPass(text, histogram('0.3', 100), [alertFiring(latencyPage, '30m', false)]);
    });

    it('matches integer boundaries written as 1.0 (Prometheus 3) and snapped thresholds', async () => {
      const oneSecond: SloObjective = { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 1000 }, target: 99 };
      await expectPass(toYaml(generatePrometheusRules(def({ objectives: [oneSecond] }))), histogram('1.0', 50), [
        alertFiring(latencyPage, '30m', true),
      ]);
      const nearOne: SloObjective = { ...oneSecond, sli: { kind: 'latency', thresholdMs: 900 } };
      await expectPass(
        toYaml(
          generatePrometheusRules(def({ objectives: [nearOne] }), { bucketBoundariesSeconds: [0.25, 0.5, 1, 2.5] }),
        ),
        histogram('1', 50),
        [alertFiring(latencyPage, '30m', true)],
      );
    });
  });
});
