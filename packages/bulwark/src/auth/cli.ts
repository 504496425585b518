import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config.js';
import { openDatabase } from '../db/index.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { ROLES, type Role } from './types.js';

export function registerApiKeyCommands(program: Command, loadConfig: () => Config): void {
  const apikey = program.command('apikey').description('manage API keys (talks to the database directly)');
  const withDb = async <T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> => {
    const db = await openDatabase(loadConfig());
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  apikey
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who uses the key, e.g. backstage')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, (v: string) => {
      if (!ROLES.includes(v as Role)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
      return v as Role;
    })
    .option('--team <team>', 'team a service_owner key may write for')
    .action(async (o: { name: string; role: Role; team?: string }) => {
      const { key, row } = await withDb((db) =>
        createApiKey(db, { name: o.name, role: o.role, team: o.team, createdBy: 'cli' }),
      );
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `created key ${row.prefix} (${row.name}, ${row.role}${row.team ? `, team ${row.team}` : ''}); it is shown only once\n`,
      );
    });
  apikey
    .command('list')
    .description('list keys (prefix, name, role, team, last use, revoked)')
    .action(async () => {
      for (const k of await withDb(listApiKeys)) {
        process.stdout.write(
          `${k.prefix}  ${k.name.padEnd(20)}  ${k.role.padEnd(13)}  ${(k.team ?? '-').padEnd(12)}  last used ${k.last_used_at ? new Date(k.last_used_at).toISOString() : 'never'}${k.revoked_at ? '  REVOKED' : ''}\n`,
        );
      }
    });
  apikey
    .command('revoke <idOrPrefix>')
    .description('revoke a key by id or prefix (effective on the next request)')
    .action(async (idOrPrefix: string) => {
      const row = await withDb((db) => revokeApiKey(db, idOrPrefix));
      if (!row) {
        process.stderr.write(`bulwark: no API key with id or prefix '${idOrPrefix}'\n`);
        process.exit(1);
      }
      process.stdout.write(`revoked ${row.prefix} (${row.name})\n`);
    });
}
