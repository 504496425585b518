import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/db/migrate.js';
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
