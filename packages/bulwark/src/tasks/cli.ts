import { readFileSync } from 'node:fs';
import { ResourceGuard } from '@bulwark/resilience';
import { type Command, InvalidArgumentError } from 'commander';
import { registerChaosSessionHandler } from '../chaos/session/index.js';
import type { Config } from '../config.js';
import { openDatabase } from '../db/index.js';
import { api, print } from '../cli-api.js';
import { VERSION } from '../version.js';
import { createCallbackSender } from './callbacks.js';
import { loadHttpTargets } from './handlers/http.js';
import { loadCatalogue } from './handlers/process.js';
import { registerSloJobs, sloJobDepsFromConfig } from '../slo/jobs.js';
import { builtinRegistry } from './index.js';
import { Worker } from './worker.js';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

export function registerTaskCommands(program: Command, loadConfig: () => Config): void {
  program
    .command('worker')
    .description('run a task worker against the database (many workers on many machines can share one PostgreSQL)')
    .option('-c, --concurrency <n>', 'tasks run at once', positiveInt, 4)
    .option('-k, --kinds <kinds>', 'comma-separated task kinds to run (default: all this worker has handlers for)')
    .option('-n, --name <name>', 'worker name shown in GET /api/v1/workers', `worker-${process.pid}`)
    .option('--cluster <label>', 'environment label (e.g. the cluster this worker drives)')
    .option('--lease-ms <ms>', 'lease length; heartbeats renew it at half this period', positiveInt, 60_000)
    .option(
      '--grace-ms <ms>',
      'on SIGTERM, how long running tasks may finish before they are released',
      positiveInt,
      30_000,
    )
    .action(
      async (opts: {
        concurrency: number;
        kinds?: string;
        name: string;
        cluster?: string;
        leaseMs: number;
        graceMs: number;
      }) => {
        const config = loadConfig();
        if (!config.database.url) {
          process.stderr.write(
            'bulwark worker: the embedded database cannot be shared between processes; set DATABASE_URL, or run workers inside the server with BULWARK_EMBEDDED_WORKERS\n',
          );
          process.exit(2);
        }
        const db = await openDatabase(config);
        const catalogue = config.problemCatalogue ? await loadCatalogue(config.problemCatalogue) : undefined;
        const registry = await builtinRegistry(
          catalogue,
          config.httpTargets ? await loadHttpTargets(config.httpTargets) : {},
          (r) => {
            registerChaosSessionHandler(r, db);
            registerSloJobs(r, sloJobDepsFromConfig(db, config));
          },
        );
        // Stop claiming above 80% of the heap limit; running tasks continue.
        const guard = new ResourceGuard({ maxHeapRatio: 0.8, intervalMs: 5_000 });
        guard.start();
        const worker = new Worker({
          db,
          registry,
          name: opts.name,
          concurrency: opts.concurrency,
          leaseMs: opts.leaseMs,
          version: VERSION,
          ...(opts.kinds
            ? {
                kinds: opts.kinds
                  .split(',')
                  .map((k) => k.trim())
                  .filter(Boolean),
              }
            : {}),
          ...(opts.cluster ? { clusterName: opts.cluster } : {}),
          callbacks: createCallbackSender({ db, secret: config.callbackSecret }),
          // Lifecycle events always; per-task events at LOG_LEVEL info and below.
          onEvent: (e) => {
            if (!e.type.startsWith('worker.') && !['info', 'debug', 'trace'].includes(config.logLevel)) return;
            process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
          },
        });
        await worker.start();
        const stop = (signal: string) => {
          process.stdout.write(`${JSON.stringify({ type: 'worker.signal', signal })}\n`);
          worker
            .stop(opts.graceMs)
            .then(() => db.close())
            .then(
              () => process.exit(0),
              () => process.exit(1),
            );
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      },
    );

  const task = program
    .command('task')
    .description('submit and inspect tasks through the API (BULWARK_URL, BULWARK_API_KEY)');
  task
    .command('submit')
    .description('submit a task')
    .requiredOption('-p, --problem <id>', 'problem id from the catalogue (kind process)')
    .option('--kind <kind>', 'task kind', 'process')
    .option('--priority <n>', 'priority 0-10 (higher runs first)', (v) => Number(v), 5)
    .option('--timeout-minutes <n>', 'timeout 1-180', (v) => Number(v), 30)
    .option('--parameters <json>', 'parameters as JSON', '{}')
    .option('--parameters-file <file>', 'parameters from a JSON file')
    .option('--callback-url <url>', 'POST the result here when the task ends')
    .option('--idempotency-key <key>', 'the same key returns the existing task')
    .action(
      async (o: {
        problem: string;
        kind: string;
        priority: number;
        timeoutMinutes: number;
        parameters: string;
        parametersFile?: string;
        callbackUrl?: string;
        idempotencyKey?: string;
      }) => {
        const parameters = JSON.parse(
          o.parametersFile ? readFileSync(o.parametersFile, 'utf8') : o.parameters,
        ) as unknown;
        print(
          await api('POST', '/api/v1/tasks', {
            kind: o.kind,
            problem_id: o.problem,
            priority: o.priority,
            timeout_minutes: o.timeoutMinutes,
            parameters,
            ...(o.callbackUrl ? { callback_url: o.callbackUrl } : {}),
            ...(o.idempotencyKey ? { idempotency_key: o.idempotencyKey } : {}),
          }),
        );
      },
    );
  task
    .command('get <id>')
    .description('show a task')
    .action(async (id: string) => print(await api('GET', `/api/v1/tasks/${id}`)));
  task
    .command('list')
    .description('list tasks, newest first')
    .option('--status <status>')
    .option('--kind <kind>')
    .option('--limit <n>', 'page size', '20')
    .action(async (o: { status?: string; kind?: string; limit: string }) => {
      const q = new URLSearchParams({
        limit: o.limit,
        ...(o.status ? { status: o.status } : {}),
        ...(o.kind ? { kind: o.kind } : {}),
      });
      const page = (await api('GET', `/api/v1/tasks?${q}`)) as { items: Array<Record<string, unknown>> };
      for (const t of page.items) {
        process.stdout.write(
          `${t.id}  ${String(t.status).padEnd(9)}  p${t.priority}  ${t.kind}  ${t.problem_id ?? ''}  attempts=${t.attempts}\n`,
        );
      }
    });
  task
    .command('cancel <id>')
    .description('cancel a task')
    .action(async (id: string) => print(await api('DELETE', `/api/v1/tasks/${id}`)));
  task
    .command('logs <id>')
    .description('print a task’s logs')
    .action(async (id: string) => {
      const page = (await api('GET', `/api/v1/tasks/${id}/logs?limit=1000`)) as {
        items: Array<{ at: string; level: string; message: string }>;
      };
      for (const l of page.items) process.stdout.write(`${l.at}  ${l.level.padEnd(5)}  ${l.message}\n`);
    });
}
