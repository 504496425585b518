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
        const result = (await orm.execute(statement)) as unknown as {
          rows: T[];
          fields?: Array<{ name: string; dataTypeID: number }>;
        };
        return reviveTimestamps(result.rows, result.fields);
      } catch (err) {
        // Drizzle wraps driver errors; callers want the driver's (SQLSTATE `code`, message).
        throw err instanceof Error && err.message.startsWith('Failed query:') && err.cause ? err.cause : err;
      }
    },
    script,
  };
}

const TIMESTAMP_TYPES = new Set([1114, 1184]); // timestamp, timestamptz

/**
 * Drizzle hands timestamps back as PostgreSQL text ("2026-11-24 14:10:44.668+00") on both drivers;
 * turn them into Dates so they serialise as ISO 8601 everywhere.
 */
export function reviveTimestamps<T>(rows: T[], fields: Array<{ name: string; dataTypeID: number }> | undefined): T[] {
  const names = (fields ?? []).filter((f) => TIMESTAMP_TYPES.has(f.dataTypeID)).map((f) => f.name);
  if (names.length === 0) return rows;
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const n of names) {
      const v = row[n];
      if (typeof v === 'string') row[n] = parsePgTimestamp(v);
    }
  }
  return rows;
}

export function parsePgTimestamp(text: string): Date | string {
  if (text === 'infinity' || text === '-infinity') return text;
  const m =
    /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/.exec(
      text,
    );
  if (!m) return text;
  const frac = m[7] ? m[7].slice(0, 4).padEnd(4, '0') : '.000';
  const offset = m[8] ? `${m[8]}${m[9]}:${m[10] ?? '00'}` : 'Z';
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}${offset}`);
  return Number.isNaN(d.getTime()) ? text : d;
}
