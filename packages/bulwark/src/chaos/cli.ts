/**
 * `chaos` commands: run an optimisation session on a running server and follow it, list sessions,
 * stop one; plus `chaos executor` (the built-in executor).
 */

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { api, print, table } from '../cli-api.js';
import { registerChaosExecutorCommand } from './executor/index.js';
import { describePlans } from './session/guard.js';
import type { FaultPlan } from './space/plan.js';

const positiveInt = (max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new InvalidArgumentError(`must be an integer between 1 and ${max}`);
  return n;
};
const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const seedInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
};

interface SessionJson {
  id: string;
  name: string;
  status: string;
  trials_done: number;
  best_severity: number | null;
  error: string | null;
  progress: { trials_done: number; max_trials: number };
  last_trial: { index: number; severity: number; plans: FaultPlan[] } | null;
  best: Array<{ index: number; severity: number; plans: FaultPlan[]; evidence: string[] }>;
  result: { reason: string; detail: string } | null;
  created_at: string;
}

const FINISHED = ['COMPLETED', 'FAILED'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The evidence line of the highest-scoring component (lines read `bug 10.0: …`). */
function topEvidence(evidence: readonly string[]): string {
  let best = evidence[0] ?? '';
  let score = Number.NEGATIVE_INFINITY;
  for (const line of evidence) {
    const m = /^\w+ (\d+(?:\.\d+)?):/.exec(line);
    if (m && Number(m[1]) > score) {
      score = Number(m[1]);
      best = line;
    }
  }
  return best;
}

/** The ranked table of a session's best plans. */
export function bestPlansTable(session: Pick<SessionJson, 'best'>): string {
  return table(
    ['rank', 'trial', 'severity', 'plan', 'top evidence'],
    session.best.map((b, i) => [
      i + 1,
      b.index,
      Number(b.severity.toFixed(2)),
      describePlans(b.plans),
      topEvidence(b.evidence),
    ]),
  );
}

interface RunOptions {
  executor: string;
  trials: number;
  minutes: number;
  rps: number;
  duration: number;
  path?: string;
  method?: string;
  seed?: number;
  requireRecovery?: boolean;
  json?: boolean;
}

/** Adds `chaos run`, `chaos sessions`, `chaos stop` and `chaos executor`. */
export function registerChaosCommands(program: Command): Command {
  const chaos =
    program.commands.find((c) => c.name() === 'chaos') ??
    program.command('chaos').description('chaos optimisation: search a fault space for the worst failure modes');

  chaos
    .command('run <space>')
    .description('start an optimisation session on the server (BULWARK_URL) and follow it to the end')
    .requiredOption('--executor <url>', 'executor base URL (e.g. from `bulwark chaos executor --mesh`)')
    .option('--trials <n>', 'trial budget (1-500)', positiveInt(500), 60)
    .option('--minutes <n>', 'time budget in minutes (1-170)', positiveInt(170), 60)
    .option('--rps <n>', 'load during each trial (requests per second)', positiveNumber, 20)
    .option('--duration <s>', 'seconds of fault per trial', positiveNumber, 2)
    .option('--path <path>', 'load path (default: the path of the space’s target entry)')
    .option('--method <method>', 'load HTTP method (default GET)')
    .option('--seed <n>', 'optimizer seed (default random)', seedInt)
    .option('--require-recovery', 'fail the session when the system does not recover after a trial')
    .option('--json', 'print the final session as JSON')
    .action(async (file: string, o: RunOptions) => {
      const text = readFileSync(file, 'utf8');
      const format = extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
      const created = (await api('POST', '/api/v1/optimization/sessions', {
        space: text,
        space_format: format,
        executor_url: o.executor,
        load: {
          rps: o.rps,
          duration_s: o.duration,
          ...(o.path ? { path: o.path } : {}),
          ...(o.method ? { method: o.method } : {}),
        },
        budget: { max_trials: o.trials, max_minutes: o.minutes },
        ...(o.seed === undefined ? {} : { seed: o.seed }),
        ...(o.requireRecovery ? { guard: { require_recovery: true } } : {}),
      })) as SessionJson;
      const interactive = !o.json && process.stderr.isTTY === true;
      const bar = new SingleBar({
        format: 'trial {value}/{total} |{bar}| best {best}  {plan}',
        hideCursor: true,
        stream: process.stderr,
        noTTYOutput: false,
      });
      if (interactive) bar.start(created.progress.max_trials, 0, { best: '-', plan: '' });
      else if (!o.json) process.stderr.write(`session ${created.id} started\n`);
      let session = created;
      // Ctrl-C stops the session after the trial in flight, then this loop prints the result.
      let stopping = false;
      const onSigint = () => {
        if (stopping) process.exit(130);
        stopping = true;
        void api('POST', `/api/v1/optimization/sessions/${created.id}/stop`).catch(() => {});
      };
      process.on('SIGINT', onSigint);
      try {
        for (;;) {
          session = (await api('GET', `/api/v1/optimization/sessions/${created.id}?trials=false`)) as SessionJson;
          const best = session.best_severity === null ? '-' : session.best_severity.toFixed(2);
          const plan = session.last_trial ? describePlans(session.last_trial.plans) : '';
          if (interactive) bar.update(session.trials_done, { best, plan });
          if (FINISHED.includes(session.status)) break;
          await sleep(1000);
        }
      } finally {
        if (interactive) bar.stop();
        process.off('SIGINT', onSigint);
      }
      if (o.json) {
        print(await api('GET', `/api/v1/optimization/sessions/${created.id}`));
      } else {
        process.stdout.write(
          `\nsession ${session.id} ${session.status} (${session.result?.detail ?? session.error ?? ''}) after ${session.trials_done} trial(s)\n\n`,
        );
        if (session.best.length > 0) process.stdout.write(`${bestPlansTable(session)}\n`);
      }
      if (session.status === 'FAILED') process.exitCode = 1;
    });

  chaos
    .command('sessions')
    .description('list optimisation sessions, newest first')
    .option('--status <status>', 'PENDING, RUNNING, STOPPING, COMPLETED or FAILED')
    .option('--limit <n>', 'page size', '20')
    .option('--json', 'print the page as JSON')
    .action(async (o: { status?: string; limit: string; json?: boolean }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.status ? { status: o.status.toUpperCase() } : {}) });
      const page = (await api('GET', `/api/v1/optimization/sessions?${q}`)) as { items: SessionJson[] };
      if (o.json) {
        print(page);
        return;
      }
      process.stdout.write(
        `${table(
          ['id', 'name', 'status', 'trials', 'best', 'created'],
          page.items.map((s) => [
            s.id,
            s.name,
            s.status,
            `${s.trials_done}/${s.progress.max_trials}`,
            s.best_severity === null ? null : Number(s.best_severity.toFixed(2)),
            s.created_at,
          ]),
        )}\n`,
      );
    });

  chaos
    .command('stop <id>')
    .description('stop a session after the trial in flight')
    .action(async (id: string) => print(await api('POST', `/api/v1/optimization/sessions/${id}/stop`)));

  registerChaosExecutorCommand(program);
  return chaos;
}
