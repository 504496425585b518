import { type App, type CreateAppOptions, createApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/types.js';

/**
 * Domain tests run with authentication and rate limiting off (loopback only) so they exercise
 * the domain; the security tests turn both on explicitly and cover every route's permission.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    BULWARK_DATA_DIR: ':memory:',
    LOG_LEVEL: 'silent',
    BULWARK_AUTH: 'disabled',
    BULWARK_RATE_LIMIT: 'off',
    ...env,
  });
}

/** An app over an already-open test database (the database is not closed with the app). */
export async function testApp(
  db: Database,
  env: Record<string, string> = {},
  options: Omit<CreateAppOptions, 'db'> = {},
): Promise<App> {
  return createApp(testConfig(env), { db, logger: false, ...options });
}
