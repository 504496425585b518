import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

async function insertRecommendation(db: TestDatabase, serviceId: string, opts: { expiresInMs?: number } = {}) {
  const id = randomUUID();
  const tiers = { conservative: { target: 99.5 }, balanced: { target: 99.9 }, aggressive: { target: 99.95 } };
  await db.query(sql`insert into slo_recommendations (id, service_id, sli_type, tiers, status, expires_at)
    values (${id}, ${serviceId}, 'availability', ${JSON.stringify(tiers)}::jsonb, 'active',
            ${new Date(Date.now() + (opts.expiresInMs ?? 86_400_000))})`);
  return id;
}

describe.each(DRIVERS)('SLO lifecycle on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    await db.query(sql`insert into services (id, team) values ('checkout', 'payments'), ('search', 'discovery')`);
    app = await testApp(db);
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  const post = (service: string, payload: object) =>
    app.server.inject({ method: 'POST', url: `/api/v1/services/${service}/slos`, payload });

  it('accept -> modify -> reject keeps one active SLO and an audit entry per action', async () => {
    const rec = await insertRecommendation(db, 'checkout');
    const accepted = await post('checkout', { action: 'accept', recommendation_id: rec, selected_tier: 'balanced' });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({
      status: 'active',
      targets: { availability: 99.9 },
      source: 'recommendation_accepted',
      activated_by: 'anonymous',
    });

    const modified = await post('checkout', {
      action: 'modify',
      recommendation_id: rec,
      selected_tier: 'balanced',
      modifications: { availability_target: 99.95 },
      rationale: 'adding a fallback payment provider',
      actor: 'someone-else@example.com',
    });
    expect(modified.statusCode, modified.body).toBe(201);
    expect(modified.json()).toMatchObject({
      targets: { availability: 99.95 },
      source: 'recommendation_modified',
      modification_delta: { availability: '+0.05 from recommended 99.9' },
      activated_by: 'anonymous', // the free-text actor is ignored
    });

    const rejected = await post('checkout', {
      action: 'reject',
      recommendation_id: rec,
      rationale: 'not this quarter',
    });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'unchanged', targets: { availability: 99.95 } });

    const active = (await app.server.inject({ url: '/api/v1/services/checkout/slos' })).json();
    expect(active.active).toMatchObject({ targets: { availability: 99.95 }, source: 'recommendation_modified' });

    const history = (await app.server.inject({ url: '/api/v1/services/checkout/slo-history' })).json();
    expect(history.items.map((i: { action: string }) => i.action)).toEqual(['reject', 'modify', 'accept']);
    expect(history.items[1].previous_slo.targets).toEqual({ availability: 99.9 });
    expect(history.items[1].new_slo.targets).toEqual({ availability: 99.95 });
    expect(history.items[0].rationale).toBe('not this quarter');
  });

  it('paginates history with an opaque cursor', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await post('search', {
        action: 'manual',
        modifications: { availability: 99 + i / 10 },
        rationale: `step ${i}`,
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/services/search/slo-history?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await app.server.inject({ url })).json() as {
        items: Array<{ rationale: string }>;
        next_cursor: string | null;
      };
      seen.push(...page.items.map((i) => i.rationale));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['step 4', 'step 3', 'step 2', 'step 1', 'step 0']);
    expectProblem(await app.server.inject({ url: '/api/v1/services/search/slo-history?cursor=bogus' }), 400);
  });

  it('rejects bad decisions with problem+json and writes nothing', async () => {
    const before = await db.query<{ n: number }>(sql`select count(*)::int as n from slo_audit_log`);
    const expired = await insertRecommendation(db, 'checkout', { expiresInMs: -1000 });
    expectProblem(
      await post('checkout', { action: 'accept', recommendation_id: expired, selected_tier: 'balanced' }),
      409,
    );
    expectProblem(
      await post('checkout', { action: 'accept', recommendation_id: randomUUID(), selected_tier: 'balanced' }),
      404,
    );
    expectProblem(await post('nope', { action: 'manual', modifications: { availability: 99 }, rationale: 'x' }), 404);
    const body = expectProblem(await post('checkout', { action: 'accept', selected_tier: 'fastest' }), 400);
    expect(body.detail).toContain('/selected_tier');
    expectProblem(
      await post('checkout', { action: 'manual', modifications: { availability: 120 }, rationale: 'x' }),
      400,
    );
    const after = await db.query<{ n: number }>(sql`select count(*)::int as n from slo_audit_log`);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('the database refuses to rewrite the audit log', async () => {
    await expect(db.query(sql`update slo_audit_log set actor = 'mallory'`)).rejects.toThrow(/append-only/);
    await expect(db.query(sql`delete from slo_audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(sql`truncate slo_audit_log`)).rejects.toThrow(/append-only/);
  });

  it('concurrent decisions on one service serialise: every audit entry chains to the previous SLO', async () => {
    await db.query(sql`insert into services (id, team) values ('cart', 'payments')`);
    const results = await Promise.all(
      [99.1, 99.2, 99.3, 99.4].map((a) =>
        post('cart', { action: 'manual', modifications: { availability: a }, rationale: `set ${a}` }),
      ),
    );
    for (const r of results) expect(r.statusCode, r.body).toBe(201);
    const history = (await app.server.inject({ url: '/api/v1/services/cart/slo-history' })).json() as {
      items: Array<{
        previous_slo: { targets: { availability: number } } | null;
        new_slo: { targets: { availability: number } };
      }>;
    };
    const chronological = [...history.items].reverse();
    expect(chronological[0]?.previous_slo).toBeNull();
    for (let i = 1; i < chronological.length; i++) {
      expect(chronological[i]?.previous_slo?.targets.availability).toBe(
        chronological[i - 1]?.new_slo.targets.availability,
      );
    }
  });
});
