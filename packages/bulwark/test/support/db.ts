import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Database, Driver } from '../../src/db/types.js';

/**
 * Every database test runs on PGlite, and on PostgreSQL too when DATABASE_URL is set.
 * Each PostgreSQL test database is a fresh schema (dropped on close), so test files can run
 * in parallel against one server.
 */
export const DRIVERS: Driver[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase extends Database {
  /** Connection details for a second handle (other process) on the same data. */
  readonly url: string | undefined;
}

export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function openTestDatabase(driver: Driver, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let db: Database;
  let url: string | undefined;
  let drop = async () => {};
  if (driver === 'pglite') {
    db = await openPglite(':memory:');
  } else {
    const base = process.env.DATABASE_URL;
    if (!base) throw new Error('DATABASE_URL is not set');
    const namespace = uniqueNamespace();
    db = await openPostgres({ url: base, namespace });
    url = base;
    drop = async () => {
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query(`drop schema if exists ${namespace} cascade`);
      } finally {
        await admin.end();
      }
    };
  }
  if (options.migrate ?? true) await migrate(db);
  const close = db.close.bind(db);
  return Object.assign(db, {
    url,
    async close() {
      await close();
      await drop();
    },
  });
}
