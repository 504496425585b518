import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/index.js';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { DEFAULT_PGLITE_SHARED_BUFFERS_MB, openPglite, startupSettings } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';
import { DRIVERS, openTestDatabase, type TestDatabase, uniqueNamespace } from './support/db.js';

describe.each(DRIVERS)('database on %s', (driver) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await db.close();
  });

  it('applies migrations once and is idempotent on a second run', async () => {
    const again = await migrate(db);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(readMigrations().length);
    const rows = await db.query<{ n: number }>(sql`select count(*)::int as n from schema_migrations`);
    expect(rows[0]?.n).toBe(readMigrations().length);
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'tampered' } : m));
    await expect(migrate(db, edited)).rejects.toThrow(/changed after it was applied/);
  });

  it('rolls back every write of a failed transaction', async () => {
    await db.script('create table tx_probe (id int primary key)');
    await expect(
      db.transaction(async (tx) => {
        await tx.query(sql`insert into tx_probe values (1)`);
        await tx.query(sql`insert into tx_probe values (1)`); // duplicate key
      }),
    ).rejects.toThrow();
    const rows = await db.query<{ n: number }>(sql`select count(*)::int as n from tx_probe`);
    expect(rows[0]?.n).toBe(0);
    await db.transaction(async (tx) => {
      await tx.query(sql`insert into tx_probe values (2)`);
    });
    const after = await db.query<{ id: number }>(sql`select id from tx_probe`);
    expect(after).toEqual([{ id: 2 }]);
  });

  it('delivers notifications to listeners, after commit when sent in a transaction', async () => {
    const received: string[] = [];
    const unlisten = await db.listen('probe', (p) => received.push(p));
    await db.transaction(async (tx) => {
      await db.notify('probe', 'inside', tx);
      expect(received).toEqual([]);
    });
    await db.notify('probe', 'outside');
    await expect.poll(() => received, { timeout: 5_000 }).toEqual(['inside', 'outside']);
    await unlisten();
  });

  it('append-only trigger function rejects UPDATE and DELETE', async () => {
    await db.script(`create table ledger (id int primary key, v text);
      create trigger ledger_append_only before update or delete on ledger
      for each row execute function bulwark_reject_mutation();`);
    await db.query(sql`insert into ledger values (1, 'a')`);
    await expect(db.query(sql`update ledger set v = 'b' where id = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(sql`delete from ledger`)).rejects.toThrow(/append-only/);
  });
});

describe('embedded database settings', () => {
  const setting = async (db: { query: TestDatabase['query'] }, name: string) =>
    (await db.query<Record<string, string>>(sql.raw(`show ${name}`)))[0]?.[name];

  it("starts with the configured shared_buffers instead of PGlite's 128 MB, durability unchanged", async () => {
    const memory = await openPglite(':memory:');
    try {
      expect(await setting(memory, 'shared_buffers')).toBe(`${DEFAULT_PGLITE_SHARED_BUFFERS_MB}MB`);
    } finally {
      await memory.close();
    }
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-pglite-'));
    const config = loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_EMBEDDED_SHARED_BUFFERS_MB: '24' });
    try {
      const db = await openDatabase(config);
      expect(await setting(db, 'shared_buffers')).toBe('24MB');
      expect(await setting(db, 'fsync')).toBe('on');
      expect(await setting(db, 'synchronous_commit')).toBe('on');
      await db.script('create table durability_probe (v int); insert into durability_probe values (7)');
      await db.close();
      // The data directory on disk keeps what was committed across a restart.
      const again = await openDatabase(config);
      const rows = await again.query<{ v: number }>(sql`select v from durability_probe`);
      expect(rows).toEqual([{ v: 7 }]);
      expect(await setting(again, 'shared_buffers')).toBe('24MB');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkpoints after a transaction once enough WAL has accumulated (PGlite has no checkpointer)', async () => {
    const db = await openPglite(':memory:', 'public', { checkpointWalBytes: 1024 * 1024 });
    const pending = async () =>
      Number(
        (
          await db.query<{ pending: string }>(
            sql`select (pg_current_wal_insert_lsn() - redo_lsn)::text as pending from pg_control_checkpoint()`,
          )
        )[0]?.pending,
      );
    try {
      await db.script('create table wal_probe (id int, v text)');
      await db.query(sql`insert into wal_probe select g, repeat('x', 500) from generate_series(1, 6000) g`);
      expect(await pending()).toBeGreaterThan(1024 * 1024); // autocommit writes alone: no checkpoint
      await db.transaction(async (tx) => {
        await tx.query(sql`update wal_probe set v = 'y' where id = 1`);
      });
      expect(await pending()).toBeLessThan(1024 * 1024);
      expect(await setting(db, 'wal_recycle')).toBe('off'); // ':memory:': freed segments are deleted
    } finally {
      await db.close();
    }
  });

  it("rejects a shared_buffers value it cannot write into PGlite's arguments", () => {
    expect(() => startupSettings(0)).toThrow(RangeError);
    expect(() => startupSettings(1000)).toThrow(RangeError);
    expect(() => startupSettings(2.5)).toThrow(RangeError);
    expect(() => loadConfig({ BULWARK_EMBEDDED_SHARED_BUFFERS_MB: '0' })).toThrow(/BULWARK_EMBEDDED_SHARED_BUFFERS_MB/);
  });
});

describe.runIf(process.env.DATABASE_URL)('concurrent migrations on PostgreSQL', () => {
  it('two migrators starting together leave one schema with each migration applied once', async () => {
    const url = process.env.DATABASE_URL as string;
    const namespace = uniqueNamespace('mig');
    const a = await openPostgres({ url, namespace });
    const b = await openPostgres({ url, namespace });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const total = readMigrations().length;
      // One of them applied everything, the other found it done.
      expect([ra.applied.length, rb.applied.length].sort()).toEqual([0, total]);
      const rows = await a.query<{ n: number }>(sql`select count(*)::int as n from schema_migrations`);
      expect(rows[0]?.n).toBe(total);
    } finally {
      await a.script(`drop schema ${namespace} cascade`);
      await a.close();
      await b.close();
    }
  });
});
