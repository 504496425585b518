import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { type MeshWithExecutor, startMeshWithExecutor } from '../../../src/chaos/executor/with-mesh.js';
import { registerChaosSessionHandler } from '../../../src/chaos/session/index.js';
import { HandlerRegistry } from '../../../src/tasks/index.js';
import { testApp } from '../../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../support/db.js';
import { expectProblem } from '../../support/http.js';
import { type FakeExecutor, MESH_LOAD, MESH_SPACE, sample, startFakeExecutor, until } from './support.js';

interface SessionBody {
  id: string;
  status: string;
  trials_done: number;
  best_severity: number | null;
  error: string | null;
  task_id: string;
  result: { reason: string; detail: string } | null;
  best: Array<{ index: number; severity: number; plans: unknown[]; evidence: string[]; components: unknown }>;
  trials?: Array<{
    index: number;
    severity: number;
    observation_summary: Record<string, unknown>;
    recovered: boolean | null;
  }>;
  explanation: { featureImportance: Record<string, number>; partialDependence: Record<string, unknown> } | null;
  progress: { trials_done: number; max_trials: number };
}

let lab: MeshWithExecutor;
beforeAll(async () => {
  lab = await startMeshWithExecutor({ seed: 3 });
}, 60_000);
afterAll(() => lab.stop());

describe.each(DRIVERS)('chaos sessions (%s)', (driver) => {
  let db: TestDatabase;
  let app: App;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db, {}, { embeddedWorkers: 1 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const create = (body: Record<string, unknown>) =>
    app.server.inject({ method: 'POST', url: '/api/v1/optimization/sessions', payload: body });
  const get = async (id: string, query = '') =>
    (
      await app.server.inject({ method: 'GET', url: `/api/v1/optimization/sessions/${id}${query}` })
    ).json() as SessionBody;
  const finished = (id: string, timeoutMs: number) =>
    until(
      async () => {
        const s = await get(id, '?trials=false');
        return s.status === 'COMPLETED' || s.status === 'FAILED' ? s : undefined;
      },
      timeoutMs,
      `session ${id} to finish`,
    );

  it('finds a severe plan on the demo mesh: 12 trials persisted in order, best plans with evidence', async () => {
    const res = await create({
      space: MESH_SPACE,
      executor_url: lab.executor.url,
      load: MESH_LOAD,
      budget: { max_trials: 12, max_minutes: 10 },
      seed: 7,
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json() as SessionBody;
    expect(created).toMatchObject({ status: 'PENDING', trials_done: 0, progress: { trials_done: 0, max_trials: 12 } });
    const done = await finished(created.id, 150_000);
    expect(done.status, done.error ?? '').toBe('COMPLETED');
    const s = await get(created.id);
    expect(s.result?.reason).toBe('budget_trials');
    expect(s.trials?.map((t) => t.index)).toEqual([...Array(12).keys()]);
    expect(s.trials_done).toBe(12);
    expect(s.best_severity).toBeGreaterThanOrEqual(7);
    expect(s.best[0]?.severity).toBe(s.best_severity);
    expect(s.best.length).toBe(5);
    expect(s.best[0]?.evidence.length).toBeGreaterThan(0);
    expect(s.best[0]?.plans.length).toBe(1);
    expect(s.explanation?.featureImportance).toHaveProperty('service');
    expect(s.trials?.[0]?.observation_summary).toMatchObject({ during: { requests: 20 }, baseline: { requests: 20 } });
    expect(JSON.stringify(s.trials)).not.toContain('"samples"');
    const withoutTrials = await get(created.id, '?trials=false');
    expect(withoutTrials.trials).toBeUndefined();
    const list = (
      await app.server.inject({ method: 'GET', url: '/api/v1/optimization/sessions?status=COMPLETED' })
    ).json() as {
      items: SessionBody[];
    };
    expect(list.items.map((i) => i.id)).toContain(created.id);
    // The task completed with the session.
    const task = (await app.server.inject({ method: 'GET', url: `/api/v1/tasks/${s.task_id}` })).json() as {
      status: string;
      kind: string;
    };
    expect(task).toMatchObject({ status: 'completed', kind: 'chaos.session' });
  }, 180_000);

  it('stop mid-session: COMPLETED/stopped, the trial in flight is kept; stop is idempotent, 409 once finished', async () => {
    const created = (
      await create({
        space: MESH_SPACE,
        executor_url: lab.executor.url,
        load: MESH_LOAD,
        budget: { max_trials: 60 },
        seed: 1,
      })
    ).json() as SessionBody;
    await until(
      async () => ((await get(created.id, '?trials=false')).trials_done >= 1 ? true : undefined),
      60_000,
      'first trial',
    );
    const stop = await app.server.inject({ method: 'POST', url: `/api/v1/optimization/sessions/${created.id}/stop` });
    expect(stop.statusCode, stop.body).toBe(202);
    const trialsAtStop = (stop.json() as SessionBody).trials_done;
    const again = await app.server.inject({ method: 'POST', url: `/api/v1/optimization/sessions/${created.id}/stop` });
    expect([202, 409]).toContain(again.statusCode);
    const done = await finished(created.id, 60_000);
    expect(done.status).toBe('COMPLETED');
    expect(done.result?.reason).toBe('stopped');
    // The trial in flight at the stop was finished and recorded; no new one started after it.
    expect(done.trials_done).toBeGreaterThanOrEqual(trialsAtStop);
    expect(done.trials_done).toBeLessThanOrEqual(trialsAtStop + 1);
    const s = await get(created.id);
    expect(s.trials?.map((t) => t.index)).toEqual([...Array(done.trials_done).keys()]);
    expectProblem(
      await app.server.inject({ method: 'POST', url: `/api/v1/optimization/sessions/${created.id}/stop` }),
      409,
    );
  }, 120_000);

  it('400 for a bad fault space, with the located issue', async () => {
    const bad = MESH_SPACE.replace('low: 20, high: 100', 'low: 200, high: 100');
    const body = expectProblem(await create({ space: bad, executor_url: lab.executor.url }), 400);
    expect(body.detail).toMatch(/dimensions\[3\]/);
    expect(body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ line: 7 })]));
    expectProblem(await create({ space: 'name: [', executor_url: lab.executor.url }), 400);
    expectProblem(await create({ executor_url: lab.executor.url }), 400);
    expectProblem(await create({ space: MESH_SPACE, executor_url: 'ftp://x' }), 400);
    expectProblem(
      await create({ space: MESH_SPACE, executor_url: lab.executor.url, budget: { max_trials: 501 } }),
      400,
    );
    expectProblem(
      await app.server.inject({
        method: 'GET',
        url: '/api/v1/optimization/sessions/00000000-0000-4000-8000-000000000000',
      }),
      404,
    );
  });
});

describe.each(DRIVERS)('chaos session guard rails and concurrency (%s, fake executor)', (driver) => {
  let db: TestDatabase;
  let app: App;
  let fake: FakeExecutor;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    fake = await startFakeExecutor(() => ({
      baseline: sample(20, 0),
      during: sample(20, 10),
      recovery: sample(20, 0),
    }));
    // Short breaker and retries so that a dead executor fails a session in a second.
    const registry = registerChaosSessionHandler(new HandlerRegistry(), db, {
      executor: { maxAttempts: 2, backoffInitialMs: 10, failureThreshold: 2, openDurationMs: 100 },
      executorRetries: 2,
    });
    app = await testApp(db, {}, { embeddedWorkers: 1, taskRegistry: registry });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.close();
  });

  const run = async (body: Record<string, unknown>) => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/optimization/sessions',
      payload: { space: MESH_SPACE, executor_url: fake.url, load: MESH_LOAD, seed: 1, ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as SessionBody).id;
    return until(
      async () => {
        const s = (
          await app.server.inject({ method: 'GET', url: `/api/v1/optimization/sessions/${id}` })
        ).json() as SessionBody;
        return s.status === 'COMPLETED' || s.status === 'FAILED' ? s : undefined;
      },
      30_000,
      'session end',
    );
  };

  it('require_recovery with max_error_rate 0: a system still failing after the fault ends FAILED, trial recorded', async () => {
    fake.behaviour = () => ({ baseline: sample(20, 0), during: sample(20, 15), recovery: sample(20, 4) });
    const s = await run({
      budget: { max_trials: 5 },
      guard: { max_error_rate: 0, require_recovery: true, retry_pause_s: 0 },
    });
    expect(s.status).toBe('FAILED');
    expect(s.result?.reason).toBe('guard');
    expect(s.error).toMatch(/^system did not recover after trial 0 \(plan .+\)/);
    expect(s.trials?.map((t) => [t.index, t.recovered])).toEqual([[0, false]]);
  });

  it('a baseline that never reaches the steady state ends FAILED before the trial, after the retries', async () => {
    fake.runs = 0;
    fake.behaviour = () => ({ baseline: sample(20, 5), during: sample(20, 5), recovery: sample(20, 5) });
    const s = await run({ guard: { max_error_rate: 0.01, steady_state_retries: 2, retry_pause_s: 0 } });
    expect(s.status).toBe('FAILED');
    expect(s.error).toMatch(/^steady state not reached before trial 0/);
    expect(s.trials).toEqual([]);
    expect(fake.runs).toBe(3); // the trial, then two steady-state probes
  });

  it('a dead executor (circuit open): paused retries, then FAILED with a clear reason', async () => {
    fake.behaviour = () => 503;
    const s = await run({ guard: { retry_pause_s: 0.05 } });
    expect(s.status).toBe('FAILED');
    expect(s.result?.reason).toBe('executor');
    expect(s.error).toMatch(
      /executor (circuit open|unavailable) at http:\/\/127\.0\.0\.1:\d+.*gave up on trial 0 after 2 retries/,
    );
  });

  it('10 concurrent sessions all complete', async () => {
    fake.behaviour = () => ({ baseline: sample(20, 0), during: sample(20, 10), recovery: sample(20, 0) });
    const sessions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => run({ seed: i, budget: { max_trials: 3 }, name: `s${i}` })),
    );
    for (const s of sessions) {
      expect(s.status, s.error ?? '').toBe('COMPLETED');
      expect(s.trials?.map((t) => t.index)).toEqual([0, 1, 2]);
    }
    const page = (await app.server.inject({ method: 'GET', url: '/api/v1/optimization/sessions?limit=4' })).json() as {
      items: SessionBody[];
      next_cursor: string | null;
    };
    expect(page.items).toHaveLength(4);
    expect(page.next_cursor).not.toBeNull();
    const next = (
      await app.server.inject({
        method: 'GET',
        url: `/api/v1/optimization/sessions?limit=4&cursor=${page.next_cursor}`,
      })
    ).json() as { items: SessionBody[] };
    expect(next.items.map((i) => i.id)).not.toContain(page.items[0]?.id);
  }, 60_000);
});
