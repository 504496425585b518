import {
  AbortPolicy,
  CheckpointManager,
  classifyFailure,
  fullJitterBackoff,
  type ResourceGuard,
} from '@bulwark/resilience';
import type { Database } from '../db/types.js';
import type { CallbackSender } from './callbacks.js';
import type { HandlerRegistry } from './registry.js';
import {
  addMetrics,
  appendLogs,
  claimTasks,
  completeTask,
  failTask,
  getTask,
  loadCheckpoints,
  reap,
  registerWorker,
  releaseTask,
  renewLeases,
  saveCheckpoint,
  setProgress,
  setWorkerStatus,
  TASK_CHANNEL,
} from './store.js';
import { PermanentTaskError, type LogLevel, type Task, type TaskContext } from './types.js';

export interface WorkerOptions {
  db: Database;
  registry: HandlerRegistry;
  name: string;
  concurrency?: number;
  /** Kinds to run (default: every registered kind). */
  kinds?: string[];
  /** How long a claim is valid without a heartbeat (default 60 s). */
  leaseMs?: number;
  /** Heartbeat period (default 30 s, as the task service contract says). */
  heartbeatMs?: number;
  /** Polling period when no notification arrives (default 2 s). */
  pollMs?: number;
  /** Delay before retry n (default full jitter from 1 s, capped at 5 min). */
  retryDelayMs?: (attempt: number) => number;
  /** Same error class this many attempts in a row -> fail without further retries (default 3). */
  sameFailureLimit?: number;
  resourceGuard?: ResourceGuard;
  callbacks?: CallbackSender;
  clusterName?: string;
  version?: string;
  /** How often this worker also runs the reaper (requeue expired leases); default = leaseMs. */
  reapEveryMs?: number;
  /** Length of a "minute" for task timeouts (tests shorten it; default 60 000). */
  minuteMs?: number;
  /** Structured events for the host's logger. */
  onEvent?: (event: { type: string; task_id?: string; [k: string]: unknown }) => void;
}

type StopReason = 'cancelled' | 'lease_lost' | 'timeout' | 'shutdown';

interface Running {
  task: Task;
  claimedAt: number;
  controller: AbortController;
  done: Promise<void>;
  timer: ReturnType<typeof setTimeout>;
}

const backoff = fullJitterBackoff({ initialMs: 1000, maxMs: 300_000 });

/**
 * A worker process's queue loop: register, claim (notification or poll), run handlers with a
 * context, heartbeat leases, and report results. Many workers on many machines share one database.
 */
export class Worker {
  id = '';
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private reapTimer: ReturnType<typeof setInterval> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private claiming = false;
  private wakeRequested = false;
  private readonly o: Required<
    Pick<WorkerOptions, 'concurrency' | 'leaseMs' | 'heartbeatMs' | 'pollMs' | 'sameFailureLimit'>
  > &
    WorkerOptions;

  constructor(options: WorkerOptions) {
    const leaseMs = options.leaseMs ?? 60_000;
    this.o = {
      concurrency: 1,
      pollMs: 2_000,
      sameFailureLimit: 3,
      ...options,
      leaseMs,
      heartbeatMs: options.heartbeatMs ?? Math.min(30_000, Math.floor(leaseMs / 2)),
    };
  }

  get kinds(): string[] {
    return this.o.kinds ?? this.o.registry.kinds();
  }

  get activeTasks(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    const w = await registerWorker(this.o.db, {
      name: this.o.name,
      cluster_name: this.o.clusterName,
      backend_type: 'process',
      version: this.o.version,
      capacity: this.o.concurrency,
      kinds: this.kinds,
      metadata: { pid: process.pid },
    });
    this.id = w.id;
    this.emit({ type: 'worker.started', worker_id: this.id, kinds: this.kinds, concurrency: this.o.concurrency });
    try {
      this.unlisten = await this.o.db.listen(TASK_CHANNEL, () => this.wake());
    } catch (err) {
      this.emit({ type: 'worker.listen_failed', error: String(err) }); // polling still works
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.o.heartbeatMs);
    // Workers reap too, so a crashed peer's tasks come back even where no server runs.
    this.reapTimer = setInterval(() => {
      reap(this.o.db, { offlineAfterMs: 60_000 })
        .then((r) => {
          if (r.requeued.length + r.failed.length + r.timedOut.length > 0) this.emit({ type: 'worker.reaped', ...r });
          if (r.requeued.length > 0) this.wake();
        })
        .catch(() => {});
    }, this.o.reapEveryMs ?? this.o.leaseMs);
    this.wake();
  }

  /** Claim now (a notification arrived or a task finished). */
  wake(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.wakeRequested = true;
      return;
    }
    void this.claimLoop();
  }

  private async claimLoop(): Promise<void> {
    this.claiming = true;
    try {
      do {
        this.wakeRequested = false;
        if (this.stopping) return;
        if (this.o.resourceGuard?.overloaded) {
          this.emit({ type: 'worker.overloaded', detail: 'resource guard over threshold: not claiming' });
          break;
        }
        const free = this.o.concurrency - this.running.size;
        if (free <= 0) break;
        let claimed: Task[] = [];
        try {
          claimed = await claimTasks(this.o.db, {
            workerId: this.id,
            kinds: this.kinds,
            limit: free,
            leaseMs: this.o.leaseMs,
          });
        } catch (err) {
          this.emit({ type: 'worker.claim_failed', error: err instanceof Error ? err.message : String(err) });
          break;
        }
        for (const task of claimed) this.run(task);
        if (claimed.length === free) this.wakeRequested = true; // there may be more
      } while (this.wakeRequested);
    } finally {
      this.claiming = false;
      if (!this.stopping) {
        if (this.pollTimer) clearTimeout(this.pollTimer);
        this.pollTimer = setTimeout(() => this.wake(), this.o.pollMs);
      }
    }
  }

  private run(task: Task): void {
    const controller = new AbortController();
    const timeoutMs =
      task.timeout_minutes * (this.o.minuteMs ?? 60_000) -
      (task.started_at ? Date.now() - new Date(task.started_at).getTime() : 0);
    const timer = setTimeout(() => this.abort(task.id, 'timeout'), Math.max(0, timeoutMs));
    const entry: Running = { task, claimedAt: Date.now(), controller, timer, done: Promise.resolve() };
    this.running.set(task.id, entry);
    entry.done = this.execute(task, controller.signal).finally(() => {
      clearTimeout(timer);
      this.running.delete(task.id);
      this.wake();
    });
  }

  private abort(taskId: string, reason: StopReason): void {
    const r = this.running.get(taskId);
    if (r && !r.controller.signal.aborted)
      r.controller.abort(Object.assign(new Error(`task stopped: ${reason}`), { stopReason: reason }));
  }

  private async execute(task: Task, signal: AbortSignal): Promise<void> {
    const db = this.o.db;
    const logs: Array<{
      task_id: string;
      attempt: number;
      level: LogLevel;
      message: string;
      fields?: Record<string, unknown>;
    }> = [];
    const flush = async () => {
      const batch = logs.splice(0);
      if (batch.length > 0) await appendLogs(db, batch).catch(() => {});
    };
    const flushTimer = setInterval(() => void flush(), 500);
    const pendingMetrics: Record<string, number> = {};
    const checkpoints = new CheckpointManager({
      schemaVersion: 1,
      storage: {
        write: (_key, serialized) => saveCheckpoint(db, task.id, serialized),
        readGenerations: () => loadCheckpoints(db, task.id),
      },
    });
    const ctx: TaskContext = {
      task,
      signal,
      log: (level, message, fields) =>
        logs.push(
          fields
            ? { task_id: task.id, attempt: task.attempts, level, message, fields }
            : { task_id: task.id, attempt: task.attempts, level, message },
        ),
      metric: (name, value) => {
        pendingMetrics[name] = value;
      },
      progress: (fraction, note) =>
        void setProgress(db, task.id, Math.max(0, Math.min(1, fraction)), note).catch(() => {}),
      checkpoint: {
        save: async (state) => {
          await checkpoints.save('task', state);
        },
        load: async <S>() => (await checkpoints.load('task'))?.state as S | undefined,
      },
    };
    const handler = this.o.registry.get(task.kind);
    this.emit({ type: 'task.started', task_id: task.id, kind: task.kind, attempt: task.attempts });
    ctx.log('info', `attempt ${task.attempts} started on worker ${this.o.name}`);
    try {
      if (!handler) throw new PermanentTaskError(`no handler for kind '${task.kind}' on this worker`);
      const result = await raceAbort(handler(task.parameters, ctx), signal);
      await flush();
      if (Object.keys(pendingMetrics).length > 0) await addMetrics(db, task.id, pendingMetrics);
      const ok = await completeTask(db, { id: task.id, workerId: this.id, status: 'completed', result });
      this.emit({ type: ok ? 'task.completed' : 'task.lease_lost', task_id: task.id });
      if (ok) await this.afterTerminal(task.id);
    } catch (error) {
      const reason = (signal.reason as { stopReason?: StopReason } | undefined)?.stopReason;
      ctx.log(reason === 'shutdown' ? 'warn' : 'error', describe(error, reason), errorFields(error));
      await flush();
      if (Object.keys(pendingMetrics).length > 0) await addMetrics(db, task.id, pendingMetrics).catch(() => {});
      await this.settleFailure(task, error, reason);
    } finally {
      clearInterval(flushTimer);
      await flush();
    }
  }

  private async settleFailure(task: Task, error: unknown, reason: StopReason | undefined): Promise<void> {
    const db = this.o.db;
    if (reason === 'lease_lost') {
      this.emit({ type: 'task.lease_lost', task_id: task.id });
      return;
    }
    if (reason === 'shutdown') {
      const released = await releaseTask(db, task.id, this.id);
      this.emit({ type: 'task.released', task_id: task.id, released });
      return;
    }
    if (reason === 'cancelled') {
      await completeTask(db, { id: task.id, workerId: this.id, status: 'cancelled', result: null });
      this.emit({ type: 'task.cancelled', task_id: task.id });
      await this.afterTerminal(task.id);
      return;
    }
    const errorClass = classOf(error);
    const history = [
      ...(((task.error_details as { history?: string[] } | null)?.history ?? []) as string[]),
      errorClass,
    ].slice(-10);
    let retry = reason !== 'timeout' && classifyFailure(error) === 'transient';
    let abortReason: string | undefined;
    if (retry) {
      // A failure that repeats the same way on every attempt is systematic, not transient.
      const policy = new AbortPolicy({ maxSameError: this.o.sameFailureLimit });
      for (const c of history) policy.record({ ok: false, errorClass: c });
      const verdict = policy.evaluate();
      if (verdict.action === 'abort') {
        retry = false;
        abortReason = verdict.reason;
      }
    }
    const details = {
      error_class: errorClass,
      message: error instanceof Error ? error.message : String(error),
      attempt: task.attempts,
      worker: this.o.name,
      classification: reason === 'timeout' ? 'timeout' : classifyFailure(error),
      ...(abortReason ? { aborted_retries: abortReason } : {}),
      history,
      ...(error instanceof Error && error.stack ? { stack: error.stack.split('\n').slice(0, 8).join('\n') } : {}),
    };
    const delay = this.o.retryDelayMs
      ? this.o.retryDelayMs(task.attempts)
      : backoff.delay(task.attempts, 0, Math.random);
    const outcome = await failTask(db, {
      id: task.id,
      workerId: this.id,
      error: details,
      retry,
      retryDelayMs: delay,
      ...(reason === 'timeout' ? { status: 'timeout' as const } : {}),
    });
    this.emit({ type: `task.${outcome}`, task_id: task.id, error_class: errorClass });
    if (outcome === 'failed') await this.afterTerminal(task.id);
  }

  private async afterTerminal(taskId: string): Promise<void> {
    if (!this.o.callbacks) return;
    const fresh = await getTask(this.o.db, taskId);
    if (fresh?.callback_url) void this.o.callbacks.deliver(fresh);
  }

  private async heartbeat(): Promise<void> {
    if (!this.id) return;
    try {
      const startedAt = Date.now();
      const mine = [...this.running.keys()];
      const held = await renewLeases(this.o.db, this.id, this.o.leaseMs, mine);
      const ids = new Set(held.map((h) => h.id));
      for (const h of held) if (h.cancel_requested) this.abort(h.id, 'cancelled');
      // Only tasks claimed before this heartbeat began can be judged: a claim committing while the
      // renewal runs is simply not visible to it yet.
      for (const id of mine) {
        const r = this.running.get(id);
        if (r && r.claimedAt < startedAt && !ids.has(id)) this.abort(id, 'lease_lost');
      }
    } catch (err) {
      this.emit({ type: 'worker.heartbeat_failed', error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Stop claiming, let running tasks finish for up to `graceMs`, then release the rest. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.id) await setWorkerStatus(this.o.db, this.id, 'draining').catch(() => {});
    this.emit({ type: 'worker.draining', running: this.running.size, grace_ms: graceMs });
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const id of this.running.keys()) this.abort(id, 'shutdown');
      await all();
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.reapTimer) clearInterval(this.reapTimer);
    await this.unlisten?.().catch(() => {});
    if (this.id) await setWorkerStatus(this.o.db, this.id, 'offline').catch(() => {});
    this.emit({ type: 'worker.stopped' });
  }

  private emit(event: { type: string; [k: string]: unknown }): void {
    this.o.onEvent?.(event);
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function classOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const status = (error as { status?: unknown }).status;
    return [error.name, typeof code === 'string' ? code : undefined, typeof status === 'number' ? status : undefined]
      .filter((x) => x !== undefined)
      .join(':');
  }
  return typeof error;
}

function describe(error: unknown, reason: StopReason | undefined): string {
  if (reason === 'timeout') return 'task exceeded its timeout and was aborted';
  if (reason === 'cancelled') return 'task cancelled';
  if (reason === 'shutdown') return 'worker shutting down: task released for another worker';
  if (reason === 'lease_lost') return 'lease lost: another worker may run this task';
  return `attempt failed: ${error instanceof Error ? error.message : String(error)}`;
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  return { error_class: classOf(error), message: error.message };
}
