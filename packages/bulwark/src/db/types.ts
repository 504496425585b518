import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * Glossary
 * - Database: one connection pool (PostgreSQL) or one embedded instance (PGlite) with migrations applied.
 * - Queryable: anything that runs statements: the database itself or an open transaction.
 * - namespace: the PostgreSQL schema this handle works in; LISTEN/NOTIFY channels are prefixed
 *   with it so that isolated test schemas never hear each other.
 *
 * Column types returned by `query` are the same on both drivers as long as statements select
 * int4 / float8 / text / bool / uuid / jsonb / timestamptz (cast `count(*)::int`, `numeric::float8`).
 */

export type Driver = 'pglite' | 'postgres';

export type Orm = PgDatabase<PgQueryResultHKT>;

export interface Queryable {
  /** The Drizzle query builder bound to this connection or transaction. */
  readonly orm: Orm;
  /** Run one parameterised statement built with Drizzle's `sql` tag and return its rows. */
  query<T = Record<string, unknown>>(statement: SQL): Promise<T[]>;
  /** Run a multi-statement SQL script without parameters (migrations, fixtures). */
  script(text: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly driver: Driver;
  readonly namespace: string;
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribe to a notification channel; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Send a notification (inside `tx` when given, so it is delivered on commit). */
  notify(channel: string, payload: string, tx?: Queryable): Promise<void>;
  /** Cheap round trip used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
