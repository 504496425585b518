import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database, Orm, Queryable } from './types.js';

/** Embedded PostgreSQL (WASM). `dataDir` ':memory:' keeps everything in memory. */
export async function openPglite(dataDir: string, namespace = 'public'): Promise<Database> {
  let client: PGlite;
  if (dataDir === ':memory:') {
    client = await PGlite.create();
  } else {
    mkdirSync(dataDir, { recursive: true });
    client = await PGlite.create(dataDir);
  }
  return wrapPglite(client, namespace);
}

export function wrapPglite(client: PGlite, namespace = 'public'): Database {
  const orm = drizzle(client) as unknown as Orm;
  const channel = (name: string) => (namespace === 'public' ? name : `${namespace}_${name}`);
  const base = queryable(orm, (text) => client.exec(text).then(() => undefined));
  return {
    ...base,
    driver: 'pglite',
    namespace,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return client.transaction(async (ptx: Transaction) => {
        const txOrm = drizzle(ptx as unknown as PGlite) as unknown as Orm;
        return fn(queryable(txOrm, (text) => ptx.exec(text).then(() => undefined)));
      });
    },
    async listen(name, onNotify) {
      const unsubscribe = await client.listen(channel(name), onNotify);
      return async () => {
        await unsubscribe();
      };
    },
    async notify(name, payload, tx) {
      await (tx ?? base).query(sql`select pg_notify(${channel(name)}, ${payload})`);
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

export function queryable(orm: Orm, script: (text: string) => Promise<void>): Queryable {
  return {
    orm,
    async query<T>(statement: SQL): Promise<T[]> {
      try {
        const result = (await orm.execute(statement)) as unknown as { rows: T[] };
        return result.rows;
      } catch (err) {
        // Drizzle wraps driver errors; callers want the driver's (SQLSTATE `code`, message).
        throw err instanceof Error && err.message.startsWith('Failed query:') && err.cause ? err.cause : err;
      }
    },
    script,
  };
}
