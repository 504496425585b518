/**
 * Queue throughput and pickup latency, Bulwark vs graphile-worker 0.16, on the same PostgreSQL,
 * with the same processes x concurrency, in the same run — graphile-worker's own perfTest method:
 * - throughput: start P worker processes (idle), bulk-enqueue N no-op jobs in one statement, time
 *   until the queue is empty: jobs/s = N / elapsed (process start-up is excluded);
 * - latency: 1,000 sequential add -> handler-start samples (in-process worker, after a warm-up),
 *   woken by LISTEN/NOTIFY.
 * Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/queue.bench.ts
 * Env: BENCH_JOBS (20000), BENCH_PROCS (1), BENCH_CONCURRENCY (24), BENCH_LATENCY_SAMPLES (1000).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import pg from 'pg';
import { migrate } from '../packages/bulwark/src/db/migrate.js';
import { openPostgres } from '../packages/bulwark/src/db/postgres.js';
import type { Database } from '../packages/bulwark/src/db/types.js';
import { HandlerRegistry } from '../packages/bulwark/src/tasks/registry.js';
import { insertTask, TASK_CHANNEL } from '../packages/bulwark/src/tasks/store.js';
import { Worker } from '../packages/bulwark/src/tasks/worker.js';

const URL_ = process.env.DATABASE_URL;
if (!URL_) {
  console.error('queue.bench needs DATABASE_URL (a PostgreSQL server); the embedded database is single-process');
  process.exit(2);
}
const N = Number(process.env.BENCH_JOBS ?? 20_000);
const P = Number(process.env.BENCH_PROCS ?? 1);
const C = Number(process.env.BENCH_CONCURRENCY ?? 24);
const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000);
const BW_SCHEMA = 'bench_bulwark';
const GW_SCHEMA = 'bench_graphile';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const admin = new pg.Pool({ connectionString: URL_, max: 2 });
const count = async (q: string) => Number((await admin.query(q)).rows[0].n);

function waitReady(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (pattern.test(buf)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before ready:\n${buf}`)));
  });
}

async function drain(label: string, enqueue: () => Promise<void>, remaining: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  await enqueue();
  for (;;) {
    if ((await remaining()) === 0) break;
    await sleep(20);
  }
  const seconds = (performance.now() - t0) / 1000;
  const rate = N / seconds;
  console.log(`${label}: ${N} jobs in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} jobs/s`);
  return rate;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function bulwarkThroughput(): Promise<number> {
  await admin.query(`drop schema if exists ${BW_SCHEMA} cascade`);
  const db = await openPostgres({ url: URL_ as string, namespace: BW_SCHEMA });
  await migrate(db);
  await db.close();
  const env = { ...process.env, DATABASE_URL: URL_, BULWARK_DB_SCHEMA: BW_SCHEMA, LOG_LEVEL: 'silent' };
  const procs = Array.from({ length: P }, (_, i) =>
    spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'packages/bulwark/src/main.ts',
        'worker',
        '--kinds',
        'noop',
        '--concurrency',
        String(C),
        '--name',
        `bench-${i}`,
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  await Promise.all(procs.map((c) => waitReady(c, /worker\.started/)));
  const rate = await drain(
    `bulwark  ${P}x${C}`,
    async () => {
      await admin.query(`insert into ${BW_SCHEMA}.tasks (kind) select 'noop' from generate_series(1, ${N})`);
      await admin.query(`select pg_notify('${BW_SCHEMA}_${TASK_CHANNEL}', 'noop')`);
    },
    () => count(`select count(*) as n from ${BW_SCHEMA}.tasks where status <> 'completed'`),
  );
  for (const c of procs) c.kill('SIGTERM');
  await Promise.all(procs.map((c) => new Promise((r) => c.on('exit', r))));
  return rate;
}

async function graphileThroughput(): Promise<number> {
  await admin.query(`drop schema if exists ${GW_SCHEMA} cascade`);
  const utils = await makeWorkerUtils({
    connectionString: URL_ as string,
    schema: GW_SCHEMA,
    logger: new Logger(() => () => {}),
  });
  await utils.migrate();
  await utils.release();
  const procs = Array.from({ length: P }, () =>
    spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/support/graphile-worker-process.ts', URL_ as string, GW_SCHEMA, String(C)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  await Promise.all(procs.map((c) => waitReady(c, /READY/)));
  const rate = await drain(
    `graphile ${P}x${C}`,
    async () => {
      await admin.query(`select ${GW_SCHEMA}.add_job('noop', '{}'::json) from generate_series(1, ${N})`);
    },
    () => count(`select count(*) as n from ${GW_SCHEMA}._private_jobs`),
  );
  for (const c of procs) c.kill('SIGTERM');
  await Promise.all(procs.map((c) => new Promise((r) => c.on('exit', r))));
  return rate;
}

async function bulwarkLatency(): Promise<number[]> {
  const db: Database = await openPostgres({ url: URL_ as string, namespace: BW_SCHEMA });
  let onStart: (() => void) | undefined;
  const registry = new HandlerRegistry().register('noop', async () => {
    onStart?.();
  });
  const worker = new Worker({ db, registry, name: 'latency', concurrency: C, pollMs: 2000 });
  await worker.start();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + 50; i++) {
    const started = new Promise<void>((r) => {
      onStart = r;
    });
    const t0 = performance.now();
    await db.transaction(async (tx) => {
      await insertTask(tx, { kind: 'noop' });
      await db.notify(TASK_CHANNEL, 'noop', tx);
    });
    await started;
    if (i >= 50) samples.push(performance.now() - t0);
  }
  await worker.stop(1000);
  await db.query(sql`select 1`);
  await db.close();
  return samples;
}

async function graphileLatency(): Promise<number[]> {
  let onStart: (() => void) | undefined;
  const runner = await run({
    connectionString: URL_ as string,
    schema: GW_SCHEMA,
    concurrency: C,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: new Logger(() => () => {}),
    taskList: {
      noop: async () => {
        onStart?.();
      },
    },
  });
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + 50; i++) {
    const started = new Promise<void>((r) => {
      onStart = r;
    });
    const t0 = performance.now();
    await admin.query(`select ${GW_SCHEMA}.add_job('noop', '{}'::json)`);
    await started;
    if (i >= 50) samples.push(performance.now() - t0);
  }
  await runner.stop();
  return samples;
}

console.log(
  `queue benchmark: node ${process.version}, ${N} jobs, ${P} process(es) x ${C} concurrency, ${SAMPLES} latency samples\n`,
);
const gwRate = await graphileThroughput();
const bwRate = await bulwarkThroughput();
const gwLat = await graphileLatency();
const bwLat = await bulwarkLatency();
const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms`;
console.log(`\nadd -> handler start: bulwark ${fmt(bwLat)}; graphile-worker ${fmt(gwLat)}`);
console.log(`\n| queue | jobs/s (${P}x${C}) | add->start p50 | add->start p95 |`);
console.log('| --- | --- | --- | --- |');
console.log(
  `| Bulwark | ${bwRate.toFixed(0)} | ${percentile(bwLat, 50).toFixed(2)} ms | ${percentile(bwLat, 95).toFixed(2)} ms |`,
);
console.log(
  `| graphile-worker 0.16.6 | ${gwRate.toFixed(0)} | ${percentile(gwLat, 50).toFixed(2)} ms | ${percentile(gwLat, 95).toFixed(2)} ms |`,
);
console.log(
  `\nratio Bulwark / graphile-worker: throughput ${(bwRate / gwRate).toFixed(2)}x, p50 latency ${(percentile(bwLat, 50) / percentile(gwLat, 50)).toFixed(2)}x`,
);
await admin.query(`drop schema if exists ${BW_SCHEMA} cascade`);
await admin.query(`drop schema if exists ${GW_SCHEMA} cascade`);
await admin.end();
