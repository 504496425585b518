import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { Database } from './db/types.js';
import type { ReadinessCheck } from './http/health.js';

/** What every domain's wiring receives. */
export interface DomainContext {
  config: Config;
  db: Database;
  metrics: Registry;
  /** Register a readiness component (shown in /api/v1/health/ready). */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** Register cleanup run on close (reverse order). */
  onClose(closer: () => Promise<void>): void;
  /** Register work to run once the server is built (start background loops). */
  onStart(starter: () => Promise<void>): void;
  /** The server logger; available once the server is built (use inside routes or callbacks). */
  log(): FastifyBaseLogger;
}
