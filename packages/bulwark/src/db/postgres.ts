import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { queryable } from './pglite.js';
import type { Database, Orm, Queryable } from './types.js';

export interface PostgresOptions {
  url: string;
  /** Schema to work in (created when missing); `public` unless isolating tests. */
  namespace?: string;
  maxConnections?: number;
  /** Called when the pool or the listener connection reports an error. */
  onError?: (error: Error) => void;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** PostgreSQL server through a node-postgres pool. */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const namespace = options.namespace ?? 'public';
  if (!IDENT.test(namespace)) throw new Error(`invalid schema name '${namespace}'`);
  const onError = options.onError ?? (() => {});
  const poolConfig: pg.PoolConfig = {
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
    ...(namespace === 'public' ? {} : { options: `-c search_path=${namespace}` }),
  };
  if (namespace !== 'public') {
    const admin = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5_000 });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${namespace}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool(poolConfig);
  pool.on('error', onError);
  // Fail fast on a wrong URL instead of on the first request.
  const probe = await pool.connect();
  probe.release();

  const orm = drizzle(pool) as unknown as Orm;
  const base = queryable(orm, (text) => pool.query(text).then(() => undefined));
  const channel = (name: string) => (namespace === 'public' ? name : `${namespace}_${name}`);

  let listener: pg.Client | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const getListener = async (): Promise<pg.Client> => {
    if (listener) return listener;
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5_000 });
    client.on('notification', (msg) => {
      for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    client.on('error', (err) => {
      onError(err);
      if (listener === client) listener = undefined;
    });
    await client.connect();
    listener = client;
    return client;
  };

  return {
    ...base,
    driver: 'postgres',
    namespace,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const txOrm = drizzle(client) as unknown as Orm;
        const result = await fn(queryable(txOrm, (text) => client.query(text).then(() => undefined)));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(name, onNotify) {
      const full = channel(name);
      const client = await getListener();
      let set = handlers.get(full);
      if (!set) {
        set = new Set();
        handlers.set(full, set);
        await client.query(`listen "${full}"`);
      }
      set.add(onNotify);
      return async () => {
        const current = handlers.get(full);
        current?.delete(onNotify);
        if (current && current.size === 0) {
          handlers.delete(full);
          await listener?.query(`unlisten "${full}"`).catch(() => {});
        }
      };
    },
    async notify(name, payload, tx?: Queryable) {
      await (tx ?? base).query(sql`select pg_notify(${channel(name)}, ${payload})`);
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      const l = listener;
      listener = undefined;
      if (l) await l.end().catch(() => {});
      await pool.end();
    },
  };
}
