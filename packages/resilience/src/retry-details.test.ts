import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { constantBackoff } from './backoff/index.js';
import { CircuitBreaker } from './breaker/circuit-breaker.js';
import { consecutiveFailures } from './breaker/failure-policy.js';
import { isTaskTimeoutError, TaskTimeoutError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { type ExecutionContext, rootContext, wrap } from './policy.js';
import { type RetryEvent, retry } from './retry.js';
import { timeout } from './timeout.js';

const transient = () => Object.assign(new Error('503'), { status: 503 });
const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('retry defaults', () => {
  it('tries 3 times with full-jitter delays of up to 100 ms, 200 ms', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, random: () => 0.5 });
    const events: RetryEvent[] = [];
    policy.onRetry((e) => events.push(e));
    const errors: Error[] = [];
    const p = caught(
      policy.execute(() => {
        const e = transient();
        errors.push(e);
        throw e;
      }),
    );
    await clock.advance(1000);
    expect(await p).toBe(errors[2]);
    expect(events).toEqual([
      { attempt: 1, delayMs: 50, error: errors[0] },
      { attempt: 2, delayMs: 100, error: errors[1] },
    ]);
  });

  it('makes at least one attempt', async () => {
    let calls = 0;
    const policy = retry({ maxAttempts: 0, clock: new FakeClock() });
    await caught(
      policy.execute(() => {
        calls++;
        throw transient();
      }),
    );
    expect(calls).toBe(1);
    expect(policy.stats()).toMatchObject({ exhausted: 1, failures: 1, retries: 0 });
  });

  it('caps server-requested delays at 60 s', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(1), clock });
    const delays: number[] = [];
    policy.onRetry((e) => delays.push(e.delayMs));
    let n = 0;
    const p = policy.execute(() => {
      if (n++ === 0) throw Object.assign(transient(), { retryAfterMs: 3_600_000 });
      return n;
    });
    await clock.advance(60_000);
    await expect(p).resolves.toBe(2);
    expect(delays).toEqual([60_000]);
  });

  it('classifies with classifyFailure: a 400 is not retried, a TypeError neither', async () => {
    const policy = retry({ clock: new FakeClock() });
    let calls = 0;
    await caught(
      policy.execute(() => {
        calls++;
        throw Object.assign(new Error('bad'), { status: 400 });
      }),
    );
    await caught(
      policy.execute(() => {
        calls++;
        throw new TypeError('bug');
      }),
    );
    expect(calls).toBe(2);
    expect(policy.stats().permanentFailures).toBe(2);
  });
});

describe('retry delays', () => {
  it('uses a longer Retry-After, keeps a longer backoff, and clamps negative delays to 0', async () => {
    const clock = new FakeClock();
    const delays: number[] = [];
    const run = async (backoffMs: number, asked: number | undefined, respectRetryAfter?: boolean) => {
      const policy = retry({
        maxAttempts: 2,
        backoff: constantBackoff(backoffMs),
        clock,
        ...(respectRetryAfter === undefined ? {} : { respectRetryAfter }),
      });
      policy.onRetry((e) => delays.push(e.delayMs));
      let n = 0;
      const p = policy.execute(() => {
        if (n++ === 0) throw Object.assign(transient(), asked === undefined ? {} : { retryAfterMs: asked });
        return 'done';
      });
      await clock.advance(10_000);
      await expect(p).resolves.toBe('done');
    };
    await run(100, 500);
    await run(800, 500);
    await run(100, 500, false);
    await run(-50, undefined);
    expect(delays).toEqual([500, 800, 100, 0]);
  });

  it('passes the retry number, the previous delay and the random source to the backoff', async () => {
    const clock = new FakeClock();
    const seen: Array<[number, number, number]> = [];
    const random = () => 0.25;
    const policy = retry({
      maxAttempts: 4,
      backoff: {
        delay: (n, previous, r) => {
          seen.push([n, previous, r()]);
          return n * 10;
        },
      },
      random,
      clock,
    });
    const p = caught(
      policy.execute(() => {
        throw transient();
      }),
    );
    await clock.advance(1000);
    await p;
    expect(seen).toEqual([
      [1, 0, 0.25],
      [2, 10, 0.25],
      [3, 20, 0.25],
    ]);
  });

  it('calls the classifier with the error and the attempt number', async () => {
    const clock = new FakeClock();
    const seen: Array<[string, number]> = [];
    const policy = retry({
      maxAttempts: 5,
      backoff: constantBackoff(0),
      classify: (e, attempt) => {
        seen.push([(e as Error).message, attempt]);
        return attempt < 2 ? 'transient' : 'permanent';
      },
      clock,
    });
    const p = caught(
      policy.execute(({ attempt }) => {
        throw new Error(`try ${attempt}`);
      }),
    );
    await clock.advance(0);
    expect(((await p) as Error).message).toBe('try 2');
    expect(seen).toEqual([
      ['try 1', 1],
      ['try 2', 2],
    ]);
  });
});

describe('retry deadline and attempt timeout', () => {
  it('gives up when now + delay reaches the deadline exactly', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 10, deadlineMs: 100, backoff: constantBackoff(50), clock });
    const reasons: string[] = [];
    policy.onGiveUp((e) => reasons.push(`${e.reason}:${e.attempts}`));
    let calls = 0;
    const p = caught(
      policy.execute(() => {
        calls++;
        throw transient();
      }),
    );
    await clock.advance(1000);
    await p;
    expect(calls).toBe(2); // t=0 and t=50; t=100 would be the deadline itself
    expect(reasons).toEqual(['deadline:2']);
    expect(policy.stats()).toMatchObject({ failures: 1, exhausted: 0, permanentFailures: 0, retries: 1 });
  });

  it('bounds an attempt by the time left before the deadline', async () => {
    const clock = new FakeClock(1000);
    const policy = retry({
      maxAttempts: 3,
      deadlineMs: 250,
      attemptTimeoutMs: 1000,
      backoff: constantBackoff(0),
      clock,
    });
    let signal!: AbortSignal;
    const p = caught(
      policy.execute((ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      }),
    );
    await clock.advance(249);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    const err = await p;
    expect(err).toEqual(new TaskTimeoutError(250));
    expect(signal.reason).toBe(err);
    expect(clock.pending).toBe(0);
  });

  it('bounds an attempt by attemptTimeoutMs when that is shorter, and reports it rounded', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 1, attemptTimeoutMs: 99.6, clock });
    const p = caught(policy.execute(() => new Promise(() => {})));
    await clock.advance(99);
    await clock.advance(0.6);
    expect(await p).toEqual(new TaskTimeoutError(100));
  });

  it('a timed attempt that settles in time clears its timer and stops listening to the caller', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const policy = retry({ attemptTimeoutMs: 100, clock });
    await expect(policy.execute(async () => 'fine', c.signal)).resolves.toBe('fine');
    await expect(policy.execute(() => 'sync', c.signal)).resolves.toBe('sync');
    expect(clock.pending).toBe(0);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('a timed attempt follows the caller signal', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const policy = retry({ attemptTimeoutMs: 100, clock });
    let inner!: AbortSignal;
    const p = caught(
      policy.execute(({ signal }) => {
        inner = signal;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }, c.signal),
    );
    await clock.advance(0);
    c.abort(new Error('stop'));
    expect(((await p) as Error).message).toBe('stop');
    expect(inner.aborted).toBe(true);
    expect(policy.stats()).toMatchObject({ attempts: 1, retries: 0 });
  });
});

describe('retry and the caller signal', () => {
  it('an already aborted signal rejects without calling the operation', async () => {
    const c = new AbortController();
    c.abort('no');
    let called = false;
    const policy = retry({ clock: new FakeClock() });
    const err = await caught(
      policy.execute(() => {
        called = true;
      }, c.signal),
    );
    expect(err).toMatchObject({ name: 'AbortError', message: 'no' });
    expect(called).toBe(false);
    expect(policy.stats()).toMatchObject({ executions: 1, attempts: 0 });
  });

  it('a failure after the caller aborted is rethrown as is, without a give-up event', async () => {
    const c = new AbortController();
    const policy = retry({ clock: new FakeClock() });
    const giveUps: unknown[] = [];
    policy.onGiveUp((e) => giveUps.push(e));
    const own = transient();
    const err = await caught(
      policy.execute(() => {
        c.abort(new Error('caller'));
        throw own;
      }, c.signal),
    );
    expect(err).toBe(own);
    expect(giveUps).toEqual([]);
    expect(policy.stats()).toMatchObject({ attempts: 1, failures: 0, retries: 0 });
  });

  it('hands the caller signal and the attempt number to each attempt', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const seen: ExecutionContext[] = [];
    const p = retry({ backoff: constantBackoff(0), clock }).execute((ctx) => {
      seen.push(ctx);
      if (ctx.attempt < 3) throw transient();
      return 'third';
    }, c.signal);
    await clock.advance(0);
    await expect(p).resolves.toBe('third');
    expect(seen.map((s) => [s.attempt, s.signal === c.signal])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
  });

  it('a classifier that throws rejects the execution with its error', async () => {
    const policy = retry({
      classify: () => {
        throw new Error('classifier broke');
      },
      clock: new FakeClock(),
    });
    await expect(policy.execute(() => Promise.reject(transient()))).rejects.toThrow('classifier broke');
    await expect(
      policy.execute(() => {
        throw transient();
      }),
    ).rejects.toThrow('classifier broke');
  });
});

describe('retry results and stats', () => {
  it('settles plain values and thenables, and counts every outcome', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(0), clock });
    await expect(policy.execute(() => 1)).resolves.toBe(1);
    await expect(policy.execute(async () => 2)).resolves.toBe(2);
    let n = 0;
    const p = policy.execute(() => {
      if (n++ === 0) throw transient();
      return 3;
    });
    await clock.advance(0);
    await expect(p).resolves.toBe(3);
    const stats = policy.stats();
    expect(stats).toEqual({
      executions: 3,
      attempts: 4,
      retries: 1,
      successes: 3,
      failures: 0,
      permanentFailures: 0,
      exhausted: 0,
    });
    stats.successes = 99;
    expect(policy.stats().successes).toBe(3);
  });

  it('executeBatch runs 8 at a time by default, at least 1, and passes the signal', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock });
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    const c = new AbortController();
    const signals = new Set<AbortSignal>();
    const batch = policy.executeBatch(
      items,
      (i, { signal }) => {
        signals.add(signal);
        running++;
        peak = Math.max(peak, running);
        return new Promise<number>((resolve, reject) =>
          gates.push(() => {
            running--;
            if (i === 3) reject(Object.assign(new Error('bad 3'), { status: 400 }));
            else resolve(i * 2);
          }),
        );
      },
      { signal: c.signal },
    );
    while (gates.length > 0 || running > 0) {
      await clock.advance(0);
      gates.shift()?.();
    }
    const results = await batch;
    expect(peak).toBe(8);
    expect([...signals]).toEqual([c.signal]);
    expect(results[3]).toMatchObject({ status: 'rejected', reason: { message: 'bad 3' } });
    expect(results[19]).toEqual({ status: 'fulfilled', value: 38 });
    let concurrent = 0;
    let most = 0;
    await policy.executeBatch(
      [1, 2, 3],
      async () => {
        concurrent++;
        most = Math.max(most, concurrent);
        await Promise.resolve();
        concurrent--;
      },
      { concurrency: 0 },
    );
    expect(most).toBe(1);
    expect(await policy.executeBatch([], async () => 1)).toEqual([]);
  });
});

describe('wrap', () => {
  it('with no policies runs the operation once, asynchronously, with a root context', async () => {
    const c = new AbortController();
    let seen: ExecutionContext | undefined;
    const p = wrap().execute((ctx) => {
      seen = ctx;
      return 'bare';
    }, c.signal);
    expect(seen).toBeUndefined();
    await expect(p).resolves.toBe('bare');
    expect(seen).toEqual({ signal: c.signal, attempt: 1 });
    await expect(
      wrap().execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('hands the retry attempt through inner policies, and the innermost signal to the operation', async () => {
    const clock = new FakeClock();
    const policy = wrap(
      retry({ maxAttempts: 3, backoff: constantBackoff(0), clock }),
      new CircuitBreaker({ policy: consecutiveFailures(10), clock }),
      timeout(100, clock),
    );
    const seen: Array<{ attempt: number; signal: AbortSignal }> = [];
    const p = policy.execute((ctx) => {
      seen.push({ attempt: ctx.attempt, signal: ctx.signal });
      return ctx.attempt < 3 ? new Promise(() => {}) : 'done';
    });
    await clock.advance(100);
    await clock.advance(100);
    await expect(p).resolves.toBe('done');
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(seen.map((s) => s.signal.aborted)).toEqual([true, true, false]);
    expect(isTaskTimeoutError(seen[0]?.signal.reason)).toBe(true);
  });

  it('keeps the higher attempt number when an inner policy counts its own', async () => {
    const clock = new FakeClock();
    const outer = retry({ maxAttempts: 2, backoff: constantBackoff(0), clock });
    const inner = retry({ maxAttempts: 3, backoff: constantBackoff(0), clock });
    const attempts: number[] = [];
    const p = caught(
      wrap(outer, inner).execute(({ attempt }) => {
        attempts.push(attempt);
        throw transient();
      }),
    );
    await clock.advance(0);
    await p;
    // Outer attempt 1 runs inner attempts 1..3; outer attempt 2 runs inner 1..3 again, reported as >= 2.
    expect(attempts).toEqual([1, 2, 3, 2, 2, 3]);
  });

  it('passes the outer attempt to a middle layer that does not count attempts', async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const p = wrap(
      retry({ maxAttempts: 2, backoff: constantBackoff(0), clock }),
      new CircuitBreaker({ clock }),
      new CircuitBreaker({ clock }),
    ).execute(({ attempt }) => {
      seen.push(attempt);
      if (attempt === 1) throw transient();
      return attempt;
    });
    await clock.advance(0);
    await expect(p).resolves.toBe(2);
    expect(seen).toEqual([1, 2]);
  });

  it('rootContext defaults to a signal that never aborts and attempt 1', () => {
    const ctx = rootContext(undefined);
    expect(ctx.attempt).toBe(1);
    expect(ctx.signal.aborted).toBe(false);
    expect(rootContext(undefined, 4).attempt).toBe(4);
  });
});
