import { createApiKey } from '../../src/auth/api-keys.js';
import type { Role } from '../../src/auth/types.js';
import type { Queryable } from '../../src/db/types.js';

/** Create an API key of `role` (optionally for `team`) and return the header that carries it. */
export async function apiKeyHeaders(db: Queryable, role: Role, team?: string): Promise<{ 'x-api-key': string }> {
  const { key } = await createApiKey(db, {
    name: `test-${role}-${team ?? 'none'}-${Math.random().toString(36).slice(2, 8)}`,
    role,
    team,
    createdBy: 'test',
  });
  return { 'x-api-key': key };
}
