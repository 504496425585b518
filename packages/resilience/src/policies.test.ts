import { describe, expect, it } from 'vitest';
import { consecutiveFailures } from './breaker/failure-policy.js';
import { CircuitBreaker } from './breaker/circuit-breaker.js';
import { bulkhead } from './bulkhead.js';
import { constantBackoff } from './backoff/index.js';
import { isBrokenCircuitError, isBulkheadRejectedError, isTaskTimeoutError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { wrap } from './policy.js';
import { retry } from './retry.js';
import { timeout } from './timeout.js';

describe('timeout', () => {
  it('rejects with TaskTimeoutError and aborts the operation signal', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const p = timeout(100, clock)
      .execute(({ signal }) => {
        seen = signal;
        return new Promise(() => {}); // ignores its signal
      })
      .catch((e) => e);
    await clock.advance(100);
    expect(isTaskTimeoutError(await p)).toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('passes results and errors through and clears its timer', async () => {
    const clock = new FakeClock();
    await expect(timeout(100, clock).execute(async () => 7)).resolves.toBe(7);
    await expect(
      timeout(100, clock).execute(async () => {
        throw new Error('own');
      }),
    ).rejects.toThrow('own');
    expect(clock.pending).toBe(0);
  });

  it('follows the caller signal', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const p = timeout(1000, clock)
      .execute(() => new Promise(() => {}), c.signal)
      .catch((e: Error) => e.message);
    c.abort(new Error('caller'));
    expect(await p).toBe('caller');
  });
});

describe('bulkhead', () => {
  it('runs at most maxConcurrent, queues up to maxQueue in order, rejects the rest', async () => {
    const b = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const gates: Array<() => void> = [];
    const order: number[] = [];
    const task = (n: number) =>
      b.execute(
        () =>
          new Promise<number>((resolve) => {
            order.push(n);
            gates.push(() => resolve(n));
          }),
      );
    const p1 = task(1);
    const p2 = task(2);
    const p3 = task(3);
    await expect(task(4)).rejects.toSatisfy(isBulkheadRejectedError);
    await Promise.resolve();
    expect(order).toEqual([1, 2]);
    expect([b.executing, b.queued]).toEqual([2, 1]);
    gates[0]?.();
    await p1;
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([1, 2, 3]);
    gates[1]?.();
    gates[2]?.();
    await Promise.all([p2, p3]);
    expect([b.executing, b.queued]).toEqual([0, 0]);
  });

  it('a queued call whose signal aborts leaves the queue', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    let release!: () => void;
    const first = b.execute(() => new Promise<void>((r) => (release = r)));
    const c = new AbortController();
    const queued = b.execute(async () => 'never', c.signal).catch((e: Error) => e.message);
    expect(b.queued).toBe(1);
    c.abort(new Error('gone'));
    expect(await queued).toBe('gone');
    expect(b.queued).toBe(0);
    release();
    await first;
  });
});

describe('wrap', () => {
  it('retry(breaker(timeout)): retries timeouts, stops when the breaker opens', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ policy: consecutiveFailures(2), openDurationMs: 60_000, clock });
    const policy = wrap(retry({ maxAttempts: 5, backoff: constantBackoff(10), clock }), breaker, timeout(50, clock));
    let calls = 0;
    const attempts: number[] = [];
    const p = policy
      .execute(({ attempt }) => {
        calls++;
        attempts.push(attempt);
        return new Promise(() => {});
      })
      .catch((e) => e);
    await clock.advance(1000);
    const err = await p;
    // Two timeouts open the breaker; the third attempt is rejected as permanent for retry.
    expect(calls).toBe(2);
    expect(attempts).toEqual([1, 2]);
    expect(isBrokenCircuitError(err)).toBe(true);
  });
});
