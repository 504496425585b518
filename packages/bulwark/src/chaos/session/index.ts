/** Chaos optimisation sessions: optimizer + executor + analyzer as a durable, resumable task. */

import type { Database } from '../../db/types.js';
import type { HandlerRegistry } from '../../tasks/registry.js';
import { type ChaosSessionHandlerOptions, chaosSessionHandler } from './handler.js';
import { chaosSessionRoutes } from './routes.js';
import { createChaosSessionService } from './service.js';
import { CHAOS_SESSION_KIND } from './types.js';

export {
  baselineVerdict,
  describePlans,
  guardLimits,
  recoveryFailure,
  recoveryVerdict,
  steadyStateFailure,
  summarizeObservation,
} from './guard.js';
export {
  type ChaosSessionHandlerOptions,
  chaosSessionHandler,
  initialTrials,
  newSessionOptimizer,
  type SessionCheckpoint,
} from './handler.js';
export { chaosSessionRoutes } from './routes.js';
export {
  type ChaosSessionService,
  type CreateSessionRequest,
  createChaosSessionService,
  taskTimeoutMinutes,
} from './service.js';
export * from './types.js';

/** Registers the `chaos.session` handler (for `builtinRegistry`'s extra registrations). */
export function registerChaosSessionHandler(
  registry: HandlerRegistry,
  db: Database,
  options: Omit<ChaosSessionHandlerOptions, 'db'> = {},
): HandlerRegistry {
  return registry.register(CHAOS_SESSION_KIND, chaosSessionHandler({ db, ...options }));
}

/** The session routes for the app's domain wiring. */
export function wireChaosSessions(db: Database) {
  return chaosSessionRoutes(createChaosSessionService({ db }));
}
