import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { App } from '../src/app.js';
import { openPostgres } from '../src/db/postgres.js';
import { BulwarkError } from '../src/errors.js';
import { testApp } from './support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase, uniqueNamespace } from './support/db.js';
import { expectProblem } from './support/http.js';

const probeRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/api/v1/probe',
    {
      config: { auth: { action: 'public' } },
      schema: {
        body: z.object({ name: z.string().min(1), limits: z.object({ max: z.number().int().positive() }) }),
      },
    },
    async (req) => ({ echoed: req.body.name }),
  );
  r.get('/api/v1/probe/conflict', { config: { auth: { action: 'public' } } }, async () => {
    throw new BulwarkError('conflict', 'probe already exists');
  });
  r.get('/api/v1/probe/crash', { config: { auth: { action: 'public' } } }, async () => {
    throw new Error('secret internal detail at /srv/app.ts:42');
  });
};

describe.each(DRIVERS)('HTTP foundation on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db, { BULWARK_BODY_LIMIT_BYTES: String(64 * 1024) }, { extraRoutes: [probeRoutes] });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('serves liveness with a request id header', async () => {
    const res = await app.server.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const ok = await app.server.inject({ url: '/api/v1/health', headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await app.server.inject({ url: '/api/v1/health', headers: { 'x-request-id': 'a b\u0001c' } });
    expect(bad.headers['x-request-id']).not.toBe('a b\u0001c');
  });

  it('reports readiness with the database component', async () => {
    const res = await app.server.inject({ url: '/api/v1/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready', components: { database: { status: 'up' } } });
  });

  it('gives problem+json 404 for unknown routes', async () => {
    const body = expectProblem(await app.server.inject({ url: '/api/v1/nope' }), 404);
    expect(body.detail).toContain('/api/v1/nope');
    expect(body.instance).toBe('/api/v1/nope');
  });

  it('gives 400 for malformed JSON', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "x", ',
    });
    const body = expectProblem(res, 400);
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it('gives 400 with the JSON pointer of the bad field for schema violations', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/probe',
      payload: { name: 'x', limits: { max: 'ten' } },
    });
    const body = expectProblem(res, 400);
    expect(body.code).toBe('validation_failed');
    expect(body.detail).toContain('/limits/max');
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/limits/max', in: 'body' })]);
  });

  it('rejects prototype poisoning', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"x","limits":{"max":1},"__proto__":{"admin":true}}',
    });
    expectProblem(res, 400);
  });

  it('gives 413 for an oversized body', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/probe',
      payload: { name: 'x'.repeat(70 * 1024), limits: { max: 1 } },
    });
    expectProblem(res, 413);
  });

  it('gives 415 for an unsupported content type', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expectProblem(res, 415);
  });

  it('maps domain errors through the catalogue', async () => {
    const body = expectProblem(await app.server.inject({ url: '/api/v1/probe/conflict' }), 409);
    expect(body.detail).toBe('probe already exists');
  });

  it('gives 500 without leaking internals for real faults', async () => {
    const res = await app.server.inject({ url: '/api/v1/probe/crash' });
    const body = expectProblem(res, 500);
    expect(res.body).not.toContain('secret internal detail');
    expect(body.detail).toContain(String(res.headers['x-request-id']));
  });

  it('publishes an OpenAPI 3 document and the docs UI', async () => {
    const doc = (await app.server.inject({ url: '/openapi.json' })).json() as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/v1/health');
    const ui = await app.server.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('exports request metrics by route and status', async () => {
    await app.server.inject({ url: '/api/v1/health' });
    const res = await app.server.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /bulwark_http_requests_total\{method="GET",route="\/api\/v1\/health",status_code="200"\} \d+/,
    );
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });
});

describe('readiness when the database goes away', () => {
  it('turns 503 naming the database when PGlite is closed', async () => {
    const db = await openTestDatabase('pglite');
    const app = await testApp(db);
    try {
      await db.close();
      const body = expectProblem(await app.server.inject({ url: '/api/v1/health/ready' }), 503);
      expect(body.detail).toMatch(/database is down/);
      expect(body.components).toMatchObject({ database: { status: 'down' } });
    } finally {
      await app.close();
    }
  });

  it.runIf(process.env.DATABASE_URL)('turns 503 when PostgreSQL becomes unreachable', async () => {
    const target = new URL(process.env.DATABASE_URL as string);
    // A loopback TCP relay in front of PostgreSQL that we can cut.
    const sockets = new Set<Socket>();
    const relay: Server = createServer((client) => {
      const upstream = new NetSocket();
      sockets.add(client).add(upstream);
      upstream.connect(Number(target.port || 5432), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as { port: number }).port;
    const via = new URL(target);
    via.hostname = '127.0.0.1';
    via.port = String(port);
    const namespace = uniqueNamespace('rdy');
    const db = await openPostgres({ url: via.toString(), namespace, onError: () => {} });
    const app = await testApp(db);
    try {
      expect((await app.server.inject({ url: '/api/v1/health/ready' })).statusCode).toBe(200);
      await new Promise<void>((r) => relay.close(() => r()));
      for (const s of sockets) s.destroy();
      const body = expectProblem(await app.server.inject({ url: '/api/v1/health/ready' }), 503);
      expect(body.detail).toMatch(/database is down/);
    } finally {
      await app.close();
      await db.close().catch(() => {});
      const cleanup = await openPostgres({ url: target.toString(), namespace });
      await cleanup.script(`drop schema ${namespace} cascade`);
      await cleanup.close();
    }
  });
});

describe('readiness of configured dependencies', () => {
  it('checks Redis and Prometheus when configured and names the one that is down', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    // A stand-in Prometheus answering /-/ready on loopback.
    let promReady = true;
    const prom = createHttpServer((req, res) => {
      res.writeHead(req.url === '/-/ready' && promReady ? 200 : 503).end();
    });
    await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
    const promUrl = `http://127.0.0.1:${(prom.address() as { port: number }).port}`;
    const db = await openTestDatabase('pglite');
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const app = await testApp(db, { REDIS_URL: redisUrl, PROMETHEUS_URL: promUrl });
    const bad = await testApp(db, { REDIS_URL: 'redis://127.0.0.1:1', PROMETHEUS_URL: promUrl });
    try {
      const ready = await app.server.inject({ url: '/api/v1/health/ready' });
      if (ready.statusCode === 200) {
        expect(ready.json().components).toMatchObject({ redis: { status: 'up' }, prometheus: { status: 'up' } });
      } else {
        // No Redis on this machine: the check must say so, not hang or 500.
        expect(expectProblem(ready, 503).detail).toMatch(/redis is down/);
      }
      const body = expectProblem(await bad.server.inject({ url: '/api/v1/health/ready' }), 503);
      expect(body.detail).toMatch(/redis is down/);
      promReady = false;
      const body2 = expectProblem(await bad.server.inject({ url: '/api/v1/health/ready' }), 503);
      expect(body2.detail).toMatch(/prometheus is down/);
    } finally {
      await app.close();
      await bad.close();
      await db.close();
      prom.close();
    }
  });
});
