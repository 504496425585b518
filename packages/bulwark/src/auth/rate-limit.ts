import { TokenBucket } from '@bulwark/resilience';
import type { Redis } from 'ioredis';

/** Requests per minute by route, from the TRD's endpoint inventory; other routes use the defaults. */
export const ROUTE_LIMITS: Record<string, number> = {
  'POST /api/v1/services/dependencies': 10,
  'GET /api/v1/services/:id/dependencies': 60,
  'GET /api/v1/services/:id/slo-recommendations': 60,
  'POST /api/v1/services/:id/slos': 30,
  'GET /api/v1/services/:id/slos': 120,
  'GET /api/v1/services/:id/slo-history': 30,
  'POST /api/v1/slos/impact-analysis': 10,
  'GET /api/v1/services': 30,
};
export const DEFAULT_LIMITS = { read: 120, write: 60, admin: 60 } as const;

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one request is allowed (when refused). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(bucket: string, perMinute: number): Promise<LimitResult>;
  /** 'redis' while the shared store answers, 'local' when running on in-process buckets. */
  mode(): 'redis' | 'local';
}

function result(allowed: boolean, tokens: number, perMinute: number): LimitResult {
  const perSecond = perMinute / 60;
  return {
    allowed,
    limit: perMinute,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((perMinute - tokens) / perSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
  };
}

/** Token buckets in this process (one server, or the fallback when Redis is down). */
export function localRateLimiter(maxBuckets = 100_000): RateLimiter {
  const buckets = new Map<string, TokenBucket>();
  return {
    async take(bucket, perMinute) {
      let b = buckets.get(bucket);
      if (!b) {
        if (buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value as string); // oldest first
        b = new TokenBucket(perMinute, perMinute / 60);
        buckets.set(bucket, b);
      }
      const r = b.tryTake();
      return result(r.ok, r.ok ? r.remaining : r.remaining, perMinute);
    },
    mode: () => 'local',
  };
}

// Atomic token bucket in Redis, timed by the Redis server's clock so every instance agrees.
const SCRIPT = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or capacity
local ts = tonumber(data[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return { allowed, tostring(tokens) }
`;

/**
 * Buckets shared by every instance through Redis. When Redis fails, requests are limited by
 * in-process buckets instead (never refused for Redis' sake, never a 500) and `onModeChange`
 * reports it; the next successful call switches back.
 */
export function redisRateLimiter(o: {
  redis: Redis;
  keyPrefix?: string;
  onModeChange?: (mode: 'redis' | 'local', error?: unknown) => void;
}): RateLimiter {
  const fallback = localRateLimiter();
  const prefix = o.keyPrefix ?? 'bulwark:rl:';
  let current: 'redis' | 'local' = 'redis';
  const switchTo = (mode: 'redis' | 'local', error?: unknown) => {
    if (mode === current) return;
    current = mode;
    o.onModeChange?.(mode, error);
  };
  return {
    async take(bucket, perMinute) {
      try {
        const [allowed, tokens] = (await o.redis.eval(
          SCRIPT,
          1,
          `${prefix}${bucket}`,
          perMinute,
          perMinute / 60_000,
        )) as [number, string];
        switchTo('redis');
        return result(allowed === 1, Number(tokens), perMinute);
      } catch (err) {
        switchTo('local', err);
        return fallback.take(bucket, perMinute);
      }
    },
    mode: () => current,
  };
}
