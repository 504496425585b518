import fc from 'fast-check';
import type { HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { testApp } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * 1,000 random malformed requests (methods, paths, headers, bodies) against the full application,
 * with authentication on and off: no 5xx, no hang, every error is problem+json.
 */
describe('malformed request fuzzing', () => {
  let db: TestDatabase;
  let secured: App;
  let open: App;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    secured = await testApp(db, {
      BULWARK_AUTH: 'enabled',
      BULWARK_RATE_LIMIT: 'on',
      BULWARK_BODY_LIMIT_BYTES: '65536',
    });
    open = await testApp(db, { BULWARK_BODY_LIMIT_BYTES: '65536' });
  });
  afterAll(async () => {
    await secured.close();
    await open.close();
    await db.close();
  });

  it('never answers 5xx, never hangs, and every error is problem+json', async () => {
    const templates = [...new Set(open.server.routeTable.map((r) => r.url))].filter((u) => !u.startsWith('/docs'));
    const segment = fc.oneof(
      fc.uuid(),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('..', '%00', '%E0%A4%A', 'a'.repeat(300), '😀', '-1', '1e309', 'null', '{}'),
    );
    const path = fc.oneof(
      fc
        .tuple(fc.constantFrom(...templates), segment, fc.string({ maxLength: 30 }))
        .map(
          ([t, seg, q]) =>
            `${t.replace(/:[a-zA-Z_]+/g, encodeURIComponent(seg))}${q ? `?${encodeURIComponent(q)}=${encodeURIComponent(q)}&limit=${q.length - 5}&cursor=${encodeURIComponent(q)}` : ''}`,
        ),
      fc.string({ maxLength: 60 }).map((s) => `/${encodeURIComponent(s)}`),
      fc.constantFrom('/api/v1/', '/api/v1/tasks/../../etc/passwd', '/api//v1//tasks', '/metrics?x=%ZZ'),
    );
    const json = fc.jsonValue({ maxDepth: 4 });
    const body = fc.oneof(
      json.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(
        '{"kind":',
        '[[[[[[[[[[',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{}}}',
        '',
        'null',
        '1e999',
      ),
      fc
        .record({
          kind: fc.oneof(fc.string(), fc.integer()),
          priority: fc.oneof(fc.integer(), fc.string()),
          timeout_minutes: fc.double(),
        })
        .map((o) => JSON.stringify(o)),
    );
    const headers = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-7',
          'garbage/!!',
        ),
        'x-api-key': fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.constant('bwk_0123456789_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
        ),
        authorization: fc.oneof(fc.string({ maxLength: 80 }), fc.constant('Bearer a.b.c'), fc.constant('Bearer ')),
        'x-request-id': fc.string({ maxLength: 200 }),
      },
      { requiredKeys: [] },
    );
    const request = fc.record({
      method: fc.constantFrom<HTTPMethods>('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      path,
      headers,
      body,
      secured: fc.boolean(),
    });

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const app = r.secured ? secured : open;
        const cleanHeaders = Object.fromEntries(
          Object.entries(r.headers).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v as string)),
        );
        const res = await Promise.race([
          app.server.inject({
            method: r.method,
            url: r.path,
            headers: cleanHeaders as Record<string, string>,
            ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { payload: r.body }),
          }),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`hang: ${r.method} ${r.path}`)), 5_000)),
        ]);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const ok =
          res.statusCode < 500 &&
          (res.statusCode < 400 ||
            r.method === 'HEAD' ||
            String(res.headers['content-type']).startsWith('application/problem+json'));
        if (!ok)
          failures.push(
            `${r.method} ${r.path} -> ${res.statusCode} ${String(res.headers['content-type'])} ${res.body.slice(0, 200)}`,
          );
        expect(ok, failures[failures.length - 1]).toBe(true);
      }),
      { numRuns: 1000, seed: 20261124 },
    );
    // The requests reached every layer: routing, authentication, parsing and validation.
    for (const status of [400, 401, 404]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(1000);
  }, 120_000);
});
