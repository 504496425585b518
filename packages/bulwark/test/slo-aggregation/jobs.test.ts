import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { submitDueSloJobs } from '../../src/slo/jobs.js';
import { insertTask } from '../../src/tasks/store.js';
import { testApp } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';

/** The scheduled SLO jobs run as tasks on the queue, once per slot, in the server's embedded worker. */
describe('SLO jobs on the task queue', () => {
  let db: TestDatabase;
  let app: App;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    app = await testApp(db, { BULWARK_TELEMETRY: 'synthetic', BULWARK_EMBEDDED_WORKERS: '1' });
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/dependencies',
      payload: {
        source: 'manual',
        nodes: [{ service_id: 'api' }, { service_id: 'db' }],
        edges: [{ source: 'api', target: 'db' }],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const waitFor = async (kind: string, key: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await db.query<{ status: string; result: unknown }>(
        sql`select status, result from tasks where kind = ${kind} and idempotency_key = ${key}`,
      );
      if (rows[0] && ['completed', 'failed'].includes(rows[0].status)) return rows[0];
      if (Date.now() > deadline) throw new Error(`${kind} did not finish: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('submits each slot once and the worker runs aggregation and drift watch', async () => {
    const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000 * 2 + 7 * 60_000);
    await submitDueSloJobs(db, at);
    await submitDueSloJobs(db, new Date(at.getTime() + 60_000)); // same hour, same 5-minute slot
    const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000).toISOString();
    const slot = new Date(Math.floor(at.getTime() / 300_000) * 300_000).toISOString();
    const [count] = await db.query<{ n: number }>(
      sql`select count(*)::int as n from tasks where idempotency_key in (${`slo.aggregate:${hour}`}, ${`slo.drift-watch:${slot}`})`,
    );
    expect(count?.n).toBe(2);
    const agg = await waitFor('slo.aggregate', `slo.aggregate:${hour}`);
    expect(agg.status).toBe('completed');
    expect(agg.result).toMatchObject({ services: 2, rows: 30 });
    const drift = await waitFor('slo.drift-watch', `slo.drift-watch:${slot}`);
    expect(drift).toMatchObject({ status: 'completed', result: { services: 0 } });
  });

  it('slo.reevaluate regenerates the service recommendations (what drift enqueues)', async () => {
    await insertTask(db, { kind: 'slo.reevaluate', parameters: { service_id: 'api' }, idempotency_key: 'reeval-test' });
    const done = await waitFor('slo.reevaluate', 'reeval-test');
    expect(done.status).toBe('completed');
    const ids = (done.result as { recommendation_ids: string[] }).recommendation_ids;
    expect(ids).toHaveLength(2);
    const rows = await db.query<{ n: number }>(
      sql`select count(*)::int as n from slo_recommendations where status = 'active' and service_id = 'api'`,
    );
    expect(rows[0]?.n).toBe(2);
  });
});
