import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker/circuit-breaker.js';
import { consecutiveFailures } from './breaker/failure-policy.js';
import {
  BulkheadRejectedError,
  BrokenCircuitError,
  isBrokenCircuitError,
  isTaskTimeoutError,
  RateLimitedError,
  TaskTimeoutError,
} from './errors.js';
import { EventEmitter } from './events.js';
import { FakeClock } from './fake-clock.js';
import { HealthChecker } from './health/health-checker.js';
import { httpCheck } from './health/http-check.js';
import { retry } from './retry.js';
import { timeout } from './timeout.js';

describe('httpCheck', () => {
  it('passes on 2xx, fails on other statuses with the URL and status in the message', async () => {
    let status = 200;
    const server = createServer((_req, res) => res.writeHead(status).end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
    try {
      await expect(httpCheck(url)(new AbortController().signal)).resolves.toBeUndefined();
      status = 503;
      await expect(httpCheck(url)(new AbortController().signal)).rejects.toThrow(`GET ${url} answered 503`);
      await expect(
        httpCheck(url, { expectStatus: (s) => s === 503 })(new AbortController().signal),
      ).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });
});

describe('health checker details', () => {
  it('reports degraded for a slow but successful check and records latency and errors', async () => {
    const clock = new FakeClock();
    const health = new HealthChecker({ degradedLatencyMs: 100, unhealthyThreshold: 2 }, clock);
    health.register('slow', async () => {
      await clock.advance(150);
    });
    health.register('flag', async () => ({ degraded: true, detail: 'read-only mode' }));
    const changes: Array<{ id: string; to: string; detail?: string }> = [];
    health.onStatusChange((c) => changes.push(c));
    await health.checkNow();
    expect(health.status('slow')).toBe('degraded');
    expect(health.get('slow')?.lastLatencyMs).toBe(150);
    expect(changes).toEqual(
      expect.arrayContaining([
        { id: 'slow', from: 'unknown', to: 'degraded' },
        { id: 'flag', from: 'unknown', to: 'degraded', detail: 'read-only mode' },
      ]),
    );
    expect(health.byStatus('degraded').sort()).toEqual(['flag', 'slow']);
    expect(health.status('missing')).toBe('unknown');
  });

  it('an unhealthy endpoint needs healthyThreshold successes to be healthy again', async () => {
    const health = new HealthChecker({ unhealthyThreshold: 1, healthyThreshold: 2 });
    let up = false;
    health.register('db', async () => {
      if (!up) throw new Error('down');
    });
    await health.checkNow('db');
    expect(health.get('db')).toMatchObject({ status: 'unhealthy', consecutiveFailures: 1, lastError: 'down' });
    up = true;
    await health.checkNow('db');
    expect(health.status('db')).toBe('unhealthy');
    await health.checkNow('db');
    expect(health.status('db')).toBe('healthy');
    health.report('db', false, 'passive failure');
    expect(health.get('db')).toMatchObject({ status: 'unhealthy', lastError: 'passive failure' });
    health.unregister('db');
    expect(health.get('db')).toBeUndefined();
  });
});

describe('statistics and events', () => {
  it('breaker stats count calls, successes, failures, rejections and slow calls', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(2), slowCallMs: 50, clock });
    const calls: Array<{ success: boolean; durationMs: number }> = [];
    b.onCall((c) => calls.push({ success: c.success, durationMs: c.durationMs }));
    const rejects: string[] = [];
    b.onReject((r) => rejects.push(r.state));
    await b.execute(async () => {
      await clock.advance(60);
    });
    await b.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await b.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await b.execute(async () => 1).catch(() => {});
    expect(b.stats()).toMatchObject({
      state: 'open',
      calls: 3,
      successes: 1,
      failures: 2,
      rejections: 1,
      slowCalls: 1,
      consecutiveOpens: 1,
    });
    expect(calls).toEqual([
      { success: true, durationMs: 60 },
      { success: false, durationMs: 0 },
      { success: false, durationMs: 0 },
    ]);
    expect(rejects).toEqual(['open']);
    expect(b.toJSON()).toEqual({
      state: 'open',
      consecutiveOpens: 1,
      reason: 'failure threshold reached',
      remainingOpenMs: 30_000,
    });
  });

  it('retry give-up events say why', async () => {
    const reasons: string[] = [];
    const p = retry({ maxAttempts: 2, backoff: { delay: () => 0 } });
    p.onGiveUp((e) => reasons.push(`${e.reason}:${e.attempts}`));
    await p.execute(() => Promise.reject(Object.assign(new Error('a'), { status: 400 }))).catch(() => {});
    await p.execute(() => Promise.reject(Object.assign(new Error('b'), { status: 503 }))).catch(() => {});
    expect(reasons).toEqual(['permanent:1', 'exhausted:2']);
    expect(p.stats()).toEqual({
      executions: 2,
      attempts: 3,
      retries: 1,
      successes: 0,
      failures: 2,
      permanentFailures: 1,
      exhausted: 1,
    });
  });

  it('timeout events fire once per timeout', async () => {
    const clock = new FakeClock();
    const t = timeout(10, clock);
    const events: number[] = [];
    t.onTimeout((e) => events.push(e.timeoutMs));
    const p = t.execute(() => new Promise(() => {})).catch((e) => e);
    await clock.advance(10);
    expect(isTaskTimeoutError(await p)).toBe(true);
    expect(events).toEqual([10]);
  });

  it('a throwing listener neither breaks the emitter nor other listeners; unsubscribe works', () => {
    const e = new EventEmitter<number>();
    const seen: number[] = [];
    e.subscribe(() => {
      throw new Error('listener bug');
    });
    const off = e.subscribe((n) => seen.push(n));
    e.emit(1);
    off();
    e.emit(2);
    expect(seen).toEqual([1]);
    expect(e.size).toBe(1);
  });

  it('errors carry their data and messages', () => {
    expect(new TaskTimeoutError(250).message).toBe('operation timed out after 250 ms');
    expect(new BulkheadRejectedError(3, 2).message).toBe('bulkhead full (3 executing, 2 queued)');
    expect(new RateLimitedError(1500.2).message).toBe('rate limit exceeded; retry after 1501 ms');
    const broken = new BrokenCircuitError(undefined, 42);
    expect([broken.retryAfterMs, isBrokenCircuitError(broken), isBrokenCircuitError(new Error('x'))]).toEqual([
      42,
      true,
      false,
    ]);
  });
});
