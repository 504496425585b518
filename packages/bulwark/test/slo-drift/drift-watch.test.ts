import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDriftWatch } from '../../src/slo/drift-watch/job.js';
import { ingestGraph } from '../../src/slo/graph/store.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { GeneratedLatency } from '../support/latency.js';

const MIN = 60_000;
const now = new Date(Math.floor(Date.now() / MIN) * MIN);
const stepAt = now.getTime() - 90 * MIN;

describe.each(DRIVERS)('drift watch on %s', (driver) => {
  let db: TestDatabase;
  let hook: Server;
  let hookUrl: string;
  const received: Array<{ body: string; signature: string | undefined }> = [];
  let failNext = 1;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    await ingestGraph(db, { source: 'manual', nodes: [{ service_id: 'api' }, { service_id: 'web' }], edges: [] });
    for (const id of ['api', 'web']) {
      await db.query(sql`insert into active_slos (service_id, latency_p99_target_ms, source, activated_at, activated_by)
        values (${id}, 300, 'manual', now(), 'test')`);
    }
    await db.query(sql`insert into slo_recommendations (service_id, sli_type, tiers, expires_at)
      values ('api', 'latency', '{}'::jsonb, now() + interval '1 day'), ('web', 'latency', '{}'::jsonb, now() + interval '1 day')`);
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-bulwark-signature'] as string | undefined });
        res.statusCode = failNext-- > 0 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/drift`;
  });
  afterAll(async () => {
    await db?.close();
    await new Promise((r) => hook?.close(r));
  });

  it('finds the +30% p99 step on api only, marks it stale, audits, enqueues and delivers a signed webhook', async () => {
    const enqueued: string[] = [];
    const r = await runDriftWatch(db, new GeneratedLatency(new Map([['api', stepAt]])), {
      now: new Date(now),
      webhook: { url: hookUrl, secret: 's3cret', initialDelayMs: 10 },
      enqueue: async (service) => {
        enqueued.push(service);
        return randomUUID();
      },
    });
    expect(r.services).toBe(2);
    expect(r.events.map((e) => e.service_id)).toEqual(['api']);
    expect(r.events[0]?.direction).toBe('up');
    expect(r.events[0]?.relative).toBeGreaterThan(0.15);
    expect(r.events[0]?.webhook_status).toBe('delivered');
    expect(enqueued).toEqual(['api']);
    const recs = await db.query<{ service_id: string; stale: boolean }>(
      sql`select service_id, stale from slo_recommendations order by service_id`,
    );
    expect(recs).toEqual([
      { service_id: 'api', stale: true },
      { service_id: 'web', stale: false },
    ]);
    const audit = await db.query<{ action: string; actor: string }>(
      sql`select action, actor from slo_audit_log where service_id = 'api'`,
    );
    expect(audit).toEqual([{ action: 'drift_triggered', actor: 'system:drift-watch' }]);
    // First delivery answered 500, the retry 204; both attempts recorded, the signature verifies.
    const [ev] = await db.query<{ webhook_attempts: Array<{ status: number }>; reevaluation_task_id: string | null }>(
      sql`select webhook_attempts, reevaluation_task_id::text as reevaluation_task_id from drift_events`,
    );
    expect(ev?.webhook_attempts.map((a) => a.status)).toEqual([500, 204]);
    expect(ev?.reevaluation_task_id).toMatch(/^[0-9a-f-]{36}$/);
    const last = received[received.length - 1] as { body: string; signature: string };
    const [, t, mac] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(last.signature) ?? [];
    expect(mac).toBe(createHmac('sha256', 's3cret').update(`${t}.${last.body}`).digest('hex'));
    expect(JSON.parse(last.body)).toMatchObject({ type: 'slo.drift_detected', service_id: 'api', direction: 'up' });
  });

  it('resumes from the stored detector state: the next run only reads new minutes and does not re-alarm', async () => {
    const r = await runDriftWatch(db, new GeneratedLatency(new Map([['api', stepAt]])), {
      now: new Date(now.getTime() + 10 * MIN),
    });
    expect(r.samples).toBe(2 * 10);
    expect(r.events).toEqual([]);
  });
});
