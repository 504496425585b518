import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fake-clock.js';
import { HealthChecker, type StatusChange } from './health-checker.js';
import { httpCheck } from './http-check.js';

function changesOf(h: HealthChecker): StatusChange[] {
  const out: StatusChange[] = [];
  h.onStatusChange((c) => out.push(c));
  return out;
}

describe('HealthChecker thresholds', () => {
  it('defaults: degraded until 3 failures in a row, healthy after 1 success', async () => {
    const h = new HealthChecker({}, new FakeClock());
    let up = false;
    h.register('x', async () => {
      if (!up) throw new Error('down');
    });
    await h.checkNow('x');
    await h.checkNow('x');
    expect(h.get('x')).toMatchObject({ status: 'degraded', consecutiveFailures: 2, consecutiveSuccesses: 0 });
    await h.checkNow('x');
    expect(h.status('x')).toBe('unhealthy');
    up = true;
    await h.checkNow('x');
    expect(h.get('x')).toMatchObject({ status: 'healthy', consecutiveFailures: 0, consecutiveSuccesses: 1 });
  });

  it('an unhealthy endpoint stays unhealthy on a failure below the threshold', async () => {
    const h = new HealthChecker({ unhealthyThreshold: 2, healthyThreshold: 2 }, new FakeClock());
    h.register('x', async () => {});
    h.report('x', false);
    h.report('x', false);
    expect(h.status('x')).toBe('unhealthy');
    h.report('x', true); // 1 of 2 successes
    expect(h.status('x')).toBe('unhealthy');
    h.report('x', false); // 1 failure, below the threshold, but still unhealthy
    expect(h.status('x')).toBe('unhealthy');
  });

  it('a degraded endpoint is healthy after one success, whatever healthyThreshold says', async () => {
    const h = new HealthChecker({ healthyThreshold: 5 }, new FakeClock());
    h.register('x', async () => {});
    h.report('x', false);
    expect(h.status('x')).toBe('degraded');
    h.report('x', true);
    expect(h.status('x')).toBe('healthy');
  });

  it('thresholds below 1 count as 1; per-endpoint options override the defaults', async () => {
    const h = new HealthChecker({ unhealthyThreshold: 5 }, new FakeClock());
    h.register('strict', async () => {}, { unhealthyThreshold: 0, healthyThreshold: 0 });
    h.register('lenient', async () => {});
    h.report('strict', false);
    h.report('lenient', false);
    expect([h.status('strict'), h.status('lenient')]).toEqual(['unhealthy', 'degraded']);
    h.report('strict', true);
    expect(h.status('strict')).toBe('healthy');
  });

  it('reports changes with their detail only when there is one; no event without a change', async () => {
    const h = new HealthChecker({}, new FakeClock());
    const changes = changesOf(h);
    h.register('x', async () => {});
    h.report('x', true);
    h.report('x', true);
    h.report('x', false, 'timeout');
    h.report('missing', false);
    expect(changes).toEqual([
      { id: 'x', from: 'unknown', to: 'healthy' },
      { id: 'x', from: 'healthy', to: 'degraded', detail: 'timeout' },
    ]);
    expect(Object.keys(changes[0] as object)).not.toContain('detail');
  });
});

describe('HealthChecker checks', () => {
  it('records latency, time of the check and the error text; a latency at the threshold is fine', async () => {
    const clock = new FakeClock(100);
    const h = new HealthChecker({ degradedLatencyMs: 50 }, clock);
    let mode: 'ok' | 'string' = 'ok';
    h.register('x', async () => {
      await clock.advance(50);
      if (mode === 'string') throw 'plain text';
    });
    await h.checkNow('x');
    expect(h.get('x')).toMatchObject({ status: 'healthy', lastLatencyMs: 50, lastCheckedAt: 150 });
    mode = 'string';
    await h.checkNow('x');
    expect(h.get('x')).toMatchObject({ status: 'degraded', lastError: 'plain text', lastCheckedAt: 200 });
  });

  it('times out after 5 s by default, with a message naming the limit, and aborts the check signal', async () => {
    const clock = new FakeClock();
    const h = new HealthChecker({ unhealthyThreshold: 1 }, clock);
    let signal!: AbortSignal;
    h.register('hang', (s) => {
      signal = s;
      return new Promise(() => {});
    });
    const p = h.checkNow('hang');
    await clock.advance(4999);
    expect(h.status('hang')).toBe('unknown');
    await clock.advance(1);
    await p;
    expect(h.get('hang')?.lastError).toBe('health check timed out after 5000 ms');
    expect(signal.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('does not run a check again while it is running', async () => {
    const h = new HealthChecker({}, new FakeClock());
    let calls = 0;
    let finish!: () => void;
    h.register('x', () => {
      calls++;
      return new Promise<void>((r) => (finish = r));
    });
    const a = h.checkNow('x');
    const b = h.checkNow('x');
    await b;
    expect(calls).toBe(1);
    finish();
    await a;
    const c = h.checkNow('x');
    expect(calls).toBe(2);
    finish();
    await c;
  });

  it('checkNow without an id checks every endpoint; an unknown id checks none', async () => {
    const h = new HealthChecker({}, new FakeClock());
    const seen: string[] = [];
    h.register('a', async () => void seen.push('a'));
    h.register('b', async () => void seen.push('b'));
    await h.checkNow('nope');
    expect(seen).toEqual([]);
    await h.checkNow();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('get returns a copy; byStatus filters by any of the statuses', async () => {
    const h = new HealthChecker({}, new FakeClock());
    h.register('a', async () => {});
    h.register('b', async () => {});
    h.register('c', async () => {});
    h.report('a', true);
    h.report('b', false);
    const copy = h.get('a');
    if (copy) copy.status = 'unhealthy';
    expect(h.status('a')).toBe('healthy');
    expect(h.byStatus('healthy', 'unknown')).toEqual(['a', 'c']);
    expect(h.byStatus()).toEqual([]);
  });
});

describe('HealthChecker scheduling', () => {
  it('checks at start and every 30 s by default; stop ends it; start twice is harmless', async () => {
    const clock = new FakeClock();
    const h = new HealthChecker({}, clock);
    let calls = 0;
    h.register('x', async () => {
      calls++;
    });
    await clock.advance(60_000);
    expect(calls).toBe(0);
    h.start();
    h.start();
    await clock.advance(0);
    expect(calls).toBe(1);
    await clock.advance(29_999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    h.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(100_000);
    expect(calls).toBe(2);
  });

  it('an endpoint registered after start is checked at once; re-registering replaces the old one', async () => {
    const clock = new FakeClock();
    const h = new HealthChecker({ intervalMs: 100 }, clock);
    h.start();
    const seen: string[] = [];
    h.register('x', async () => void seen.push('old'));
    await clock.advance(0);
    h.register('x', async () => void seen.push('new'), { intervalMs: 50 });
    await clock.advance(0);
    await clock.advance(100);
    expect(seen).toEqual(['old', 'new', 'new', 'new']);
    h.unregister('x');
    await clock.advance(1000);
    expect(seen).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });
});

describe('httpCheck details', () => {
  it('accepts 200-299 only by default and sends the given headers', async () => {
    let status = 200;
    let headers: IncomingHttpHeaders = {};
    const server = createServer((req, res) => {
      headers = req.headers;
      res.writeHead(status).end('body');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const signal = new AbortController().signal;
    try {
      const results: Record<number, string> = {};
      for (const s of [200, 299, 300, 404, 500]) {
        status = s;
        results[s] = await httpCheck(url)(signal).then(
          () => 'ok',
          (e: Error) => e.message,
        );
      }
      expect(results).toEqual({
        200: 'ok',
        299: 'ok',
        300: `GET ${url} answered 300`,
        404: `GET ${url} answered 404`,
        500: `GET ${url} answered 500`,
      });
      status = 204;
      await httpCheck(url, { headers: { 'x-probe': 'yes' } })(signal);
      expect(headers['x-probe']).toBe('yes');
    } finally {
      server.close();
    }
  });
});
