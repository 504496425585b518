import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { isTaskTimeoutError, TaskTimeoutError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { TimeoutPolicy, timeout } from './timeout.js';

const never = () => new Promise<never>(() => {});

/** Settles `p` into a value or the error it rejects with, without unhandled rejections. */
function outcome<T>(p: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const o: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  p.then(
    (v) => Object.assign(o, { value: v, settled: true }),
    (e: unknown) => Object.assign(o, { error: e, settled: true }),
  );
  return o;
}

/** A FakeClock whose timer handles can be ref'd and unref'd, like Node's. */
class RefClock implements Clock {
  readonly log: string[] = [];
  constructor(readonly inner = new FakeClock()) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.inner.setTimeout(fn, ms);
    this.log.push(`set ${ms}`);
    return {
      id,
      ref: () => this.log.push('ref'),
      unref: () => this.log.push('unref'),
    };
  }
  clearTimeout(handle: unknown): void {
    this.log.push('clear');
    this.inner.clearTimeout((handle as { id: unknown }).id);
  }
}

describe('timeout: validation', () => {
  it.each([0, -1, Number.NaN])('rejects timeoutMs %s', (ms) => {
    expect(() => timeout(ms)).toThrow(new RangeError('timeoutMs must be > 0'));
  });

  it('keeps its limit and works with the default clock', async () => {
    const t = new TimeoutPolicy(5);
    expect(t.timeoutMs).toBe(5);
    await expect(t.execute(async () => 'ok')).resolves.toBe('ok');
    await expect(t.execute(never)).rejects.toSatisfy(isTaskTimeoutError);
  });
});

describe('timeout: deadlines', () => {
  it('times out every call exactly timeoutMs after its own start', async () => {
    const clock = new FakeClock();
    const t = timeout(100, clock);
    const events: number[] = [];
    t.onTimeout((e) => events.push(e.timeoutMs));
    let resolveB!: (v: string) => void;
    const a = outcome(t.execute(never));
    await clock.advance(30);
    const b = outcome(t.execute(() => new Promise<string>((r) => (resolveB = r))));
    await clock.advance(30);
    const c = outcome(t.execute(never));
    resolveB('b');
    await clock.advance(39); // t = 99
    expect([a.settled, b.value, c.settled]).toEqual([false, 'b', false]);
    await clock.advance(1); // t = 100
    expect(a.error).toEqual(new TaskTimeoutError(100));
    expect(c.settled).toBe(false);
    await clock.advance(59); // t = 159
    expect(c.settled).toBe(false);
    await clock.advance(1); // t = 160
    expect(isTaskTimeoutError(c.error)).toBe(true);
    expect(events).toEqual([100, 100]);
    expect(clock.pending).toBe(0);
  });

  it('aborts the signal of a timed-out operation, also when it is read afterwards', async () => {
    const clock = new FakeClock();
    const t = timeout(10, clock);
    let ctx!: { signal: AbortSignal; attempt: number };
    const p = outcome(
      t.execute((c) => {
        ctx = c;
        return never();
      }),
    );
    expect(ctx.attempt).toBe(1);
    await clock.advance(10);
    expect(p.error).toBeInstanceOf(TaskTimeoutError);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(p.error);
  });

  it('ignores an operation that settles after its timeout', async () => {
    const clock = new FakeClock();
    const t = timeout(10, clock);
    let late!: (v: string) => void;
    const p = outcome(t.execute(() => new Promise<string>((r) => (late = r))));
    await clock.advance(10);
    late('late');
    await clock.advance(0);
    expect(isTaskTimeoutError(p.error)).toBe(true);
    expect(p.value).toBeUndefined();
  });

  it('settles synchronous results and throws without a timer', async () => {
    const clock = new FakeClock();
    const t = timeout(10, clock);
    const ok = t.execute(() => 5);
    const boom = t.execute(() => {
      throw new Error('sync');
    });
    expect(clock.pending).toBe(0);
    await expect(ok).resolves.toBe(5);
    await expect(boom).rejects.toThrow('sync');
  });

  it('accepts thenables that are not promises', async () => {
    const clock = new FakeClock();
    const t = timeout(10, clock);
    // biome-ignore lint/suspicious/noThenProperty: the point of the test is a thenable that is not a promise
    const thenable = { then: (onOk: (v: number) => void) => onOk(3) } as unknown as PromiseLike<number>;
    await expect(t.execute(() => thenable)).resolves.toBe(3);
    const failing = {
      // biome-ignore lint/suspicious/noThenProperty: as above
      then: (_: unknown, onErr: (e: Error) => void) => onErr(new Error('thenable')),
    } as unknown as PromiseLike<never>;
    await expect(t.execute(() => failing)).rejects.toThrow('thenable');
  });

  it('gives a call started by a timeout listener its own full limit', async () => {
    const clock = new FakeClock();
    const t = timeout(50, clock);
    const started: Array<ReturnType<typeof outcome>> = [];
    t.onTimeout(() => {
      if (started.length === 0) started.push(outcome(t.execute(never)));
    });
    const first = outcome(t.execute(never));
    await clock.advance(50);
    expect(isTaskTimeoutError(first.error)).toBe(true);
    expect(started).toHaveLength(1);
    await clock.advance(49);
    expect(started[0]?.settled).toBe(false);
    await clock.advance(1);
    expect(isTaskTimeoutError(started[0]?.error)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('keeps timing out correctly behind a long run of finished calls', async () => {
    const clock = new FakeClock();
    const t = timeout(100, clock);
    const hung = outcome(t.execute(never));
    for (let i = 0; i < 3000; i++) await t.execute(async () => i);
    await clock.advance(50);
    const late = outcome(t.execute(never));
    const quick = await t.execute(async () => 'quick');
    expect(quick).toBe('quick');
    await clock.advance(50); // t = 100
    expect(isTaskTimeoutError(hung.error)).toBe(true);
    expect(late.settled).toBe(false);
    await clock.advance(50); // t = 150
    expect(isTaskTimeoutError(late.error)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('times out calls queued behind settled ones in one firing', async () => {
    const clock = new FakeClock();
    const t = timeout(10, clock);
    const hanging = [outcome(t.execute(never))];
    let release!: () => void;
    const done = t.execute(() => new Promise<void>((r) => (release = r)));
    hanging.push(outcome(t.execute(never)));
    release();
    await done;
    await clock.advance(10);
    expect(hanging.map((h) => isTaskTimeoutError(h.error))).toEqual([true, true]);
  });
});

describe('timeout: caller signal', () => {
  it('rejects at once, without calling the operation, when the signal is already aborted', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    c.abort(new Error('gone'));
    let called = false;
    const p = timeout(10, clock).execute(() => {
      called = true;
      return 1;
    }, c.signal);
    await expect(p).rejects.toThrow('gone');
    expect(called).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('follows a caller abort: rejects with its reason, aborts the operation signal, stops listening', async () => {
    const clock = new FakeClock();
    const t = timeout(100, clock);
    const events: unknown[] = [];
    t.onTimeout((e) => events.push(e));
    const c = new AbortController();
    let opSignal!: AbortSignal;
    const p = outcome(
      t.execute(({ signal }) => {
        opSignal = signal;
        return never();
      }, c.signal),
    );
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
    const reason = new Error('caller');
    c.abort(reason);
    await clock.advance(0);
    expect(p.error).toBe(reason);
    expect(opSignal.aborted).toBe(true);
    expect(opSignal.reason).toBe(reason);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    await clock.advance(200);
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('hands a string abort reason over as an AbortError', async () => {
    const c = new AbortController();
    const p = outcome(timeout(100, new FakeClock()).execute(never, c.signal));
    c.abort('stop');
    await Promise.resolve();
    expect(p.error).toMatchObject({ name: 'AbortError', message: 'stop' });
  });

  it('rejects with the caller reason when the signal aborts while the operation starts', async () => {
    const c = new AbortController();
    const clock = new FakeClock();
    const p = timeout(100, clock).execute(() => {
      c.abort(new Error('during'));
      return 'value';
    }, c.signal);
    await expect(p).rejects.toThrow('during');
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('stops listening to the caller signal when the call settles', async () => {
    const c = new AbortController();
    const t = timeout(100, new FakeClock());
    await t.execute(async () => 1, c.signal);
    await expect(
      t.execute(async () => {
        throw new Error('x');
      }, c.signal),
    ).rejects.toThrow('x');
    await t.execute(() => 2, c.signal);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('an operation signal first read after the caller aborted is aborted', async () => {
    const c = new AbortController();
    let read!: () => AbortSignal;
    const p = outcome(
      timeout(100, new FakeClock()).execute((ctx) => {
        read = () => ctx.signal;
        return never();
      }, c.signal),
    );
    c.abort(new Error('early'));
    await Promise.resolve();
    expect(p.settled).toBe(true);
    expect(read().aborted).toBe(true);
    expect((read().reason as Error).message).toBe('early');
  });
});

describe('timeout: the shared timer', () => {
  it('arms one timer for many calls in flight', async () => {
    const clock = new FakeClock();
    const t = timeout(100, clock);
    const calls = Array.from({ length: 5 }, () => outcome(t.execute(never)));
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(calls.every((c) => isTaskTimeoutError(c.error))).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it("with unref-able handles, lets the idle timer lapse unref'd and refs it again for the next call", async () => {
    const clock = new RefClock();
    const t = timeout(100, clock);
    await t.execute(async () => 1);
    expect(clock.log).toEqual(['set 100', 'unref']);
    expect(clock.inner.pending).toBe(1);
    await clock.inner.advance(40);
    const slow = outcome(t.execute(never));
    expect(clock.log).toEqual(['set 100', 'unref', 'ref']);
    await clock.inner.advance(60); // t = 100: the old deadline; the call started at 40 is not due
    expect(slow.settled).toBe(false);
    expect(clock.log).toEqual(['set 100', 'unref', 'ref', 'set 40']);
    await clock.inner.advance(40); // t = 140
    expect(isTaskTimeoutError(slow.error)).toBe(true);
    expect(clock.inner.pending).toBe(0);
    // Idle and no timer: the next call arms a new one.
    await t.execute(async () => 2);
    expect(clock.log.slice(4)).toEqual(['set 100', 'unref']);
    expect(clock.log).not.toContain('clear');
  });

  it("does not ref a timer that is already ref'd", async () => {
    const clock = new RefClock();
    const t = timeout(100, clock);
    const a = outcome(t.execute(never));
    const b = outcome(t.execute(never));
    expect(clock.log).toEqual(['set 100']);
    await clock.inner.advance(100);
    expect([isTaskTimeoutError(a.error), isTaskTimeoutError(b.error)]).toEqual([true, true]);
  });
});
