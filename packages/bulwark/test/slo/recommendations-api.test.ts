import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { ingestGraph } from '../../src/slo/graph/store.js';
import { PrometheusSource } from '../../src/telemetry/prometheus.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';
import { freePort } from '../support/prometheus.js';

const estate = {
  source: 'manual',
  nodes: [
    { service_id: 'gateway', metadata: { team: 'edge', criticality: 'critical' } },
    { service_id: 'checkout', metadata: { team: 'payments', criticality: 'high' } },
    { service_id: 'payment', metadata: { team: 'payments', criticality: 'high' } },
    { service_id: 'stripe', metadata: { service_type: 'external', published_sla: 0.9999 } },
    { service_id: 'orders-db-a' },
    { service_id: 'orders-db-b' },
  ],
  edges: [
    { source: 'gateway', target: 'checkout', attributes: { criticality: 'hard' } },
    { source: 'checkout', target: 'payment', attributes: { criticality: 'hard' } },
    { source: 'payment', target: 'stripe', attributes: { criticality: 'hard' } },
    { source: 'checkout', target: 'orders-db-a', attributes: { criticality: 'hard', redundancy_group: 'orders' } },
    { source: 'checkout', target: 'orders-db-b', attributes: { criticality: 'hard', redundancy_group: 'orders' } },
  ],
};

interface Rec {
  recommendation_id: string;
  sli_type: string;
  tiers: Record<string, { target?: number; target_ms?: number }>;
  explanation: {
    regime_change?: unknown;
    dependency_impact?: {
      composite_availability_bound: number;
      bottleneck_service: string;
      error_budget_consumption: Array<{ service: string; availability: number }>;
    };
  };
}
interface RecResponse {
  recommendations: Rec[];
  cached: boolean;
  stale: boolean;
  stale_reason?: string;
  provenance: { dependency_graph_snapshot_id: string; telemetry_source: string };
}

describe.each(DRIVERS)('SLO recommendations and impact analysis API on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db, { BULWARK_TELEMETRY: 'synthetic' });
    const res = await app.server.inject({ method: 'POST', url: '/api/v1/services/dependencies', payload: estate });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const get = (path: string) => app.server.inject({ method: 'GET', url: path });
  let first: RecResponse;

  it('recommends three ordered tiers per SLI with ids, provenance and the dependency bound', async () => {
    const res = await get('/api/v1/services/checkout/slo-recommendations');
    expect(res.statusCode, res.body).toBe(200);
    first = res.json() as RecResponse;
    expect(first.cached).toBe(false);
    expect(first.stale).toBe(false);
    expect(first.provenance.telemetry_source).toBe('synthetic');
    const [state] = await db.query<{ snapshot_id: string }>(
      sql`select snapshot_id::text as snapshot_id from graph_state`,
    );
    expect(first.provenance.dependency_graph_snapshot_id).toBe(state?.snapshot_id);
    const avail = first.recommendations.find((r) => r.sli_type === 'availability') as Rec;
    const lat = first.recommendations.find((r) => r.sli_type === 'latency') as Rec;
    expect(avail.recommendation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(avail.tiers.conservative?.target).toBeLessThanOrEqual(avail.tiers.balanced?.target as number);
    expect(avail.tiers.balanced?.target).toBeLessThanOrEqual(avail.tiers.aggressive?.target as number);
    expect(lat.tiers.conservative?.target_ms).toBeGreaterThanOrEqual(lat.tiers.balanced?.target_ms as number);
    // The bound is over the measured direct dependencies: payment's end-to-end availability already
    // includes stripe, so stripe is not counted again; the redundant pair is one group (1 − Π(1 − R)),
    // not a serial dependency.
    const impact = avail.explanation.dependency_impact;
    expect(impact?.error_budget_consumption.map((d) => d.service)).toEqual(['payment']);
    const payment = impact?.error_budget_consumption[0]?.availability as number;
    expect(impact?.composite_availability_bound).toBeLessThanOrEqual(payment + 1e-9);
    expect(impact?.composite_availability_bound).toBeGreaterThan(payment - 0.05);
    expect(avail.tiers.balanced?.target).toBeLessThanOrEqual(impact?.composite_availability_bound as number);
    // The synthetic source has no deploy steps: the field is there, and null.
    expect(avail.explanation).toHaveProperty('regime_change', null);
  });

  it('serves the cache, and regenerates on force_regenerate (superseding the old rows)', async () => {
    const cached = (await get('/api/v1/services/checkout/slo-recommendations')).json() as RecResponse;
    expect(cached.cached).toBe(true);
    expect(cached.recommendations.map((r) => r.recommendation_id).sort()).toEqual(
      first.recommendations.map((r) => r.recommendation_id).sort(),
    );
    const forced = (
      await get('/api/v1/services/checkout/slo-recommendations?force_regenerate=true')
    ).json() as RecResponse;
    expect(forced.cached).toBe(false);
    const oldId = first.recommendations[0]?.recommendation_id as string;
    expect(forced.recommendations.map((r) => r.recommendation_id)).not.toContain(oldId);
    const [old] = await db.query<{ status: string }>(sql`select status from slo_recommendations where id = ${oldId}`);
    expect(old?.status).toBe('superseded');
    first = forced;
  });

  it('invalidates the cache when the dependency graph changes', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/dependencies',
      payload: {
        source: 'manual',
        edges: [{ source: 'checkout', target: 'fraud', attributes: { criticality: 'soft' } }],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const after = (
      await get('/api/v1/services/checkout/slo-recommendations?sli_type=availability')
    ).json() as RecResponse;
    expect(after.cached).toBe(false);
    expect(after.recommendations).toHaveLength(1);
    first = after;
  });

  it('a recommendation id is accepted by the lifecycle, and impact analysis then sees the SLO at risk', async () => {
    const avail = first.recommendations[0] as Rec;
    const accept = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/checkout/slos',
      payload: { action: 'accept', recommendation_id: avail.recommendation_id, selected_tier: 'balanced' },
    });
    expect(accept.statusCode, accept.body).toBeLessThan(300);
    const target = avail.tiers.balanced?.target as number;
    const impact = await app.server.inject({
      method: 'POST',
      url: '/api/v1/slos/impact-analysis',
      payload: {
        service_id: 'payment',
        proposed_change: { sli_type: 'availability', current_target: 99.99, proposed_target: 99 },
      },
    });
    expect(impact.statusCode, impact.body).toBe(200);
    const body = impact.json() as {
      impacted_services: Array<{
        service_id: string;
        slo_at_risk: boolean | null;
        current_slo_target: number | null;
        delta: number;
      }>;
      summary: { slos_at_risk: number };
    };
    const checkout = body.impacted_services.find((s) => s.service_id === 'checkout');
    expect(checkout?.current_slo_target).toBe(target);
    expect(checkout?.slo_at_risk).toBe(true);
    expect(checkout?.delta).toBeLessThan(-0.9);
    const gateway = body.impacted_services.find((s) => s.service_id === 'gateway');
    expect(gateway?.slo_at_risk).toBeNull();
    expect(body.summary.slos_at_risk).toBe(1);
  });

  it('new recommendations pass through the auto-approval rules at once', async () => {
    const rule = await app.server.inject({
      method: 'POST',
      url: '/api/v1/auto-approval/rules',
      payload: { name: 'gateway-availability', condition: 'service_id == "gateway" and sli_type == "availability"' },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const rec = (await get('/api/v1/services/gateway/slo-recommendations?sli_type=availability')).json() as RecResponse;
    const id = rec.recommendations[0]?.recommendation_id;
    const slo = await get('/api/v1/services/gateway/slos');
    expect(slo.statusCode, slo.body).toBe(200);
    expect(slo.json()).toMatchObject({
      active: { recommendation_id: id, activated_by: 'system:auto-approval:gateway-availability' },
    });
    // A service the rule does not match is left alone.
    await get('/api/v1/services/payment/slo-recommendations?sli_type=availability');
    const other = await get('/api/v1/services/payment/slos');
    expect(other.json()).toMatchObject({ active: null });
  });

  it('answers client mistakes with problem+json, never a 500', async () => {
    expectProblem(await get('/api/v1/services/nope/slo-recommendations'), 404);
    const bad = expectProblem(await get('/api/v1/services/checkout/slo-recommendations?lookback_days=3'), 400);
    expect(String(bad.detail)).toMatch(/lookback_days/);
    const latency = expectProblem(
      await app.server.inject({
        method: 'POST',
        url: '/api/v1/slos/impact-analysis',
        payload: { service_id: 'payment', proposed_change: { sli_type: 'latency', proposed_target: 99 } },
      }),
      400,
    );
    expect(String(latency.detail)).toMatch(/availability only/);
    expectProblem(
      await app.server.inject({
        method: 'POST',
        url: '/api/v1/slos/impact-analysis',
        payload: { service_id: 'nope', proposed_change: { sli_type: 'availability', proposed_target: 99 } },
      }),
      404,
    );
  });

  // PostgreSQL: another instance's ingestion is seen within the graph check interval (1 s), so
  // only the embedded database, where no other process can write, is exact at once.
  it.runIf(driver === 'pglite')(
    'on the embedded database an ingestion in this process invalidates a cached answer at once',
    async () => {
      const url = '/api/v1/services/orders-db-a/slo-recommendations?sli_type=availability';
      const generated = (await get(url)).json() as RecResponse;
      const cached = await get(url);
      expect((cached.json() as RecResponse).cached).toBe(true);
      // Straight through the store: the route's own invalidate() is not involved.
      await ingestGraph(db, {
        source: 'manual',
        nodes: [],
        edges: [{ source: 'orders-db-a', target: 'orders-disk', attributes: { criticality: 'hard' } }],
      });
      const after = (await get(url)).json() as RecResponse;
      expect(after.cached).toBe(false);
      const [state] = await db.query<{ snapshot_id: string }>(
        sql`select snapshot_id::text as snapshot_id from graph_state`,
      );
      expect(after.provenance.dependency_graph_snapshot_id).toBe(state?.snapshot_id);
      expect(after.provenance.dependency_graph_snapshot_id).not.toBe(generated.provenance.dependency_graph_snapshot_id);
      // The new answer is the one cached from now on.
      const again = (await get(url)).json() as RecResponse;
      expect(again.cached).toBe(true);
      expect(again.recommendations[0]?.recommendation_id).toBe(after.recommendations[0]?.recommendation_id);
    },
  );

  it('when telemetry is down: serves the last stored result marked stale, or 503 when there is none', async () => {
    const down = new PrometheusSource({ baseUrl: `http://127.0.0.1:${await freePort()}`, retries: 0 });
    const outage = await testApp(db, {}, { telemetry: down });
    try {
      const res = await outage.server.inject({
        method: 'GET',
        url: '/api/v1/services/checkout/slo-recommendations?force_regenerate=true',
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as RecResponse;
      expect(body.stale).toBe(true);
      expect(body.stale_reason).toMatch(/Prometheus .* unavailable/);
      expect(body.recommendations.length).toBeGreaterThan(0);
      const none = expectProblem(
        await outage.server.inject({ method: 'GET', url: '/api/v1/services/stripe/slo-recommendations' }),
        503,
      );
      expect(String(none.detail)).toMatch(/unavailable/);
    } finally {
      await outage.close();
    }
  });
});
