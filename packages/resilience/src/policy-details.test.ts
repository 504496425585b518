import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { adaptiveConcurrency } from './adaptive-concurrency.js';
import { BulkheadPolicy, bulkhead } from './bulkhead.js';
import {
  BulkheadRejectedError,
  isBulkheadRejectedError,
  isRateLimitedError,
  type RateLimitedError,
  TaskTimeoutError,
} from './errors.js';
import { FakeClock } from './fake-clock.js';
import { injectFault, injectLatency, injectOutcome } from './fault-injection.js';
import { hedge } from './hedge.js';
import type { ExecutionContext } from './policy.js';
import { rateLimiter, TokenBucket } from './rate-limiter.js';

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const tick = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

function gate<T>() {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('bulkhead', () => {
  it.each([0, Number.NaN])('rejects maxConcurrent %s', (n) => {
    expect(() => new BulkheadPolicy(n)).toThrow(new RangeError('maxConcurrent must be >= 1'));
  });

  it('has no queue by default and reports each rejection', async () => {
    const b = bulkhead({ maxConcurrent: 1 });
    expect(b.maxQueue).toBe(0);
    const events: unknown[] = [];
    b.onReject((e) => events.push(e));
    const g = gate<number>();
    const first = b.execute(() => g.promise);
    const err = await caught(b.execute(async () => 2));
    expect(err).toBeInstanceOf(BulkheadRejectedError);
    expect(err).toMatchObject({ executing: 1, queued: 0 });
    expect(events).toEqual([{ executing: 1, queued: 0 }]);
    g.open(1);
    await expect(first).resolves.toBe(1);
    expect(b.executing).toBe(0);
    await expect(b.execute(() => 3)).resolves.toBe(3);
  });

  it('rejects at once for an aborted signal without taking a slot', async () => {
    const b = new BulkheadPolicy(1);
    const c = new AbortController();
    c.abort(new Error('gone'));
    await expect(b.execute(() => 1, c.signal)).rejects.toThrow('gone');
    expect(b.executing).toBe(0);
  });

  it('hands its slot to the next waiter, frees it on failure, passes the caller signal', async () => {
    const b = new BulkheadPolicy(1, 2);
    const c = new AbortController();
    const g1 = gate<void>();
    const seen: ExecutionContext[] = [];
    const p1 = b.execute(() => g1.promise);
    const p2 = b.execute((ctx) => {
      seen.push(ctx);
      throw new Error('second fails');
    }, c.signal);
    const p3 = b.execute(() => 'third');
    expect([b.executing, b.queued]).toEqual([1, 2]);
    g1.open();
    await p1;
    await expect(p2).rejects.toThrow('second fails');
    await expect(p3).resolves.toBe('third');
    expect([b.executing, b.queued]).toEqual([0, 0]);
    expect(seen[0]?.signal).toBe(c.signal);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('a queued call that aborts leaves its place to the ones behind it', async () => {
    const b = new BulkheadPolicy(1, 3);
    const g = gate<void>();
    const first = b.execute(() => g.promise);
    const c = new AbortController();
    const order: string[] = [];
    const a = b.execute(() => order.push('a'));
    const gone = caught(b.execute(() => order.push('gone'), c.signal));
    const z = b.execute(() => order.push('z'));
    c.abort(new Error('left'));
    expect(((await gone) as Error).message).toBe('left');
    expect(b.queued).toBe(2);
    g.open();
    await Promise.all([first, a, z]);
    expect(order).toEqual(['a', 'z']);
  });

  it('a started call is not cancelled by its signal', async () => {
    const b = new BulkheadPolicy(1, 1);
    const g = gate<void>();
    const first = b.execute(() => g.promise);
    const c = new AbortController();
    const g2 = gate<string>();
    const second = b.execute(() => g2.promise, c.signal);
    g.open();
    await first;
    await tick();
    c.abort(new Error('late'));
    g2.open('finished');
    await expect(second).resolves.toBe('finished');
  });
});

describe('token bucket', () => {
  it.each([
    [0, 1],
    [1, 0],
    [Number.NaN, 1],
  ])('rejects capacity %s / refill %s', (capacity, refill) => {
    expect(() => new TokenBucket(capacity, refill)).toThrow(new RangeError('capacity and refillPerSecond must be > 0'));
  });

  it('takes tokens, refills continuously up to capacity, and says how long to wait', async () => {
    const clock = new FakeClock();
    const b = new TokenBucket(3, 2, { clock });
    expect(b.tryTake(2)).toEqual({ ok: true, remaining: 1 });
    expect(b.tryTake(2)).toEqual({ ok: false, retryAfterMs: 500, remaining: 1 });
    await clock.advance(250); // +0.5
    expect(b.tryTake()).toEqual({ ok: true, remaining: 0 });
    expect(b.tryTake()).toEqual({ ok: false, retryAfterMs: 250, remaining: 0 });
    await clock.advance(60_000);
    expect(b.tryTake(3)).toEqual({ ok: true, remaining: 0 });
  });

  it('fails fast by default, with the wait in the error', async () => {
    const clock = new FakeClock();
    const limiter = rateLimiter({ capacity: 1, refillPerSecond: 4, clock });
    expect(limiter.capacity).toBe(1);
    expect(limiter.refillPerSecond).toBe(4);
    await expect(limiter.execute(() => 'a')).resolves.toBe('a');
    const err = await caught(limiter.execute(() => 'b'));
    expect(isRateLimitedError(err)).toBe(true);
    expect((err as RateLimitedError).retryAfterMs).toBe(250);
  });

  it('waits up to maxWaitMs (inclusive) for a token, honouring the caller signal', async () => {
    const clock = new FakeClock();
    const limiter = rateLimiter({ capacity: 1, refillPerSecond: 4, maxWaitMs: 250, clock });
    await limiter.execute(() => 1);
    const c = new AbortController();
    let ctx: ExecutionContext | undefined;
    const waited = limiter.execute((x) => {
      ctx = x;
      return 2;
    }, c.signal);
    await clock.advance(249);
    expect(ctx).toBeUndefined();
    await clock.advance(1);
    await expect(waited).resolves.toBe(2);
    expect(ctx?.signal).toBe(c.signal);
    const tooLong = rateLimiter({ capacity: 1, refillPerSecond: 4, maxWaitMs: 249, clock });
    await tooLong.execute(() => 1);
    await expect(tooLong.execute(() => 2)).rejects.toSatisfy(isRateLimitedError);
    const d = new AbortController();
    const aborted = caught(limiter.execute(() => 3, d.signal));
    d.abort(new Error('stop waiting'));
    expect(((await aborted) as Error).message).toBe('stop waiting');
  });

  it('uses the system clock by default', async () => {
    const b = new TokenBucket(1, 1000);
    await expect(b.execute(() => 'x')).resolves.toBe('x');
  });
});

describe('adaptive concurrency', () => {
  it('starts at 20 and sheds calls beyond the limit', async () => {
    const p = adaptiveConcurrency({ clock: new FakeClock() });
    expect(p.limit).toBe(20);
    const gates = Array.from({ length: 20 }, () => gate<void>());
    const running = gates.map((g) => p.execute(() => g.promise));
    expect(p.inFlight).toBe(20);
    const err = await caught(p.execute(async () => 1));
    expect(err).toMatchObject({ executing: 20, queued: 0 });
    for (const g of gates) g.open();
    await Promise.all(running);
    expect(p.inFlight).toBe(0);
  });

  it('grows by 1/limit per success while at least half the limit is in use', async () => {
    const clock = new FakeClock();
    const p = adaptiveConcurrency({ initialLimit: 2, clock });
    const changes: unknown[] = [];
    p.onLimitChange((c) => changes.push(c));
    await p.execute(async () => 1); // 1 in flight of 2: grows to 2.5
    expect(p.limit).toBe(2);
    await p.execute(async () => 1); // 2.9
    await p.execute(async () => 1); // 3.24...
    expect(p.limit).toBe(3);
    expect(changes).toEqual([{ from: 2, to: 3, reason: 'increase' }]);
    const idle = adaptiveConcurrency({ initialLimit: 4, clock });
    for (let i = 0; i < 10; i++) await idle.execute(async () => 1); // 1 of 4 in use: no growth
    expect(idle.limit).toBe(4);
  });

  it('never grows beyond maxLimit (default 1000)', async () => {
    const clock = new FakeClock();
    const capped = adaptiveConcurrency({ initialLimit: 1, maxLimit: 2, clock });
    for (let i = 0; i < 20; i++) await capped.execute(async () => 1);
    expect(capped.limit).toBe(2);
    // 1000.9999 + 1/1000.9999 would pass 1001; the default cap keeps it at 1000.
    const big = adaptiveConcurrency({ initialLimit: 1000.9999, clock });
    const gates = Array.from({ length: 500 }, () => gate<void>());
    const running = gates.map((g) => big.execute(() => g.promise));
    for (const g of gates) g.open();
    await Promise.all(running);
    expect(big.limit).toBe(1000);
  });

  it('backs off by 0.9 on timeouts, 429 and 503, not on other errors, never below minLimit', async () => {
    const clock = new FakeClock();
    const p = adaptiveConcurrency({ initialLimit: 10, clock });
    const changes: unknown[] = [];
    p.onLimitChange((c) => changes.push(c));
    await caught(p.execute(() => Promise.reject(new TaskTimeoutError(1))));
    expect(p.limit).toBe(9);
    await caught(p.execute(() => Promise.reject(Object.assign(new Error('x'), { status: 429 }))));
    expect(p.limit).toBe(8); // 8.1
    await caught(p.execute(() => Promise.reject(Object.assign(new Error('x'), { status: 503 }))));
    expect(p.limit).toBe(7); // 7.29
    await caught(p.execute(() => Promise.reject(Object.assign(new Error('x'), { status: 500 }))));
    expect(await p.execute(() => Promise.reject(undefined)).then(() => 'resolved', (e: unknown) => e)).toBeUndefined();
    expect(p.limit).toBe(7);
    expect(changes).toEqual([
      { from: 10, to: 9, reason: 'overload' },
      { from: 9, to: 8, reason: 'overload' },
      { from: 8, to: 7, reason: 'overload' },
    ]);
    const floor = adaptiveConcurrency({ initialLimit: 3, minLimit: 2, backoffRatio: 0.1, clock });
    await caught(floor.execute(() => Promise.reject(new TaskTimeoutError(1))));
    expect(floor.limit).toBe(2);
    const one = adaptiveConcurrency({ initialLimit: 1.5, backoffRatio: 0.1, clock });
    await caught(one.execute(() => Promise.reject(new TaskTimeoutError(1))));
    expect(one.limit).toBe(1);
    expect(one.inFlight).toBe(0);
  });

  it('a custom overload classifier replaces the default', async () => {
    const clock = new FakeClock();
    const p = adaptiveConcurrency({ initialLimit: 10, isOverload: (e) => e === 'busy', clock });
    await caught(p.execute(() => Promise.reject(new TaskTimeoutError(1))));
    expect(p.limit).toBe(10);
    await caught(p.execute(() => Promise.reject('busy')));
    expect(p.limit).toBe(9);
  });

  it('a success slower than the latency threshold counts as overload', async () => {
    const clock = new FakeClock(1000);
    const p = adaptiveConcurrency({ initialLimit: 2, latencyThresholdMs: 100, clock });
    const slow = (ms: number) =>
      p.execute(async (ctx) => {
        await clock.advance(ms);
        return ctx;
      });
    const ctx = await slow(100); // at the threshold: fine, and grows (1 of 2 in use)
    expect(ctx.attempt).toBe(1);
    expect(p.limit).toBe(2);
    await slow(101);
    expect(p.limit).toBe(2); // 2.5 * 0.9 = 2.25
    await slow(101); // 2.025
    await slow(101); // 1.8225
    expect(p.limit).toBe(1);
  });
});

describe('hedging details', () => {
  it('defaults: latency mode, hedges once after 100 ms', async () => {
    const clock = new FakeClock();
    const h = hedge({ clock });
    const hedges: unknown[] = [];
    h.onHedge((e) => hedges.push(e));
    let calls = 0;
    const p = caught(
      h.execute(() => {
        calls++;
        return new Promise(() => {});
      }),
    );
    await clock.advance(99);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    await clock.advance(1000);
    expect(calls).toBe(2);
    expect(hedges).toEqual([{ attempt: 2, reason: 'delay' }]);
    void p;
  });

  it('rejects at once for an aborted signal', async () => {
    const c = new AbortController();
    c.abort(new Error('no'));
    let called = false;
    await expect(
      hedge().execute(() => {
        called = true;
      }, c.signal),
    ).rejects.toThrow('no');
    expect(called).toBe(false);
  });

  it('parallel: starts every alternative at once with its attempt number; the winner keeps its signal', async () => {
    const clock = new FakeClock();
    const contexts: ExecutionContext[] = [];
    const gates = [gate<string>(), gate<string>(), gate<string>()];
    const h = hedge({
      mode: 'parallel',
      maxAttempts: 3,
      clock,
      alternatives: (i) => (ctx) => {
        contexts.push(ctx);
        return (gates[i] as ReturnType<typeof gate<string>>).promise;
      },
    });
    const hedges: unknown[] = [];
    h.onHedge((e) => hedges.push(e));
    const p = h.execute((ctx) => {
      contexts.push(ctx);
      return (gates[0] as ReturnType<typeof gate<string>>).promise;
    });
    await tick();
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(hedges).toEqual([
      { attempt: 2, reason: 'parallel' },
      { attempt: 3, reason: 'parallel' },
    ]);
    gates[1]?.open('second');
    await expect(p).resolves.toBe('second');
    expect(contexts.map((c) => c.signal.aborted)).toEqual([true, false, true]);
    expect(contexts[0]?.signal.reason).toEqual(new Error('hedged attempt lost'));
    expect(clock.pending).toBe(0);
  });

  it('latency: a failure before the delay starts the next attempt at once', async () => {
    const clock = new FakeClock();
    const h = hedge({ mode: 'latency', delayMs: 500, maxAttempts: 3, clock });
    const hedges: unknown[] = [];
    h.onHedge((e) => hedges.push(e));
    let calls = 0;
    const p = h.execute(() => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('first down'));
      return new Promise<string>((resolve) => clock.setTimeout(() => resolve(`done ${calls}`), 1000));
    });
    await clock.advance(0);
    expect(calls).toBe(2);
    await clock.advance(500);
    expect(calls).toBe(3);
    await clock.advance(500);
    await expect(p).resolves.toBe('done 3');
    expect(hedges).toEqual([
      { attempt: 2, reason: 'failure' },
      { attempt: 3, reason: 'delay' },
    ]);
  });

  it('all attempts failing rejects with the last error; maxAttempts below 1 means one attempt', async () => {
    const clock = new FakeClock();
    let n = 0;
    const err = await caught(
      hedge({ mode: 'fallback', maxAttempts: 3, clock }).execute(() => Promise.reject(new Error(`e${++n}`))),
    );
    expect((err as Error).message).toBe('e3');
    let single = 0;
    const one = await caught(
      hedge({ mode: 'fallback', maxAttempts: 0, clock }).execute(() => {
        single++;
        throw new Error('only');
      }),
    );
    expect((one as Error).message).toBe('only');
    expect(single).toBe(1);
  });

  it('a caller abort rejects with its reason and aborts the attempts', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const signals: AbortSignal[] = [];
    const p = caught(
      hedge({ mode: 'parallel', maxAttempts: 2, clock }).execute(({ signal }) => {
        signals.push(signal);
        return new Promise(() => {});
      }, c.signal),
    );
    await tick();
    c.abort(new Error('caller'));
    expect(((await p) as Error).message).toBe('caller');
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });

  it('a failure after the caller aborted reports the abort reason', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const p = caught(
      hedge({ mode: 'fallback', maxAttempts: 1, clock }).execute(({ signal }) => {
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('own'))));
      }, c.signal),
    );
    await tick();
    c.abort(new Error('caller'));
    expect(((await p) as Error).message).toBe('caller');
  });
});

describe('fault injection details', () => {
  it.each([-0.1, 1.1, Number.NaN])('rejects injectionRate %s', (rate) => {
    expect(() => injectFault({ injectionRate: rate, fault: () => new Error('x') })).toThrow(
      new RangeError('injectionRate must be in [0, 1]'),
    );
  });

  it('injects when the draw is below the rate, and only while enabled', async () => {
    let draw = 0.3;
    let enabled = true;
    const p = injectFault({
      injectionRate: 0.3,
      random: () => draw,
      enabled: () => enabled,
      fault: () => new Error('injected'),
    });
    const kinds: string[] = [];
    p.onInjection((e) => kinds.push(e.kind));
    await expect(p.execute(() => 'real')).resolves.toBe('real'); // 0.3 is not below 0.3
    draw = 0.29;
    await expect(p.execute(() => 'real')).rejects.toThrow('injected');
    enabled = false;
    await expect(p.execute(() => 'real')).resolves.toBe('real');
    expect(kinds).toEqual(['fault']);
  });

  it('rates 0 and 1 never and always inject with the default random source', async () => {
    const never = injectOutcome({ injectionRate: 0, outcome: () => 'fake' });
    const always = injectOutcome({ injectionRate: 1, outcome: () => 'fake' });
    for (let i = 0; i < 20; i++) {
      expect(await never.execute(() => 'real')).toBe('real');
      expect(await always.execute(() => 'real')).toBe('fake');
    }
  });

  it('latency injection waits on the clock, then runs the operation with the caller signal', async () => {
    const clock = new FakeClock();
    const p = injectLatency({ injectionRate: 1, latencyMs: 300, random: () => 0, clock });
    const kinds: string[] = [];
    p.onInjection((e) => kinds.push(e.kind));
    const c = new AbortController();
    let ctx: ExecutionContext | undefined;
    const r = p.execute((x) => {
      ctx = x;
      return 'late';
    }, c.signal);
    await clock.advance(299);
    expect(ctx).toBeUndefined();
    await clock.advance(1);
    await expect(r).resolves.toBe('late');
    expect(ctx?.signal).toBe(c.signal);
    expect(kinds).toEqual(['latency']);
  });

  it('outcome injection replaces the call; a disabled policy passes the context through', async () => {
    let called = 0;
    const p = injectOutcome({ injectionRate: 1, random: () => 0, outcome: () => ({ status: 500 }) });
    const kinds: string[] = [];
    p.onInjection((e) => kinds.push(e.kind));
    await expect(
      p.execute(() => {
        called++;
        return { status: 200 };
      }),
    ).resolves.toEqual({ status: 500 });
    expect(called).toBe(0);
    expect(kinds).toEqual(['outcome']);
    const off = injectFault({ injectionRate: 1, enabled: () => false, fault: () => 'never' });
    const c = new AbortController();
    await expect(off.execute((ctx) => ctx.signal, c.signal)).resolves.toBe(c.signal);
  });
});

describe('bulkhead rejection type', () => {
  it('is recognised by its guard', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    const g = gate<void>();
    const first = b.execute(() => g.promise);
    await expect(b.execute(() => 1)).rejects.toSatisfy(isBulkheadRejectedError);
    g.open();
    await first;
  });
});
