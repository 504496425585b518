import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createAutoApproval } from '../../src/slo/auto-approval/index.js';
import type { AutoApproval } from '../../src/slo/auto-approval/service.js';
import { createSloLifecycle } from '../../src/slo/lifecycle/service.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

interface RecOptions {
  sli?: 'availability' | 'latency';
  confidence?: 'high' | 'medium' | 'low';
  coldStart?: boolean;
  stale?: boolean;
  status?: 'active' | 'superseded' | 'expired';
  expiresInMs?: number;
  generatedAgoMs?: number;
  tiers?: Record<string, unknown>;
  completeness?: number;
}

const AVAILABILITY_TIERS = {
  conservative: { target: 99.5, estimated_breach_probability: 0.01 },
  balanced: { target: 99.9, estimated_breach_probability: 0.05 },
  aggressive: { target: 99.95, estimated_breach_probability: 0.2 },
};
const LATENCY_TIERS = {
  conservative: { target_ms: 800, percentile: 'p99' },
  balanced: { target_ms: 500, percentile: 'p99' },
  aggressive: { target_ms: 300, percentile: 'p99' },
};

async function insertRec(db: TestDatabase, service: string, o: RecOptions = {}): Promise<string> {
  const id = randomUUID();
  const sli = o.sli ?? 'availability';
  const tiers = o.tiers ?? (sli === 'availability' ? AVAILABILITY_TIERS : LATENCY_TIERS);
  const quality = { data_completeness: o.completeness ?? 0.99, days_with_data: 30, telemetry_gaps: [] };
  await db.query(sql`insert into slo_recommendations (id, service_id, sli_type, tiers, data_quality, status, expires_at,
      generated_at, confidence, cold_start, stale, lookback_days)
    values (${id}, ${service}, ${sli}, ${JSON.stringify(tiers)}::jsonb, ${JSON.stringify(quality)}::jsonb,
            ${o.status ?? 'active'}, ${new Date(Date.now() + (o.expiresInMs ?? 86_400_000))},
            ${new Date(Date.now() - (o.generatedAgoMs ?? 0))}, ${o.confidence ?? 'high'}, ${o.coldStart ?? false},
            ${o.stale ?? false}, 30)`);
  return id;
}

const count = async (db: TestDatabase, table: 'slo_audit_log' | 'active_slos') =>
  (await db.query<{ n: number }>(sql`select count(*)::int as n from ${sql.raw(table)}`))[0]?.n ?? -1;

describe.each(DRIVERS)('auto-approval on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  let service: AutoApproval;
  beforeEach(async () => {
    db = await openTestDatabase(driver);
    await db.query(sql`insert into services (id, team, criticality, tier) values
      ('checkout', 'payments', 'high', 1), ('search', 'discovery', 'medium', 2), ('catalog', 'discovery', 'low', 3),
      ('ledger', 'payments', 'low', 2), ('newbie', 'discovery', 'low', 3), ('flaky', 'discovery', 'low', 3)`);
    service = createAutoApproval({ db, lifecycle: createSloLifecycle({ db }) });
    app = await testApp(db, {}, { autoApproval: service });
  });
  afterEach(async () => {
    await app.close();
    await db.close();
  });

  const createRule = (payload: object) =>
    app.server.inject({ method: 'POST', url: '/api/v1/auto-approval/rules', payload });

  /** A varied estate: which of these a rule may approve is the point of most tests. */
  async function seedEstate() {
    const ids = {
      checkout: await insertRec(db, 'checkout'), // criticality high
      search: await insertRec(db, 'search'),
      searchLatency: await insertRec(db, 'search', { sli: 'latency' }),
      catalog: await insertRec(db, 'catalog', { confidence: 'medium', completeness: 0.9 }),
      catalogOld: await insertRec(db, 'catalog', { generatedAgoMs: 3_600_000 }), // older active row: not the newest
      ledger: await insertRec(db, 'ledger'), // has a manual SLO
      newbie: await insertRec(db, 'newbie', { confidence: 'low', coldStart: true }),
      flaky: await insertRec(db, 'flaky', { stale: true }),
      expired: await insertRec(db, 'checkout', { sli: 'latency', expiresInMs: -1000 }),
      superseded: await insertRec(db, 'newbie', { sli: 'latency', status: 'superseded' }),
    };
    const manual = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/ledger/slos',
      payload: { action: 'manual', modifications: { availability: 99 }, rationale: 'contractual' },
    });
    expect(manual.statusCode, manual.body).toBe(201);
    return ids;
  }

  it('validates conditions on write: 400 naming the column, nothing stored', async () => {
    const typed = expectProblem(await createRule({ name: 'r1', condition: 'confidence >= 0.8' }), 400);
    expect(typed.detail).toBe("body field /condition: field 'confidence' is a string, not a number (at column 15)");
    expect(typed.column).toBe(15);
    expect(typed.errors).toEqual([
      { pointer: '/condition', in: 'body', detail: expect.stringContaining('column 15'), column: 15 },
    ]);
    const unknown = expectProblem(
      await createRule({ name: 'r1', condition: 'tier == "balanced" and critically == "low"' }),
      400,
    );
    expect(unknown.detail).toMatch(/unknown field 'critically'.*\(at column 24\)/);
    const value = expectProblem(await createRule({ name: 'r1', condition: 'confidence == "hgh"' }), 400);
    expect(value.detail).toMatch(/"hgh" is not a valid confidence.*column 15/);
    expectProblem(await createRule({ name: '../etc', condition: 'team == "a"' }), 400);
    expectProblem(await createRule({ name: 'r1', condition: 'team == "a"', tier: 'fastest' }), 400);
    const list = (await app.server.inject({ url: '/api/v1/auto-approval/rules' })).json();
    expect(list.items).toEqual([]);
  });

  it('creates, lists in name order, reads, patches and deletes rules', async () => {
    const b = await createRule({ name: 'b-rule', condition: 'criticality == "low"' });
    expect(b.statusCode, b.body).toBe(201);
    expect(b.json()).toMatchObject({
      name: 'b-rule',
      condition: 'criticality == "low"',
      tier: 'balanced',
      enabled: true,
      created_by: 'anonymous',
    });
    const a = await createRule({
      name: 'a-rule',
      condition: 'team == "payments"',
      tier: 'conservative',
      enabled: false,
    });
    expect(a.statusCode, a.body).toBe(201);
    expectProblem(await createRule({ name: 'b-rule', condition: 'team == "x"' }), 409);

    const list = (await app.server.inject({ url: '/api/v1/auto-approval/rules' })).json();
    expect(list.items.map((r: { name: string }) => r.name)).toEqual(['a-rule', 'b-rule']);

    const id = b.json().id as string;
    expect((await app.server.inject({ url: `/api/v1/auto-approval/rules/${id}` })).json()).toMatchObject({
      name: 'b-rule',
    });
    const patch = (payload: object) =>
      app.server.inject({ method: 'PATCH', url: `/api/v1/auto-approval/rules/${id}`, payload });
    const bad = expectProblem(await patch({ condition: 'criticality == "low" or' }), 400);
    expect(bad.detail).toBe('body field /condition: expected a field name (at column 24)');
    expect((await app.server.inject({ url: `/api/v1/auto-approval/rules/${id}` })).json().condition).toBe(
      'criticality == "low"',
    );
    expectProblem(await patch({}), 400);
    expectProblem(await patch({ name: 'a-rule' }), 409);
    const ok = await patch({ condition: 'criticality in ["low", "medium"]', tier: 'aggressive', enabled: false });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      name: 'b-rule',
      condition: 'criticality in ["low", "medium"]',
      tier: 'aggressive',
      enabled: false,
    });
    const parsed = await db.query<{ parsed: { kind: string } }>(
      sql`select parsed from auto_approval_rules where id = ${id}`,
    );
    expect(parsed[0]?.parsed).toMatchObject({ kind: 'in', field: 'criticality', values: ['low', 'medium'] });

    const del = await app.server.inject({ method: 'DELETE', url: `/api/v1/auto-approval/rules/${id}` });
    expect(del.statusCode).toBe(204);
    expectProblem(await app.server.inject({ url: `/api/v1/auto-approval/rules/${id}` }), 404);
    expectProblem(await app.server.inject({ method: 'DELETE', url: `/api/v1/auto-approval/rules/${id}` }), 404);
    expectProblem(await patch({ enabled: true }), 404);
    expectProblem(await app.server.inject({ url: '/api/v1/auto-approval/rules/not-a-uuid' }), 400);
  });

  it('dry-run lists exactly the recommendations the rule would approve and writes nothing', async () => {
    const ids = await seedEstate();
    const rule = (
      await createRule({ name: 'low-risk', condition: 'criticality in ["low", "medium"]', enabled: false })
    ).json();
    const auditBefore = await count(db, 'slo_audit_log');
    const slosBefore = await count(db, 'active_slos');

    const res = await app.server.inject({ method: 'POST', url: `/api/v1/auto-approval/rules/${rule.id}/dry-run` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.would_approve.map((m: { recommendation_id: string }) => m.recommendation_id).sort()).toEqual(
      [ids.search, ids.searchLatency, ids.catalog].sort(),
    );
    const search = body.would_approve.find((m: { recommendation_id: string }) => m.recommendation_id === ids.search);
    expect(search).toMatchObject({
      service_id: 'search',
      tier: 'balanced',
      target: 99.9,
      facts: {
        service_id: 'search',
        team: 'discovery',
        criticality: 'medium',
        service_tier: 2,
        tier: 'balanced',
        sli_type: 'availability',
        target: 99.9,
        confidence: 'high',
        breach_probability: 0.05,
        data_completeness: 0.99,
        lookback_days: 30,
        cold_start: false,
      },
    });
    const latency = body.would_approve.find(
      (m: { recommendation_id: string }) => m.recommendation_id === ids.searchLatency,
    );
    expect(latency.target).toBe(500);
    expect(
      Object.fromEntries(body.skipped.map((s: { service_id: string; reason: string }) => [s.service_id, s.reason])),
    ).toEqual({ ledger: 'manual_slo', newbie: 'low_confidence', flaky: 'stale' });
    expect(body.evaluated).toBe(7); // newest active, unexpired per (service, SLI type)

    expect(await count(db, 'slo_audit_log')).toBe(auditBefore);
    expect(await count(db, 'active_slos')).toBe(slosBefore);
    expectProblem(
      await app.server.inject({ method: 'POST', url: `/api/v1/auto-approval/rules/${randomUUID()}/dry-run` }),
      404,
    );
  });

  it('run: disabled rules do nothing; enabled ones approve as system:auto-approval:<name>, once', async () => {
    const ids = await seedEstate();
    const rule = (
      await createRule({
        name: 'low-crit',
        condition: 'criticality == "low" and sli_type == "availability"',
        tier: 'conservative',
        enabled: false,
      })
    ).json();
    const auditBefore = await count(db, 'slo_audit_log');
    const run = () => app.server.inject({ method: 'POST', url: '/api/v1/auto-approval/run' });

    const idle = await run();
    expect(idle.statusCode, idle.body).toBe(200);
    expect(idle.json().approved).toEqual([]);
    expect(await count(db, 'slo_audit_log')).toBe(auditBefore);

    await app.server.inject({
      method: 'PATCH',
      url: `/api/v1/auto-approval/rules/${rule.id}`,
      payload: { enabled: true },
    });
    const applied = (await run()).json();
    expect(applied.approved).toEqual([
      expect.objectContaining({
        recommendation_id: ids.catalog,
        service_id: 'catalog',
        rule: 'low-crit',
        tier: 'conservative',
        result: expect.objectContaining({ status: 'active', targets: { availability: 99.5 } }),
      }),
    ]);
    expect(applied.skipped.map((s: { service_id: string; reason: string }) => [s.service_id, s.reason]).sort()).toEqual(
      [
        ['flaky', 'stale'],
        ['ledger', 'manual_slo'],
        ['newbie', 'low_confidence'],
      ],
    );
    const audit = await db.query<{ action: string; actor: string; recommendation_id: string; selected_tier: string }>(
      sql`select action, actor, recommendation_id, selected_tier from slo_audit_log
          where service_id = 'catalog'`,
    );
    expect(audit).toEqual([
      {
        action: 'auto_approve',
        actor: 'system:auto-approval:low-crit',
        recommendation_id: ids.catalog,
        selected_tier: 'conservative',
      },
    ]);
    const active = await db.query<{ availability_target: number; activated_by: string; source: string }>(
      sql`select availability_target, activated_by, source from active_slos where service_id = 'catalog'`,
    );
    expect(active).toEqual([
      { availability_target: 99.5, activated_by: 'system:auto-approval:low-crit', source: 'recommendation_accepted' },
    ]);
    // The ledger's manual SLO is untouched.
    const ledger = await db.query<{ availability_target: number; source: string }>(
      sql`select availability_target, source from active_slos where service_id = 'ledger'`,
    );
    expect(ledger).toEqual([{ availability_target: 99, source: 'manual' }]);

    // A second run finds the recommendation decided: nothing new is written.
    const again = (await run()).json();
    expect(again.approved).toEqual([]);
    expect(again.skipped).toContainEqual(expect.objectContaining({ service_id: 'catalog', reason: 'already_decided' }));
    expect(await count(db, 'slo_audit_log')).toBe(auditBefore + 1);
  });

  it('evaluate: first matching rule by name wins; low confidence needs a rule that mentions confidence', async () => {
    const search = await insertRec(db, 'search');
    const newbie = await insertRec(db, 'newbie', { confidence: 'low', coldStart: true });
    const checkout = await insertRec(db, 'checkout');
    expect(
      (await createRule({ name: 'b-broad', condition: 'lookback_days >= 7', tier: 'conservative' })).statusCode,
    ).toBe(201);
    expect(
      (await createRule({ name: 'a-medium', condition: 'criticality == "medium"', tier: 'aggressive' })).statusCode,
    ).toBe(201);
    expect(
      (await createRule({ name: 'c-cold', condition: 'cold_start == true and confidence == "low"' })).statusCode,
    ).toBe(201);
    expect((await createRule({ name: 'd-off', condition: 'team == "payments"', enabled: false })).statusCode).toBe(201);

    // Only the ids passed are considered (checkout is left for later).
    const results = await service.evaluate([search, newbie, 'not-a-uuid']);
    const byRec = new Map(results.map((r) => [r.recommendation_id, r]));
    expect(results).toHaveLength(2);
    expect(byRec.get(search)).toMatchObject({
      rule: 'a-medium',
      tier: 'aggressive',
      result: { targets: { availability: 99.95 } },
    });
    // b-broad matches the cold start too but does not mention confidence; c-cold does.
    expect(byRec.get(newbie)).toMatchObject({
      rule: 'c-cold',
      tier: 'balanced',
      result: { targets: { availability: 99.9 } },
    });
    const actors = await db.query<{ actor: string }>(
      sql`select actor from slo_audit_log where action = 'auto_approve' order by seq`,
    );
    expect(actors.map((a) => a.actor).sort()).toEqual(['system:auto-approval:a-medium', 'system:auto-approval:c-cold']);
    expect(await db.query(sql`select 1 from active_slos where service_id = 'checkout'`)).toEqual([]);

    // checkout matches b-broad (d-off would match too, but is disabled).
    const later = await service.evaluate([checkout]);
    expect(later).toEqual([expect.objectContaining({ recommendation_id: checkout, rule: 'b-broad' })]);
  });

  it('overlapping runs approve each recommendation once', async () => {
    const ids = [await insertRec(db, 'search'), await insertRec(db, 'catalog'), await insertRec(db, 'checkout')];
    await createRule({ name: 'all', condition: 'lookback_days > 0' });
    const runs = await Promise.all([service.run(), service.run(), service.evaluate(ids)]);
    const approvals = [...runs[0].approved, ...runs[1].approved, ...runs[2]];
    expect(approvals.map((a) => a.recommendation_id).sort()).toEqual([...ids].sort());
    expect(await count(db, 'slo_audit_log')).toBe(3);
  });

  it('declares auth on every route: rule reads are read, everything else admin', async () => {
    const routes = app.server.routeTable
      .filter((r) => r.url.startsWith('/api/v1/auto-approval'))
      .map((r) => `${r.method} ${r.url} ${r.auth?.action}`)
      .sort();
    expect(routes).toEqual([
      'DELETE /api/v1/auto-approval/rules/:id admin',
      'GET /api/v1/auto-approval/rules read',
      'GET /api/v1/auto-approval/rules/:id read',
      'PATCH /api/v1/auto-approval/rules/:id admin',
      'POST /api/v1/auto-approval/rules admin',
      'POST /api/v1/auto-approval/rules/:id/dry-run admin',
      'POST /api/v1/auto-approval/run admin',
    ]);
  });

  it('never auto-approves a recommendation a human rejected, nor over a modified SLO', async () => {
    const rejected = await insertRec(db, 'search');
    const rej = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/search/slos',
      payload: { action: 'reject', recommendation_id: rejected, rationale: 'too strict for now' },
    });
    expect(rej.statusCode, rej.body).toBe(200);
    const tuned = await insertRec(db, 'catalog');
    const mod = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/catalog/slos',
      payload: {
        action: 'modify',
        recommendation_id: tuned,
        selected_tier: 'balanced',
        modifications: { availability: 99.7 },
        rationale: 'team call',
      },
    });
    expect(mod.statusCode, mod.body).toBe(201);
    const fresh = await insertRec(db, 'catalog', { sli: 'latency' });
    await createRule({ name: 'all', condition: 'lookback_days > 0' });

    const { approved, skipped } = await service.run();
    expect(approved).toEqual([]);
    expect(skipped.map((s) => [s.recommendation_id, s.reason]).sort()).toEqual(
      [
        [rejected, 'already_decided'],
        [tuned, 'already_decided'],
        [fresh, 'modified_slo'],
      ].sort(),
    );
  });
});
