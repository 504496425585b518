import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/types.js';
import { notFound } from '../errors.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { ROLES } from './types.js';

export function apiKeyRoutes(db: Database): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/api-keys',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['security'],
          summary: 'Create an API key (the key is in this response only)',
          body: z
            .object({
              name: z.string().min(1).max(100),
              role: z.enum(ROLES),
              team: z.string().min(1).max(100).optional(),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        const { key, row } = await createApiKey(db, {
          ...request.body,
          createdBy: request.identity?.subject ?? 'anonymous',
        });
        return reply.status(201).send({ ...row, key });
      },
    );
    r.get(
      '/api/v1/api-keys',
      {
        config: { auth: { action: 'admin' } },
        schema: { tags: ['security'], summary: 'List API keys (never the keys themselves)' },
      },
      async () => ({
        items: await listApiKeys(db),
      }),
    );
    r.delete(
      '/api/v1/api-keys/:id',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['security'],
          summary: 'Revoke an API key (effective on the next request)',
          params: z.object({ id: z.uuid() }),
        },
      },
      async (request) => {
        const row = await revokeApiKey(db, request.params.id);
        if (!row) throw notFound('api key', request.params.id);
        return row;
      },
    );
  };
}
