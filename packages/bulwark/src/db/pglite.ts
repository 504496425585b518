import { mkdirSync } from 'node:fs';
import { type Extension, PGlite, type Transaction } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database, Orm, Queryable } from './types.js';

/**
 * shared_buffers of the embedded database, in MiB. PGlite's own default (128 MB) is allocated and
 * touched at start-up inside the server process; with 16 MB the rest of a 5,000-service estate is
 * read from the operating system's page cache (or the in-memory file system), and recommendation
 * and impact latencies stay as they were (docs/benchmarks.md).
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS_MB = 16;

export interface PgliteOptions {
  /** shared_buffers in MiB, 1–999 (default DEFAULT_PGLITE_SHARED_BUFFERS_MB). */
  sharedBuffersMb?: number;
  /** WAL since the last checkpoint that triggers one (default PGLITE_CHECKPOINT_WAL_BYTES). */
  checkpointWalBytes?: number;
}

/** Embedded PostgreSQL (WASM). `dataDir` ':memory:' keeps everything in memory. */
export async function openPglite(
  dataDir: string,
  namespace = 'public',
  options: PgliteOptions = {},
): Promise<Database> {
  const settings = {
    extensions: { bulwarkStartup: startupSettings(options.sharedBuffersMb ?? DEFAULT_PGLITE_SHARED_BUFFERS_MB) },
  };
  let client: PGlite;
  if (dataDir === ':memory:') {
    client = await PGlite.create(settings);
    // Segments freed by a checkpoint are deleted rather than kept for reuse (PGlite keeps up to
    // min_wal_size = 80 MB of them): with ':memory:' they are the server's memory.
    await client.exec('set wal_recycle = off');
  } else {
    mkdirSync(dataDir, { recursive: true });
    client = await PGlite.create(dataDir, settings);
  }
  return wrapPglite(client, namespace, options);
}

/**
 * WAL written since the last checkpoint after which a transaction is followed by a CHECKPOINT.
 * PGlite runs PostgreSQL in single-user mode without a checkpointer, so otherwise checkpoints come
 * only every max_wal_size (1 GB) of WAL: that much WAL in the data directory (replayed on the next
 * start) and, with ':memory:', in the server's memory.
 */
export const PGLITE_CHECKPOINT_WAL_BYTES = 32 * 1024 * 1024;

/**
 * PGlite 0.3 starts PostgreSQL with fixed command-line settings (among them
 * `-c shared_buffers=128MB`), which win over postgresql.conf and ALTER SYSTEM, and has no option
 * to change them. This extension rewrites that one argument in the module's memory once the
 * runtime is initialised, before PGlite runs initdb and starts the backend. If a PGlite build
 * lacks the argument, nothing is changed (the test suite checks `show shared_buffers`).
 */
export function startupSettings(sharedBuffersMb: number): Extension {
  if (!Number.isInteger(sharedBuffersMb) || sharedBuffersMb < 1 || sharedBuffersMb > 999) {
    throw new RangeError(`shared_buffers must be an integer number of MiB between 1 and 999 (got ${sharedBuffersMb})`);
  }
  const original = Buffer.from('shared_buffers=128MB\0', 'latin1');
  // Same length or shorter, NUL-padded: the argument is a C string in the module's data segment.
  const replacement = Buffer.alloc(original.length);
  replacement.write(`shared_buffers=${sharedBuffersMb}MB`, 'latin1');
  return {
    name: 'bulwark-startup-settings',
    setup: async (_pg, emscriptenOpts: Record<string, unknown>) => {
      const mod: Record<string, unknown> = { ...emscriptenOpts };
      const previous = mod.onRuntimeInitialized as (() => void) | undefined;
      mod.onRuntimeInitialized = () => {
        const heap = mod.HEAPU8 as Uint8Array | undefined;
        if (heap) {
          const at = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength).indexOf(original);
          if (at >= 0) heap.set(replacement, at);
        }
        previous?.();
      };
      return { emscriptenOpts: mod };
    },
  };
}

export function wrapPglite(
  client: PGlite,
  namespace = 'public',
  options: Pick<PgliteOptions, 'checkpointWalBytes'> = {},
): Database {
  const checkpointWalBytes = options.checkpointWalBytes ?? PGLITE_CHECKPOINT_WAL_BYTES;
  const orm = drizzle(client) as unknown as Orm;
  const channel = (name: string) => (namespace === 'public' ? name : `${namespace}_${name}`);
  const base = queryable(orm, (text) => client.exec(text).then(() => undefined));
  // After a transaction, at most once a second: one cheap query, a CHECKPOINT when due.
  let walCheckedAt = 0;
  const checkpointIfDue = async () => {
    if (Date.now() - walCheckedAt < 1000 || client.closed) return;
    walCheckedAt = Date.now();
    try {
      const { rows } = await client.query<{ pending: string }>(
        'select (pg_current_wal_insert_lsn() - redo_lsn)::text as pending from pg_control_checkpoint()',
      );
      if (Number(rows[0]?.pending ?? 0) > checkpointWalBytes) await client.exec('checkpoint');
    } catch {
      // Housekeeping only (e.g. the database is closing): the transaction itself has committed,
      // and the next one checks again.
    }
  };
  return {
    ...base,
    driver: 'pglite',
    namespace,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const result = await client.transaction(async (ptx: Transaction) => {
        const txOrm = drizzle(ptx as unknown as PGlite) as unknown as Orm;
        return fn(queryable(txOrm, (text) => ptx.exec(text).then(() => undefined)));
      });
      await checkpointIfDue();
      return result;
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
