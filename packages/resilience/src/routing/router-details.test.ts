import { describe, expect, it } from 'vitest';
import { consecutiveFailures } from '../breaker/failure-policy.js';
import { AllEndpointsFailedError, isAllEndpointsFailedError, isTaskTimeoutError } from '../errors.js';
import { FakeClock } from '../fake-clock.js';
import { HealthChecker } from '../health/health-checker.js';
import type { ExecutionContext } from '../policy.js';
import { type AttemptEvent, type Endpoint, FallbackRouter, type RoutingDecision } from './fallback-router.js';

const down = (msg = 'down') => Object.assign(new Error(msg), { status: 503 });
const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const ok = (id: string, extra: Partial<Endpoint<void, string>> = {}): Endpoint<void, string> => ({
  id,
  call: () => id,
  ...extra,
});
const failing = (id: string, extra: Partial<Endpoint<void, string>> = {}): Endpoint<void, string> => ({
  id,
  call: () => Promise.reject(down(`${id} down`)),
  ...extra,
});

describe('FallbackRouter construction', () => {
  it('needs at least one endpoint, with unique ids', () => {
    expect(() => new FallbackRouter({ endpoints: [] })).toThrow(new RangeError('at least one endpoint is required'));
    expect(() => new FallbackRouter<void, string>({ endpoints: [ok('a'), ok('a')] })).toThrow(
      new RangeError('endpoint ids must be unique'),
    );
  });

  it('names an unknown endpoint', () => {
    const r = new FallbackRouter<void, string>({ endpoints: [ok('a')] });
    expect(() => r.breaker('zz')).toThrow(new RangeError("unknown endpoint 'zz'"));
  });

  it('guards each endpoint with 5 consecutive failures / 30 s by default, on the router clock', async () => {
    const clock = new FakeClock();
    const r = new FallbackRouter<void, string>({ clock, endpoints: [failing('a')] });
    for (let i = 0; i < 4; i++) await caught(r.execute());
    expect(r.breaker('a').state).toBe('closed');
    await caught(r.execute());
    expect(r.breaker('a').state).toBe('open');
    await clock.advance(29_999);
    expect(r.breaker('a').state).toBe('open');
    await clock.advance(1);
    expect(r.breaker('a').state).toBe('half_open');
  });

  it('takes breaker options per endpoint', async () => {
    const clock = new FakeClock();
    const ids: string[] = [];
    const r = new FallbackRouter<void, string>({
      clock,
      breaker: (id) => {
        ids.push(id);
        return { policy: consecutiveFailures(id === 'a' ? 1 : 3), openDurationMs: 10 };
      },
      endpoints: [failing('a'), failing('b', { priority: 1 })],
    });
    expect(ids).toEqual(['a', 'b']);
    await caught(r.execute());
    expect([r.breaker('a').state, r.breaker('b').state]).toEqual(['open', 'closed']);
    await clock.advance(10);
    expect(r.breaker('a').state).toBe('half_open');
  });
});

describe('FallbackRouter sequential', () => {
  it('tries by priority (default 0, ties in given order) and says what it skipped', async () => {
    const clock = new FakeClock();
    const r = new FallbackRouter<void, string>({
      clock,
      breaker: () => ({ policy: consecutiveFailures(1) }),
      endpoints: [ok('late', { priority: 5 }), failing('first', { priority: -1 }), ok('zero'), ok('zero2')],
    });
    const decisions: RoutingDecision[] = [];
    r.onDecision((d) => decisions.push(d));
    expect(r.plan()).toEqual({ strategy: 'sequential', order: ['first', 'zero', 'zero2', 'late'], skipped: [] });
    await expect(r.execute()).resolves.toEqual({ value: 'zero', endpoint: 'zero', failedOver: ['first'] });
    r.breaker('zero2').isolate('by hand');
    await expect(r.execute()).resolves.toEqual({ value: 'zero', endpoint: 'zero', failedOver: [] });
    expect(decisions[1]).toEqual({
      strategy: 'sequential',
      order: ['zero', 'late'],
      skipped: [
        { id: 'first', reason: 'circuit_open' },
        { id: 'zero2', reason: 'circuit_open' },
      ],
    });
  });

  it('lists skipped endpoints among the failures when nothing answers', async () => {
    const health = new HealthChecker({ unhealthyThreshold: 1 }, new FakeClock());
    health.register('sick', async () => {});
    health.report('sick', false);
    const r = new FallbackRouter<void, string>({
      health,
      clock: new FakeClock(),
      endpoints: [failing('a'), failing('sick'), failing('b')],
    });
    r.breaker('b').trip('x');
    const err = await caught(r.execute());
    expect(err).toBeInstanceOf(AllEndpointsFailedError);
    const failures = (err as AllEndpointsFailedError).failures.map((f) => [f.endpoint, (f.error as Error).message]);
    expect(failures).toEqual([
      ['b', 'skipped: circuit open'],
      ['sick', 'skipped: unhealthy'],
      ['a', 'a down'],
    ]);
  });

  it('still tries unhealthy endpoints when health says all are down', async () => {
    const health = new HealthChecker({ unhealthyThreshold: 1 }, new FakeClock());
    for (const id of ['a', 'b']) {
      health.register(id, async () => {});
      health.report(id, false);
    }
    const r = new FallbackRouter<void, string>({ health, clock: new FakeClock(), endpoints: [failing('a'), ok('b')] });
    expect(r.plan()).toEqual({ strategy: 'sequential', order: ['a', 'b'], skipped: [] });
    await expect(r.execute()).resolves.toMatchObject({ endpoint: 'b', failedOver: ['a'] });
    // The attempts feed the health checker.
    expect(health.status('b')).toBe('healthy');
    expect(health.get('a')?.consecutiveFailures).toBe(2);
  });

  it('stops at once when the caller aborts, between or during attempts', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    c.abort(new Error('gone'));
    let calls = 0;
    const r = new FallbackRouter<void, string>({
      clock,
      endpoints: [
        {
          id: 'a',
          call: () => {
            calls++;
            return 'a';
          },
        },
      ],
    });
    expect(((await caught(r.execute(undefined, c.signal))) as Error).message).toBe('gone');
    expect(calls).toBe(0);
    const d = new AbortController();
    const own = new Error('own failure');
    const r2 = new FallbackRouter<void, string>({
      clock,
      endpoints: [
        {
          id: 'a',
          call: () => {
            d.abort(new Error('caller'));
            return Promise.reject(own);
          },
        },
        ok('b', { priority: 1 }),
      ],
    });
    expect(await caught(r2.execute(undefined, d.signal))).toBe(own);
    // An abandoned call says nothing about the endpoint.
    expect(r2.endpointStats().a).toMatchObject({ calls: 0, failures: 0 });
  });

  it('asks shouldFallback with the error and endpoint', async () => {
    const seen: Array<[string, string]> = [];
    const r = new FallbackRouter<void, string>({
      clock: new FakeClock(),
      shouldFallback: (e, id) => {
        seen.push([(e as Error).message, id]);
        return id !== 'b';
      },
      endpoints: [failing('a'), failing('b', { priority: 1 }), ok('c', { priority: 2 })],
    });
    expect(((await caught(r.execute())) as Error).message).toBe('b down');
    expect(seen).toEqual([
      ['a down', 'a'],
      ['b down', 'b'],
    ]);
  });

  it('a circuit that opened after planning falls over without asking shouldFallback or counting an attempt', async () => {
    const asked: string[] = [];
    const attempts: string[] = [];
    const router: FallbackRouter<void, string> = new FallbackRouter<void, string>({
      clock: new FakeClock(),
      shouldFallback: (_, id) => {
        asked.push(id);
        return id === 'x';
      },
      endpoints: [
        {
          id: 'x',
          call: () => {
            router.breaker('y').trip('opened meanwhile');
            router.breaker('z').isolate('isolated meanwhile');
            return Promise.reject(down('x down'));
          },
        },
        ok('y', { priority: 1 }),
        ok('z', { priority: 2 }),
        ok('w', { priority: 3 }),
      ],
    });
    router.onAttempt((a) => attempts.push(a.endpoint));
    // shouldFallback says no to y and z, but their rejections bypass it and w answers.
    await expect(router.execute()).resolves.toEqual({ value: 'w', endpoint: 'w', failedOver: ['x', 'y', 'z'] });
    expect(asked).toEqual(['x']);
    expect(attempts).toEqual(['x', 'w']);
    expect(router.endpointStats().y).toMatchObject({ calls: 0 });
  });

  it('bounds each attempt with attemptTimeoutMs and falls over on a timeout', async () => {
    const clock = new FakeClock(1000);
    let signal!: AbortSignal;
    const r = new FallbackRouter<void, string>({
      clock,
      attemptTimeoutMs: 100,
      endpoints: [
        {
          id: 'hang',
          call: (_, ctx: ExecutionContext) => {
            signal = ctx.signal;
            return new Promise<string>(() => {});
          },
        },
        ok('b', { priority: 1 }),
      ],
    });
    const attempts: AttemptEvent[] = [];
    r.onAttempt((a) => attempts.push(a));
    const p = r.execute();
    await clock.advance(100);
    await expect(p).resolves.toEqual({ value: 'b', endpoint: 'b', failedOver: ['hang'] });
    expect(signal.aborted).toBe(true);
    expect(attempts.map((a) => [a.endpoint, a.success, a.durationMs])).toEqual([
      ['hang', false, 100],
      ['b', true, 0],
    ]);
    expect(isTaskTimeoutError(attempts[0]?.error)).toBe(true);
    expect(Object.keys(attempts[1] as object)).not.toContain('error');
  });
});

describe('FallbackRouter statistics', () => {
  it('keeps an EWMA of latency (successes only) and error rate, with alpha 0.2 by default', async () => {
    const clock = new FakeClock();
    let ms = 100;
    let fail = false;
    const r = new FallbackRouter<void, string>({
      clock,
      breaker: () => ({ policy: consecutiveFailures(100) }),
      endpoints: [
        {
          id: 'a',
          call: async () => {
            await clock.advance(ms);
            if (fail) throw down();
            return 'a';
          },
        },
      ],
    });
    expect(r.endpointStats()).toEqual({ a: { latency: undefined, errorRate: 0, calls: 0, failures: 0 } });
    await r.execute();
    expect(r.endpointStats().a).toEqual({ latency: 100, errorRate: 0, calls: 1, failures: 0 });
    ms = 200;
    await r.execute();
    expect(r.endpointStats().a?.latency).toBe(120);
    fail = true;
    await caught(r.execute());
    const s = r.endpointStats().a;
    expect(s).toEqual({ latency: 120, errorRate: 0.2, calls: 3, failures: 1 });
    if (s) s.calls = 99;
    expect(r.endpointStats().a?.calls).toBe(3);
  });

  it('a custom alpha weighs new samples accordingly', async () => {
    const clock = new FakeClock();
    let ms = 100;
    const r = new FallbackRouter<void, string>({
      clock,
      ewmaAlpha: 0.5,
      endpoints: [
        {
          id: 'a',
          call: async () => {
            await clock.advance(ms);
            return 'a';
          },
        },
      ],
    });
    await r.execute();
    ms = 200;
    await r.execute();
    expect(r.endpointStats().a?.latency).toBe(150);
  });
});

describe('FallbackRouter strategies', () => {
  it('latency: unmeasured endpoints first, then latency penalised by errors, ties by priority', async () => {
    const clock = new FakeClock();
    const lat: Record<string, number> = { a: 100, b: 50, c: 100 };
    let failB = false;
    const timed = (id: string, priority: number): Endpoint<void, string> => ({
      id,
      priority,
      call: async () => {
        await clock.advance(lat[id] as number);
        if (id === 'b' && failB) throw down();
        return id;
      },
    });
    const r = new FallbackRouter<void, string>({
      clock,
      strategy: 'latency',
      breaker: () => ({ policy: consecutiveFailures(100) }),
      endpoints: [timed('c', 1), timed('a', 0), timed('b', 2)],
    });
    expect(r.plan().order).toEqual(['a', 'c', 'b']); // all unknown: by priority
    await r.execute(); // a: 100
    expect(r.plan().order).toEqual(['c', 'b', 'a']); // unknown ones first
    await r.execute(); // c: 100
    await r.execute(); // b: 50
    expect(r.plan().order).toEqual(['b', 'a', 'c']);
    failB = true;
    await r.execute(); // b fails (error rate 0.2: score 50 * 3 = 150), falls over to a
    expect(r.plan().order).toEqual(['a', 'c', 'b']);
  });

  it('weighted: draws the first pick by weight, then the rest; default weight 1, negative counts as 0', () => {
    let draw = 0.5;
    const r = new FallbackRouter<void, string>({
      strategy: 'weighted',
      random: () => draw,
      clock: new FakeClock(),
      endpoints: [ok('a'), ok('b', { weight: 3 }), ok('neg', { weight: -5 })],
    });
    // total 4: 0.5 * 4 = 2 -> past a (1), inside b (1..4)
    expect(r.plan().order).toEqual(['b', 'a', 'neg']);
    draw = 0.2; // 0.8 -> inside a
    expect(r.plan().order).toEqual(['a', 'b', 'neg']);
    draw = 0.25; // exactly 1: not inside a (r - 1 = 0 is not < 0)
    expect(r.plan().order).toEqual(['b', 'a', 'neg']);
    const zero = new FallbackRouter<void, string>({
      strategy: 'weighted',
      random: () => 0,
      clock: new FakeClock(),
      endpoints: [ok('x', { weight: 0 }), ok('y', { weight: 0 })],
    });
    expect(zero.plan().order).toEqual(['y', 'x']);
  });

  it('parallel: all at once, first answer wins, failures of the others are listed', async () => {
    const clock = new FakeClock();
    const r = new FallbackRouter<void, string>({
      clock,
      strategy: 'parallel',
      endpoints: [
        failing('a'),
        {
          id: 'b',
          call: async () => {
            await clock.advance(10);
            return 'b';
          },
        },
      ],
    });
    await expect(r.execute()).resolves.toEqual({ value: 'b', endpoint: 'b', failedOver: ['a'] });
  });

  it('parallel: everything failing or skipped gives AllEndpointsFailedError; nothing eligible rejects at once', async () => {
    const clock = new FakeClock();
    const r = new FallbackRouter<void, string>({ clock, strategy: 'parallel', endpoints: [failing('a'), failing('b')] });
    r.breaker('b').trip('x');
    const err = await caught(r.execute());
    expect(isAllEndpointsFailedError(err)).toBe(true);
    expect((err as AllEndpointsFailedError).failures.map((f) => [f.endpoint, (f.error as Error).message])).toEqual([
      ['b', 'skipped: circuit_open'],
      ['a', 'a down'],
    ]);
    r.breaker('a').trip('y');
    const none = await caught(r.execute());
    expect((none as AllEndpointsFailedError).failures.map((f) => f.endpoint)).toEqual(['a', 'b']);
  });

  it('parallel: a caller abort rejects with its reason', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const r = new FallbackRouter<void, string>({
      clock,
      strategy: 'parallel',
      endpoints: [
        {
          id: 'a',
          call: (_, { signal }) =>
            new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        },
      ],
    });
    const p = caught(r.execute(undefined, c.signal));
    await Promise.resolve();
    c.abort(new Error('caller'));
    expect(((await p) as Error).message).toBe('caller');
  });
});
