import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MeshWithExecutor, startMeshWithExecutor } from '../../../src/chaos/executor/with-mesh.js';
import type { Point } from '../../../src/chaos/optimizer/types.js';
import { createChaosSessionService, newSessionOptimizer } from '../../../src/chaos/session/index.js';
import { parseFaultSpace } from '../../../src/chaos/space/index.js';
import { migrate } from '../../../src/db/migrate.js';
import { openPostgres } from '../../../src/db/postgres.js';
import type { Database } from '../../../src/db/types.js';
import { uniqueNamespace } from '../../support/db.js';
import { spawnBulwark, waitForOutput } from '../../support/spawn.js';
import { MESH_LOAD, MESH_SPACE, until } from './support.js';

/**
 * A session survives its worker: SIGKILL the worker process after two trials, a second worker
 * takes the task once the lease expires and continues from the checkpoint.
 */
describe.runIf(process.env.DATABASE_URL)('chaos session resume across worker processes (PostgreSQL)', () => {
  const url = process.env.DATABASE_URL as string;
  const schema = uniqueNamespace('cs');
  let db: Database;
  let lab: MeshWithExecutor;
  const children: ChildProcess[] = [];

  const startWorker = async (name: string) => {
    const child = spawnBulwark(['worker', '--name', name, '--kinds', 'chaos.session', '--lease-ms', '3000'], {
      env: { DATABASE_URL: url, BULWARK_DB_SCHEMA: schema, LOG_LEVEL: 'silent' },
    });
    children.push(child);
    await waitForOutput(child, /worker\.started/, 60_000);
    return child;
  };

  beforeAll(async () => {
    db = await openPostgres({ url, namespace: schema });
    await migrate(db);
    lab = await startMeshWithExecutor({ seed: 5 });
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await lab?.stop();
    await db?.script(`drop schema ${schema} cascade`);
    await db?.close();
  });

  it('SIGKILL after 2 trials: another worker continues from the checkpoint, every index exactly once', async () => {
    const N = 7;
    const service = createChaosSessionService({ db });
    const session = await service.create({
      space: MESH_SPACE,
      executor_url: lab.executor.url,
      load: { ...MESH_LOAD, recovery_s: 0 },
      budget: { max_trials: N, max_minutes: 10 },
      seed: 11,
      created_by: 'test',
    });
    const trialsDone = async () =>
      (
        await db.query<{ n: number }>(sql`select count(*)::int as n from chaos_trials where session_id = ${session.id}`)
      )[0]?.n ?? 0;

    const victim = await startWorker('victim');
    await until(async () => ((await trialsDone()) >= 2 ? true : undefined), 90_000, 'two trials');
    victim.kill('SIGKILL');
    await new Promise((r) => victim.on('exit', r));
    const atKill = await trialsDone();
    expect(atKill).toBeLessThan(N);

    await startWorker('rescuer');
    const final = await until(
      async () => {
        const s = await service.get(session.id);
        return s.status === 'COMPLETED' || s.status === 'FAILED' ? s : undefined;
      },
      120_000,
      'session end',
    );
    expect(final.status, final.error ?? '').toBe('COMPLETED');
    expect(final.result?.reason).toBe('budget_trials');
    const trials = final.trials ?? [];
    expect(trials.map((t) => t.index)).toEqual([...Array(N).keys()]);
    const task = (
      await db.query<{ attempts: number; status: string }>(
        sql`select attempts, status from tasks where id = ${final.task_id as string}`,
      )
    )[0];
    expect(task).toMatchObject({ status: 'completed', attempts: 2 });
    const resumed = await db.query<{ n: number }>(
      sql`select count(*)::int as n from task_logs where task_id = ${final.task_id as string} and message like 'resuming chaos session at trial %'`,
    );
    expect(resumed[0]?.n).toBe(1);

    // An uninterrupted optimizer with the same seed, told the same history, proposes exactly the
    // points the interrupted session ran — before and after the restart.
    const optimizer = newSessionOptimizer(parseFaultSpace(MESH_SPACE), 11, N);
    for (const t of trials) {
      expect(optimizer.ask(), `trial ${t.index}`).toEqual(t.point);
      optimizer.tell(t.point as Point, t.severity);
    }
  }, 240_000);
});
