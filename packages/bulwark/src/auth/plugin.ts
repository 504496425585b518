import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../db/types.js';
import { BulwarkError } from '../errors.js';
import type { RouteAuth } from '../http/route-auth.js';
import { touchApiKey, verifyApiKey } from './api-keys.js';
import { TokenRejected } from './jwt.js';
import { DEFAULT_LIMITS, ROUTE_LIMITS, type RateLimiter } from './rate-limit.js';
import { authorize } from './rbac.js';
import type { Identity } from './types.js';

export interface AuthPluginOptions {
  db: Database;
  enabled: boolean;
  verifyJwt: ((token: string) => Promise<Identity>) | undefined;
  limiter: RateLimiter | undefined;
  limitOverrides: Record<string, number>;
  corsOrigins: string[];
  /** Team owning a service (undefined when unknown). */
  ownerOf: (serviceId: string) => Promise<string | undefined>;
}

const CHALLENGE = 'Bearer realm="bulwark", ApiKey realm="bulwark", header="X-API-Key"';
const ANONYMOUS_ADMIN: Identity = { subject: 'anonymous', role: 'sre_admin', groups: [], via: 'disabled' };

function unauthorized(detail: string): BulwarkError {
  return new BulwarkError('unauthorized', detail, { headers: { 'WWW-Authenticate': CHALLENGE } });
}

/**
 * Authentication, authorisation, rate limiting and security headers for every route, from the
 * route's declared `config.auth`. A route without a declaration is treated as admin-only (fail
 * closed); a test walks the app and fails when any route lacks one.
 */
export const authPlugin = fp<AuthPluginOptions>(
  async (app: FastifyInstance, o) => {
    if (o.corsOrigins.length > 0) {
      await app.register(cors, {
        origin: o.corsOrigins,
        methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id'],
      });
    }

    const authenticate = async (request: FastifyRequest): Promise<Identity> => {
      if (!o.enabled) return ANONYMOUS_ADMIN;
      const apiKey = request.headers['x-api-key'];
      const authz = request.headers.authorization;
      if (typeof apiKey === 'string' && apiKey.length > 0) {
        const row = await verifyApiKey(o.db, apiKey.trim());
        if (!row)
          throw unauthorized(
            'the X-API-Key is not valid or has been revoked; create a new key with `bulwark apikey create`',
          );
        void touchApiKey(o.db, row.id).catch(() => {});
        return { subject: `apikey:${row.name}`, role: row.role, groups: row.team ? [row.team] : [], via: 'api_key' };
      }
      if (typeof authz === 'string' && /^bearer\s+/i.test(authz)) {
        if (!o.verifyJwt)
          throw unauthorized(
            'bearer tokens are not accepted: no identity provider is configured (BULWARK_OIDC_JWKS_URL); use X-API-Key',
          );
        try {
          return await o.verifyJwt(authz.replace(/^bearer\s+/i, '').trim());
        } catch (err) {
          if (err instanceof TokenRejected) throw unauthorized(err.message);
          throw new BulwarkError(
            'dependency_unavailable',
            'the identity provider could not be reached to verify the token; retry shortly',
            { cause: err },
          );
        }
      }
      throw unauthorized('credentials required: send X-API-Key or Authorization: Bearer <token>');
    };

    const rateLimit = async (
      request: FastifyRequest,
      reply: FastifyReply,
      identity: Identity | undefined,
      auth: RouteAuth,
    ) => {
      if (!o.limiter) return;
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
      const perMinute =
        o.limitOverrides[route] ??
        ROUTE_LIMITS[route] ??
        o.limitOverrides[auth.action] ??
        DEFAULT_LIMITS[auth.action as keyof typeof DEFAULT_LIMITS] ??
        120;
      const who = identity && identity.via !== 'disabled' ? `${identity.via}:${identity.subject}` : `ip:${request.ip}`;
      const r = await o.limiter.take(`${who}|${route}`, perMinute);
      reply.header('X-RateLimit-Limit', String(r.limit));
      reply.header('X-RateLimit-Remaining', String(r.remaining));
      reply.header('X-RateLimit-Reset', String(r.resetSeconds));
      if (!r.allowed) {
        throw new BulwarkError(
          'rate_limited',
          `rate limit of ${r.limit} requests per minute for ${route} exceeded; retry after ${r.retryAfterSeconds} s`,
          {
            headers: { 'Retry-After': String(r.retryAfterSeconds) },
          },
        );
      }
    };

    app.addHook('onRequest', async (request, reply) => {
      // Unmatched URLs (404s) have no route options: nothing to protect.
      if (request.routeOptions.url === undefined) return;
      const auth: RouteAuth = request.routeOptions.config.auth ?? { action: 'admin' };
      if (auth.action === 'public') return;
      let identity: Identity | undefined;
      try {
        identity = await authenticate(request);
      } catch (err) {
        // Failed authentication still spends from the caller's address bucket.
        await rateLimit(request, reply, undefined, auth);
        throw err;
      }
      request.identity = identity;
      await rateLimit(request, reply, identity, auth);
      const serviceId = auth.service?.(request);
      const owner =
        serviceId !== undefined && identity.role === 'service_owner' ? await o.ownerOf(serviceId) : undefined;
      const decision = authorize(identity, auth, owner, serviceId);
      if (!decision.allow) throw new BulwarkError('forbidden', decision.reason);
    });

    app.addHook('onSend', async (request, reply, payload) => {
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('X-Frame-Options', 'DENY');
      reply.header('Referrer-Policy', 'no-referrer');
      reply.header('Cross-Origin-Resource-Policy', 'same-origin');
      if (request.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
      return payload;
    });
  },
  { name: 'bulwark-auth' },
);
