import { describe, expect, it } from 'vitest';
import { adaptiveConcurrency } from './adaptive-concurrency.js';
import { seededRandom } from './clock.js';
import { isBulkheadRejectedError, isRateLimitedError, TaskTimeoutError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { injectFault, injectLatency, injectOutcome } from './fault-injection.js';
import { hedge } from './hedge.js';
import { rateLimiter } from './rate-limiter.js';

describe('rate limiter (token bucket)', () => {
  it('allows a burst of capacity, then refills at the configured rate', async () => {
    const clock = new FakeClock();
    const limiter = rateLimiter({ capacity: 3, refillPerSecond: 2, clock });
    for (let i = 0; i < 3; i++) await limiter.execute(async () => i);
    const err = await limiter.execute(async () => 0).catch((e) => e);
    expect(isRateLimitedError(err)).toBe(true);
    expect(err.retryAfterMs).toBeCloseTo(500, 5);
    await clock.advance(500);
    await expect(limiter.execute(async () => 'ok')).resolves.toBe('ok');
  });

  it('waits for a token when allowed to', async () => {
    const clock = new FakeClock();
    const limiter = rateLimiter({ capacity: 1, refillPerSecond: 10, maxWaitMs: 200, clock });
    await limiter.execute(async () => 1);
    const p = limiter.execute(async () => 'waited');
    await clock.advance(100);
    await expect(p).resolves.toBe('waited');
  });
});

describe('adaptive concurrency', () => {
  it('sheds calls beyond the limit, backs off on overload and grows back under load', async () => {
    const limit = adaptiveConcurrency({ initialLimit: 4, minLimit: 1, maxLimit: 8, backoffRatio: 0.5 });
    const gates: Array<() => void> = [];
    const hold = () => limit.execute(() => new Promise<void>((r) => gates.push(r)));
    const held = [hold(), hold(), hold(), hold()];
    await expect(limit.execute(async () => 1)).rejects.toSatisfy(isBulkheadRejectedError);
    for (const g of gates) g();
    await Promise.all(held);
    await limit
      .execute(async () => {
        throw new TaskTimeoutError(100);
      })
      .catch(() => {});
    expect(limit.limit).toBeLessThan(4);
    const before = limit.limit;
    // Sustained successful use of the whole limit grows it again.
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: limit.limit }, () => limit.execute(async () => 1));
      await Promise.all(batch);
    }
    expect(limit.limit).toBeGreaterThan(before);
    expect(limit.limit).toBeLessThanOrEqual(8);
  });
});

describe('hedging', () => {
  it('latency mode: a slow first attempt is hedged after the delay and the winner aborts the loser', async () => {
    const clock = new FakeClock();
    const aborted: number[] = [];
    const attempt =
      (ms: number, id: number) =>
      ({ signal }: { signal: AbortSignal }) =>
        new Promise<number>((resolve) => {
          const t = clock.setTimeout(() => resolve(id), ms);
          signal.addEventListener('abort', () => {
            clock.clearTimeout(t);
            aborted.push(id);
          });
        });
    const policy = hedge({ mode: 'latency', delayMs: 100, maxAttempts: 2, clock, alternatives: () => attempt(50, 2) });
    const p = policy.execute(attempt(1000, 1));
    await clock.advance(150);
    await expect(p).resolves.toBe(2);
    expect(aborted).toEqual([1]);
  });

  it('latency mode: a fast first attempt is never hedged', async () => {
    const clock = new FakeClock();
    let hedges = 0;
    const policy = hedge({ mode: 'latency', delayMs: 100, clock });
    policy.onHedge(() => hedges++);
    await expect(policy.execute(async () => 'fast')).resolves.toBe('fast');
    await clock.advance(500);
    expect(hedges).toBe(0);
  });

  it('fallback mode: the next attempt starts only after a failure', async () => {
    const calls: number[] = [];
    const policy = hedge({ mode: 'fallback', maxAttempts: 3 });
    const result = await policy.execute(async ({ attempt }) => {
      calls.push(attempt);
      if (attempt < 3) throw new Error(`fail ${attempt}`);
      return attempt;
    });
    expect(result).toBe(3);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('parallel mode: all start at once; all failing rejects with the last error', async () => {
    let started = 0;
    const policy = hedge({ mode: 'parallel', maxAttempts: 3 });
    const err = await policy
      .execute(async ({ attempt }) => {
        started++;
        throw new Error(`e${attempt}`);
      })
      .catch((e: Error) => e.message);
    expect(started).toBe(3);
    expect(err).toMatch(/^e\d$/);
  });
});

describe('fault injection', () => {
  it('injects faults at about the configured rate, and not when disabled', async () => {
    const random = seededRandom(3);
    let on = true;
    const chaos = injectFault({ injectionRate: 0.2, random, enabled: () => on, fault: () => new Error('injected') });
    let faults = 0;
    for (let i = 0; i < 5000; i++) await chaos.execute(async () => 1).catch(() => faults++);
    expect(faults / 5000).toBeGreaterThan(0.18);
    expect(faults / 5000).toBeLessThan(0.22);
    on = false;
    faults = 0;
    for (let i = 0; i < 100; i++) await chaos.execute(async () => 1).catch(() => faults++);
    expect(faults).toBe(0);
  });

  it('injects latency and substitute outcomes', async () => {
    const clock = new FakeClock();
    const slow = injectLatency({ injectionRate: 1, latencyMs: 300, clock });
    let done = false;
    const p = slow
      .execute(async () => 'x')
      .then((v) => {
        done = true;
        return v;
      });
    await clock.advance(299);
    expect(done).toBe(false);
    await clock.advance(1);
    await expect(p).resolves.toBe('x');
    await expect(
      injectOutcome({ injectionRate: 1, outcome: () => 'cached' }).execute(async () => 'live'),
    ).resolves.toBe('cached');
  });
});
