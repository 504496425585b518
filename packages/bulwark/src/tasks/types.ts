/**
 * Task execution.
 *
 * Glossary
 * - task: one unit of work of a `kind` (e.g. `process`, `http`, `chaos.session`), stored in the
 *   `tasks` table, which is the queue.
 * - claim: a worker takes pending tasks with `FOR UPDATE SKIP LOCKED`, so two workers never take
 *   the same task.
 * - lease: a claimed task belongs to its worker until `lease_expires_at`; heartbeats renew it. A
 *   worker that dies stops renewing, the lease expires and the reaper puts the task back.
 * - attempt: one claim-and-run of a task; failures with a transient cause are retried with
 *   exponential backoff until `max_attempts`.
 * - fencing: completing or failing a task requires still holding its lease (same worker id,
 *   status running), so a worker that lost its lease cannot overwrite the new owner's result.
 * - checkpoint: handler state saved during a run; the next attempt (on any worker) resumes from it.
 */

export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL: readonly TaskStatus[] = ['completed', 'failed', 'timeout', 'cancelled'];

export interface Task {
  id: string;
  kind: string;
  problem_id: string | null;
  status: TaskStatus;
  priority: number;
  parameters: Record<string, unknown>;
  agent_config: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  max_steps: number | null;
  timeout_minutes: number;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  idempotency_key: string | null;
  callback_url: string | null;
  worker_id: string | null;
  lease_expires_at: Date | null;
  cancel_requested: boolean;
  progress: number | null;
  progress_note: string | null;
  result: unknown;
  error_details: unknown;
  metrics: Record<string, number>;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface NewTask {
  kind: string;
  problem_id?: string | undefined;
  priority?: number | undefined;
  parameters?: Record<string, unknown> | undefined;
  agent_config?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
  max_steps?: number | undefined;
  timeout_minutes?: number | undefined;
  max_attempts?: number | undefined;
  run_at?: Date | undefined;
  idempotency_key?: string | undefined;
  callback_url?: string | undefined;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a handler receives besides its payload. */
export interface TaskContext {
  task: Pick<
    Task,
    'id' | 'kind' | 'attempts' | 'problem_id' | 'parameters' | 'agent_config' | 'max_steps' | 'timeout_minutes'
  >;
  /** Aborts on cancellation, lease loss, timeout or worker shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  metric(name: string, value: number): void;
  progress(fraction: number, note?: string): void;
  checkpoint: {
    save(state: unknown): Promise<void>;
    load<S = unknown>(): Promise<S | undefined>;
  };
}

export type TaskHandler = (payload: Record<string, unknown>, context: TaskContext) => Promise<unknown>;

/** Throw (or flag an error `permanent: true`) to fail a task without retrying it. */
export class PermanentTaskError extends Error {
  override name = 'PermanentTaskError';
  readonly permanent = true;
}
