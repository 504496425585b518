/**
 * Demo mesh: a small checkout system of seven loopback HTTP services with realistic fragility, to
 * give chaos search something real to find. Each service is its own `node:http` server.
 *
 * ```text
 *   gateway ──(timeout 1 s)──▶ checkout ──(no timeout)──▶ cache      (miss/failure → inventory)
 *                                 │ ├──────────────────▶ inventory ──(5 attempts, no backoff)──▶ warehouse
 *                                 │ └─(3 attempts × 350 ms, 300 ms backoff)─▶ payment ──(timeout 250 ms)──▶ fraud
 * ```
 *
 * Request flow for `POST|GET /checkout` at the gateway: checkout looks the SKU up in the cache
 * (16 of 20 SKUs cached; a miss or a cache failure falls back to `inventory GET /stock/:sku`),
 * reserves it (`inventory POST /reserve`), then charges (`payment POST /charge`, which asks
 * `fraud POST /score`). All resilience policies are `@bulwark/resilience`. A caller that gives up
 * (e.g. the gateway's timeout) cancels the callee's outgoing calls and retries; such spans get
 * status 499. Dependencies can be redirected (`upstreams`) to put fault proxies in between.
 *
 * Where it breaks — the worst fault plans occupy a small part of the space:
 * 1. **Timeout shorter than the downstream retry budget** (worst). The gateway gives checkout 1 s;
 *    checkout's payment budget is 3 × 350 ms + 2 × 300 ms = 1.65 s. Delay ≥ ~350 ms on `payment`
 *    makes an attempt time out; two such attempts (350 + 300 + 350 = 1 s) exhaust the gateway's
 *    timeout, so with percentage p about p² of requests end in 504. Delay 600 ms at 100 % → ~all
 *    504. Below ~330 ms the same delay only adds latency. The same cliff exists one hop down:
 *    delay ≥ 250 ms on `fraud` makes payment answer 503, which checkout retries with backoff.
 * 2. **Retry storm.** inventory retries the warehouse 5 times with no backoff. Aborts on
 *    `warehouse` at percentage p multiply the traffic to it by 1/(1−p) and fail an inventory call
 *    with probability p⁵: almost nothing below ~30 %, then a steep rise (p = 0.7 → ~17 % per call,
 *    two calls per order on a cache miss). Every give-up is an ERROR line.
 * 3. **Unbounded cache call.** A cache *failure* is masked (fallback to inventory, WARN only), but
 *    cache *delay* is not: checkout calls the cache without a timeout, so delay ≳ 950 ms on `cache`
 *    turns into gateway 504s, and smaller delays add latency one-for-one.
 *
 * Benign by design: aborts on `cache` at any percentage (masked by the fallback), aborts on
 * `warehouse` below ~30 %, aborts on `payment` / `fraud` at low percentages (a call fails only when all
 * 3 attempts do, p³), small delays anywhere (they only add latency).
 *
 * Measured (executor, 25 rps, 2 s baseline / 2 s fault / 1 s recovery, `analyzeObservation`):
 *
 * | plan (100 % unless noted)  | during            | severity |
 * |----------------------------|-------------------|----------|
 * | cache delay 1200 ms        | 100 % 504         | 9.8      |
 * | payment abort              | 100 % 502         | 9.3      |
 * | payment delay 400 / 600 ms | 100 % 504         | 9.1      |
 * | fraud delay 300 ms         | 100 % 504         | 8.7      |
 * | warehouse abort 90 %       | 72 % 502          | 8.4      |
 * | payment delay 600 ms, 50 % | 20 % 504          | 8.3      |
 * | warehouse abort 40 %       | 2 % 502           | 5.8      |
 * | cache abort                | 0 errors          | 2.6      |
 * | warehouse abort 20 %       | 0 errors          | 1.2      |
 *
 * Pure slow-downs (payment delay 150–300 ms, cache delay 300 ms) score 8.0 without a single error:
 * the analyzer's peak term (0.8 × a performance score of 10 once latency passes 5 × baseline).
 */

import {
  constantBackoff,
  isTaskTimeoutError,
  type RandomSource,
  retry,
  seededRandom,
  timeout,
} from '@bulwark/resilience';
import {
  describeError,
  expectOk,
  type RequestContext,
  type Route,
  type RunningService,
  startService,
} from './service.js';

/** The services of the demo mesh, in start order (the index is the offset from `basePort`). */
export const MESH_SERVICES = ['gateway', 'checkout', 'cache', 'inventory', 'warehouse', 'payment', 'fraud'] as const;

/** A demo mesh service name. */
export type MeshServiceName = (typeof MESH_SERVICES)[number];

/** The mesh's resilience settings (documented in the module header). */
export const MESH_TIMINGS = {
  /** gateway → checkout timeout. */
  gatewayTimeoutMs: 1_000,
  /** checkout → payment: attempts, per-attempt timeout, constant backoff. */
  paymentAttempts: 3,
  paymentAttemptTimeoutMs: 350,
  paymentBackoffMs: 300,
  /** inventory → warehouse: attempts (4 retries), no backoff. */
  warehouseAttempts: 5,
  /** payment → fraud timeout. */
  fraudTimeoutMs: 250,
} as const;

/** Number of SKUs in the catalogue, and how many of them the cache holds. */
export const CATALOGUE = { skus: 20, cached: 16 } as const;

/** Dependency address overrides: a map, or a resolver evaluated on every call. */
export type UpstreamOverrides = Partial<Record<string, string>> | ((service: MeshServiceName) => string | undefined);

/** Options of {@link startDemoMesh}. */
export interface DemoMeshOptions {
  /** Seeds the simulated work times and SKU choice (default 1). */
  seed?: number;
  /** When set, service i listens on `basePort + i` (order of {@link MESH_SERVICES}); else free ports. */
  basePort?: number;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /**
   * Where services send calls to a dependency, e.g. a fault proxy in front of it. Services not
   * overridden (or for which the resolver returns `undefined`) are called directly.
   */
  upstreams?: UpstreamOverrides;
}

/** A running demo mesh. */
export interface DemoMesh {
  /** Direct URL of every service. */
  services: Record<MeshServiceName, string>;
  /** Direct URL of the entry service (gateway). */
  entry: string;
  /** The entry service's name. */
  entryService: MeshServiceName;
  /** The request path the entry serves. */
  entryPath: string;
  /** The running services (telemetry buffers included). */
  running: Record<MeshServiceName, RunningService>;
  /** Stops every service. */
  stop(): Promise<void>;
}

/** Reply of a handler whose caller went away (never sent; recorded as the span status). */
const CANCELLED = { status: 499, body: { error: 'cancelled by the caller' } } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Simulated processing time, uniform in [min, max] ms. */
function work(random: RandomSource, min: number, max: number): Promise<void> {
  return sleep(min + random() * (max - min));
}

function skuOf(ctx: RequestContext): string {
  const body = ctx.request.body;
  const fromBody = typeof body === 'object' && body !== null ? (body as { sku?: unknown }).sku : undefined;
  return typeof fromBody === 'string' && fromBody !== '' ? fromBody : 'sku-0';
}

function cached(sku: string): boolean {
  const n = Number(sku.replace(/^sku-/, ''));
  return Number.isInteger(n) && n >= 0 && n < CATALOGUE.cached;
}

function routesFor(name: MeshServiceName, random: RandomSource): Route[] {
  switch (name) {
    case 'gateway': {
      const checkoutTimeout = timeout(MESH_TIMINGS.gatewayTimeoutMs);
      const handler = async (ctx: RequestContext) => {
        await work(random, 0.5, 1.5);
        const sku = ctx.request.query.get('sku') ?? `sku-${Math.floor(random() * CATALOGUE.skus)}`;
        try {
          const res = await checkoutTimeout.execute(
            ({ signal }) => ctx.call('checkout', 'POST', '/orders', { body: { sku, qty: 1 }, signal }),
            ctx.signal,
          );
          if (res.status >= 500) {
            ctx.log('ERROR', `checkout failed with HTTP ${res.status}`);
            return { status: 502, body: { error: 'checkout failed', upstream_status: res.status } };
          }
          return { status: res.status, body: res.body };
        } catch (error) {
          if (ctx.signal.aborted) return CANCELLED;
          if (isTaskTimeoutError(error)) {
            ctx.log('ERROR', `checkout timed out after ${MESH_TIMINGS.gatewayTimeoutMs} ms`);
            return { status: 504, body: { error: 'checkout timed out' } };
          }
          ctx.log('ERROR', `checkout unreachable: ${describeError(error)}`);
          return { status: 502, body: { error: 'checkout unreachable' } };
        }
      };
      return [{ method: '*', pattern: '/checkout', handler }];
    }
    case 'checkout': {
      const paymentRetry = retry({
        maxAttempts: MESH_TIMINGS.paymentAttempts,
        backoff: constantBackoff(MESH_TIMINGS.paymentBackoffMs),
        attemptTimeoutMs: MESH_TIMINGS.paymentAttemptTimeoutMs,
        respectRetryAfter: false,
        random,
      });
      const handler = async (ctx: RequestContext) => {
        await work(random, 1, 3);
        const sku = skuOf(ctx);
        // 1. Stock: cache first (no timeout — the fragility), inventory on a miss or a failure.
        let stock: unknown;
        try {
          const res = await ctx.call('cache', 'GET', `/stock/${encodeURIComponent(sku)}`);
          if (res.status === 200) stock = res.body;
          else if (res.status !== 404) expectOk(res, 'cache');
        } catch (error) {
          if (ctx.signal.aborted) return CANCELLED;
          ctx.log('WARN', `cache lookup failed (${describeError(error)}); falling back to inventory`);
        }
        if (stock === undefined) {
          try {
            stock = expectOk(await ctx.call('inventory', 'GET', `/stock/${encodeURIComponent(sku)}`), 'inventory').body;
          } catch (error) {
            if (ctx.signal.aborted) return CANCELLED;
            ctx.log('ERROR', `stock lookup failed: ${describeError(error)}`);
            return { status: 502, body: { error: 'stock lookup failed' } };
          }
        }
        // 2. Reserve.
        try {
          expectOk(await ctx.call('inventory', 'POST', '/reserve', { body: { sku, qty: 1 } }), 'inventory');
        } catch (error) {
          if (ctx.signal.aborted) return CANCELLED;
          ctx.log('ERROR', `reservation failed: ${describeError(error)}`);
          return { status: 502, body: { error: 'reservation failed' } };
        }
        // 3. Charge, with retries.
        try {
          await paymentRetry.execute(async ({ signal, attempt }) => {
            try {
              return expectOk(
                await ctx.call('payment', 'POST', '/charge', { body: { sku, amount: 42 }, signal }),
                'payment',
              );
            } catch (error) {
              if (ctx.signal.aborted) throw error;
              const what = isTaskTimeoutError(error) || signal.aborted ? 'timed out' : describeError(error);
              ctx.log('WARN', `payment attempt ${attempt} failed: ${what}`);
              throw error;
            }
          }, ctx.signal);
        } catch (error) {
          if (ctx.signal.aborted) return CANCELLED;
          ctx.log('ERROR', `payment failed after retries: ${describeError(error)}`);
          return { status: 502, body: { error: 'payment failed' } };
        }
        return { status: 200, body: { order: ctx.traceId, sku, stock } };
      };
      return [{ method: 'POST', pattern: '/orders', handler }];
    }
    case 'cache':
      return [
        {
          method: 'GET',
          pattern: '/stock/:sku',
          handler: async (ctx) => {
            await work(random, 0.3, 1);
            const sku = ctx.request.params.sku ?? '';
            return cached(sku)
              ? { status: 200, body: { sku, available: 10, source: 'cache' } }
              : { status: 404, body: { error: 'miss' } };
          },
        },
      ];
    case 'inventory': {
      const warehouseRetry = retry({
        maxAttempts: MESH_TIMINGS.warehouseAttempts,
        backoff: constantBackoff(0),
        respectRetryAfter: false,
        random,
      });
      const viaWarehouse = (method: string, path: string) => async (ctx: RequestContext) => {
        await work(random, 0.5, 1.5);
        try {
          const res = await warehouseRetry.execute(async ({ attempt }) => {
            try {
              return expectOk(
                await ctx.call('warehouse', method, path.replace(':sku', ctx.request.params.sku ?? '')),
                'warehouse',
              );
            } catch (error) {
              if (ctx.signal.aborted) throw error;
              ctx.log('WARN', `warehouse attempt ${attempt} failed: ${describeError(error)}`);
              throw error;
            }
          }, ctx.signal);
          return { status: 200, body: res.body };
        } catch (error) {
          if (ctx.signal.aborted) return CANCELLED;
          ctx.log(
            'ERROR',
            `warehouse unavailable after ${MESH_TIMINGS.warehouseAttempts} attempts: ${describeError(error)}`,
          );
          return { status: 503, body: { error: 'warehouse unavailable' } };
        }
      };
      return [
        { method: 'GET', pattern: '/stock/:sku', handler: viaWarehouse('GET', '/stock/:sku') },
        { method: 'POST', pattern: '/reserve', handler: viaWarehouse('POST', '/reserve') },
      ];
    }
    case 'warehouse':
      return [
        {
          method: 'GET',
          pattern: '/stock/:sku',
          handler: async (ctx) => {
            await work(random, 1, 3);
            return { status: 200, body: { sku: ctx.request.params.sku, available: 10, source: 'warehouse' } };
          },
        },
        {
          method: 'POST',
          pattern: '/reserve',
          handler: async () => {
            await work(random, 1.5, 3.5);
            return { status: 200, body: { reserved: true } };
          },
        },
      ];
    case 'payment': {
      const fraudTimeout = timeout(MESH_TIMINGS.fraudTimeoutMs);
      return [
        {
          method: 'POST',
          pattern: '/charge',
          handler: async (ctx) => {
            await work(random, 1.5, 3.5);
            try {
              await fraudTimeout.execute(
                async ({ signal }) =>
                  expectOk(await ctx.call('fraud', 'POST', '/score', { body: ctx.request.body, signal }), 'fraud'),
                ctx.signal,
              );
            } catch (error) {
              if (ctx.signal.aborted) return CANCELLED;
              const what = isTaskTimeoutError(error)
                ? `timed out after ${MESH_TIMINGS.fraudTimeoutMs} ms`
                : describeError(error);
              ctx.log('ERROR', `fraud check failed: ${what}`);
              return { status: 503, body: { error: 'fraud check unavailable' } };
            }
            return { status: 200, body: { charged: true } };
          },
        },
      ];
    }
    case 'fraud':
      return [
        {
          method: 'POST',
          pattern: '/score',
          handler: async () => {
            await work(random, 2, 5);
            return { status: 200, body: { score: Math.round(random() * 100) / 100 } };
          },
        },
      ];
  }
}

/**
 * Starts the demo mesh (see the module header for the topology and its weak spots).
 *
 * @param options - seed, ports, bind address, dependency overrides (e.g. fault proxies)
 * @returns service URLs, the entry URL and `stop()`
 * @example
 * const mesh = await startDemoMesh({ seed: 7 });
 * await fetch(`${mesh.entry}/checkout`, { method: 'POST' });
 * await mesh.stop();
 */
export async function startDemoMesh(options: DemoMeshOptions = {}): Promise<DemoMesh> {
  const seed = options.seed ?? 1;
  const host = options.host ?? '127.0.0.1';
  const direct = new Map<string, string>();
  const overrides = options.upstreams;
  const resolve = (service: string): string | undefined => {
    const override =
      typeof overrides === 'function'
        ? (MESH_SERVICES as readonly string[]).includes(service)
          ? overrides(service as MeshServiceName)
          : undefined
        : overrides?.[service];
    return override ?? direct.get(service);
  };

  const started: RunningService[] = [];
  try {
    for (const [index, name] of MESH_SERVICES.entries()) {
      const service = await startService({
        name,
        routes: routesFor(name, seededRandom(seed * 7919 + index * 104729 + 1)),
        resolve,
        host,
        ...(options.basePort === undefined ? {} : { port: options.basePort + index }),
      });
      started.push(service);
      direct.set(name, service.url);
    }
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }

  const running = Object.fromEntries(started.map((s) => [s.name, s])) as Record<MeshServiceName, RunningService>;
  const services = Object.fromEntries(started.map((s) => [s.name, s.url])) as Record<MeshServiceName, string>;
  let stopped: Promise<void> | undefined;
  return {
    services,
    entry: services.gateway,
    entryService: 'gateway',
    entryPath: '/checkout',
    running,
    stop: () => {
      stopped ??= Promise.all(started.map((s) => s.close())).then(() => undefined);
      return stopped;
    },
  };
}
