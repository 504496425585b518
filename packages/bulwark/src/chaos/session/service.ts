import { randomInt, randomUUID } from 'node:crypto';
import type { Database } from '../../db/types.js';
import { BulwarkError, notFound } from '../../errors.js';
import { insertTask, TASK_CHANNEL } from '../../tasks/store.js';
import { parseFaultSpace } from '../space/index.js';
import * as store from './store.js';
import {
  CHAOS_SESSION_KIND,
  FINISHED,
  type SessionBudget,
  type SessionGuard,
  type SessionLoad,
  type SessionRow,
  type SessionStatus,
  type TrialRow,
} from './types.js';

/** Every field optional, `undefined` allowed (what zod's optional fields produce). */
type Loose<T> = { [K in keyof T]?: T[K] | undefined };

export interface CreateSessionRequest {
  name?: string | undefined;
  /** Fault space text (YAML or JSON). */
  space?: string | undefined;
  space_format?: 'yaml' | 'json' | undefined;
  /** Fault space as an object (stored as JSON). */
  space_object?: Record<string, unknown> | undefined;
  executor_url: string;
  load?: Loose<SessionLoad> | undefined;
  budget?: Loose<SessionBudget> | undefined;
  seed?: number | undefined;
  guard?: Loose<SessionGuard> | undefined;
  created_by: string;
}

/** A session as the API shows it. */
export type SessionView = Omit<SessionRow, 'space_text'> & {
  space_text?: string;
  progress: { trials_done: number; max_trials: number; fraction: number };
  best: SessionBestTrial[];
  last_trial: Pick<TrialRow, 'index' | 'severity' | 'plans' | 'created_at'> | null;
  explanation: NonNullable<SessionRow['result']>['explanation'];
  trials?: TrialRow[];
};
export type SessionBestTrial = Pick<TrialRow, 'index' | 'severity' | 'plans' | 'point' | 'components' | 'evidence'>;

export interface ChaosSessionService {
  create(request: CreateSessionRequest): Promise<SessionView>;
  get(id: string, options?: { trials?: boolean }): Promise<SessionView>;
  list(
    filter: { status?: SessionStatus | undefined },
    page: { limit: number; beforeSeq?: string | undefined },
  ): Promise<Array<SessionView & { seq_text: string }>>;
  stop(id: string): Promise<SessionView>;
}

/** Minutes added to the time budget for the task timeout (the trial in flight, retries, pauses). */
export function taskTimeoutMinutes(budget: SessionBudget, load: SessionLoad, guard: SessionGuard): number {
  const trialSeconds = load.baseline_s + load.duration_s + load.recovery_s;
  const marginSeconds =
    3 * trialSeconds + (guard.steady_state_retries + 4) * (guard.retry_pause_s + trialSeconds) + 120;
  return Math.min(180, budget.max_minutes + Math.ceil(marginSeconds / 60));
}

function defaultPath(entry: string): string {
  try {
    const path = new URL(entry).pathname;
    return path === '' ? '/' : path;
  } catch {
    return '/';
  }
}

function progressOf(row: SessionRow) {
  const max = row.budget.max_trials;
  return { trials_done: row.trials_done, max_trials: max, fraction: max > 0 ? Math.min(1, row.trials_done / max) : 0 };
}

export function createChaosSessionService(o: { db: Database }): ChaosSessionService {
  const { db } = o;

  const view = async (row: SessionRow, options: { trials?: boolean; space?: boolean } = {}): Promise<SessionView> => {
    const { space_text, ...rest } = row;
    const finished = FINISHED.includes(row.status);
    const best: SessionBestTrial[] =
      finished && row.result
        ? row.result.best
        : (await store.topTrials(db, row.id, 5)).map((t) => ({
            index: t.index,
            severity: t.severity,
            plans: t.plans,
            point: t.point,
            components: t.components,
            evidence: t.evidence,
          }));
    const last = await store.lastTrial(db, row.id);
    const out: SessionView = {
      ...rest,
      progress: progressOf(row),
      best,
      last_trial: last
        ? { index: last.index, severity: last.severity, plans: last.plans, created_at: last.created_at }
        : null,
      explanation: row.result?.explanation ?? null,
    };
    if (options.space) out.space_text = space_text;
    if (options.trials) out.trials = await store.listTrials(db, row.id);
    return out;
  };

  const mustExist = async (id: string) => {
    await store.reconcileWithTasks(db, id);
    const row = await store.getSession(db, id);
    if (!row) throw notFound('chaos session', id);
    return row;
  };

  return {
    async create(r) {
      if ((r.space === undefined) === (r.space_object === undefined)) {
        throw new BulwarkError(
          'validation_failed',
          'body: give exactly one of /space (YAML or JSON text) or /space_object',
        );
      }
      const spaceText = r.space ?? JSON.stringify(r.space_object, null, 2);
      const format: 'yaml' | 'json' = r.space_object !== undefined ? 'json' : (r.space_format ?? 'yaml');
      // Throws FaultSpaceError (400) with every located issue.
      const space = parseFaultSpace(spaceText, format);
      const load: SessionLoad = {
        rps: r.load?.rps ?? 20,
        path: r.load?.path ?? defaultPath(space.target.entry),
        method: (r.load?.method ?? 'GET').toUpperCase(),
        duration_s: r.load?.duration_s ?? 2,
        baseline_s: r.load?.baseline_s ?? 1,
        recovery_s: r.load?.recovery_s ?? 1,
      };
      const budget: SessionBudget = {
        max_trials: r.budget?.max_trials ?? 60,
        max_minutes: r.budget?.max_minutes ?? 60,
      };
      const guard: SessionGuard = {
        steady_state_retries: r.guard?.steady_state_retries ?? 2,
        require_recovery: r.guard?.require_recovery ?? false,
        retry_pause_s: r.guard?.retry_pause_s ?? 5,
      };
      const maxErrorRate = r.guard?.max_error_rate ?? space.steadyState?.max_error_rate;
      const maxP99 = r.guard?.max_p99_ms ?? space.steadyState?.max_p99_ms;
      if (maxErrorRate !== undefined) guard.max_error_rate = maxErrorRate;
      if (maxP99 !== undefined) guard.max_p99_ms = maxP99;
      const id = randomUUID();
      const row = await db.transaction(async (tx) => {
        const { task } = await insertTask(tx, {
          kind: CHAOS_SESSION_KIND,
          parameters: { session_id: id },
          metadata: { chaos_session: id },
          timeout_minutes: taskTimeoutMinutes(budget, load, guard),
          max_attempts: 5,
          idempotency_key: `chaos.session:${id}`,
        });
        const created = await store.insertSession(tx, {
          id,
          name: r.name ?? space.name,
          space_text: spaceText,
          space_format: format,
          executor_url: r.executor_url,
          load,
          budget,
          guard,
          seed: r.seed ?? randomInt(0, 2 ** 31 - 1),
          task_id: task.id,
          created_by: r.created_by,
        });
        await db.notify(TASK_CHANNEL, CHAOS_SESSION_KIND, tx);
        return created;
      });
      return view(row);
    },

    async get(id, options = {}) {
      return view(await mustExist(id), { trials: options.trials ?? true, space: true });
    },

    async list(filter, page) {
      await store.reconcileWithTasks(db);
      const rows = await store.listSessions(db, filter, page);
      return Promise.all(rows.map(async (r) => ({ ...(await view(r)), seq_text: r.seq_text })));
    },

    async stop(id) {
      const current = await mustExist(id);
      if (FINISHED.includes(current.status)) {
        throw new BulwarkError(
          'conflict',
          `chaos session '${id}' is already ${current.status}; only unfinished sessions can be stopped`,
        );
      }
      const row = await db.transaction(async (tx) => {
        const flagged = await store.requestStop(tx, id);
        if (!flagged) return undefined;
        if (flagged.task_id) {
          // Not claimed by a worker yet: cancelling the pending task ends the session now.
          if (await store.cancelPendingTask(tx, flagged.task_id)) {
            await store.finishSession(tx, id, {
              status: 'COMPLETED',
              result: {
                reason: 'stopped',
                detail: `stopped after ${flagged.trials_done} trial(s)`,
                best: (await store.topTrials(tx, id, 5)).map((t) => ({
                  index: t.index,
                  severity: t.severity,
                  plans: t.plans,
                  point: t.point,
                  components: t.components,
                  evidence: t.evidence,
                })),
                explanation: null,
              },
              error: null,
            });
          }
        }
        return store.getSession(tx, id);
      });
      if (!row) {
        const again = await mustExist(id);
        throw new BulwarkError('conflict', `chaos session '${id}' is already ${again.status}`);
      }
      return view(row);
    },
  };
}
