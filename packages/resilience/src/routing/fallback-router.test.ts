import { describe, expect, it } from 'vitest';
import { consecutiveFailures } from '../breaker/failure-policy.js';
import { seededRandom } from '../clock.js';
import { isAllEndpointsFailedError } from '../errors.js';
import { FakeClock } from '../fake-clock.js';
import { HealthChecker } from '../health/health-checker.js';
import { FallbackRouter } from './fallback-router.js';

const fail = (msg = 'down') => {
  throw Object.assign(new Error(msg), { status: 503 });
};

describe('FallbackRouter', () => {
  it('sequential: falls back by priority and reports the chain', async () => {
    const router = new FallbackRouter<string, string>({
      endpoints: [
        { id: 'b', priority: 1, call: (p) => `b:${p}` },
        { id: 'a', priority: 0, call: () => fail() },
      ],
    });
    const decisions: string[][] = [];
    router.onDecision((d) => decisions.push(d.order));
    await expect(router.execute('hi')).resolves.toEqual({ value: 'b:hi', endpoint: 'b', failedOver: ['a'] });
    expect(decisions).toEqual([['a', 'b']]);
  });

  it('skips an endpoint whose circuit is open, and re-admits it after the cool-down + one probe', async () => {
    const clock = new FakeClock();
    let aHealthy = false;
    const calls: string[] = [];
    const router = new FallbackRouter<void, string>({
      clock,
      breaker: () => ({ policy: consecutiveFailures(2), openDurationMs: 10_000, openBackoffFactor: 1 }),
      endpoints: [
        {
          id: 'a',
          priority: 0,
          call: () => {
            calls.push('a');
            return aHealthy ? 'a' : fail();
          },
        },
        {
          id: 'b',
          priority: 1,
          call: () => {
            calls.push('b');
            return 'b';
          },
        },
      ],
    });
    await router.execute();
    await router.execute(); // a's breaker opens
    calls.length = 0;
    const skipped: string[] = [];
    router.onDecision((d) => skipped.push(...d.skipped.map((s) => s.id)));
    expect((await router.execute()).endpoint).toBe('b');
    expect(calls).toEqual(['b']);
    expect(skipped).toEqual(['a']);
    aHealthy = true;
    await clock.advance(10_000); // the cool-down
    calls.length = 0;
    expect((await router.execute()).endpoint).toBe('a'); // the one probe succeeds
    expect(calls).toEqual(['a']);
    expect(router.breaker('a').state).toBe('closed');
  });

  it('parallel: first good answer wins and the losers are aborted', async () => {
    const aborted: string[] = [];
    const slow = (id: string, ms: number, ok = true) => ({
      id,
      call: (_: unknown, { signal }: { signal: AbortSignal }) =>
        new Promise<string>((resolve, reject) => {
          let settled = false;
          const t = setTimeout(() => {
            settled = true;
            ok ? resolve(id) : reject(new Error(id));
          }, ms);
          signal.addEventListener('abort', () => {
            if (settled) return;
            clearTimeout(t);
            aborted.push(id);
            reject(signal.reason);
          });
        }),
    });
    const router = new FallbackRouter<void, string>({
      strategy: 'parallel',
      endpoints: [slow('a', 5, false), slow('b', 20), slow('c', 200)],
    });
    const r = await router.execute();
    expect(r.endpoint).toBe('b');
    expect(aborted).toEqual(['c']);
    // Lost races do not count against an endpoint's breaker.
    expect(router.breaker('c').stats().failures).toBe(0);
  });

  it('weighted: first picks follow the weights', async () => {
    const router = new FallbackRouter<void, string>({
      strategy: 'weighted',
      random: seededRandom(1),
      endpoints: [
        { id: 'heavy', weight: 9, call: () => 'heavy' },
        { id: 'light', weight: 1, call: () => 'light' },
      ],
    });
    let heavy = 0;
    for (let i = 0; i < 2000; i++) if ((await router.execute()).endpoint === 'heavy') heavy++;
    expect(heavy / 2000).toBeGreaterThan(0.87);
    expect(heavy / 2000).toBeLessThan(0.93);
  });

  it('latency: prefers the endpoint with the lowest recent latency', async () => {
    const clock = new FakeClock();
    const timed = (id: string, ms: number) => ({
      id,
      call: async () => {
        await clock.advance(ms);
        return id;
      },
    });
    const router = new FallbackRouter<void, string>({
      strategy: 'latency',
      clock,
      endpoints: [timed('slow', 300), timed('fast', 20)],
    });
    await router.execute(); // measures one unknown endpoint
    await router.execute(); // measures the other
    const picks = new Set<string>();
    for (let i = 0; i < 5; i++) picks.add((await router.execute()).endpoint);
    expect([...picks]).toEqual(['fast']);
  });

  it('skips unhealthy endpoints reported by the health checker', async () => {
    const health = new HealthChecker({ unhealthyThreshold: 1 });
    health.register('a', async () => {
      throw new Error('healthz 500');
    });
    health.register('b', async () => {});
    await health.checkNow();
    const router = new FallbackRouter<void, string>({
      health,
      endpoints: [
        { id: 'a', call: () => 'a' },
        { id: 'b', priority: 1, call: () => 'b' },
      ],
    });
    expect((await router.execute()).endpoint).toBe('b');
  });

  it('does not fall back on errors the caller marks as not retriable', async () => {
    const router = new FallbackRouter<void, string>({
      shouldFallback: (e) => (e as { status?: number }).status !== 400,
      endpoints: [
        { id: 'a', call: () => Promise.reject(Object.assign(new Error('bad prompt'), { status: 400 })) },
        { id: 'b', priority: 1, call: () => 'b' },
      ],
    });
    await expect(router.execute()).rejects.toThrow('bad prompt');
  });

  it('all endpoints failing gives one error listing each failure', async () => {
    const router = new FallbackRouter<void, string>({
      endpoints: [
        { id: 'a', call: () => fail('a down') },
        { id: 'b', call: () => fail('b down') },
      ],
    });
    const err = await router.execute().catch((e) => e);
    expect(isAllEndpointsFailedError(err)).toBe(true);
    expect(err.message).toMatch(/a: a down; b: b down/);
  });

  it('chaos: one endpoint down, one failing 30% at random -> >= 99.9% of 10,000 calls succeed', async () => {
    const clock = new FakeClock();
    const random = seededRandom(2026);
    const router = new FallbackRouter<void, string>({
      clock,
      breaker: () => ({ policy: consecutiveFailures(5), openDurationMs: 5_000 }),
      endpoints: [
        { id: 'dead', priority: 0, call: () => fail('dead') },
        { id: 'flaky', priority: 1, call: () => (random() < 0.3 ? fail('flaky') : 'flaky') },
        { id: 'steady', priority: 2, call: () => 'steady' },
      ],
    });
    let ok = 0;
    const served = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      await clock.advance(10); // 100 calls a second
      try {
        const r = await router.execute();
        ok++;
        served.set(r.endpoint, (served.get(r.endpoint) ?? 0) + 1);
      } catch {
        // counted as a failure
      }
    }
    expect(ok / 10_000).toBeGreaterThanOrEqual(0.999);
    expect(served.get('dead')).toBeUndefined();
    // The flaky endpoint still serves most calls routed to it; the dead one is probed rarely.
    expect(router.breaker('dead').stats().calls).toBeLessThan(100);
  });
});

describe('HealthChecker', () => {
  it('degraded after a failure, unhealthy at the threshold, healthy after recovery; notifies each change', async () => {
    const clock = new FakeClock();
    const health = new HealthChecker({ unhealthyThreshold: 2, intervalMs: 1000 }, clock);
    let up = true;
    health.register('m', async () => {
      if (!up) throw new Error('503');
    });
    const changes: string[] = [];
    health.onStatusChange((c) => changes.push(`${c.from}->${c.to}`));
    health.start();
    await clock.advance(0);
    up = false;
    await clock.advance(1000);
    await clock.advance(1000);
    up = true;
    await clock.advance(1000);
    expect(changes).toEqual(['unknown->healthy', 'healthy->degraded', 'degraded->unhealthy', 'unhealthy->healthy']);
    expect(health.byStatus('healthy')).toEqual(['m']);
    health.stop();
  });

  it('a check slower than its timeout fails', async () => {
    const clock = new FakeClock();
    const health = new HealthChecker({ unhealthyThreshold: 1, timeoutMs: 100 }, clock);
    health.register('slow', () => new Promise(() => {}));
    const p = health.checkNow('slow');
    await clock.advance(100);
    await p;
    expect(health.get('slow')).toMatchObject({ status: 'unhealthy', lastError: 'health check timed out after 100 ms' });
  });
});
