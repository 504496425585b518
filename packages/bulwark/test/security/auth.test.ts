import { createServer, type Server } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { testApp } from '../support/app.js';
import { apiKeyHeaders } from '../support/auth.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

const probes: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/probe/:id', { config: { auth: { action: 'read' } } }, async (req) => ({
    who: req.identity?.subject,
    role: req.identity?.role,
  }));
  app.post(
    '/api/v1/services/:id/probe',
    { config: { auth: { action: 'write', service: (req) => (req.params as { id: string }).id } } },
    async (req) => ({ wrote: (req.params as { id: string }).id, by: req.identity?.subject }),
  );
  app.post('/api/v1/admin/probe', { config: { auth: { action: 'admin' } } }, async () => ({ ok: true }));
};

describe.each(DRIVERS)('authentication and RBAC on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  let jwks: Server;
  let jwksKeys: JWK[] = [];
  let signer: Awaited<ReturnType<typeof generateKeyPair>>;
  let rotated: Awaited<ReturnType<typeof generateKeyPair>>;
  let stranger: Awaited<ReturnType<typeof generateKeyPair>>;
  let issuer = '';
  const audience = 'bulwark-api';

  const token = async (
    claims: Record<string, unknown>,
    o: { key?: typeof signer; kid?: string; exp?: string | number; nbf?: number; aud?: string } = {},
  ) => {
    const key = o.key ?? signer;
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' })
      .setIssuer(issuer)
      .setAudience(o.aud ?? audience)
      .setSubject(String(claims.sub ?? 'jane'))
      .setIssuedAt()
      .setExpirationTime(o.exp ?? '5m');
    if (o.nbf !== undefined) jwt = jwt.setNotBefore(o.nbf);
    return `Bearer ${await jwt.sign(key.privateKey)}`;
  };

  beforeAll(async () => {
    signer = await generateKeyPair('RS256');
    rotated = await generateKeyPair('RS256');
    stranger = await generateKeyPair('RS256');
    jwksKeys = [{ ...(await exportJWK(signer.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
    jwks = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwksKeys })),
    );
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
    db = await openTestDatabase(driver);
    await db.script(`create table if not exists services (id text primary key, team text);
      insert into services (id, team) values ('checkout', 'payments'), ('search', 'discovery') on conflict do nothing;`);
    app = await testApp(
      db,
      {
        BULWARK_AUTH: 'enabled',
        BULWARK_OIDC_JWKS_URL: `${issuer}/jwks.json`,
        BULWARK_OIDC_ISSUER: issuer,
        BULWARK_OIDC_AUDIENCE: audience,
        BULWARK_OIDC_JWKS_COOLDOWN_MS: '0',
      },
      { extraRoutes: [probes] },
    );
  });
  afterAll(async () => {
    await app.close();
    await db.close();
    jwks.close();
  });

  const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) =>
    app.server.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) });

  it('every role x a read route, an owned and a foreign write route, and an admin route', async () => {
    const admin = await apiKeyHeaders(db, 'sre_admin');
    const owner = await apiKeyHeaders(db, 'service_owner', 'payments');
    const viewer = await apiKeyHeaders(db, 'viewer');
    const matrix: Array<[Record<string, string>, number, number, number, number]> = [
      // headers, read, write own (checkout), write foreign (search), admin
      [admin, 200, 200, 200, 200],
      [owner, 200, 200, 403, 403],
      [viewer, 200, 403, 403, 403],
    ];
    for (const [headers, read, own, foreign, adm] of matrix) {
      expect((await call('GET', '/api/v1/probe/x', headers)).statusCode).toBe(read);
      expect((await call('POST', '/api/v1/services/checkout/probe', headers)).statusCode).toBe(own);
      expect((await call('POST', '/api/v1/services/search/probe', headers)).statusCode).toBe(foreign);
      expect((await call('POST', '/api/v1/admin/probe', headers)).statusCode).toBe(adm);
    }
    const forbidden = expectProblem(await call('POST', '/api/v1/services/search/probe', owner), 403);
    expect(forbidden.detail).toMatch(/team 'discovery'/);
  });

  it('401 with WWW-Authenticate for missing or invalid credentials; public routes stay open', async () => {
    const none = await call('GET', '/api/v1/probe/x');
    expectProblem(none, 401);
    expect(none.headers['www-authenticate']).toMatch(/Bearer realm="bulwark"/);
    expectProblem(
      await call('GET', '/api/v1/probe/x', {
        'x-api-key': 'bwk_0123456789_notarealkeynotarealkeynotarealkeynotareal12',
      }),
      401,
    );
    expectProblem(await call('GET', '/api/v1/probe/x', { 'x-api-key': 'garbage' }), 401);
    expect((await call('GET', '/api/v1/health')).statusCode).toBe(200);
  });

  it('a revoked key stops working on the next request', async () => {
    const admin = await apiKeyHeaders(db, 'sre_admin');
    const created = await app.server.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: admin,
      payload: { name: 'backstage', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    expect((await call('GET', '/api/v1/probe/x', { 'x-api-key': key })).statusCode).toBe(200);
    const listed = await app.server.inject({ url: '/api/v1/api-keys', headers: admin });
    expect(listed.body).not.toContain(key);
    expect(
      (await app.server.inject({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: admin })).statusCode,
    ).toBe(200);
    expectProblem(await call('GET', '/api/v1/probe/x', { 'x-api-key': key }), 401);
  });

  it('accepts valid JWTs and maps role and groups to ownership', async () => {
    const ok = await call('POST', '/api/v1/services/checkout/probe', {
      authorization: await token({ sub: 'jane', bulwark_role: 'service_owner', groups: ['payments'] }),
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ by: 'jane' });
    expect(
      (
        await call('POST', '/api/v1/services/search/probe', {
          authorization: await token({ bulwark_role: 'service_owner', groups: ['payments'] }),
        })
      ).statusCode,
    ).toBe(403);
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 600 }, /expired/],
    ['wrong audience', { aud: 'someone-else' }, /aud/],
    ['not yet valid', { nbf: Math.floor(Date.now() / 1000) + 600 }, /nbf/],
  ])('rejects a token that is %s', async (_name, o, detail) => {
    const res = await call('GET', '/api/v1/probe/x', { authorization: await token({ bulwark_role: 'viewer' }, o) });
    expect(expectProblem(res, 401).detail).toMatch(detail);
  });

  it('rejects a token signed with a key the identity provider does not publish, and one without a role', async () => {
    expectProblem(
      await call('GET', '/api/v1/probe/x', {
        authorization: await token({ bulwark_role: 'viewer' }, { key: stranger, kid: 'k1' }),
      }),
      401,
    );
    expectProblem(
      await call('GET', '/api/v1/probe/x', {
        authorization: await token({ bulwark_role: 'viewer' }, { key: stranger, kid: 'nope' }),
      }),
      401,
    );
    const noRole = await call('GET', '/api/v1/probe/x', { authorization: await token({}) });
    expect(expectProblem(noRole, 401).detail).toMatch(/role/);
  });

  it('refetches the JWKS when a token names an unknown key id (rotation)', async () => {
    expect(
      (await call('GET', '/api/v1/probe/x', { authorization: await token({ bulwark_role: 'viewer' }) })).statusCode,
    ).toBe(200);
    jwksKeys = [...jwksKeys, { ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }];
    const res = await call('GET', '/api/v1/probe/x', {
      authorization: await token({ bulwark_role: 'viewer' }, { key: rotated, kid: 'k2' }),
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('every registered route declares who may call it', async () => {
    const missing = app.server.routeTable.filter((r) => r.auth === undefined).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    expect(app.server.routeTable.length).toBeGreaterThan(15);
  });

  it('declares both security schemes in the OpenAPI document and sets security headers', async () => {
    const res = await app.server.inject({ url: '/openapi.json' });
    const doc = res.json() as { components: { securitySchemes: Record<string, unknown> }; security: unknown[] };
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['ApiKeyAuth', 'BearerAuth']);
    expect(doc.security).toHaveLength(2);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
