import { type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/types.js';
import type {
  SessionBudget,
  SessionGuard,
  SessionLoad,
  SessionResult,
  SessionRow,
  SessionStatus,
  TrialRow,
} from './types.js';

/** Session and trial persistence. Every function takes a Queryable so callers choose the transaction. */

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

const SESSION_COLUMNS = sql.raw(
  'id, name, status, space_text, space_format, executor_url, load, budget, guard, seed, task_id, trials_done, best_severity, stop_requested, result, error, created_by, created_at, started_at, finished_at, expires_at',
);
const TRIAL_COLUMNS = sql.raw(
  'session_id, index, point, plans, severity, components, evidence, observation_summary, steady_state_ok, recovered, created_at',
);

export interface NewSession {
  id: string;
  name: string;
  space_text: string;
  space_format: 'yaml' | 'json';
  executor_url: string;
  load: SessionLoad;
  budget: SessionBudget;
  guard: SessionGuard;
  seed: number;
  task_id: string;
  created_by: string;
}

export async function insertSession(q: Queryable, s: NewSession): Promise<SessionRow> {
  const rows = await q.query<SessionRow>(sql`
    insert into chaos_sessions (id, name, space_text, space_format, executor_url, load, budget, guard, seed, task_id, created_by)
    values (${s.id}, ${s.name}, ${s.space_text}, ${s.space_format}, ${s.executor_url}, ${json(s.load)}::jsonb,
            ${json(s.budget)}::jsonb, ${json(s.guard)}::jsonb, ${s.seed}, ${s.task_id}, ${s.created_by})
    returning ${SESSION_COLUMNS}`);
  return rows[0] as SessionRow;
}

export async function getSession(q: Queryable, id: string): Promise<SessionRow | undefined> {
  const rows = await q.query<SessionRow>(sql`select ${SESSION_COLUMNS} from chaos_sessions where id = ${id}`);
  return rows[0];
}

export async function listSessions(
  q: Queryable,
  f: { status?: SessionStatus | undefined },
  page: { limit: number; beforeSeq?: string | undefined },
): Promise<Array<SessionRow & { seq_text: string }>> {
  const parts: SQL[] = [sql`true`];
  if (f.status) parts.push(sql`status = ${f.status}`);
  if (page.beforeSeq) parts.push(sql`seq < ${page.beforeSeq}::bigint`);
  return q.query<SessionRow & { seq_text: string }>(sql`
    select ${SESSION_COLUMNS}, seq::text as seq_text from chaos_sessions
    where ${sql.join(parts, sql` and `)} order by seq desc limit ${page.limit}`);
}

/** PENDING → RUNNING (first start) and the stop flag, for the handler. */
export async function markRunning(q: Queryable, id: string): Promise<SessionRow | undefined> {
  const rows = await q.query<SessionRow>(sql`
    update chaos_sessions set
      status = case when status = 'PENDING' then 'RUNNING' else status end,
      started_at = coalesce(started_at, now())
    where id = ${id} and status in ('PENDING', 'RUNNING', 'STOPPING')
    returning ${SESSION_COLUMNS}`);
  return rows[0];
}

export async function readControl(
  q: Queryable,
  id: string,
): Promise<{ status: SessionStatus; stop_requested: boolean; elapsed_ms: number } | undefined> {
  const rows = await q.query<{ status: SessionStatus; stop_requested: boolean; elapsed_ms: number }>(sql`
    select status, stop_requested,
      (extract(epoch from (now() - coalesce(started_at, now()))) * 1000)::float8 as elapsed_ms
    from chaos_sessions where id = ${id}`);
  return rows[0];
}

export type NewTrial = Omit<TrialRow, 'created_at'>;

/**
 * Records one trial and the session's counters. Idempotent: a trial index recorded before (by a
 * worker that died after writing it) is kept as it was.
 */
export async function recordTrial(q: Queryable, t: NewTrial): Promise<boolean> {
  const inserted = await q.query<{ index: number }>(sql`
    insert into chaos_trials (session_id, index, point, plans, severity, components, evidence, observation_summary,
                              steady_state_ok, recovered)
    values (${t.session_id}, ${t.index}, ${json(t.point)}::jsonb, ${json(t.plans)}::jsonb, ${t.severity},
            ${json(t.components)}::jsonb, ${json(t.evidence)}::jsonb, ${json(t.observation_summary)}::jsonb,
            ${t.steady_state_ok}, ${t.recovered})
    on conflict (session_id, index) do nothing
    returning index`);
  await q.query(sql`
    update chaos_sessions set
      trials_done = (select count(*)::int from chaos_trials where session_id = ${t.session_id}),
      best_severity = (select max(severity) from chaos_trials where session_id = ${t.session_id})
    where id = ${t.session_id}`);
  return inserted.length > 0;
}

export async function listTrials(q: Queryable, sessionId: string, fromIndex = 0): Promise<TrialRow[]> {
  return q.query<TrialRow>(sql`
    select ${TRIAL_COLUMNS} from chaos_trials
    where session_id = ${sessionId} and index >= ${fromIndex} order by index`);
}

export async function topTrials(q: Queryable, sessionId: string, k: number): Promise<TrialRow[]> {
  return q.query<TrialRow>(sql`
    select ${TRIAL_COLUMNS} from chaos_trials
    where session_id = ${sessionId} order by severity desc, index asc limit ${k}`);
}

export async function lastTrial(q: Queryable, sessionId: string): Promise<TrialRow | undefined> {
  const rows = await q.query<TrialRow>(sql`
    select ${TRIAL_COLUMNS} from chaos_trials where session_id = ${sessionId} order by index desc limit 1`);
  return rows[0];
}

/** Ends a session that is not finished yet; returns false when it already was. */
export async function finishSession(
  q: Queryable,
  id: string,
  end: { status: 'COMPLETED' | 'FAILED'; result: SessionResult; error: string | null },
): Promise<boolean> {
  const rows = await q.query(sql`
    update chaos_sessions set status = ${end.status}, result = ${json(end.result)}::jsonb, error = ${end.error},
      finished_at = now()
    where id = ${id} and status not in ('COMPLETED', 'FAILED')
    returning id`);
  return rows.length > 0;
}

/** Flags a stop; a PENDING session whose task has not started is stopped at once by the caller. */
export async function requestStop(q: Queryable, id: string): Promise<SessionRow | undefined> {
  const rows = await q.query<SessionRow>(sql`
    update chaos_sessions set stop_requested = true,
      status = case when status in ('PENDING', 'RUNNING') then 'STOPPING' else status end
    where id = ${id} and status not in ('COMPLETED', 'FAILED')
    returning ${SESSION_COLUMNS}`);
  return rows[0];
}

/**
 * Sessions whose task ended without ending them (attempts used up, timeout, cancelled while
 * pending): mark them FAILED — or COMPLETED/stopped when the task was cancelled by a stop request.
 */
export async function reconcileWithTasks(q: Queryable, id?: string): Promise<void> {
  const only = id ? sql`and s.id = ${id}` : sql``;
  await q.query(sql`
    update chaos_sessions s set
      status = case when t.status = 'cancelled' and s.stop_requested then 'COMPLETED' else 'FAILED' end,
      error = case when t.status = 'cancelled' and s.stop_requested then s.error
        else 'session task ended as ' || t.status || coalesce(': ' || (t.error_details ->> 'message'), coalesce(': ' || (t.error_details ->> 'detail'), '')) end,
      result = coalesce(s.result, jsonb_build_object(
        'reason', case when t.status = 'cancelled' and s.stop_requested then 'stopped' else 'task_failed' end,
        'detail', 'session task ended as ' || t.status, 'best', '[]'::jsonb, 'explanation', null)),
      finished_at = coalesce(t.completed_at, now())
    from tasks t
    where t.id = s.task_id and s.status in ('PENDING', 'RUNNING', 'STOPPING')
      and t.status in ('completed', 'failed', 'timeout', 'cancelled') ${only}`);
}

/** Cancels the session's task only if no worker has claimed it yet (a running one must finish its trial). */
export async function cancelPendingTask(q: Queryable, taskId: string): Promise<boolean> {
  const rows = await q.query(sql`
    update tasks set status = 'cancelled', completed_at = now()
    where id = ${taskId} and status = 'pending'
    returning id`);
  return rows.length > 0;
}
