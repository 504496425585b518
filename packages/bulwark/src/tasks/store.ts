import { type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/types.js';
import type { LogLevel, NewTask, Task, TaskStatus } from './types.js';

/** The queue protocol in SQL. Every function takes a Queryable so callers choose the transaction. */

const ms = (n: number) => sql`(${n}::float8 * interval '1 millisecond')`;
const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

export const TASK_CHANNEL = 'bulwark_tasks';

/** Every column but the internal `seq` (int8 comes back as different JS types on the two drivers). */
const COLUMNS = sql.raw(
  'id, kind, problem_id, status, priority, parameters, agent_config, metadata, max_steps, timeout_minutes, run_at, attempts, max_attempts, idempotency_key, callback_url, worker_id, lease_expires_at, cancel_requested, progress, progress_note, result, error_details, metrics, created_at, updated_at, started_at, completed_at',
);

/** Insert a task; with an idempotency key that exists already, return the existing task instead. */
export async function insertTask(q: Queryable, t: NewTask): Promise<{ task: Task; created: boolean }> {
  const rows = await q.query<Task>(sql`
    insert into tasks (kind, problem_id, priority, parameters, agent_config, metadata, max_steps, timeout_minutes,
                       max_attempts, run_at, idempotency_key, callback_url)
    values (${t.kind}, ${t.problem_id ?? null}, ${t.priority ?? 5}, ${json(t.parameters ?? {})}::jsonb,
            ${json(t.agent_config)}::jsonb, ${json(t.metadata ?? {})}::jsonb, ${t.max_steps ?? null},
            ${t.timeout_minutes ?? 30}, ${t.max_attempts ?? 3}, coalesce(${t.run_at ?? null}::timestamptz, now()),
            ${t.idempotency_key ?? null}, ${t.callback_url ?? null})
    on conflict (idempotency_key) do nothing
    returning ${COLUMNS}`);
  if (rows[0]) return { task: rows[0], created: true };
  const existing = await q.query<Task>(
    sql`select ${COLUMNS} from tasks where idempotency_key = ${t.idempotency_key ?? null}`,
  );
  return { task: existing[0] as Task, created: false };
}

export async function getTask(q: Queryable, id: string): Promise<Task | undefined> {
  const rows = await q.query<Task>(sql`select ${COLUMNS} from tasks where id = ${id}`);
  return rows[0];
}

/**
 * Claim up to `limit` runnable tasks for a worker: highest priority first, FIFO within a level.
 * SKIP LOCKED makes concurrent claims take disjoint sets without waiting on each other.
 */
export async function claimTasks(
  q: Queryable,
  o: { workerId: string; kinds: string[] | undefined; limit: number; leaseMs: number },
): Promise<Task[]> {
  const kindFilter: SQL =
    o.kinds && o.kinds.length > 0
      ? sql`and kind in (select jsonb_array_elements_text(${JSON.stringify(o.kinds)}::jsonb))`
      : sql``;
  return q.query<Task>(sql`
    update tasks set status = 'running', worker_id = ${o.workerId}, attempts = attempts + 1,
      lease_expires_at = now() + ${ms(o.leaseMs)}, started_at = coalesce(started_at, now())
    where id in (
      select id from tasks
      where status = 'pending' and run_at <= now() ${kindFilter}
      order by priority desc, run_at, created_at
      limit ${o.limit}
      for update skip locked)
    returning ${COLUMNS}`);
}

/**
 * Heartbeat: mark the worker alive and renew the leases of the tasks it is running (only those it
 * names, so a task it has let go of is never kept alive by accident). Returns the tasks it still
 * holds, with their cancel flags.
 */
export async function renewLeases(
  q: Queryable,
  workerId: string,
  leaseMs: number,
  taskIds?: string[],
): Promise<Array<{ id: string; cancel_requested: boolean }>> {
  await q.query(sql`update workers set last_heartbeat = now(), status = case when status = 'offline' then 'online' else status end
    where id = ${workerId}`);
  const only =
    taskIds === undefined
      ? sql``
      : sql`and id in (select (jsonb_array_elements_text(${JSON.stringify(taskIds)}::jsonb))::uuid)`;
  return q.query(sql`
    update tasks set lease_expires_at = now() + ${ms(leaseMs)}
    where worker_id = ${workerId} and status = 'running' ${only}
    returning id, cancel_requested`);
}

/** Finish a task the worker still holds. Returns false when the lease was lost (fencing). */
export async function completeTask(
  q: Queryable,
  o: {
    id: string;
    workerId: string;
    status: 'completed' | 'cancelled';
    result?: unknown;
    metrics?: Record<string, number>;
  },
): Promise<boolean> {
  const rows = await q.query(sql`
    update tasks set status = ${o.status}, result = ${json(o.result)}::jsonb, completed_at = now(), lease_expires_at = null,
      progress = case when ${o.status} = 'completed' then 1 else progress end,
      metrics = metrics || ${json(o.metrics ?? {})}::jsonb
    where id = ${o.id} and worker_id = ${o.workerId} and status = 'running'
    returning id`);
  return rows.length > 0;
}

/**
 * Record a failed attempt. Transient failures with attempts left go back to pending after
 * `retryDelayMs`; otherwise the task fails for good. Fenced like completeTask.
 */
export async function failTask(
  q: Queryable,
  o: {
    id: string;
    workerId: string;
    error: Record<string, unknown>;
    retry: boolean;
    retryDelayMs: number;
    status?: 'failed' | 'timeout';
  },
): Promise<'retrying' | 'failed' | 'lost'> {
  const rows = await q.query<{ status: TaskStatus }>(sql`
    update tasks set
      status = case when ${o.retry} and attempts < max_attempts then 'pending' else ${o.status ?? 'failed'} end,
      run_at = case when ${o.retry} and attempts < max_attempts then now() + ${ms(o.retryDelayMs)} else run_at end,
      worker_id = case when ${o.retry} and attempts < max_attempts then null else worker_id end,
      completed_at = case when ${o.retry} and attempts < max_attempts then null else now() end,
      lease_expires_at = null,
      error_details = ${json(o.error)}::jsonb
    where id = ${o.id} and worker_id = ${o.workerId} and status = 'running'
    returning status`);
  if (!rows[0]) return 'lost';
  return rows[0].status === 'pending' ? 'retrying' : 'failed';
}

/**
 * The reaper: requeue tasks whose lease expired (their worker died) — or fail them when their
 * attempts are used up —, time out tasks past their timeout, and mark silent workers offline.
 */
export async function reap(
  q: Queryable,
  o: { offlineAfterMs: number },
): Promise<{ requeued: string[]; failed: string[]; timedOut: string[]; offline: number }> {
  const timedOut = await q.query<{ id: string }>(sql`
    update tasks set status = 'timeout', completed_at = now(), lease_expires_at = null,
      error_details = jsonb_build_object('reason', 'timeout', 'detail', 'task ran longer than timeout_minutes = ' || timeout_minutes)
    where status = 'running' and started_at + (timeout_minutes * interval '1 minute') < now()
    returning id`);
  const expired = await q.query<{ id: string; status: TaskStatus }>(sql`
    update tasks set
      status = case when attempts < max_attempts then 'pending' else 'failed' end,
      worker_id = null, lease_expires_at = null, run_at = now(),
      completed_at = case when attempts < max_attempts then null else now() end,
      error_details = jsonb_build_object('reason', 'lease_expired', 'detail', 'the worker stopped renewing its lease (crashed or partitioned)', 'worker_id', worker_id)
    where status = 'running' and lease_expires_at < now()
    returning id, status`);
  const offline = await q.query(sql`
    update workers set status = 'offline'
    where status <> 'offline' and last_heartbeat < now() - ${ms(o.offlineAfterMs)}
    returning id`);
  return {
    requeued: expired.filter((r) => r.status === 'pending').map((r) => r.id),
    failed: expired.filter((r) => r.status === 'failed').map((r) => r.id),
    timedOut: timedOut.map((r) => r.id),
    offline: offline.length,
  };
}

/** Pending -> cancelled at once; running -> flagged for the worker to abort. */
export async function requestCancel(q: Queryable, id: string): Promise<Task | undefined> {
  const rows = await q.query<Task>(sql`
    update tasks set
      status = case when status = 'pending' then 'cancelled' else status end,
      completed_at = case when status = 'pending' then now() else completed_at end,
      cancel_requested = case when status = 'running' then true else cancel_requested end
    where id = ${id}
    returning ${COLUMNS}`);
  return rows[0];
}

export async function setProgress(q: Queryable, id: string, fraction: number, note: string | undefined): Promise<void> {
  await q.query(sql`update tasks set progress = ${fraction}, progress_note = ${note ?? null} where id = ${id}`);
}

export async function appendLogs(
  q: Queryable,
  entries: Array<{
    task_id: string;
    attempt: number;
    level: LogLevel;
    message: string;
    fields?: Record<string, unknown> | undefined;
  }>,
): Promise<void> {
  if (entries.length === 0) return;
  await q.query(sql`
    insert into task_logs (task_id, attempt, level, message, fields)
    select (e->>'task_id')::uuid, (e->>'attempt')::int, e->>'level', e->>'message', e->'fields'
    from jsonb_array_elements(${JSON.stringify(entries)}::jsonb) as e`);
}

export interface TaskLogRow {
  id: string;
  attempt: number;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | null;
  at: Date;
}

export async function listLogs(
  q: Queryable,
  taskId: string,
  o: { afterId: string | undefined; limit: number },
): Promise<TaskLogRow[]> {
  return q.query<TaskLogRow>(sql`
    select id::text as id, attempt, level, message, fields, at from task_logs
    where task_id = ${taskId} and (${o.afterId ?? null}::bigint is null or id > ${o.afterId ?? null}::bigint)
    order by id limit ${o.limit}`);
}

export interface TaskFilter {
  status?: TaskStatus | undefined;
  kind?: string | undefined;
  problem_id?: string | undefined;
  worker_id?: string | undefined;
  created_after?: Date | undefined;
  created_before?: Date | undefined;
}

/** Newest first; the cursor is the creation sequence number of the last row of the previous page. */
export async function listTasks(
  q: Queryable,
  f: TaskFilter,
  page: { limit: number; afterSeq?: string | undefined },
): Promise<Array<Task & { seq_text: string }>> {
  const parts: SQL[] = [sql`true`];
  if (f.status) parts.push(sql`status = ${f.status}`);
  if (f.kind) parts.push(sql`kind = ${f.kind}`);
  if (f.problem_id) parts.push(sql`problem_id = ${f.problem_id}`);
  if (f.worker_id) parts.push(sql`worker_id = ${f.worker_id}`);
  if (f.created_after) parts.push(sql`created_at >= ${f.created_after}`);
  if (f.created_before) parts.push(sql`created_at < ${f.created_before}`);
  if (page.afterSeq) parts.push(sql`seq < ${page.afterSeq}::bigint`);
  return q.query<Task & { seq_text: string }>(
    sql`select ${COLUMNS}, seq::text as seq_text from tasks where ${sql.join(parts, sql` and `)} order by tasks.seq desc limit ${page.limit}`,
  );
}

export async function saveCheckpoint(q: Queryable, taskId: string, envelope: string, keep = 3): Promise<void> {
  await q.query(sql`
    insert into task_checkpoints (task_id, generation, envelope)
    values (${taskId}, coalesce((select max(generation) from task_checkpoints where task_id = ${taskId}), 0) + 1, ${envelope})`);
  await q.query(sql`
    delete from task_checkpoints where task_id = ${taskId} and generation <= (
      select max(generation) - ${keep} from task_checkpoints where task_id = ${taskId})`);
}

export async function loadCheckpoints(q: Queryable, taskId: string): Promise<string[]> {
  const rows = await q.query<{ envelope: string }>(sql`
    select envelope from task_checkpoints where task_id = ${taskId} order by generation desc`);
  return rows.map((r) => r.envelope);
}

export async function recordCallback(
  q: Queryable,
  o: { taskId: string; attempt: number; statusCode: number | null; error: string | null; delivered: boolean },
): Promise<void> {
  await q.query(sql`insert into task_callbacks (task_id, attempt, status_code, error, delivered)
    values (${o.taskId}, ${o.attempt}, ${o.statusCode}, ${o.error}, ${o.delivered})`);
}

export async function listCallbacks(q: Queryable, taskId: string) {
  return q.query<{
    attempt: number;
    status_code: number | null;
    error: string | null;
    delivered: boolean;
    at: Date;
  }>(sql`
    select attempt, status_code, error, delivered, at from task_callbacks where task_id = ${taskId} order by id`);
}

export async function addMetrics(q: Queryable, taskId: string, metrics: Record<string, number>): Promise<void> {
  await q.query(sql`update tasks set metrics = metrics || ${JSON.stringify(metrics)}::jsonb where id = ${taskId}`);
}

export interface WorkerRow {
  id: string;
  name: string;
  cluster_name: string | null;
  backend_type: string;
  version: string | null;
  capacity: number;
  kinds: string[] | null;
  status: 'online' | 'draining' | 'offline';
  metadata: Record<string, unknown>;
  registered_at: Date;
  last_heartbeat: Date;
}

export async function registerWorker(
  q: Queryable,
  w: {
    name: string;
    cluster_name?: string | undefined;
    backend_type?: string | undefined;
    version?: string | undefined;
    capacity?: number | undefined;
    kinds?: string[] | undefined;
    metadata?: Record<string, unknown> | undefined;
  },
): Promise<WorkerRow> {
  const rows = await q.query<WorkerRow>(sql`
    insert into workers (name, cluster_name, backend_type, version, capacity, kinds, metadata)
    values (${w.name}, ${w.cluster_name ?? null}, ${w.backend_type ?? 'process'}, ${w.version ?? null}, ${w.capacity ?? 1},
            (select array_agg(x) from jsonb_array_elements_text(${JSON.stringify(w.kinds ?? null)}::jsonb) as x),
            ${json(w.metadata ?? {})}::jsonb)
    returning id, name, cluster_name, backend_type, version, capacity, kinds, status, metadata, registered_at, last_heartbeat`);
  return rows[0] as WorkerRow;
}

export async function setWorkerStatus(q: Queryable, id: string, status: WorkerRow['status']): Promise<void> {
  await q.query(sql`update workers set status = ${status} where id = ${id}`);
}

export async function getWorker(q: Queryable, id: string): Promise<WorkerRow | undefined> {
  const rows = await q.query<WorkerRow>(sql`
    select id, name, cluster_name, backend_type, version, capacity, kinds, status, metadata, registered_at, last_heartbeat
    from workers where id = ${id}`);
  return rows[0];
}

export async function listWorkers(q: Queryable): Promise<WorkerRow[]> {
  return q.query<WorkerRow>(sql`
    select id, name, cluster_name, backend_type, version, capacity, kinds, status, metadata, registered_at, last_heartbeat
    from workers order by registered_at desc limit 500`);
}

/** Queue depth and oldest pending age per kind, for /metrics. */
export async function queueStats(
  q: Queryable,
): Promise<Array<{ kind: string; status: TaskStatus; count: number; oldest_age_seconds: number }>> {
  return q.query(sql`
    select kind, status, count(*)::int as count,
      coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest_age_seconds
    from tasks where status in ('pending', 'running') group by kind, status`);
}

/** Give a task back without spending an attempt (graceful shutdown). Fenced. */
export async function releaseTask(q: Queryable, id: string, workerId: string): Promise<boolean> {
  const rows = await q.query(sql`
    update tasks set status = 'pending', worker_id = null, lease_expires_at = null, run_at = now(),
      attempts = greatest(attempts - 1, 0)
    where id = ${id} and worker_id = ${workerId} and status = 'running'
    returning id`);
  return rows.length > 0;
}
