import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { granularityAt, significantChange } from '../../src/slo/aggregation/compute.js';
import { runAggregation } from '../../src/slo/aggregation/job.js';
import { ingestGraph } from '../../src/slo/graph/store.js';
import { SyntheticSource } from '../../src/telemetry/synthetic.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';

describe('significant change', () => {
  it('needs both a 5% relative and a 0.01-point absolute move of the error rate', () => {
    expect(significantChange(99.9, 99.89)).toBe(true); // 0.10 -> 0.11: +10%, 0.01 point
    expect(significantChange(99.9, 99.896)).toBe(false); // +4%
    expect(significantChange(99.9999, 99.9989)).toBe(false); // +1,000% but 0.001 point
    expect(significantChange(99.5, 99.7)).toBe(true); // improvements count too
  });
  it('writes daily rows at midnight UTC and hourly rows otherwise', () => {
    expect(granularityAt(new Date('2026-11-25T00:00:00Z'))).toBe('1d');
    expect(granularityAt(new Date('2026-11-25T13:00:00Z'))).toBe('1h');
  });
});

describe.each(DRIVERS)('hourly SLI aggregation on %s', (driver) => {
  let db: TestDatabase;
  const source = new SyntheticSource({ seed: 5 });
  const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 13 * 60_000);
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    await ingestGraph(db, {
      source: 'manual',
      nodes: [
        { service_id: 'api' },
        { service_id: 'db' },
        { service_id: 'psp', metadata: { service_type: 'external', published_sla: 0.999 } },
      ],
      edges: [
        { source: 'api', target: 'db' },
        { source: 'api', target: 'psp' },
      ],
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('stores availability, error rate and request rate for every window of every internal service', async () => {
    const r = await runAggregation(db, source, { now });
    expect(r.services).toBe(2); // the external dependency has no telemetry of its own
    expect(r.rows).toBe(2 * 5 * 3);
    const rows = await db.query<{ service_id: string; window_name: string; sli_type: string; value: number }>(
      sql`select service_id, window_name, sli_type, value from sli_aggregates where service_id = 'api' and window_name = '28d'`,
    );
    const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    const truth = await source.summaries(['api'], { start: new Date(hour.getTime() - 672 * 3_600_000), end: hour });
    const t = truth.get('api') as { good: number; total: number };
    const avail = rows.find((x) => x.sli_type === 'availability')?.value;
    expect(avail).toBeCloseTo((t.good / t.total) * 100, 8);
    expect(rows.find((x) => x.sli_type === 'error_rate')?.value).toBeCloseTo(100 - (avail as number), 8);
    expect(rows.find((x) => x.sli_type === 'request_rate')?.value).toBeCloseTo(t.total / (672 * 3600), 6);
    // Running the same hour again replaces, never duplicates.
    await runAggregation(db, source, { now });
    const [count] = await db.query<{ n: number }>(sql`select count(*)::int as n from sli_aggregates`);
    expect(count?.n).toBe(30);
  });

  it('marks a recommendation stale when the 28-day availability moved, and applies retention', async () => {
    const insert = (observed: number) =>
      db.query<{ id: string }>(sql`
        insert into slo_recommendations (service_id, sli_type, tiers, explanation, expires_at)
        values ('api', 'availability', '{}'::jsonb, ${JSON.stringify({ observed_availability: observed })}::jsonb, now() + interval '1 day')
        returning id::text as id`);
    const [far] = await insert(90);
    const [dbRec] = await db.query<{ id: string }>(sql`
        insert into slo_recommendations (service_id, sli_type, tiers, explanation, expires_at)
        values ('db', 'availability', '{}'::jsonb, '{}'::jsonb, now() + interval '1 day') returning id::text as id`);
    await db.query(sql`
      insert into sli_aggregates (service_id, sli_type, window_name, granularity, value, sample_count, computed_at) values
        ('api', 'availability', '1h', '1h', 99, 10, ${new Date(now.getTime() - 91 * 86_400_000)}),
        ('api', 'availability', '1d', '1d', 99, 10, ${new Date(now.getTime() - 91 * 86_400_000)}),
        ('api', 'availability', '1d', '1d', 99, 10, ${new Date(now.getTime() - 366 * 86_400_000)})`);
    const r = await runAggregation(db, source, { now });
    expect(r.marked_stale).toEqual([far?.id]);
    expect(r.deleted).toBe(2); // the 91-day hourly row and the 366-day daily row
    const states = await db.query<{ id: string; stale: boolean }>(
      sql`select id::text as id, stale from slo_recommendations order by generated_at`,
    );
    expect(states.find((s) => s.id === far?.id)?.stale).toBe(true);
    expect(states.find((s) => s.id === dbRec?.id)?.stale).toBe(false); // no observation to compare with
  });

  it('expires recommendations past expires_at (audited) and purges old superseded ones', async () => {
    const [old] = await db.query<{ id: string }>(sql`
      insert into slo_recommendations (service_id, sli_type, tiers, generated_at, expires_at)
      values ('api', 'latency', '{}'::jsonb, ${new Date(now.getTime() - 2 * 86_400_000)}, ${new Date(now.getTime() - 86_400_000)})
      returning id::text as id`);
    const [ancient] = await db.query<{ id: string }>(sql`
      insert into slo_recommendations (service_id, sli_type, tiers, generated_at, expires_at, status)
      values ('db', 'latency', '{}'::jsonb, ${new Date(now.getTime() - 100 * 86_400_000)}, ${new Date(now.getTime() - 99 * 86_400_000)}, 'superseded')
      returning id::text as id`);
    const r = await runAggregation(db, source, { now });
    expect(r.expired).toBe(1);
    const [row] = await db.query<{ status: string }>(
      sql`select status from slo_recommendations where id = ${old?.id}::uuid`,
    );
    expect(row?.status).toBe('expired');
    const audit = await db.query<{ action: string }>(
      sql`select action from slo_audit_log where recommendation_id = ${old?.id}::uuid`,
    );
    expect(audit.map((a) => a.action)).toEqual(['expire']);
    const gone = await db.query(sql`select id from slo_recommendations where id = ${ancient?.id}::uuid`);
    expect(gone).toEqual([]);
  });
});
