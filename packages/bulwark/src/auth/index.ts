import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { DomainContext } from '../domain-context.js';
import { DegradedError } from '../http/health.js';
import { createJwtVerifier } from './jwt.js';
import { authPlugin } from './plugin.js';
import { localRateLimiter, type RateLimiter, redisRateLimiter } from './rate-limit.js';
import { apiKeyRoutes } from './routes.js';

export const OPENAPI_SECURITY = {
  securitySchemes: {
    ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  },
};

/** Wire authentication, RBAC, rate limiting and hardening; returns the guard plugin and routes. */
export function wireAuth(ctx: DomainContext) {
  const { config, db } = ctx;
  let limiter: RateLimiter | undefined;
  if (config.rateLimit.enabled) {
    if (config.redisUrl) {
      const redis = new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 1_500,
      });
      redis.on('error', () => {}); // surfaced through the limiter's mode and readiness
      limiter = redisRateLimiter({
        redis,
        keyPrefix: config.rateLimit.redisPrefix,
        onModeChange: (mode, error) => {
          const log = ctx.log();
          if (mode === 'local')
            log.warn({ err: error }, 'Redis unavailable: rate limits fall back to per-instance buckets');
          else log.info('Redis reachable again: rate limits are shared across instances');
        },
      });
      const shared = limiter;
      ctx.addReadinessCheck('redis', async () => {
        await redis.ping().catch((err: unknown) => {
          throw new DegradedError(
            `Redis unreachable (${err instanceof Error ? err.message : String(err)}); rate limits are per instance`,
          );
        });
        if (shared.mode() === 'local')
          throw new DegradedError('rate limits are per instance until Redis answers a limit check');
      });
      // Give Redis a moment to connect before serving, so the first requests use the shared buckets.
      ctx.onStart(
        () =>
          new Promise<void>((resolve) => {
            if (redis.status === 'ready') return resolve();
            const timer = setTimeout(resolve, 2_000);
            redis.once('ready', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      );
      ctx.onClose(async () => {
        redis.disconnect();
      });
    } else {
      limiter = localRateLimiter();
    }
  }
  const verifyJwt =
    config.auth.jwksUrl && config.auth.issuer && config.auth.audience
      ? createJwtVerifier({
          jwksUrl: config.auth.jwksUrl,
          issuer: config.auth.issuer,
          audience: config.auth.audience,
          roleClaim: config.auth.roleClaim,
          groupsClaim: config.auth.groupsClaim,
          cooldownMs: config.auth.jwksCooldownMs,
        })
      : undefined;
  const ownerOf = async (serviceId: string): Promise<string | undefined> => {
    try {
      const rows = await db.query<{ team: string | null }>(sql`select team from services where id = ${serviceId}`);
      return rows[0]?.team ?? undefined;
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return undefined; // no services table yet
      throw err;
    }
  };
  // Wrapped with fastify-plugin so the hooks apply to every route, not only inside this plugin.
  const guard = fp(async (app: FastifyInstance) => {
    await app.register(authPlugin, {
      db,
      enabled: config.auth.enabled,
      verifyJwt,
      limiter,
      limitOverrides: config.rateLimit.overrides,
      corsOrigins: config.corsOrigins,
      ownerOf,
    });
  });
  return { guard, routes: apiKeyRoutes(db) };
}
