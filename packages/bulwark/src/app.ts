import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import { OPENAPI_SECURITY, wireAuth } from './auth/index.js';
import { type Database, openDatabase } from './db/index.js';
import type { DomainContext } from './domain-context.js';
import type { ReadinessCheck } from './http/health.js';
import { createMetricsRegistry } from './http/metrics.js';
import { graphRoutes } from './slo/graph/routes.js';
import { createGraphIndexCache } from './slo/graph/store.js';
import { impactRoutes } from './slo/impact/routes.js';
import { createImpactService } from './slo/impact/service.js';
import { recommendationRoutes } from './slo/recommend/routes.js';
import { createRecommendationService } from './slo/recommend/service.js';
import { driftRoutes } from './slo/drift-watch/routes.js';
import { registerSloJobs, submitDueSloJobs } from './slo/jobs.js';
import { createTelemetrySource } from './telemetry/index.js';
import type { TelemetrySource } from './telemetry/types.js';
import { sloLifecycleRoutes } from './slo/lifecycle/routes.js';
import { createSloLifecycle } from './slo/lifecycle/service.js';
import { type AutoApproval, autoApprovalRoutes, createAutoApproval } from './slo/auto-approval/index.js';
import { type DashboardOptions, dashboardRoutes } from './slo/dashboard/index.js';
import { sloAlertRoutes } from './slo/alerts/routes.js';
import { prometheusReadiness, redisReadiness } from './http/readiness-checks.js';
import { buildServer } from './http/server.js';
import { wireChaosSessions } from './chaos/session/index.js';
import { type HandlerRegistry, wireTasks } from './tasks/index.js';
import { VERSION } from './version.js';

/**
 * Composition root: opens the database, builds the domain services and the HTTP server.
 * Everything with a lifecycle is closed by `close()` in reverse order of creation.
 */
export interface App {
  config: Config;
  db: Database;
  server: FastifyInstance;
  metrics: Registry;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  /** Use this database instead of opening one from config (tests share one per file). */
  db?: Database;
  logger?: Parameters<typeof buildServer>[0]['logger'];
  /** Extra routes (tests add slow routes for shutdown tests). */
  extraRoutes?: FastifyPluginAsync[];
  /** Task workers to run inside the server process (overrides config). */
  embeddedWorkers?: number;
  /** Task handlers (default: the built-in `process` and `http`). */
  taskRegistry?: HandlerRegistry;
  /** Telemetry source (overrides config; tests pass a Prometheus source with fast failure). */
  telemetry?: TelemetrySource;
  /** Auto-approval service (tests pass their own to call it directly). */
  autoApproval?: AutoApproval;
  /** Dashboard options (tests pass a clock). */
  dashboard?: Omit<DashboardOptions, 'db'>;
}

export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<App> {
  const ownsDb = options.db === undefined;
  const db = options.db ?? (await openDatabase(config));
  const closers: Array<() => Promise<void>> = [];
  const starters: Array<() => Promise<void>> = [];
  if (ownsDb) closers.push(() => db.close());
  const metrics = createMetricsRegistry();
  const readiness: Record<string, ReadinessCheck> = { database: () => db.ping() };
  let server: FastifyInstance | undefined;
  const ctx: DomainContext = {
    config,
    db,
    metrics,
    addReadinessCheck: (name, check) => {
      readiness[name] = check;
      server?.readiness.set(name, check);
    },
    onClose: (closer) => closers.push(closer),
    onStart: (starter) => starters.push(starter),
    log: () => {
      if (!server) throw new Error('logger requested before the server was built');
      return server.log;
    },
  };

  // Guards run before every route: authentication, authorisation, rate limits, headers.
  const guards: FastifyPluginAsync[] = [];
  // Domain routes, one line per domain.
  const routes: FastifyPluginAsync[] = [...(options.extraRoutes ?? [])];
  const auth = wireAuth(ctx);
  guards.push(auth.guard);
  routes.push(auth.routes);
  if (config.redisUrl && !config.rateLimit.enabled) {
    const redis = redisReadiness(config.redisUrl);
    ctx.addReadinessCheck('redis', redis.check);
    ctx.onClose(redis.close);
  }
  if (config.prometheusUrl) ctx.addReadinessCheck('prometheus', prometheusReadiness(config.prometheusUrl));

  // --- domain wiring (each domain adds its block below) ---
  const graph = createGraphIndexCache(db, { checkIntervalMs: 1000 });
  const telemetry = options.telemetry ?? createTelemetrySource(config);
  const lifecycle = createSloLifecycle({ db });
  const autoApproval = options.autoApproval ?? createAutoApproval({ db, lifecycle });
  const recommendations = createRecommendationService({
    db,
    graph,
    telemetry,
    // New recommendations go through the auto-approval rules at once (FR-11).
    onGenerated: async (ids) => {
      await autoApproval.evaluate(ids);
    },
  });
  const tasks = await wireTasks(ctx, {
    embeddedWorkers: options.embeddedWorkers ?? config.embeddedWorkers,
    ...(options.taskRegistry ? { registry: options.taskRegistry } : {}),
    extra: (r) =>
      registerSloJobs(r, {
        db,
        telemetry,
        recommendations: () => recommendations,
        ...(config.driftWebhookUrl ? { webhook: { url: config.driftWebhookUrl, secret: config.callbackSecret } } : {}),
      }),
  });
  routes.push(tasks.routes);
  // The SLO engine's scheduled jobs (hourly aggregates, 5-minute drift watch) go on the queue.
  if (config.sloJobs && telemetry) {
    const tick = () => {
      submitDueSloJobs(db).catch((err) => server?.log.warn({ err }, 'could not schedule SLO jobs'));
    };
    ctx.onStart(async () => {
      tick();
      const timer = setInterval(tick, 60_000);
      timer.unref();
      ctx.onClose(async () => clearInterval(timer));
    });
  }
  routes.push(graphRoutes(db, graph, telemetry));
  routes.push(recommendationRoutes(recommendations));
  routes.push(impactRoutes(createImpactService({ db, graph })));
  routes.push(sloLifecycleRoutes(lifecycle));
  routes.push(sloAlertRoutes(lifecycle, db));
  routes.push(autoApprovalRoutes(autoApproval));
  routes.push(dashboardRoutes({ db, ...options.dashboard }));
  routes.push(driftRoutes(db));
  routes.push(wireChaosSessions(db));

  // --- end of domain wiring ---

  server = await buildServer({
    version: VERSION,
    logLevel: config.logLevel,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    readiness,
    metricsRegistry: metrics,
    guards,
    routes,
    openapiComponents: OPENAPI_SECURITY,
  });
  const builtServer = server;
  for (const start of starters) await start();
  // Close the server first so in-flight requests drain before anything they use goes away.
  const closeServer = () => builtServer.close();

  let closed = false;
  return {
    config,
    db,
    server,
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      await closeServer();
      for (const closer of closers.reverse()) await closer();
    },
  };
}
