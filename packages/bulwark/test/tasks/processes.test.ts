import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import { migrate } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/types.js';
import { uniqueNamespace } from '../support/db.js';
import { spawnBulwark, spawnTs, waitForOutput } from '../support/spawn.js';

/**
 * Worker processes against one PostgreSQL (the embedded database is single-process, so this runs
 * only when DATABASE_URL is set): exactly-once across processes, and recovery from a SIGKILL.
 */
describe.runIf(process.env.DATABASE_URL)('worker processes on PostgreSQL', () => {
  const url = process.env.DATABASE_URL as string;
  const schema = uniqueNamespace('wp');
  let db: Database;
  let dir: string;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const startWorker = async (name: string, extra: string[] = []) => {
    const child = spawnBulwark(['worker', '--name', name, '--concurrency', '4', '--lease-ms', '1500', ...extra], {
      env,
    });
    children.push(child);
    await waitForOutput(child, /worker\.started/, 60_000);
    return child;
  };

  beforeAll(async () => {
    db = await openPostgres({ url, namespace: schema });
    await migrate(db);
    dir = mkdtempSync(join(tmpdir(), 'bulwark-workers-'));
    const ledger = join(dir, 'ledger.txt');
    writeFileSync(ledger, '');
    writeFileSync(
      join(dir, 'problems.yaml'),
      [
        'problems:',
        '  record:',
        '    command: sh',
        `    args: ["-c", "echo $BULWARK_TASK_ID >> ${ledger}"]`,
        '  slow:',
        '    command: sh',
        `    args: ["-c", "echo start-$BULWARK_TASK_ID >> ${ledger}; sleep 3; echo '{\\"ok\\":true}' > $BULWARK_RUN_DIR/result.json"]`,
        '',
      ].join('\n'),
    );
    env = {
      DATABASE_URL: url,
      BULWARK_DB_SCHEMA: schema,
      BULWARK_PROBLEM_CATALOGUE: join(dir, 'problems.yaml'),
      LOG_LEVEL: 'silent',
    };
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await db.script(`drop schema ${schema} cascade`);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('1,000 tasks across 4 worker processes run exactly once each', async () => {
    await db.query(sql`insert into tasks (kind, problem_id) select 'process', 'record' from generate_series(1, 1000)`);
    // A long lease: this test is about exclusivity under load, not recovery.
    const workers = await Promise.all([1, 2, 3, 4].map((i) => startWorker(`p${i}`, ['--lease-ms', '10000'])));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const rows = await db.query<{ n: number }>(
        sql`select count(*)::int as n from tasks where problem_id = 'record' and status <> 'completed'`,
      );
      if (rows[0]?.n === 0 || Date.now() > deadline) break;
      await sleep(250);
    }
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode === null ? w.on('exit', r) : r(null)))));
    const lines = readFileSync(join(dir, 'ledger.txt'), 'utf8').trim().split('\n');
    const tasks = await db.query<{ id: string; attempts: number; worker_id: string }>(
      sql`select id::text, attempts, worker_id::text from tasks where problem_id = 'record'`,
    );
    expect(tasks).toHaveLength(1000);
    expect(new Set(lines).size).toBe(1000);
    expect(lines).toHaveLength(1000); // no task ran twice
    expect(new Set(tasks.map((t) => t.worker_id)).size).toBe(4);
    expect(tasks.every((t) => t.attempts === 1)).toBe(true);
  }, 180_000);

  it('SIGKILL a worker mid-task: another worker re-runs it after the lease expires and completes it', async () => {
    const rows = await db.query<{ id: string }>(
      sql`insert into tasks (kind, problem_id) values ('process', 'slow') returning id::text`,
    );
    const id = (rows[0] as { id: string }).id;
    const victim = await startWorker('victim');
    let deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const t = await db.query<{ status: string }>(sql`select status from tasks where id = ${id}`);
      if (t[0]?.status === 'running') break;
      await sleep(50);
    }
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    await startWorker('rescuer');
    deadline = Date.now() + 60_000;
    let final: { status: string; attempts: number; result: unknown } | undefined;
    while (Date.now() < deadline) {
      const t = await db.query<{ status: string; attempts: number; result: unknown }>(
        sql`select status, attempts, result from tasks where id = ${id}`,
      );
      final = t[0];
      if (final?.status === 'completed' || final?.status === 'failed') break;
      await sleep(100);
    }
    expect(final).toMatchObject({ status: 'completed', attempts: 2, result: { exit_code: 0, result: { ok: true } } });
    // Back in the queue within a lease or two (graphile-worker would keep it locked for 4 hours).
    const requeueLog = await db.query<{ n: number }>(
      sql`select count(*)::int as n from task_logs where task_id = ${id} and message like 'attempt 2 started%'`,
    );
    expect(requeueLog[0]?.n).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
  }, 120_000);

  it('a checkpointed handler in a SIGKILLed worker resumes from its last checkpoint on another worker', async () => {
    const ledger = join(dir, 'steps.txt');
    writeFileSync(ledger, '');
    const rows = await db.query<{ id: string }>(sql`insert into tasks (kind) values ('stepper') returning id::text`);
    const id = (rows[0] as { id: string }).id;
    const fixture = new URL('./fixtures/checkpoint-worker.ts', import.meta.url).pathname;
    const first = spawnTs(fixture, [url, schema, ledger, 'first'], { env: { LOG_LEVEL: 'silent' } });
    children.push(first);
    await waitForOutput(first, /READY/, 60_000);
    const deadline = Date.now() + 30_000;
    while (readFileSync(ledger, 'utf8').trim().split('\n').filter(Boolean).length < 6 && Date.now() < deadline)
      await sleep(20);
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
    const beforeKill = readFileSync(ledger, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const second = spawnTs(fixture, [url, schema, ledger, 'second'], { env: { LOG_LEVEL: 'silent' } });
    children.push(second);
    await waitForOutput(second, /READY/, 60_000);
    let final: { status: string; attempts: number } | undefined;
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      final = (
        await db.query<{ status: string; attempts: number }>(sql`select status, attempts from tasks where id = ${id}`)
      )[0];
      if (final?.status === 'completed') break;
      await sleep(100);
    }
    second.kill('SIGTERM');
    expect(final).toMatchObject({ status: 'completed', attempts: 2 });
    const lines = readFileSync(ledger, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const byFirst = lines.filter((l) => l[2] === 'first').map((l) => Number(l[0]));
    const bySecond = lines.filter((l) => l[2] === 'second').map((l) => Number(l[0]));
    const lastFirst = Math.max(...beforeKill.map((l) => Number(l[0])));
    // The second worker starts at the step after the last checkpoint: at most the step that was
    // in flight when the first died is done again, nothing earlier.
    expect(bySecond[0]).toBeGreaterThanOrEqual(lastFirst);
    expect(bySecond[bySecond.length - 1]).toBe(20);
    expect(new Set([...byFirst, ...bySecond])).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 1)));
  }, 120_000);
});
