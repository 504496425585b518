/**
 * The `chaos.session` task handler: ask the optimizer for a point, map it to fault plans, have the
 * executor apply them under load, check the guard rails, score the damage, record the trial and
 * checkpoint — until the budget is spent, a stop is requested or a guard fails.
 *
 * Resumable: the optimizer state is checkpointed after every trial, and trials recorded after the
 * last checkpoint (a worker that died between the two writes) are replayed into the optimizer, so
 * a re-leased task continues with the next trial index and the same proposals an uninterrupted run
 * would make. Trials are inserted with `on conflict do nothing`: never twice.
 */

import type { Database } from '../../db/types.js';
import { PermanentTaskError, type TaskContext, type TaskHandler } from '../../tasks/types.js';
import { analyzeObservation, steadyStateOk } from '../analyzer/index.js';
import type { Observation } from '../analyzer/types.js';
import {
  ExecutorCircuitOpenError,
  ExecutorClient,
  type ExecutorClientOptions,
  ExecutorError,
  ExecutorHttpError,
} from '../executor/client.js';
import type { RunRequest } from '../executor/schema.js';
import { Optimizer, type OptimizerState, SpaceExhaustedError } from '../optimizer/index.js';
import type { Point } from '../optimizer/types.js';
import { type FaultPlan, type FaultSpace, parseFaultSpace, toFaultPlans } from '../space/index.js';
import {
  baselineVerdict,
  describePlans,
  guardLimits,
  recoveryFailure,
  recoveryVerdict,
  steadyStateFailure,
  summarizeObservation,
} from './guard.js';
import * as store from './store.js';
import { type EndReason, FINISHED, type SessionResult, type SessionRow } from './types.js';

export interface ChaosSessionHandlerOptions {
  db: Database;
  /** Executor client tuning (tests shorten the breaker's open duration). */
  executor?: Omit<ExecutorClientOptions, 'baseUrl'>;
  /** Consecutive executor failures (circuit open, unavailable, timeout) tolerated per trial (default 3). */
  executorRetries?: number;
  /** Pause while the executor is busy with another session's run (default 1 s). */
  busyPauseMs?: number;
}

/** What the handler checkpoints after every trial. */
export interface SessionCheckpoint {
  session_id: string;
  trials_done: number;
  optimizer: OptimizerState;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Initial-design size for a budget: a quarter of the trials, between 2 and 10. */
export function initialTrials(maxTrials: number): number {
  return Math.min(10, Math.max(2, Math.ceil(maxTrials / 4)));
}

/** The optimizer a session starts with (exported so tests can replay a session). */
export function newSessionOptimizer(space: FaultSpace, seed: number, maxTrials: number): Optimizer {
  return new Optimizer({ space: space.searchSpace, seed, nInitial: initialTrials(maxTrials) });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

type TrialOutcome =
  | { ok: true; observation: Observation }
  | { ok: false; reason: Extract<EndReason, 'guard' | 'executor'>; detail: string };

export function chaosSessionHandler(o: ChaosSessionHandlerOptions): TaskHandler {
  const { db } = o;
  const executorRetries = o.executorRetries ?? 3;
  const busyPauseMs = o.busyPauseMs ?? 1_000;

  async function runTrial(
    client: ExecutorClient,
    session: SessionRow,
    index: number,
    plans: FaultPlan[],
    context: TaskContext,
  ): Promise<TrialOutcome> {
    const { load, guard } = session;
    const loadSpec = { rps: load.rps, path: load.path, method: load.method };
    const request: RunRequest = { plans, duration_s: load.duration_s, load: loadSpec };
    if (load.baseline_s > 0) request.baseline_s = load.baseline_s;
    if (load.recovery_s > 0) request.recovery_s = load.recovery_s;
    const pauseMs = guard.retry_pause_s * 1000;
    let steadyFailures = 0;
    let executorFailures = 0;
    // After a failed baseline, probe the steady state without faults before faulting again.
    let probe = false;
    for (;;) {
      throwIfAborted(context.signal);
      try {
        if (probe) {
          const r = await client.run({ plans: [], duration_s: Math.max(1, load.baseline_s), load: loadSpec });
          const verdict = steadyStateOk(r.observation.during, guardLimits(guard));
          if (!verdict.ok) {
            steadyFailures++;
            context.log('warn', `steady state not reached before trial ${index}: ${verdict.reasons.join('; ')}`);
            if (steadyFailures > guard.steady_state_retries) {
              return { ok: false, reason: 'guard', detail: steadyStateFailure(index, verdict.reasons) };
            }
            await pause(pauseMs, context.signal);
            continue;
          }
          probe = false;
        }
        const r = await client.run(request);
        executorFailures = 0;
        if (request.baseline_s !== undefined) {
          const verdict = baselineVerdict(r.observation, guard);
          if (!verdict.ok) {
            steadyFailures++;
            context.log('warn', `baseline of trial ${index} not steady: ${verdict.reasons.join('; ')}`);
            if (steadyFailures > guard.steady_state_retries) {
              return { ok: false, reason: 'guard', detail: steadyStateFailure(index, verdict.reasons) };
            }
            await pause(pauseMs, context.signal);
            probe = true;
            continue;
          }
        }
        return { ok: true, observation: r.observation };
      } catch (error) {
        if (context.signal.aborted) throw context.signal.reason;
        if (error instanceof ExecutorHttpError && error.status === 409) {
          // Another run holds the executor (e.g. another session): wait for it.
          await pause(busyPauseMs, context.signal);
          continue;
        }
        if (error instanceof ExecutorError && (error.code === 'rejected' || error.code === 'invalid_response')) {
          return {
            ok: false,
            reason: 'executor',
            detail: `executor rejected trial ${index} (plan ${describePlans(plans)}): ${error.message}`,
          };
        }
        if (error instanceof ExecutorError) {
          executorFailures++;
          const open = error instanceof ExecutorCircuitOpenError;
          context.log('warn', `executor failure before trial ${index} (${executorFailures}): ${error.message}`);
          if (executorFailures > executorRetries) {
            return {
              ok: false,
              reason: 'executor',
              detail: `executor ${open ? 'circuit open' : 'unavailable'} at ${session.executor_url}: ${error.message} (gave up on trial ${index} after ${executorRetries} retries)`,
            };
          }
          const wait = open && error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, pauseMs) : pauseMs;
          await pause(wait, context.signal);
          continue;
        }
        throw error;
      }
    }
  }

  return async (payload, context) => {
    const sessionId = typeof payload.session_id === 'string' ? payload.session_id : '';
    if (!UUID.test(sessionId)) throw new PermanentTaskError('payload.session_id must be a chaos session id');
    const session = await store.markRunning(db, sessionId);
    if (!session) {
      const existing = await store.getSession(db, sessionId);
      if (!existing) throw new PermanentTaskError(`chaos session '${sessionId}' does not exist`);
      return { session_id: sessionId, status: existing.status, reason: existing.result?.reason ?? null };
    }
    let space: FaultSpace;
    try {
      space = parseFaultSpace(session.space_text, session.space_format);
    } catch (error) {
      throw new PermanentTaskError(`stored fault space is invalid: ${error instanceof Error ? error.message : error}`);
    }
    const { budget } = session;

    const checkpoint = await context.checkpoint.load<SessionCheckpoint>();
    let optimizer: Optimizer;
    let done = 0;
    if (checkpoint && checkpoint.session_id === sessionId) {
      optimizer = Optimizer.fromJSON(checkpoint.optimizer, { feasible: space.searchSpace.feasible });
      done = checkpoint.trials_done;
    } else {
      optimizer = newSessionOptimizer(space, session.seed, budget.max_trials);
    }
    // Trials recorded after the checkpoint: the optimizer asks the same points again; tell it what
    // was observed instead of running them twice.
    let replayed = 0;
    for (const t of await store.listTrials(db, sessionId, done)) {
      if (t.index !== done) break;
      optimizer.ask();
      optimizer.tell(t.point as Point, t.severity);
      done++;
      replayed++;
    }
    if (replayed > 0)
      await context.checkpoint.save({ session_id: sessionId, trials_done: done, optimizer: optimizer.toJSON() });
    context.log(
      'info',
      checkpoint || done > 0
        ? `resuming chaos session at trial ${done} (attempt ${context.task.attempts}, ${replayed} replayed)`
        : `starting chaos session '${session.name}' (${budget.max_trials} trials, seed ${session.seed})`,
    );

    const client = new ExecutorClient({ baseUrl: session.executor_url, ...o.executor });

    const end = async (status: 'COMPLETED' | 'FAILED', reason: EndReason, detail: string) => {
      const top = await store.topTrials(db, sessionId, 5);
      let explanation: SessionResult['explanation'] = null;
      if (optimizer.observations.length >= 2) {
        try {
          explanation = optimizer.explain();
        } catch (error) {
          context.log('warn', `explanation failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const result: SessionResult = {
        reason,
        detail,
        best: top.map((t) => ({
          index: t.index,
          severity: t.severity,
          plans: t.plans,
          point: t.point,
          components: t.components,
          evidence: t.evidence,
        })),
        explanation,
      };
      await store.finishSession(db, sessionId, { status, result, error: status === 'FAILED' ? detail : null });
      context.metric('trials', done);
      context.log(status === 'FAILED' ? 'error' : 'info', `chaos session ${status}: ${detail}`);
      return { session_id: sessionId, status, reason, detail, trials: done, best_severity: top[0]?.severity ?? null };
    };

    for (;;) {
      const control = await store.readControl(db, sessionId);
      if (!control || FINISHED.includes(control.status)) {
        return { session_id: sessionId, status: control?.status ?? 'missing', trials: done };
      }
      if (control.stop_requested) return end('COMPLETED', 'stopped', `stopped after ${done} trial(s)`);
      if (done >= budget.max_trials) return end('COMPLETED', 'budget_trials', `ran ${done} trial(s)`);
      if (control.elapsed_ms >= budget.max_minutes * 60_000) {
        return end('COMPLETED', 'budget_time', `time budget of ${budget.max_minutes} min spent after ${done} trial(s)`);
      }
      throwIfAborted(context.signal);

      let point: Point;
      try {
        point = optimizer.ask();
      } catch (error) {
        if (error instanceof SpaceExhaustedError) {
          return end('COMPLETED', 'space_exhausted', `every point of the space was tried (${done} trials)`);
        }
        throw error;
      }
      const plans = toFaultPlans(point, space);
      const index = done;
      const outcome = await runTrial(client, session, index, plans, context);
      if (!outcome.ok) return end('FAILED', outcome.reason, outcome.detail);
      throwIfAborted(context.signal); // the lease may be gone: record nothing

      const { observation } = outcome;
      const analysis = analyzeObservation(observation);
      const recovery = recoveryVerdict(observation, analysis, session.guard);
      optimizer.tell(point, analysis.severity);
      await db.transaction((tx) =>
        store.recordTrial(tx, {
          session_id: sessionId,
          index,
          point,
          plans,
          severity: analysis.severity,
          components: analysis.components,
          evidence: analysis.evidence,
          observation_summary: summarizeObservation(observation),
          steady_state_ok: true,
          recovered: recovery.recovered,
        }),
      );
      done++;
      await context.checkpoint.save({ session_id: sessionId, trials_done: done, optimizer: optimizer.toJSON() });
      context.progress(
        done / budget.max_trials,
        `trial ${done}/${budget.max_trials}: severity ${analysis.severity.toFixed(2)} (${describePlans(plans)})`,
      );
      if (session.guard.require_recovery && recovery.recovered === false) {
        return end('FAILED', 'guard', recoveryFailure(index, plans, recovery.reasons));
      }
    }
  };
}
