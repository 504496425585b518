import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db/index.js';
import type { ReadinessCheck } from './http/health.js';
import { buildServer } from './http/server.js';
import { VERSION } from './version.js';

/**
 * Composition root: opens the database, builds the domain services and the HTTP server.
 * Everything with a lifecycle is closed by `close()` in reverse order of creation.
 */
export interface App {
  config: Config;
  db: Database;
  server: FastifyInstance;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  /** Use this database instead of opening one from config (tests share one per file). */
  db?: Database;
  logger?: Parameters<typeof buildServer>[0]['logger'];
  /** Extra routes (tests add slow routes for shutdown tests). */
  extraRoutes?: FastifyPluginAsync[];
}

export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<App> {
  const ownsDb = options.db === undefined;
  const db = options.db ?? (await openDatabase(config));
  const closers: Array<() => Promise<void>> = [];
  if (ownsDb) closers.push(() => db.close());

  const readiness: Record<string, ReadinessCheck> = { database: () => db.ping() };
  const routes: FastifyPluginAsync[] = [...(options.extraRoutes ?? [])];

  const server = await buildServer({
    version: VERSION,
    logLevel: config.logLevel,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    readiness,
    routes,
  });
  closers.push(() => server.close());

  let closed = false;
  return {
    config,
    db,
    server,
    async close() {
      if (closed) return;
      closed = true;
      for (const closer of closers.reverse()) await closer();
    },
  };
}
