import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/types.js';
import { BulwarkError, notFound } from '../errors.js';
import type { TaskService } from './service.js';
import * as store from './store.js';
import { TASK_STATUSES, TERMINAL } from './types.js';

const jsonObject = z.record(z.string(), z.unknown());
const taskId = z.object({ id: z.uuid() });

const createBody = z
  .object({
    kind: z.string().min(1).max(64).default('process'),
    problem_id: z.string().min(1).max(128).optional(),
    agent_config: jsonObject.optional(),
    parameters: jsonObject.optional(),
    max_steps: z.number().int().min(1).max(1000).optional(),
    timeout_minutes: z.number().int().min(1).max(180).default(30),
    max_attempts: z.number().int().min(1).max(25).default(3),
    callback_url: z.string().max(2048).optional(),
    metadata: jsonObject.optional(),
    priority: z.number().int().min(0).max(10).default(5),
    idempotency_key: z.string().min(1).max(200).optional(),
    run_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const listQuery = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  kind: z.string().max(64).optional(),
  problem_id: z.string().max(128).optional(),
  worker_id: z.uuid().optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

const encodeCursor = (seq: string) => Buffer.from(`tasks:${seq}`).toString('base64url');
function decodeCursor(c: string): string {
  const m = /^tasks:(\d{1,18})$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m?.[1]) {
    throw new BulwarkError(
      'validation_failed',
      'query field /cursor is not a cursor this API issued; pass next_cursor from the previous page',
    );
  }
  return m[1];
}

const registerBody = z
  .object({
    name: z.string().min(1).max(200),
    cluster_name: z.string().max(200).optional(),
    backend_type: z.string().max(64).default('external'),
    version: z.string().max(64).optional(),
    capacity: z.number().int().min(1).max(1000).default(1),
    kinds: z.array(z.string().max(64)).max(100).optional(),
    metadata: jsonObject.optional(),
  })
  .strict();

const heartbeatBody = z
  .object({ worker_id: z.uuid(), lease_ms: z.number().int().min(1000).max(600_000).default(60_000) })
  .strict();

export function taskRoutes(o: { service: TaskService; db: Database; onlineAfterMs?: number }): FastifyPluginAsync {
  const { service, db } = o;
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/api/v1/tasks',
      {
        config: { auth: { action: 'write', anyWriter: true } },
        schema: {
          tags: ['tasks'],
          summary: 'Submit a task',
          description:
            'With an idempotency_key that was used before, returns the existing task (200) instead of creating one (201).',
          body: createBody,
        },
      },
      async (request, reply) => {
        const b = request.body;
        const { task, created } = await service.submit({
          ...b,
          run_at: b.run_at ? new Date(b.run_at) : undefined,
        });
        return reply.status(created ? 201 : 200).send(task);
      },
    );

    r.get(
      '/api/v1/tasks',
      {
        config: { auth: { action: 'read' } },
        schema: { tags: ['tasks'], summary: 'List tasks (newest first, cursor paginated)', querystring: listQuery },
      },
      async (request) => {
        const q = request.query;
        const rows = await service.list(
          {
            status: q.status,
            kind: q.kind,
            problem_id: q.problem_id,
            worker_id: q.worker_id,
            created_after: q.created_after ? new Date(q.created_after) : undefined,
            created_before: q.created_before ? new Date(q.created_before) : undefined,
          },
          { limit: q.limit + 1, afterSeq: q.cursor ? decodeCursor(q.cursor) : undefined },
        );
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return {
          items: page.map(({ seq_text: _s, ...t }) => t),
          next_cursor: rows.length > q.limit && last ? encodeCursor(last.seq_text) : null,
        };
      },
    );

    r.get(
      '/api/v1/tasks/:id',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['tasks'],
          summary: 'Task status, attempts, worker, result and callback deliveries',
          params: taskId,
        },
      },
      async (request) => service.get(request.params.id),
    );

    r.delete(
      '/api/v1/tasks/:id',
      {
        config: { auth: { action: 'write', anyWriter: true } },
        schema: {
          tags: ['tasks'],
          summary: 'Cancel a task (pending: at once; running: its handler is aborted)',
          params: taskId,
        },
      },
      async (request) => service.cancel(request.params.id),
    );

    r.get(
      '/api/v1/tasks/:id/logs',
      {
        config: { auth: { action: 'read' } },
        schema: {
          tags: ['tasks'],
          summary: 'Task logs (paged); follow=true streams NDJSON until the task ends',
          params: taskId,
          querystring: z.object({
            after: z
              .string()
              .regex(/^\d{1,18}$/)
              .optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
            follow: z.enum(['true', 'false']).default('false'),
          }),
        },
      },
      async (request, reply) => {
        const { after, limit, follow } = request.query;
        if (follow === 'false') {
          const items = await service.logs(request.params.id, { afterId: after, limit });
          const last = items[items.length - 1];
          return { items, next_after: last ? last.id : (after ?? null) };
        }
        await service.logs(request.params.id, { afterId: after, limit: 1 }); // 404 before streaming
        reply.raw.writeHead(200, {
          'content-type': 'application/x-ndjson',
          'cache-control': 'no-cache',
          'x-request-id': String(request.id),
        });
        let cursor = after;
        let closed = false;
        request.raw.on('close', () => {
          closed = true;
        });
        while (!closed) {
          const rows = await store.listLogs(db, request.params.id, { afterId: cursor, limit: 500 });
          for (const row of rows) reply.raw.write(`${JSON.stringify(row)}\n`);
          if (rows.length > 0) cursor = rows[rows.length - 1]?.id;
          const task = await store.getTask(db, request.params.id);
          if (!task || (TERMINAL.includes(task.status) && rows.length === 0)) break;
          await new Promise((res) => setTimeout(res, 500));
        }
        reply.raw.end();
        return reply;
      },
    );

    r.post(
      '/api/v1/workers/register',
      {
        config: { auth: { action: 'admin' } },
        schema: { tags: ['workers'], summary: 'Register an external worker', body: registerBody },
      },
      async (request, reply) => reply.status(201).send(await store.registerWorker(db, request.body)),
    );

    r.get(
      '/api/v1/workers',
      { config: { auth: { action: 'read' } }, schema: { tags: ['workers'], summary: 'Workers with their liveness' } },
      async () => ({
        items: (await store.listWorkers(db)).map((w) => withLiveness(w, o.onlineAfterMs)),
      }),
    );

    r.get(
      '/api/v1/workers/:id',
      { config: { auth: { action: 'read' } }, schema: { tags: ['workers'], summary: 'One worker', params: taskId } },
      async (request) => {
        const w = await store.getWorker(db, request.params.id);
        if (!w) throw notFound('worker', request.params.id);
        return withLiveness(w, o.onlineAfterMs);
      },
    );

    // The HTTP worker protocol, for workers that cannot reach the database: claim, then report.
    r.post(
      '/api/v1/workers/:id/claim',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['workers'],
          summary: 'Claim up to `limit` runnable tasks for an external worker (priority, then age)',
          params: taskId,
          body: z
            .object({
              kinds: z.array(z.string().max(64)).max(100).optional(),
              limit: z.number().int().min(1).max(100).default(1),
              lease_ms: z.number().int().min(1000).max(600_000).default(60_000),
            })
            .strict(),
        },
      },
      async (request) => {
        const w = await store.getWorker(db, request.params.id);
        if (!w) throw notFound('worker', request.params.id);
        const kinds = request.body.kinds ?? w.kinds ?? undefined;
        const items = await store.claimTasks(db, {
          workerId: w.id,
          kinds,
          limit: request.body.limit,
          leaseMs: request.body.lease_ms,
        });
        return { items };
      },
    );

    r.post(
      '/api/v1/tasks/:id/result',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['workers'],
          summary: 'Report the outcome of a claimed task (fenced: only the worker holding the lease may report)',
          params: taskId,
          body: z
            .object({
              worker_id: z.uuid(),
              outcome: z.enum(['completed', 'failed']),
              result: z.unknown().optional(),
              error: jsonObject.optional(),
              retry: z.boolean().default(true),
              retry_delay_ms: z.number().int().min(0).max(3_600_000).default(1000),
            })
            .strict(),
        },
      },
      async (request) => {
        const b = request.body;
        const ok =
          b.outcome === 'completed'
            ? await store.completeTask(db, {
                id: request.params.id,
                workerId: b.worker_id,
                status: 'completed',
                result: b.result ?? null,
              })
            : (await store.failTask(db, {
                id: request.params.id,
                workerId: b.worker_id,
                error: b.error ?? { message: 'reported failed by the worker' },
                retry: b.retry,
                retryDelayMs: b.retry_delay_ms,
              })) !== 'lost';
        if (!ok) {
          throw new BulwarkError(
            'conflict',
            `worker '${b.worker_id}' does not hold task '${request.params.id}' (its lease expired or another worker owns it); drop the result`,
          );
        }
        return store.getTask(db, request.params.id);
      },
    );

    r.post(
      '/api/v1/workers/heartbeat',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags: ['workers'],
          summary: 'Heartbeat: renews the leases of the worker’s running tasks; returns those to cancel',
          body: heartbeatBody,
        },
      },
      async (request) => {
        const w = await store.getWorker(db, request.body.worker_id);
        if (!w) throw notFound('worker', request.body.worker_id);
        const held = await store.renewLeases(db, w.id, request.body.lease_ms);
        return {
          worker_id: w.id,
          renewed: held.map((h) => h.id),
          cancel: held.filter((h) => h.cancel_requested).map((h) => h.id),
        };
      },
    );
  };
}

/** A worker silent for longer than 60 s shows offline even before the reaper marks it. */
function withLiveness(w: store.WorkerRow, onlineAfterMs = 60_000) {
  const silentMs = Date.now() - new Date(w.last_heartbeat).getTime();
  return {
    ...w,
    status: w.status !== 'offline' && silentMs > onlineAfterMs ? 'offline' : w.status,
    seconds_since_heartbeat: Math.round(silentMs / 1000),
  };
}
