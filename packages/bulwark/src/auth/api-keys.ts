import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/types.js';
import type { Role } from './types.js';

/**
 * API keys: `bwk_<prefix>_<secret>`, 32 random bytes of secret. Only the SHA-256 digest of the whole
 * key is stored, found by its public prefix and compared in constant time. A slow KDF (bcrypt) adds
 * nothing for 256-bit random secrets — nobody can enumerate them — and would cost ~250 ms a request.
 */
export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  team: string | null;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_RE = /^bwk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

export function digestKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateKey(): { key: string; prefix: string } {
  const prefix = randomBytes(8).toString('hex').slice(0, 10);
  return { key: `bwk_${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}

export async function createApiKey(
  q: Queryable,
  o: { name: string; role: Role; team?: string | undefined; createdBy: string },
): Promise<{ key: string; row: ApiKeyRow }> {
  const { key, prefix } = generateKey();
  const rows = await q.query<ApiKeyRow>(sql`
    insert into api_keys (name, prefix, digest, role, team, created_by)
    values (${o.name}, ${prefix}, ${digestKey(key)}, ${o.role}, ${o.team ?? null}, ${o.createdBy})
    returning id, name, prefix, role, team, created_by, created_at, last_used_at, revoked_at`);
  return { key, row: rows[0] as ApiKeyRow };
}

/** The key's row when the key is well-formed, known, matches and is not revoked. */
export async function verifyApiKey(q: Queryable, key: string): Promise<ApiKeyRow | undefined> {
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const rows = await q.query<ApiKeyRow & { digest: string }>(sql`
    select id, name, prefix, role, team, created_by, created_at, last_used_at, revoked_at, digest
    from api_keys where prefix = ${m[1] as string}`);
  const row = rows[0];
  if (!row || row.revoked_at) return undefined;
  const a = Buffer.from(row.digest, 'hex');
  const b = Buffer.from(digestKey(key), 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  const { digest: _d, ...rest } = row;
  return rest;
}

export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  // At most once a minute per key, so reads do not turn into a write per request.
  await q.query(
    sql`update api_keys set last_used_at = now() where id = ${id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
  );
}

export async function listApiKeys(q: Queryable): Promise<ApiKeyRow[]> {
  return q.query<ApiKeyRow>(sql`
    select id, name, prefix, role, team, created_by, created_at, last_used_at, revoked_at from api_keys order by created_at desc`);
}

export async function revokeApiKey(q: Queryable, idOrPrefix: string): Promise<ApiKeyRow | undefined> {
  const byId = /^[0-9a-f-]{36}$/.test(idOrPrefix);
  const rows = await q.query<ApiKeyRow>(sql`
    update api_keys set revoked_at = coalesce(revoked_at, now())
    where ${byId ? sql`id = ${idOrPrefix}::uuid` : sql`prefix = ${idOrPrefix}`}
    returning id, name, prefix, role, team, created_by, created_at, last_used_at, revoked_at`);
  return rows[0];
}
