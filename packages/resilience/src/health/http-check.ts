import type { HealthCheck } from './health-checker.js';

/**
 * A health check that GETs `url` and expects a 2xx (or the given statuses).
 *
 * @example
 * health.register('search-replica-2', httpCheck('http://10.0.0.7:8080/healthz'));
 */
export function httpCheck(
  url: string,
  options: { expectStatus?: (status: number) => boolean; headers?: Record<string, string> } = {},
): HealthCheck {
  const ok = options.expectStatus ?? ((s: number) => s >= 200 && s < 300);
  return async (signal) => {
    const res = await fetch(url, { signal, ...(options.headers ? { headers: options.headers } : {}) });
    await res.body?.cancel();
    if (!ok(res.status)) throw new Error(`GET ${url} answered ${res.status}`);
  };
}
