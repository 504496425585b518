import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantBackoff, decorrelatedJitterBackoff, exponentialBackoff, fullJitterBackoff } from './backoff/index.js';
import { classifyFailure, retryAfterMs } from './classify.js';
import { BrokenCircuitError, isTaskTimeoutError, TaskTimeoutError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { retry } from './retry.js';

const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${status}`), { status, headers });

describe('retry', () => {
  it('retries transient failures with the backoff delays, then succeeds', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 4, backoff: exponentialBackoff({ initialMs: 1000 }), clock });
    const delays: number[] = [];
    policy.onRetry((e) => delays.push(e.delayMs));
    let calls = 0;
    const p = policy.execute(async () => {
      calls++;
      if (calls < 4) throw httpError(503);
      return 'ok';
    });
    await clock.advance(1000 + 2000 + 4000);
    await expect(p).resolves.toBe('ok');
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(policy.stats()).toMatchObject({ attempts: 4, retries: 3, successes: 1 });
  });

  it('does not retry permanent failures', async () => {
    const policy = retry({ maxAttempts: 5, clock: new FakeClock() });
    let calls = 0;
    await expect(
      policy.execute(async () => {
        calls++;
        throw httpError(404);
      }),
    ).rejects.toThrow('HTTP 404');
    expect(calls).toBe(1);
    expect(policy.stats().permanentFailures).toBe(1);
  });

  it('rethrows the last error when attempts are exhausted', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 3, backoff: constantBackoff(10), clock });
    let calls = 0;
    const p = policy.execute(async () => {
      calls++;
      throw httpError(501 + calls); // 502, 503, 504
    });
    const settled = p.catch((e: Error) => e.message);
    await clock.advance(100);
    expect(await settled).toBe('HTTP 504');
    expect(calls).toBe(3);
  });

  it('honours Retry-After over a shorter backoff, capped by maxDelayMs', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(10), maxDelayMs: 5000, clock });
    const delays: number[] = [];
    policy.onRetry((e) => delays.push(e.delayMs));
    let calls = 0;
    const p = policy.execute(async () => {
      if (calls++ === 0) throw httpError(429, { 'retry-after': '3' });
      return calls;
    });
    await clock.advance(3000);
    await expect(p).resolves.toBe(2);
    expect(delays).toEqual([3000]);

    const capped: number[] = [];
    const p2 = retry({ maxAttempts: 2, backoff: constantBackoff(10), maxDelayMs: 5000, clock });
    p2.onRetry((e) => capped.push(e.delayMs));
    let n = 0;
    const r2 = p2.execute(async () => {
      if (n++ === 0) throw httpError(503, { 'retry-after': '3600' });
      return n;
    });
    await clock.advance(5000);
    await expect(r2).resolves.toBe(2);
    expect(capped).toEqual([5000]);
  });

  it('bounds each attempt with attemptTimeoutMs and aborts its signal', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 2, attemptTimeoutMs: 100, backoff: constantBackoff(0), clock });
    const aborted: boolean[] = [];
    const p = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted.push(true);
            reject(signal.reason);
          });
        }),
    );
    const settled = p.catch((e) => e);
    await clock.advance(250);
    const err = await settled;
    expect(isTaskTimeoutError(err)).toBe(true);
    expect(aborted).toEqual([true, true]);
  });

  it('stops retrying when the deadline would be passed', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 10, deadlineMs: 2500, backoff: constantBackoff(1000), clock });
    let calls = 0;
    const p = policy
      .execute(async () => {
        calls++;
        throw httpError(503);
      })
      .catch((e) => e);
    await clock.advance(10_000);
    await p;
    expect(calls).toBe(3); // t=0, 1000, 2000; a retry at 3000 would pass the deadline
  });

  it('stops at once when the caller aborts during a delay', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const policy = retry({ maxAttempts: 5, backoff: constantBackoff(1000), clock });
    let calls = 0;
    const p = policy
      .execute(async () => {
        calls++;
        throw httpError(503);
      }, controller.signal)
      .catch((e) => e);
    await clock.advance(500);
    controller.abort(new Error('caller gave up'));
    expect(((await p) as Error).message).toBe('caller gave up');
    expect(calls).toBe(1);
  });

  it('runs a batch with bounded concurrency and keeps input order', async () => {
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(0) });
    let inFlight = 0;
    let peak = 0;
    const tries = new Map<number, number>();
    const results = await policy.executeBatch(
      [1, 2, 3, 4, 5, 6],
      async (n) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        tries.set(n, (tries.get(n) ?? 0) + 1);
        if (n === 3 && tries.get(n) === 1) throw httpError(503);
        if (n === 5) throw httpError(400);
        return n * 10;
      },
      { concurrency: 2 },
    );
    expect(peak).toBeLessThanOrEqual(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'x'))).toEqual([10, 20, 30, 40, 'x', 60]);
  });
});

describe('backoff', () => {
  it('delays stay within their bounds for any retry and random source', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        (retryN, r, initial, max, previous) => {
          const random = () => r;
          const cap = Math.max(max, initial);
          const e = exponentialBackoff({ initialMs: initial, maxMs: cap }).delay(retryN, previous, random);
          expect(e).toBeGreaterThanOrEqual(Math.min(initial, cap));
          expect(e).toBeLessThanOrEqual(cap);
          const f = fullJitterBackoff({ initialMs: initial, maxMs: cap }).delay(retryN, previous, random);
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThanOrEqual(e);
          const d = decorrelatedJitterBackoff({ initialMs: initial, maxMs: cap }).delay(retryN, previous, random);
          expect(d).toBeGreaterThanOrEqual(Math.min(initial, cap));
          expect(d).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it('exponential backoff doubles until the cap', () => {
    const b = exponentialBackoff({ initialMs: 1000, maxMs: 5000 });
    expect([1, 2, 3, 4].map((n) => b.delay(n, 0, Math.random))).toEqual([1000, 2000, 4000, 5000]);
  });
});

describe('classifyFailure', () => {
  it.each([
    [httpError(503), 'transient'],
    [httpError(429), 'transient'],
    [httpError(408), 'transient'],
    [httpError(501), 'permanent'],
    [httpError(400), 'permanent'],
    [httpError(404), 'permanent'],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'transient'],
    [new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'transient'],
    [new TypeError('undefined is not a function'), 'permanent'],
    [new TaskTimeoutError(10), 'transient'],
    [new BrokenCircuitError(), 'permanent'],
    [Object.assign(new Error('bad input'), { permanent: true }), 'permanent'],
    [new Error('something odd'), 'transient'],
  ])('%s -> %s', (error, expected) => {
    expect(classifyFailure(error)).toBe(expected);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs(httpError(429, { 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(httpError(503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs({ response: { headers: new Headers({ 'Retry-After': '1' }) } })).toBe(1000);
    expect(retryAfterMs(httpError(503))).toBeUndefined();
  });
});
