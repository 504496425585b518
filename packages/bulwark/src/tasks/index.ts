import { Gauge } from 'prom-client';
import { registerChaosSessionHandler } from '../chaos/session/index.js';
import type { DomainContext } from '../domain-context.js';
import { createCallbackSender } from './callbacks.js';
import { type HttpTargets, httpHandler, loadHttpTargets } from './handlers/http.js';
import { loadCatalogue, type ProblemCatalogue, processHandler } from './handlers/process.js';
import { HandlerRegistry } from './registry.js';
import { taskRoutes } from './routes.js';
import { createTaskService } from './service.js';
import { queueStats, reap } from './store.js';
import { Worker } from './worker.js';

export { HandlerRegistry } from './registry.js';
export { Worker } from './worker.js';
export type { TaskContext, TaskHandler } from './types.js';
export { PermanentTaskError } from './types.js';

/**
 * Built-in handlers: `process` (when a catalogue is configured), `http` (no targets by default), `noop`;
 * `extra` registers handlers that need more than configuration (e.g. `chaos.session`, which needs the database).
 */
export async function builtinRegistry(
  catalogue: ProblemCatalogue | undefined,
  httpTargets: HttpTargets = {},
  extra?: (registry: HandlerRegistry) => void,
): Promise<HandlerRegistry> {
  const registry = new HandlerRegistry();
  if (catalogue) registry.register('process', processHandler(catalogue));
  registry.register('http', httpHandler(httpTargets));
  // Does nothing and returns its parameters: smoke tests, benchmarks, end-to-end checks of a deployment.
  registry.register('noop', async (payload) => payload);
  extra?.(registry);
  return registry;
}

/** Wire the task domain into the app: service, routes, reaper, queue metrics, embedded workers. */
export async function wireTasks(
  ctx: DomainContext,
  options: { embeddedWorkers?: number; registry?: HandlerRegistry; extra?: (registry: HandlerRegistry) => void } = {},
) {
  const catalogue = ctx.config.problemCatalogue ? await loadCatalogue(ctx.config.problemCatalogue) : undefined;
  const targets = ctx.config.httpTargets ? await loadHttpTargets(ctx.config.httpTargets) : {};
  const registry =
    options.registry ??
    (await builtinRegistry(catalogue, targets, (r) => {
      registerChaosSessionHandler(r, ctx.db);
      options.extra?.(r);
    }));
  const service = createTaskService({
    db: ctx.db,
    kinds: () => [...new Set([...registry.kinds(), 'process'])].sort(),
    catalogue: () => catalogue,
    allowPrivateCallbacks: ctx.config.allowPrivateCallbacks,
  });

  // Any instance may reap: the updates are row-level and idempotent.
  const reaper = setInterval(() => {
    reap(ctx.db, { offlineAfterMs: 60_000 }).catch(() => {});
  }, 5_000);
  reaper.unref();
  ctx.onClose(async () => clearInterval(reaper));

  // One query per scrape feeds both gauges: prom-client collects metrics concurrently, so both
  // share the same in-flight query (kept for a second).
  let stats: { at: number; rows: Promise<Awaited<ReturnType<typeof queueStats>>> } | undefined;
  const statsOnce = () => {
    if (!stats || Date.now() - stats.at > 1_000) stats = { at: Date.now(), rows: queueStats(ctx.db).catch(() => []) };
    return stats.rows;
  };
  new Gauge({
    name: 'bulwark_tasks',
    help: 'Tasks pending or running, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [ctx.metrics],
    async collect() {
      this.reset();
      for (const s of await statsOnce()) this.set({ kind: s.kind, status: s.status }, s.count);
    },
  });
  new Gauge({
    name: 'bulwark_task_oldest_age_seconds',
    help: 'Age of the oldest pending or running task, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [ctx.metrics],
    async collect() {
      this.reset();
      for (const s of await statsOnce()) this.set({ kind: s.kind, status: s.status }, s.oldest_age_seconds);
    },
  });

  const workers: Worker[] = [];
  for (let i = 0; i < (options.embeddedWorkers ?? 0); i++) {
    const w = new Worker({
      db: ctx.db,
      registry,
      name: `embedded-${i + 1}`,
      concurrency: 4,
      callbacks: createCallbackSender({ db: ctx.db, secret: ctx.config.callbackSecret }),
      onEvent: (e) => ctx.log().debug(e, 'worker event'),
    });
    workers.push(w);
  }
  ctx.onStart(async () => {
    for (const w of workers) await w.start();
  });
  ctx.onClose(async () => {
    await Promise.all(workers.map((w) => w.stop(ctx.config.shutdownGraceMs)));
  });
  return { service, routes: taskRoutes({ service, db: ctx.db }), registry, workers };
}
