import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { testApp } from '../support/app.js';
import { apiKeyHeaders } from '../support/auth.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

const probe: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/limited', { config: { auth: { action: 'read' } } }, async () => ({ ok: true }));
};
const LIMITS = JSON.stringify({ 'GET /api/v1/limited': 3 });

describe('rate limiting', () => {
  let db: TestDatabase;
  const apps: App[] = [];
  const make = async (env: Record<string, string>) => {
    const app = await testApp(
      db,
      { BULWARK_AUTH: 'enabled', BULWARK_RATE_LIMIT: 'on', BULWARK_RATE_LIMITS: LIMITS, ...env },
      { extraRoutes: [probe] },
    );
    apps.push(app);
    return app;
  };
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await db.close();
  });

  it('token bucket per identity: headers on every response, then 429 with Retry-After', async () => {
    const app = await make({});
    const alice = await apiKeyHeaders(db, 'viewer');
    const bob = await apiKeyHeaders(db, 'viewer');
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.server.inject({ url: '/api/v1/limited', headers: alice });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      seen.push(String(res.headers['x-ratelimit-remaining']));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    }
    expect(seen).toEqual(['2', '1', '0']);
    const refused = await app.server.inject({ url: '/api/v1/limited', headers: alice });
    const body = expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(body.detail).toMatch(/3 requests per minute/);
    // Another identity has its own bucket.
    expect((await app.server.inject({ url: '/api/v1/limited', headers: bob })).statusCode).toBe(200);
  });

  it.runIf(process.env.REDIS_URL)('two instances share one bucket through Redis', async () => {
    const env = {
      REDIS_URL: process.env.REDIS_URL as string,
      BULWARK_RATE_LIMIT_REDIS_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
    };
    const a = await make(env);
    const b = await make(env);
    const key = await apiKeyHeaders(db, 'viewer');
    const statuses: number[] = [];
    for (const app of [a, b, a, b, a, b])
      statuses.push((await app.server.inject({ url: '/api/v1/limited', headers: key })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const ready = await a.server.inject({ url: '/api/v1/health/ready' });
    expect(ready.json().components.redis.status).toBe('up');
  });

  it('when Redis is down, limits fall back to this instance, readiness says degraded, never a 500', async () => {
    const app = await make({ REDIS_URL: 'redis://127.0.0.1:1' });
    const key = await apiKeyHeaders(db, 'viewer');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await app.server.inject({ url: '/api/v1/limited', headers: key })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const ready = await app.server.inject({ url: '/api/v1/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().components.redis).toMatchObject({
      status: 'degraded',
      detail: expect.stringMatching(/per instance/),
    });
  });

  it('CORS is off by default and follows the allow-list when configured', async () => {
    const closed = await make({ BULWARK_RATE_LIMIT: 'off' });
    const pre = {
      method: 'OPTIONS' as const,
      url: '/api/v1/limited',
      headers: { origin: 'https://portal.example', 'access-control-request-method': 'GET' },
    };
    expect((await closed.server.inject(pre)).headers['access-control-allow-origin']).toBeUndefined();
    const open = await make({ BULWARK_RATE_LIMIT: 'off', BULWARK_CORS_ORIGINS: 'https://portal.example' });
    expect((await open.server.inject(pre)).headers['access-control-allow-origin']).toBe('https://portal.example');
    const other = await open.server.inject({ ...pre, headers: { ...pre.headers, origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
