import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

async function insertRec(
  db: TestDatabase,
  service: string,
  o: { observed?: number | null; status?: string; expiresInMs?: number; generatedAgoMs?: number; sli?: string } = {},
): Promise<string> {
  const id = randomUUID();
  const explanation = o.observed === undefined ? {} : { observed_availability: o.observed };
  await db.query(sql`insert into slo_recommendations (id, service_id, sli_type, tiers, explanation, status, expires_at,
      generated_at)
    values (${id}, ${service}, ${o.sli ?? 'availability'}, '{"balanced": {"target": 99.9}}'::jsonb,
            ${JSON.stringify(explanation)}::jsonb, ${o.status ?? 'active'},
            ${new Date(Date.now() + (o.expiresInMs ?? 86_400_000))}, ${new Date(Date.now() - (o.generatedAgoMs ?? 0))})`);
  return id;
}

async function insertSlo(
  db: TestDatabase,
  service: string,
  availability: number | null,
  latencyP99: number | null = null,
) {
  await db.query(sql`insert into active_slos (service_id, availability_target, latency_p99_target_ms, source, activated_by)
    values (${service}, ${availability}, ${latencyP99}, 'manual', 'test')`);
}

async function audit(
  db: TestDatabase,
  action: string,
  recommendationId: string | null,
  tier: string | null,
  rationale?: string,
) {
  await db.query(sql`insert into slo_audit_log (service_id, action, actor, recommendation_id, selected_tier, rationale)
    values ('a', ${action}, 'test', ${recommendationId}, ${tier}, ${rationale ?? null})`);
}

describe.each(DRIVERS)('SLO dashboard on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  let now = new Date();
  beforeEach(async () => {
    db = await openTestDatabase(driver);
    now = new Date();
    app = await testApp(db, {}, { dashboard: { clock: () => now } });
  });
  afterEach(async () => {
    await app.close();
    await db.close();
  });

  const get = async (path: string) => {
    const res = await app.server.inject({ url: `/api/v1/dashboard/${path}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('coverage: overall, per team and per criticality over the internal estate', async () => {
    await db.query(sql`insert into services (id, team, criticality, service_type, placeholder) values
      ('a', 'payments', 'high', 'internal', false), ('b', 'payments', 'low', 'internal', false),
      ('c', 'discovery', 'high', 'internal', false), ('d', 'discovery', null, 'internal', false),
      ('e', null, 'medium', 'internal', false), ('stripe', null, null, 'external', false),
      ('ghost', null, null, 'internal', true)`);
    await insertSlo(db, 'a', 99.9);
    await insertSlo(db, 'b', 99.5);
    await insertSlo(db, 'c', null, 300);
    await insertRec(db, 'a');
    await insertRec(db, 'd');
    await insertRec(db, 'e', { expiresInMs: -1000 }); // expired: not an active recommendation
    await insertRec(db, 'c', { status: 'superseded' });
    await insertRec(db, 'stripe'); // outside the estate

    const body = await get('coverage');
    expect(body).toMatchObject({
      cached: false,
      services_total: 5,
      with_active_slo: 3,
      with_active_recommendation: 2,
      awaiting_decision: 1,
      coverage_pct: 60,
      excluded: { external: 1, placeholder: 1 },
    });
    expect(new Date(body.generated_at).toISOString()).toBe(body.generated_at);
    expect(body.by_team).toEqual([
      {
        team: 'discovery',
        total: 2,
        with_active_slo: 1,
        with_active_recommendation: 1,
        awaiting_decision: 1,
        coverage_pct: 50,
      },
      {
        team: 'payments',
        total: 2,
        with_active_slo: 2,
        with_active_recommendation: 1,
        awaiting_decision: 0,
        coverage_pct: 100,
      },
      {
        team: 'unassigned',
        total: 1,
        with_active_slo: 0,
        with_active_recommendation: 0,
        awaiting_decision: 0,
        coverage_pct: 0,
      },
    ]);
    expect(
      Object.fromEntries(
        body.by_criticality.map((g: { criticality: string; total: number; coverage_pct: number }) => [
          g.criticality,
          [g.total, g.coverage_pct],
        ]),
      ),
    ).toEqual({ high: [2, 100], low: [1, 100], medium: [1, 0], unspecified: [1, 0] });
  });

  it('coverage of an empty estate is null, not a division error', async () => {
    expect(await get('coverage')).toMatchObject({ services_total: 0, coverage_pct: null, by_team: [] });
  });

  it('error-budget health: statuses from the newest observation, worst first, capped', async () => {
    await db.query(
      sql`insert into services (id, team) values ('a', 't'), ('b', 't'), ('c', 't'), ('f', 't'), ('g', 't')`,
    );
    await insertSlo(db, 'a', 99.9); // observed 99.97: 30 % of budget
    await insertSlo(db, 'b', 99.9); // observed 99.83: 170 %
    await insertSlo(db, 'c', 99); // observed 99.4: 60 %
    await insertSlo(db, 'f', null, 250); // latency only: not part of this figure
    await insertSlo(db, 'g', 99.5); // no observation
    await insertRec(db, 'a', { observed: 90, generatedAgoMs: 7_200_000 }); // older: ignored
    await insertRec(db, 'a', { observed: 99.97, generatedAgoMs: 3_600_000, status: 'superseded' });
    await insertRec(db, 'a', { observed: null }); // newest has no observation: the newest that has one counts
    await insertRec(db, 'b', { observed: 99.83 });
    await insertRec(db, 'c', { observed: 99.4 });
    await insertRec(db, 'c', { observed: 10, sli: 'latency' }); // latency rows never count

    const body = await get('error-budget-health');
    expect(body.services).toBe(4);
    expect(body.counts).toEqual({ healthy: 1, warning: 1, exhausted: 1, unknown: 1 });
    expect(body.worst.map((w: { service_id: string; status: string }) => [w.service_id, w.status])).toEqual([
      ['b', 'exhausted'],
      ['c', 'warning'],
      ['a', 'healthy'],
    ]);
    const [b, c, a] = body.worst;
    expect(b).toMatchObject({ target: 99.9, observed: 99.83, budget_consumed: 1 });
    expect(c.budget_consumed).toBeCloseTo(0.6, 4);
    expect(a).toMatchObject({ target: 99.9, observed: 99.97 });
    expect(a.budget_consumed).toBeCloseTo(0.3, 4);
  });

  it('recommendation quality: acceptance, modification and rejection rates, tiers, reasons, breach rate', async () => {
    await db.query(sql`insert into services (id) values ('a'), ('x'), ('y'), ('z')`);
    const [r1, r2, r3, r4, r5, r6] = Array.from({ length: 6 }, () => randomUUID());
    await audit(db, 'accept', r1 as string, 'balanced');
    await audit(db, 'accept', r2 as string, 'conservative');
    await audit(db, 'modify', r2 as string, 'aggressive', 'tighter'); // latest decision on r2
    await audit(db, 'reject', r3 as string, null, 'too strict');
    await audit(db, 'reject', r4 as string, null, '  Too strict ');
    await audit(db, 'auto_approve', r5 as string, 'balanced');
    await audit(db, 'reject', r6 as string, null, 'not this quarter');
    await audit(db, 'manual', null, null, 'contract'); // not a decision on a recommendation
    await insertSlo(db, 'x', 99.9);
    await insertSlo(db, 'y', 99);
    await insertSlo(db, 'z', 99);
    await insertRec(db, 'x', { observed: 99.8 }); // below target: breached
    await insertRec(db, 'y', { observed: 99.5 });

    const body = await get('recommendation-quality');
    expect(body).toMatchObject({
      decided: 6,
      accepted: 1,
      modified: 1,
      rejected: 3,
      auto_approved: 1,
      acceptance_rate: 0.5,
      modification_rate: 0.1667,
      rejection_rate: 0.5,
      breach: { measured: 2, breached: 1, breach_rate: 0.5 },
    });
    expect(body.accepted + body.modified + body.rejected + body.auto_approved).toBe(body.decided);
    expect(body.by_tier).toEqual([
      { tier: 'aggressive', adopted: 1, accepted: 0, modified: 1, auto_approved: 0, share: 0.3333 },
      { tier: 'balanced', adopted: 2, accepted: 1, modified: 0, auto_approved: 1, share: 0.6667 },
    ]);
    expect(body.rejection_reasons).toHaveLength(2);
    expect(body.rejection_reasons[0]).toMatchObject({ count: 2, reason: expect.stringMatching(/^too strict$/i) });
    expect(body.rejection_reasons[1]).toEqual({ reason: 'not this quarter', count: 1 });
  });

  it('declares every dashboard route read-only', async () => {
    const routes = app.server.routeTable
      .filter((r) => r.url.startsWith('/api/v1/dashboard'))
      .map((r) => `${r.method} ${r.url} ${r.auth?.action}`)
      .sort();
    expect(routes).toEqual([
      'GET /api/v1/dashboard/coverage read',
      'GET /api/v1/dashboard/error-budget-health read',
      'GET /api/v1/dashboard/recommendation-quality read',
    ]);
  });

  it('serves figures from memory for 60 s per route; refresh=true recomputes', async () => {
    await db.query(sql`insert into services (id) values ('a')`);
    const first = await get('coverage');
    expect(first).toMatchObject({ cached: false, services_total: 1 });
    await db.query(sql`insert into services (id) values ('b')`);

    const second = await get('coverage');
    expect(second).toMatchObject({ cached: true, services_total: 1, generated_at: first.generated_at });
    // Another route has its own entry.
    expect(await get('recommendation-quality')).toMatchObject({ cached: false });

    now = new Date(now.getTime() + 30_000);
    const refreshed = await get('coverage?refresh=true');
    expect(refreshed).toMatchObject({ cached: false, services_total: 2 });
    expect(refreshed.generated_at).not.toBe(first.generated_at);

    await db.query(sql`insert into services (id) values ('c')`);
    now = new Date(now.getTime() + 59_000);
    expect(await get('coverage')).toMatchObject({ cached: true, services_total: 2 });
    now = new Date(now.getTime() + 1_000);
    expect(await get('coverage')).toMatchObject({ cached: false, services_total: 3 });

    expectProblem(await app.server.inject({ url: '/api/v1/dashboard/coverage?refresh=yes' }), 400);
  });
});
