import { Redis } from 'ioredis';

/**
 * Readiness checks for the optional dependencies named in the configuration. Each resolves when
 * the component answers and throws with a reason otherwise.
 */
export function redisReadiness(url: string): { check: () => Promise<void>; close: () => Promise<void> } {
  // One lazily-connected client, no offline queue: a down Redis answers at once instead of hanging.
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_500,
  });
  client.on('error', () => {}); // reported through the check, not as unhandled errors
  return {
    async check() {
      if (client.status === 'wait' || client.status === 'end') await client.connect().catch(() => {});
      const pong = await client.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING answer ${pong}`);
    },
    async close() {
      client.disconnect();
    },
  };
}

export function prometheusReadiness(baseUrl: string): () => Promise<void> {
  const url = `${baseUrl.replace(/\/$/, '')}/-/ready`;
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_500) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  };
}
