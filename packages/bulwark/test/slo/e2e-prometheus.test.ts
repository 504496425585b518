import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { sql } from 'drizzle-orm';
import { runAggregation } from '../../src/slo/aggregation/job.js';
import { PrometheusSource } from '../../src/telemetry/prometheus.js';
import { SyntheticSource, toOpenMetrics } from '../../src/telemetry/synthetic.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { prometheusAvailable, type RunningPrometheus, startBackfilledPrometheus } from '../support/prometheus.js';

/**
 * The SLO engine end to end against a real Prometheus: 31 days of generated telemetry for a small
 * topology are backfilled with promtool; dependencies are discovered from OpenTelemetry
 * service-graph metrics, enriched by a manual batch, then recommendations and impact analysis run
 * over PromQL; a deploy regression in one service's history is found through PromQL too. Finally
 * Prometheus is stopped and the last results are served as stale.
 */
const HOUR = 3600;
const end = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
const start = end - 31 * 24 * HOUR;
const SERVICES = ['gateway', 'checkout', 'payment', 'inventory'];
const CALLS: Array<[string, string, number]> = [
  ['gateway', 'checkout', 40],
  ['checkout', 'payment', 12],
  ['checkout', 'inventory', 30],
];
/** A deploy that made payment fail 4× as often, at the UTC midnight ten days before the end. */
const DEPLOY_AT = Math.floor((end - 10 * 86_400) / 86_400) * 86_400;
const source = new SyntheticSource({
  seed: 11,
  span: { start, end },
  deploys: { payment: [{ at: DEPLOY_AT, errorRateFactor: 4 }] },
});

function serviceGraphMetrics(): string {
  const lines = ['# TYPE traces_service_graph_request counter'];
  for (const [client, server, rps] of CALLS) {
    // Up to the present minute: discovery asks for the rate over the minutes before now.
    const now = Math.floor(Date.now() / 60_000) * 60;
    for (let t = now - 6 * HOUR, v = 0; t <= now; t += 60, v += rps * 60) {
      lines.push(`traces_service_graph_request_total{client="${client}",server="${server}"} ${v} ${t}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe.runIf(prometheusAvailable())('SLO engine against a real Prometheus', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    const metrics = toOpenMetrics(source, SERVICES, { start: new Date(start * 1000), end: new Date(end * 1000) }, 900, {
      histogram: ['checkout'],
    }).replace(/# EOF\n$/, '');
    prom = await startBackfilledPrometheus(`${metrics}${serviceGraphMetrics()}# EOF\n`);
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
  });

  describe.each(DRIVERS)('on %s', (driver) => {
    let db: TestDatabase;
    let app: App;
    beforeAll(async () => {
      db = await openTestDatabase(driver);
      app = await testApp(
        db,
        {},
        { telemetry: new PrometheusSource({ baseUrl: prom.url, retries: 0, timeoutMs: 5000 }) },
      );
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    it('discovers the service graph from OpenTelemetry metrics, then a manual batch adds what traces cannot know', async () => {
      const res = await app.server.inject({
        method: 'POST',
        url: '/api/v1/services/dependencies/discover',
        payload: { lookback_minutes: 120 },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { discovered: Array<{ source: string; target: string; rps: number }> };
      expect(body.discovered.map((e) => `${e.source}>${e.target}`).sort()).toEqual(
        CALLS.map(([c, s]) => `${c}>${s}`).sort(),
      );
      const checkoutInventory = body.discovered.find((e) => e.target === 'inventory');
      expect(checkoutInventory?.rps).toBeCloseTo(30, 0);
      const manual = await app.server.inject({
        method: 'POST',
        url: '/api/v1/services/dependencies',
        payload: {
          source: 'manual',
          nodes: [{ service_id: 'psp', metadata: { service_type: 'external', published_sla: 0.9995 } }],
          edges: [
            { source: 'checkout', target: 'inventory', attributes: { criticality: 'soft' } },
            { source: 'checkout', target: 'psp', attributes: { criticality: 'hard' } },
          ],
        },
      });
      expect(manual.statusCode, manual.body).toBe(200);
    });

    it('recommends from PromQL history: observed availability matches the generated truth', async () => {
      const res = await app.server.inject({ method: 'GET', url: '/api/v1/services/checkout/slo-recommendations' });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as {
        provenance: { telemetry_source: string };
        data_quality: { data_completeness: number };
        recommendations: Array<{
          sli_type: string;
          tiers: Record<string, { target?: number; target_ms?: number }>;
          explanation: {
            observed_availability?: number;
            observed_ms?: { p99: number };
            dependency_impact?: {
              composite_availability_bound: number;
              soft_dependency_risks: Array<{ service: string }>;
            };
          };
        }>;
      };
      expect(body.provenance.telemetry_source).toBe('prometheus');
      expect(body.data_quality.data_completeness).toBeGreaterThan(0.95);
      const lookback = { start: new Date((end - 30 * 24 * HOUR) * 1000), end: new Date(end * 1000) };
      const truth = await source.availabilitySeries('checkout', lookback, HOUR);
      const good = truth.reduce((s, p) => s + p.good, 0);
      const total = truth.reduce((s, p) => s + p.total, 0);
      const avail = body.recommendations.find((r) => r.sli_type === 'availability');
      expect(avail?.explanation.observed_availability).toBeCloseTo((good / total) * 100, 1);
      // Bound: payment (observed, end-to-end) x psp (no telemetry: 99.95% published, planned at 99.85%); inventory is soft.
      expect(avail?.explanation.dependency_impact?.composite_availability_bound).toBeLessThan(99.85);
      expect(avail?.explanation.dependency_impact?.soft_dependency_risks.map((s) => s.service)).toContain('inventory');
      expect(avail?.tiers.balanced?.target).toBeLessThanOrEqual(
        avail?.explanation.dependency_impact?.composite_availability_bound as number,
      );
      // Latency from the real histogram: within the generated distribution's range.
      const lat = body.recommendations.find((r) => r.sli_type === 'latency');
      const p50 = source.profile('checkout').latencyP50Ms;
      expect(lat?.explanation.observed_ms?.p99).toBeGreaterThan(p50);
      expect(lat?.explanation.observed_ms?.p99).toBeLessThan(p50 * 30);
      expect(lat?.tiers.balanced?.target_ms).toBeGreaterThanOrEqual(lat?.explanation.observed_ms?.p99 as number);
    });

    it('aggregates every service in bulk queries; the 28-day availability matches the generated truth', async () => {
      const started = performance.now();
      const r = await runAggregation(db, new PrometheusSource({ baseUrl: prom.url, retries: 0 }), {
        now: new Date(end * 1000),
      });
      expect(r.services).toBe(SERVICES.length);
      const [row] = await db.query<{ value: number }>(
        sql`select value from sli_aggregates where service_id = 'checkout' and window_name = '28d' and sli_type = 'availability'`,
      );
      const truth = await source.summaries(['checkout'], {
        start: new Date((end - 28 * 24 * HOUR) * 1000),
        end: new Date(end * 1000),
      });
      const t = truth.get('checkout') as { good: number; total: number };
      expect(row?.value).toBeCloseTo((t.good / t.total) * 100, 1);
      console.log(
        `aggregation of ${r.services} services against Prometheus: ${(performance.now() - started).toFixed(0)} ms`,
      );
    });

    it("finds payment's deploy regression in the PromQL history and forecasts from the new level", async () => {
      const res = await app.server.inject({
        method: 'GET',
        url: '/api/v1/services/payment/slo-recommendations?sli_type=availability',
      });
      expect(res.statusCode, res.body).toBe(200);
      const rec = (
        res.json() as {
          recommendations: Array<{
            tiers: Record<string, { target: number }>;
            explanation: {
              regime_change: {
                since: string;
                error_rate_before: number;
                error_rate_after: number;
                ratio: number;
              } | null;
              warnings: string[];
            };
          }>;
        }
      ).recommendations[0];
      const change = rec?.explanation.regime_change;
      expect(change?.since).toBe(new Date(DEPLOY_AT * 1000).toISOString().slice(0, 10));
      expect(change?.ratio).toBeGreaterThan(3.3);
      expect(change?.ratio).toBeLessThan(4.7);
      const rate = source.profile('payment').errorRate * 100;
      expect(change?.error_rate_before).toBeCloseTo(rate, 2);
      expect(rec?.explanation.warnings.some((w) => w.startsWith('error rate stepped up'))).toBe(true);
      // The new level (4× the old error rate) bounds the balanced target from above.
      expect(rec?.tiers.balanced?.target).toBeLessThanOrEqual(100 - 4 * rate * 0.9);
    });

    it('runs impact analysis over the discovered graph', async () => {
      const res = await app.server.inject({
        method: 'POST',
        url: '/api/v1/slos/impact-analysis',
        payload: {
          service_id: 'payment',
          proposed_change: { sli_type: 'availability', current_target: 99.9, proposed_target: 99 },
        },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as {
        impacted_services: Array<{ service_id: string; delta: number; relationship: string }>;
      };
      expect(body.impacted_services.map((s) => s.service_id).sort()).toEqual(['checkout', 'gateway']);
      expect(body.impacted_services.find((s) => s.service_id === 'gateway')?.relationship).toBe(
        'upstream (transitive)',
      );
    });
  });

  it('when Prometheus stops, the stored recommendations are served as stale instead of failing', async () => {
    const db = await openTestDatabase('pglite');
    const app = await testApp(
      db,
      {},
      { telemetry: new PrometheusSource({ baseUrl: prom.url, retries: 0, timeoutMs: 5000 }) },
    );
    try {
      await app.server.inject({
        method: 'POST',
        url: '/api/v1/services/dependencies',
        payload: { source: 'manual', edges: [{ source: 'gateway', target: 'checkout' }] },
      });
      const fresh = await app.server.inject({ method: 'GET', url: '/api/v1/services/gateway/slo-recommendations' });
      expect(fresh.statusCode, fresh.body).toBe(200);
      await prom.stop();
      const res = await app.server.inject({
        method: 'GET',
        url: '/api/v1/services/gateway/slo-recommendations?force_regenerate=true',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ stale: true, stale_reason: expect.stringMatching(/Prometheus/) });
    } finally {
      await app.close();
      await db.close();
    }
  });
});
