import { createServer, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { signCallback } from '../../src/tasks/callbacks.js';
import { HandlerRegistry } from '../../src/tasks/registry.js';
import { claimTasks, reap } from '../../src/tasks/store.js';
import { PermanentTaskError, type Task } from '../../src/tasks/types.js';
import { Worker } from '../../src/tasks/worker.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DRIVERS)('task queue on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  const ran = new Map<string, number>(); // task id -> times the handler ran
  const order: string[] = [];
  const checkpointSteps: number[] = [];
  const registry = new HandlerRegistry()
    .register('echo', async (payload, ctx) => {
      ran.set(ctx.task.id, (ran.get(ctx.task.id) ?? 0) + 1);
      order.push(String(payload.label ?? ''));
      ctx.log('info', 'echoing', { label: payload.label });
      ctx.metric('items', 3);
      return { echoed: payload };
    })
    .register('flaky', async (payload, ctx) => {
      if (ctx.task.attempts <= Number(payload.failures ?? 0)) {
        throw Object.assign(new Error(`transient ${ctx.task.attempts}`), {
          code: `ECONNRESET`,
          status: 503 + (ctx.task.attempts % 2),
        });
      }
      return { attempts: ctx.task.attempts };
    })
    .register('same-failure', async () => {
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    })
    .register('broken', async () => {
      throw new PermanentTaskError('input can never work');
    })
    .register('slow', async (_p, ctx) => {
      await new Promise((resolve, reject) => {
        const t = setTimeout(resolve, 60_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(ctx.signal.reason);
        });
      });
    })
    .register('checkpointed', async (_p, ctx) => {
      const saved = (await ctx.checkpoint.load<{ step: number }>()) ?? { step: 0 };
      for (let step = saved.step + 1; step <= 10; step++) {
        checkpointSteps.push(step);
        await ctx.checkpoint.save({ step });
        ctx.progress(step / 10);
        if (step === 5 && ctx.task.attempts === 1)
          throw Object.assign(new Error('worker crashed'), { code: 'ECONNRESET' });
      }
      return { finished_at_step: 10 };
    });

  const worker = (name: string, extra: Partial<ConstructorParameters<typeof Worker>[0]> = {}) =>
    new Worker({
      db,
      registry,
      name,
      concurrency: 4,
      leaseMs: 2_000,
      heartbeatMs: 100,
      pollMs: 50,
      retryDelayMs: () => 20,
      ...extra,
    });

  const waitFor = async (id: string, statuses: string[], timeoutMs = 20_000): Promise<Task> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await db.query<Task>(sql`select * from tasks where id = ${id}`);
      const t = rows[0] as Task;
      if (statuses.includes(t.status)) return t;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${t.status}`);
      await sleep(25);
    }
  };
  const submit = async (body: Record<string, unknown>) => {
    const res = await app.server.inject({ method: 'POST', url: '/api/v1/tasks', payload: body });
    expect([200, 201], res.body).toContain(res.statusCode);
    return res.json() as Task;
  };

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db, { BULWARK_ALLOW_PRIVATE_CALLBACKS: 'true' }, { taskRegistry: registry });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('rejects bad requests with 400 problem+json and stores nothing', async () => {
    const before = await db.query<{ n: number }>(sql`select count(*)::int as n from tasks`);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ kind: 'process', problem_id: 'nope' }, /catalogue|unknown problem/],
      [{ kind: 'no-such-kind' }, /unknown task kind/],
      [{ kind: 'echo', timeout_minutes: -5 }, /timeout_minutes/],
      [{ kind: 'echo', timeout_minutes: 181 }, /timeout_minutes/],
      [{ kind: 'echo', priority: 11 }, /priority/],
      [{ kind: 'echo', max_steps: 0 }, /max_steps/],
      [{ kind: 'echo', callback_url: 'ftp://example.com/x' }, /http or https/],
      [{ kind: 'echo', callback_url: 'not a url' }, /not a valid URL/],
      [{ kind: 'echo', surprise: true }, /surprise|Unrecognized/i],
    ];
    for (const [payload, detail] of cases) {
      const body = expectProblem(await app.server.inject({ method: 'POST', url: '/api/v1/tasks', payload }), 400);
      expect(String(body.detail), JSON.stringify(payload)).toMatch(detail);
    }
    const after = await db.query<{ n: number }>(sql`select count(*)::int as n from tasks`);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('refuses private callback targets unless allowed', async () => {
    const strict = await testApp(db, {}, { taskRegistry: registry });
    try {
      const body = expectProblem(
        await strict.server.inject({
          method: 'POST',
          url: '/api/v1/tasks',
          payload: { kind: 'echo', callback_url: 'http://127.0.0.1:9/x' },
        }),
        400,
      );
      expect(body.detail).toMatch(/BULWARK_ALLOW_PRIVATE_CALLBACKS/);
    } finally {
      await strict.close();
    }
  });

  it('an idempotency key returns the existing task', async () => {
    const a = await submit({ kind: 'echo', idempotency_key: 'once', parameters: { label: 'x' } });
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: { kind: 'echo', idempotency_key: 'once' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(a.id);
  });

  it('runs higher priority first, FIFO within a level', async () => {
    order.length = 0;
    const labels = [
      ['low-1', 1],
      ['high-1', 9],
      ['mid-1', 5],
      ['high-2', 9],
      ['low-2', 1],
    ] as const;
    const ids: string[] = [];
    for (const [label, priority] of labels)
      ids.push((await submit({ kind: 'echo', priority, parameters: { label } })).id);
    const w = worker('prio', { concurrency: 1, kinds: ['echo'] });
    await w.start();
    for (const id of ids) await waitFor(id, ['completed']);
    await w.stop(1000);
    expect(order.filter((l) => l !== 'x')).toEqual(['high-1', 'high-2', 'mid-1', 'low-1', 'low-2']);
  });

  it('completes with result, logs and metrics visible through the API', async () => {
    const t = await submit({ kind: 'echo', parameters: { label: 'api' } });
    const w = worker('api');
    await w.start();
    await waitFor(t.id, ['completed']);
    await w.stop(1000);
    const got = (await app.server.inject({ url: `/api/v1/tasks/${t.id}` })).json();
    expect(got).toMatchObject({
      status: 'completed',
      attempts: 1,
      result: { echoed: { label: 'api' } },
      metrics: { items: 3 },
      progress: 1,
    });
    const logs = (await app.server.inject({ url: `/api/v1/tasks/${t.id}/logs` })).json();
    expect(logs.items.map((l: { message: string }) => l.message)).toEqual(expect.arrayContaining(['echoing']));
  });

  it('streams logs as NDJSON while a task runs and ends with the task', async () => {
    const t = await submit({ kind: 'slow' });
    const w = worker('streamer');
    await w.start();
    await waitFor(t.id, ['running']);
    const server = await app.server.listen({ port: 0, host: '127.0.0.1' }).catch(() => app.server.server.address());
    const base =
      typeof server === 'string'
        ? server
        : `http://127.0.0.1:${(app.server.server.address() as { port: number }).port}`;
    const res = await fetch(`${base}/api/v1/tasks/${t.id}/logs?follow=true`);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(JSON.parse(first.split('\n')[0] as string)).toMatchObject({
      level: 'info',
      message: expect.stringMatching(/attempt 1 started/),
    });
    await app.server.inject({ method: 'DELETE', url: `/api/v1/tasks/${t.id}` });
    let rest = '';
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toMatch(/task cancelled/); // the stream carried the last lines and then ended
    await w.stop(1000);
  });

  it('1,000 tasks across 4 workers run exactly once each', async () => {
    ran.clear();
    const values = Array.from({ length: 1000 }, (_, i) => i);
    await db.query(
      sql`insert into tasks (kind, parameters) select 'echo', jsonb_build_object('label', 'bulk-' || g) from generate_series(1, ${values.length}) g`,
    );
    const workers = [1, 2, 3, 4].map((i) => worker(`bulk-${i}`, { kinds: ['echo'] }));
    await Promise.all(workers.map((w) => w.start()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows = await db.query<{ n: number }>(
        sql`select count(*)::int as n from tasks where kind = 'echo' and status <> 'completed'`,
      );
      if (rows[0]?.n === 0 || Date.now() > deadline) break;
      await sleep(100);
    }
    await Promise.all(workers.map((w) => w.stop(1000)));
    const bulk = await db.query<{ id: string; attempts: number; worker_id: string }>(
      sql`select id, attempts, worker_id from tasks where parameters->>'label' like 'bulk-%'`,
    );
    expect(bulk).toHaveLength(1000);
    expect(bulk.every((t) => ran.get(t.id) === 1 && t.attempts === 1)).toBe(true);
    expect(new Set(bulk.map((t) => t.worker_id)).size).toBeGreaterThan(1); // the work was shared
  }, 90_000);

  it('retries transient failures with backoff, then completes', async () => {
    const t = await submit({ kind: 'flaky', parameters: { failures: 2 }, max_attempts: 5 });
    const w = worker('flaky');
    await w.start();
    const done = await waitFor(t.id, ['completed', 'failed']);
    await w.stop(1000);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(3);
    expect(done.result).toEqual({ attempts: 3 });
  });

  it('fails permanent errors at once, and stops retrying a failure that repeats the same way', async () => {
    const broken = await submit({ kind: 'broken', max_attempts: 5 });
    const same = await submit({ kind: 'same-failure', max_attempts: 10 });
    const w = worker('failing');
    await w.start();
    const b = await waitFor(broken.id, ['failed']);
    const s = await waitFor(same.id, ['failed']);
    await w.stop(1000);
    expect(b.attempts).toBe(1);
    expect(b.error_details).toMatchObject({ classification: 'permanent', message: 'input can never work' });
    expect(s.attempts).toBe(3);
    expect((s.error_details as { aborted_retries?: string }).aborted_retries).toMatch(/repeated 3 times/);
  });

  it('times out a task that runs past its timeout', async () => {
    const t = await submit({ kind: 'slow', timeout_minutes: 1 });
    const w = worker('timeouts', { minuteMs: 200 });
    await w.start();
    const done = await waitFor(t.id, ['timeout', 'failed', 'completed']);
    await w.stop(1000);
    expect(done.status).toBe('timeout');
  });

  it('cancels a pending task at once and a running one by aborting its handler', async () => {
    const pending = await submit({ kind: 'slow', run_at: new Date(Date.now() + 3_600_000).toISOString() });
    const cancelled = await app.server.inject({ method: 'DELETE', url: `/api/v1/tasks/${pending.id}` });
    expect(cancelled.json().status).toBe('cancelled');
    expectProblem(await app.server.inject({ method: 'DELETE', url: `/api/v1/tasks/${pending.id}` }), 409);

    const running = await submit({ kind: 'slow' });
    const w = worker('cancels');
    await w.start();
    await waitFor(running.id, ['running']);
    await app.server.inject({ method: 'DELETE', url: `/api/v1/tasks/${running.id}` });
    const done = await waitFor(running.id, ['cancelled', 'failed', 'completed']);
    await w.stop(1000);
    expect(done.status).toBe('cancelled');
  });

  it('a crashed worker’s task returns to the queue when its lease expires and another worker completes it', async () => {
    const t = await submit({ kind: 'echo', parameters: { label: 'crash' } });
    // A worker that claims and then dies: a claim with a short lease and no heartbeats.
    const ghost = await db.query<{ id: string }>(sql`insert into workers (name) values ('ghost') returning id`);
    const claimed = await claimTasks(db, {
      workerId: (ghost[0] as { id: string }).id,
      kinds: ['echo'],
      limit: 10,
      leaseMs: 200,
    });
    expect(claimed.map((c) => c.id)).toContain(t.id);
    await sleep(300);
    // This reap or the server's own periodic reaper puts it back; either way it is pending again.
    await reap(db, { offlineAfterMs: 60_000 });
    const [requeued] = await db.query<{ status: string; worker_id: string | null; error_details: { reason?: string } }>(
      sql`select status, worker_id, error_details from tasks where id = ${t.id}`,
    );
    expect(requeued).toMatchObject({ status: 'pending', worker_id: null, error_details: { reason: 'lease_expired' } });
    const w = worker('rescuer');
    await w.start();
    const done = await waitFor(t.id, ['completed']);
    await w.stop(1000);
    expect(done.attempts).toBe(2);
    expect(done.worker_id).not.toBe((ghost[0] as { id: string }).id);
  });

  it('a checkpointed handler resumes from its last checkpoint on the next attempt', async () => {
    checkpointSteps.length = 0;
    const t = await submit({ kind: 'checkpointed', max_attempts: 3 });
    const w = worker('checkpoints');
    await w.start();
    const done = await waitFor(t.id, ['completed', 'failed']);
    await w.stop(1000);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(2);
    expect(checkpointSteps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // steps 1-5 were not redone
    const generations = await db.query<{ n: number }>(
      sql`select count(*)::int as n from task_checkpoints where task_id = ${t.id}`,
    );
    expect(generations[0]?.n).toBe(3); // three generations kept
  });

  it('delivers signed callbacks, retrying a flaky receiver, with every attempt recorded', async () => {
    const received: Array<{ signature: string | undefined; body: string }> = [];
    let calls = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        calls++;
        if (calls <= 2) {
          res.writeHead(503).end();
          return;
        }
        received.push({ signature: req.headers['x-bulwark-signature'] as string | undefined, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const { createCallbackSender } = await import('../../src/tasks/callbacks.js');
      const t = await submit({
        kind: 'echo',
        parameters: { label: 'cb' },
        callback_url: `http://127.0.0.1:${port}/hook`,
      });
      const w = worker('callbacks', { callbacks: createCallbackSender({ db, secret: 's3cret', initialDelayMs: 20 }) });
      await w.start();
      await waitFor(t.id, ['completed']);
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline) await sleep(25);
      await w.stop(1000);
      expect(received).toHaveLength(1);
      const { signature, body } = received[0] as { signature: string; body: string };
      const ts = Number(/t=(\d+)/.exec(signature)?.[1]);
      expect(signature).toBe(signCallback('s3cret', body, ts));
      expect(JSON.parse(body)).toMatchObject({ task_id: t.id, status: 'completed' });
      // The receiver answers before the sender records the attempt: wait for the third record.
      let got = (await app.server.inject({ url: `/api/v1/tasks/${t.id}` })).json();
      while (got.callbacks.length < 3 && Date.now() < deadline) {
        await sleep(25);
        got = (await app.server.inject({ url: `/api/v1/tasks/${t.id}` })).json();
      }
      expect(
        got.callbacks.map((c: { status_code: number; delivered: boolean }) => [c.status_code, c.delivered]),
      ).toEqual([
        [503, false],
        [503, false],
        [204, true],
      ]);
    } finally {
      server.close();
    }
  });

  it('lists with filters and a cursor, and exposes queue metrics', async () => {
    await db.query(sql`insert into tasks (kind, status) select 'listing', 'completed' from generate_series(1, 450)`);
    await db.query(sql`insert into tasks (kind, status) select 'listing', 'failed' from generate_series(1, 7)`);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/tasks?kind=listing&status=completed&limit=200${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await app.server.inject({ url });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: Task[]; next_cursor: string | null };
      for (const t of page.items) {
        expect(t.kind).toBe('listing');
        expect(t.status).toBe('completed');
        seen.add(t.id);
      }
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.size).toBe(450);
    expect(pages).toBe(3);
    await submit({ kind: 'slow', run_at: new Date(Date.now() + 3_600_000).toISOString() });
    const metrics = (await app.server.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/bulwark_tasks\{kind="slow",status="pending"\} [1-9]/);
    expect(metrics).toMatch(/bulwark_task_oldest_age_seconds\{kind="slow",status="pending"\} \d/);
  });

  it('external workers run tasks over HTTP: register, claim, heartbeat, report (fenced)', async () => {
    const reg = await app.server.inject({
      method: 'POST',
      url: '/api/v1/workers/register',
      payload: {
        name: 'ext-1',
        cluster_name: 'kind-eval-1',
        backend_type: 'kubernetes',
        capacity: 2,
        kinds: ['http-ext'],
      },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const workerId = reg.json().id as string;
    await db.query(sql`insert into tasks (kind, priority) values ('http-ext', 5), ('http-ext', 9)`);
    const claimed = (
      await app.server.inject({
        method: 'POST',
        url: `/api/v1/workers/${workerId}/claim`,
        payload: { limit: 1, lease_ms: 5000 },
      })
    ).json().items as Task[];
    expect(claimed).toHaveLength(1);
    expect(claimed[0]?.priority).toBe(9);
    const hb = (
      await app.server.inject({ method: 'POST', url: '/api/v1/workers/heartbeat', payload: { worker_id: workerId } })
    ).json();
    expect(hb.renewed).toEqual([claimed[0]?.id]);
    const someoneElse = '00000000-0000-4000-8000-00000000dead';
    expectProblem(
      await app.server.inject({
        method: 'POST',
        url: `/api/v1/tasks/${claimed[0]?.id}/result`,
        payload: { worker_id: someoneElse, outcome: 'completed' },
      }),
      409,
    );
    const done = await app.server.inject({
      method: 'POST',
      url: `/api/v1/tasks/${claimed[0]?.id}/result`,
      payload: { worker_id: workerId, outcome: 'completed', result: { detected: true } },
    });
    expect(done.json()).toMatchObject({ status: 'completed', result: { detected: true } });
    const listed = (await app.server.inject({ url: `/api/v1/workers/${workerId}` })).json();
    expect(listed).toMatchObject({ name: 'ext-1', cluster_name: 'kind-eval-1', status: 'online' });
  });
});
