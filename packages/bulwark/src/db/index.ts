import type { Config } from '../config.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Database } from './types.js';

export { migrate, readMigrations, MIGRATIONS_DIR } from './migrate.js';
export type { Database, Driver, Orm, Queryable } from './types.js';

export interface OpenDatabaseOptions {
  /** Apply pending migrations after connecting (default true). */
  migrate?: boolean;
  namespace?: string;
  onError?: (error: Error) => void;
}

/** `DATABASE_URL` set -> PostgreSQL server; otherwise embedded PGlite in the data directory. */
export async function openDatabase(
  config: Pick<Config, 'database'>,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  const namespace = options.namespace ?? config.database.schema;
  const db = config.database.url
    ? await openPostgres({
        url: config.database.url,
        namespace,
        ...(options.onError ? { onError: options.onError } : {}),
      })
    : await openPglite(config.database.dataDir, 'public', {
        sharedBuffersMb: config.database.embeddedSharedBuffersMb,
      });
  if (options.migrate ?? true) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
export { isCheckViolation, isForeignKeyViolation, isSerializationFailure, isUniqueViolation } from './errors.js';
