import { describe, expect, it } from 'vitest';
import { BrokenCircuitError, IsolatedCircuitError } from '../errors.js';
import { FakeClock } from '../fake-clock.js';
import { CircuitBreaker, CircuitBreakerRegistry, type StateChange } from './circuit-breaker.js';
import { type CallOutcome, consecutiveFailures, countWindow, type FailurePolicy } from './failure-policy.js';

const ok = async () => 'ok';
const boom = new Error('boom');
const fail = async () => {
  throw boom;
};
const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

function recorder(b: CircuitBreaker): StateChange[] {
  const changes: StateChange[] = [];
  b.onStateChange((c) => changes.push(c));
  return changes;
}

describe('CircuitBreaker defaults', () => {
  it('opens after 5 consecutive failures, for 30 s, then 60 s, capped at 5 minutes', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ clock });
    for (let i = 0; i < 4; i++) await caught(b.execute(fail));
    expect(b.state).toBe('closed');
    await caught(b.execute(fail));
    expect(b.state).toBe('open');
    expect(b.stats().retryAfterMs).toBe(30_000);
    await clock.advance(29_999);
    expect(b.state).toBe('open');
    await clock.advance(1);
    expect(b.state).toBe('half_open');
    const durations: Array<number | undefined> = [];
    for (let i = 0; i < 5; i++) {
      await caught(b.execute(fail)); // the one probe fails
      durations.push(b.stats().retryAfterMs);
      await clock.advance(b.stats().retryAfterMs ?? 0);
    }
    expect(durations).toEqual([60_000, 120_000, 240_000, 300_000, 300_000]);
  });

  it('admits one probe in half-open by default, and at least one when asked for none', async () => {
    for (const halfOpenProbes of [undefined, 0]) {
      const clock = new FakeClock();
      const b = new CircuitBreaker({
        policy: consecutiveFailures(1),
        openDurationMs: 10,
        clock,
        ...(halfOpenProbes === undefined ? {} : { halfOpenProbes }),
      });
      await caught(b.execute(fail));
      await clock.advance(10);
      let release!: () => void;
      const probe = b.execute(() => new Promise<void>((r) => (release = r)));
      const second = await caught(b.execute(ok));
      expect(second).toBeInstanceOf(BrokenCircuitError);
      expect(second).toMatchObject({ message: 'circuit is half-open and its probes are in flight', retryAfterMs: 0 });
      release();
      await probe;
      expect(b.state).toBe('closed');
    }
  });

  it('clamps a backoff factor below 1 and a maximum below the base duration', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: consecutiveFailures(1),
      openDurationMs: 100,
      openBackoffFactor: 0.5,
      maxOpenDurationMs: 10,
      clock,
    });
    await caught(b.execute(fail));
    expect(b.stats().retryAfterMs).toBe(100);
    await clock.advance(100);
    await caught(b.execute(fail));
    expect(b.stats().retryAfterMs).toBe(100);
  });
});

describe('CircuitBreaker transitions and events', () => {
  it('reports each transition with its reason', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 10, halfOpenProbes: 2, clock });
    const changes = recorder(b);
    await caught(b.execute(fail));
    await clock.advance(10);
    await caught(b.execute(fail));
    await clock.advance(20);
    await b.execute(ok);
    await b.execute(ok);
    b.trip('maintenance');
    b.isolate('bad deploy');
    b.reset();
    expect(changes).toEqual([
      { from: 'closed', to: 'open', reason: 'failure threshold reached' },
      { from: 'open', to: 'half_open', reason: 'open duration elapsed' },
      { from: 'half_open', to: 'open', reason: 'probe failed' },
      { from: 'open', to: 'half_open', reason: 'open duration elapsed' },
      { from: 'half_open', to: 'closed', reason: '2 probe(s) succeeded' },
      { from: 'closed', to: 'open', reason: 'tripped: maintenance' },
      { from: 'open', to: 'isolated', reason: 'isolated: bad deploy' },
      { from: 'isolated', to: 'closed', reason: 'reset by hand' },
    ]);
  });

  it('does not report a transition to the state it is in', () => {
    const b = new CircuitBreaker({ clock: new FakeClock() });
    const changes = recorder(b);
    b.reset();
    b.isolate('x');
    b.isolate('y');
    expect(changes.map((c) => c.to)).toEqual(['isolated']);
  });

  it('rejects with the time left while open, and reports the state of each rejection', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 1000, clock });
    const rejected: string[] = [];
    b.onReject((r) => rejected.push(r.state));
    await caught(b.execute(fail));
    await clock.advance(250);
    const e = await caught(b.execute(ok));
    expect(e).toBeInstanceOf(BrokenCircuitError);
    expect(e).toMatchObject({ retryAfterMs: 750, message: 'circuit is open; the call was not attempted' });
    await clock.advance(750);
    let release!: () => void;
    const probe = b.execute(() => new Promise<void>((r) => (release = r)));
    await caught(b.execute(ok));
    release();
    await probe;
    b.isolate('');
    const iso = await caught(b.execute(ok));
    expect(iso).toBeInstanceOf(IsolatedCircuitError);
    expect((iso as IsolatedCircuitError).reason).toBe('isolated by hand');
    b.isolate('rollback');
    expect(await caught(b.execute(ok))).toMatchObject({ reason: 'rollback' });
    expect(rejected).toEqual(['open', 'half_open', 'isolated', 'isolated']);
    expect(b.stats().rejections).toBe(4);
  });

  it('opens on a slow successful call only when the policy says so', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: countWindow({ size: 2, minimumCalls: 2, slowCallRateThreshold: 0.5 }),
      slowCallMs: 100,
      clock,
    });
    const changes = recorder(b);
    const take = (ms: number) =>
      b.execute(async () => {
        await clock.advance(ms);
        return ms;
      });
    await take(99); // not slow
    expect(b.stats().slowCalls).toBe(0);
    await take(100); // exactly the threshold is slow: 1 of 2
    expect(b.stats().slowCalls).toBe(1);
    expect(changes).toEqual([{ from: 'closed', to: 'open', reason: 'slow-call rate over threshold' }]);
  });

  it('counts slow failures', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(10), slowCallMs: 5, clock });
    await caught(
      b.execute(async () => {
        await clock.advance(5);
        throw boom;
      }),
    );
    await caught(b.execute(fail));
    expect(b.stats()).toMatchObject({ failures: 2, slowCalls: 1 });
  });

  it('reports every call with its outcome and duration', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(10), isFailure: (e) => e === boom, clock });
    const calls: unknown[] = [];
    b.onCall((c) => calls.push(c));
    await b.execute(async () => {
      await clock.advance(7);
      return 1;
    });
    await caught(
      b.execute(async () => {
        await clock.advance(3);
        throw boom;
      }),
    );
    const other = new Error('not a failure');
    await caught(b.execute(() => Promise.reject(other)));
    expect(calls).toEqual([
      { success: true, durationMs: 7 },
      { success: false, durationMs: 3, error: boom },
      { success: true, durationMs: 0, error: other },
    ]);
    expect(b.stats()).toMatchObject({ calls: 3, successes: 1, failures: 1 });
  });

  it('reports a duration of 0 for a call that started before the first onCall listener', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ clock });
    let release!: () => void;
    const p = b.execute(() => new Promise<void>((r) => (release = r)));
    const calls: Array<{ durationMs: number }> = [];
    b.onCall((c) => calls.push(c));
    await clock.advance(50);
    release();
    await p;
    expect(calls).toEqual([{ success: true, durationMs: 0 }]);
  });
});

describe('CircuitBreaker calls', () => {
  it('settles synchronous results and throws like asynchronous ones', async () => {
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), clock: new FakeClock() });
    await expect(b.execute(() => 5)).resolves.toBe(5);
    expect(b.stats().successes).toBe(1);
    const p = b.execute(() => {
      throw boom;
    });
    expect(b.state).toBe('open');
    await expect(p).rejects.toBe(boom);
  });

  it('passes a context with the caller signal and attempt 1', async () => {
    const b = new CircuitBreaker({ clock: new FakeClock() });
    const c = new AbortController();
    const seen = await b.execute((ctx) => ctx, c.signal);
    expect(seen.signal).toBe(c.signal);
    expect(seen.attempt).toBe(1);
    const plain = await b.execute((ctx) => ctx);
    expect(plain.signal.aborted).toBe(false);
  });

  it('does not count a failure after the caller aborted, and frees the probe slot', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 10, clock });
    const c = new AbortController();
    const p = caught(
      b.execute(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
        c.signal,
      ),
    );
    c.abort(new Error('caller left'));
    expect((await p) as Error).toMatchObject({ message: 'caller left' });
    expect(b.state).toBe('closed');
    expect(b.stats().failures).toBe(0);
    // Half-open: an abandoned probe does not hold the slot.
    b.trip('test');
    await clock.advance(10);
    const c2 = new AbortController();
    c2.abort();
    await caught(b.execute(() => Promise.reject(new Error('late')), c2.signal));
    expect(b.state).toBe('half_open');
    await b.execute(ok);
    expect(b.state).toBe('closed');
  });

  it('an error the filter passes through frees the probe slot without closing', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: consecutiveFailures(1),
      openDurationMs: 10,
      isFailure: (e) => e === boom,
      clock,
    });
    b.trip('test');
    await clock.advance(10);
    await caught(b.execute(() => Promise.reject(new Error('404'))));
    expect(b.state).toBe('half_open');
    await caught(b.execute(fail));
    expect(b.state).toBe('open');
  });

  it('a call admitted while closed is not a probe when it ends in half-open', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 10, clock });
    let release!: () => void;
    const old = b.execute(() => new Promise<void>((r) => (release = r)));
    await caught(b.execute(fail)); // opens
    await clock.advance(10);
    let releaseProbe!: () => void;
    const probe = b.execute(() => new Promise<void>((r) => (releaseProbe = r)));
    release();
    await old;
    expect(b.state).toBe('half_open');
    releaseProbe();
    await probe;
    expect(b.state).toBe('closed');
  });

  it('outcomes of calls that end while the circuit is open are not recorded', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(2), clock });
    let release!: () => void;
    const slow = b.execute(() => new Promise<void>((r) => (release = r)));
    let rejectLate!: (e: Error) => void;
    const late = caught(b.execute(() => new Promise<void>((_, r) => (rejectLate = r))));
    await caught(b.execute(fail));
    await caught(b.execute(fail));
    expect(b.state).toBe('open');
    expect(b.stats().window).toEqual({ calls: 2, failures: 2, slow: 0 });
    rejectLate(boom);
    await late;
    release();
    await slow;
    expect(b.stats()).toMatchObject({ state: 'open', successes: 1, failures: 3, consecutiveOpens: 1 });
    expect(b.stats().window).toEqual({ calls: 2, failures: 2, slow: 0 });
  });

  it('passes the clock time to policies that use it, and 0 to timeless ones', async () => {
    const clock = new FakeClock(1000);
    const seen: Array<[CallOutcome, number]> = [];
    const opened: number[] = [];
    const timed: FailurePolicy = {
      record: (o, now) => seen.push([{ ...o }, now]),
      shouldOpen: (now) => {
        opened.push(now);
        return false;
      },
      reset: () => {},
      snapshot: () => ({ calls: 0, failures: 0, slow: 0 }),
      toJSON: () => ({}),
    };
    const b = new CircuitBreaker({ policy: timed, slowCallMs: 10, clock });
    await b.execute(async () => {
      await clock.advance(10);
    });
    await caught(b.execute(fail));
    expect(seen).toEqual([
      [{ success: true, slow: true }, 1010],
      [{ success: false, slow: false }, 1010],
    ]);
    expect(opened).toEqual([1010, 1010]);
    const timeless: FailurePolicy = { ...timed, timeless: true };
    seen.length = 0;
    const b2 = new CircuitBreaker({ policy: timeless, clock });
    await b2.execute(ok);
    await caught(b2.execute(fail));
    expect(seen).toEqual([
      [{ success: true, slow: false }, 0],
      [{ success: false, slow: false }, 0],
    ]);
  });
});

describe('CircuitBreaker stats and snapshots', () => {
  it('stats show the window, consecutive opens and, while open, the time left (never negative)', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(2), openDurationMs: 100, clock });
    await caught(b.execute(fail));
    expect(b.stats()).toEqual({
      state: 'closed',
      calls: 1,
      successes: 0,
      failures: 1,
      rejections: 0,
      slowCalls: 0,
      window: { calls: 1, failures: 1, slow: 0 },
      consecutiveOpens: 0,
    });
    await caught(b.execute(fail));
    await clock.advance(150);
    expect(b.stats()).toMatchObject({ state: 'half_open', retryAfterMs: 0, consecutiveOpens: 1 });
  });

  it('toJSON omits an empty reason and the time left of a circuit that is not open', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 100, clock });
    expect(b.toJSON()).toEqual({ state: 'closed', consecutiveOpens: 0 });
    await caught(b.execute(fail));
    await clock.advance(130);
    expect(b.toJSON()).toEqual({
      state: 'open',
      consecutiveOpens: 1,
      reason: 'failure threshold reached',
      remainingOpenMs: 0,
    });
    b.isolate('hold');
    expect(b.toJSON()).toEqual({ state: 'isolated', consecutiveOpens: 1, reason: 'hold' });
  });

  it('restores state: half-open restarts as open, a missing time left means due now', async () => {
    const clock = new FakeClock(500);
    const fromHalfOpen = new CircuitBreaker({
      clock,
      initialState: { state: 'half_open', consecutiveOpens: 2, reason: 'probe failed' },
    });
    expect(fromHalfOpen.toJSON()).toEqual({
      state: 'open',
      consecutiveOpens: 2,
      reason: 'probe failed',
      remainingOpenMs: 0,
    });
    expect(fromHalfOpen.state).toBe('half_open');
    const isolated = new CircuitBreaker({ clock, initialState: { state: 'isolated', consecutiveOpens: 0 } });
    await expect(isolated.execute(ok)).rejects.toMatchObject({ reason: 'isolated by hand' });
    const negative = new CircuitBreaker({
      clock,
      initialState: { state: 'open', consecutiveOpens: 1, remainingOpenMs: -5 },
    });
    expect(negative.stats().retryAfterMs).toBe(0);
    // The restored streak drives the next open duration: 3rd open in a row = 4x.
    const grown = new CircuitBreaker({
      policy: consecutiveFailures(1),
      openDurationMs: 10,
      clock,
      initialState: { state: 'closed', consecutiveOpens: 2 },
    });
    await caught(grown.execute(fail));
    expect(grown.stats().retryAfterMs).toBe(40);
  });

  it('reset forgets the failure streak and the open-duration backoff', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(2), openDurationMs: 10, clock });
    await caught(b.execute(fail));
    b.trip('x');
    b.reset();
    expect(b.stats()).toMatchObject({ consecutiveOpens: 0, window: { calls: 0 } });
    expect(b.toJSON()).toEqual({ state: 'closed', consecutiveOpens: 0 });
    await caught(b.execute(fail));
    expect(b.state).toBe('closed');
    await caught(b.execute(fail));
    expect(b.stats().retryAfterMs).toBe(10);
  });
});

describe('CircuitBreakerRegistry', () => {
  it('creates breakers with options per key, announces each once, lists and snapshots them', () => {
    const keys: string[] = [];
    const reg = new CircuitBreakerRegistry((key) => {
      keys.push(key);
      return { policy: consecutiveFailures(1), openDurationMs: key === 'slow' ? 5 : 50, clock: new FakeClock() };
    });
    const created: string[] = [];
    reg.onCreate(({ key, breaker }) => {
      created.push(key);
      expect(reg.get(key)).toBe(breaker);
    });
    const a = reg.get('fast');
    reg.get('fast');
    reg.get('slow').trip('x');
    expect(keys).toEqual(['fast', 'slow']);
    expect(created).toEqual(['fast', 'slow']);
    expect(reg.entries().map(([k, b]) => [k, b.state])).toEqual([
      ['fast', 'closed'],
      ['slow', 'open'],
    ]);
    expect(reg.entries()[0]?.[1]).toBe(a);
    expect(reg.toJSON()).toEqual({
      fast: { state: 'closed', consecutiveOpens: 0 },
      slow: { state: 'open', consecutiveOpens: 1, reason: 'tripped: x', remainingOpenMs: 5 },
    });
  });

  it('uses default options without a factory', async () => {
    const reg = new CircuitBreakerRegistry();
    await expect(reg.get('x').execute(ok)).resolves.toBe('ok');
    expect(reg.get('x').stats().calls).toBe(1);
  });
});
