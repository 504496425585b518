import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortReason, isNeverSignal, linkSignals, NEVER_SIGNAL, seededRandom, sleep, systemClock } from './clock.js';
import { EventEmitter } from './events.js';
import { FakeClock } from './fake-clock.js';

describe('sleep', () => {
  it('resolves after ms on the clock', async () => {
    const clock = new FakeClock();
    let done = false;
    const p = sleep(100, clock).then(() => {
      done = true;
    });
    await clock.advance(99);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
  });

  it('resolves at once, without a timer, for 0 or less', async () => {
    const clock = new FakeClock();
    const p = sleep(0, clock);
    const q = sleep(-5, clock);
    expect(clock.pending).toBe(0);
    await expect(Promise.all([p, q])).resolves.toEqual([undefined, undefined]);
  });

  it('rejects at once for an aborted signal, and on abort (clearing its timer and listener)', async () => {
    const clock = new FakeClock();
    const gone = new AbortController();
    gone.abort(new Error('before'));
    await expect(sleep(0, clock, gone.signal)).rejects.toThrow('before');
    const c = new AbortController();
    const p = sleep(100, clock, c.signal);
    expect(clock.pending).toBe(1);
    c.abort(new Error('during'));
    await expect(p).rejects.toThrow('during');
    expect(clock.pending).toBe(0);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('stops listening once the time is up', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const p = sleep(10, clock, c.signal);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
    await clock.advance(10);
    await p;
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('never listens on the placeholder signal', async () => {
    const clock = new FakeClock();
    const p = sleep(10, clock, NEVER_SIGNAL);
    expect(getEventListeners(NEVER_SIGNAL, 'abort')).toHaveLength(0);
    await clock.advance(10);
    await p;
  });

  it('uses the system clock by default', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});

describe('abortReason', () => {
  it('keeps Error reasons, wraps strings and anything else as AbortError', () => {
    const c = new AbortController();
    const err = new Error('x');
    c.abort(err);
    expect(abortReason(c.signal)).toBe(err);
    const s = new AbortController();
    s.abort('text');
    expect(abortReason(s.signal)).toMatchObject({ name: 'AbortError', message: 'text' });
    const o = new AbortController();
    o.abort(42);
    const wrapped = abortReason(o.signal);
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped).toMatchObject({ name: 'AbortError', message: 'operation aborted' });
  });
});

describe('linkSignals', () => {
  it('aborts when any input aborts, with its reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const link = linkSignals(a.signal, undefined, b.signal);
    expect(link.signal.aborted).toBe(false);
    b.abort('b');
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe('b');
    expect(link.controller.signal).toBe(link.signal);
  });

  it('starts aborted when an input already is, and does not listen to later inputs', () => {
    const a = new AbortController();
    a.abort('first');
    const b = new AbortController();
    const link = linkSignals(a.signal, b.signal);
    expect(link.signal.reason).toBe('first');
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });

  it('dispose detaches from the inputs; the placeholder signal is never listened to', () => {
    const a = new AbortController();
    const link = linkSignals(a.signal, NEVER_SIGNAL);
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(1);
    expect(getEventListeners(NEVER_SIGNAL, 'abort')).toHaveLength(0);
    link.dispose();
    link.dispose();
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    a.abort();
    expect(link.signal.aborted).toBe(false);
  });

  it('isNeverSignal is true only for the placeholder', () => {
    expect(isNeverSignal(NEVER_SIGNAL)).toBe(true);
    expect(isNeverSignal(new AbortController().signal)).toBe(false);
    expect(isNeverSignal(undefined)).toBe(false);
  });
});

describe('seededRandom', () => {
  it('is deterministic per seed, in [0, 1), and differs between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    // Spread over the whole range, not clustered.
    const deciles = new Set(xs.map((x) => Math.floor(x * 10)));
    expect(deciles.size).toBe(10);
  });

  it('matches the mulberry32 reference sequence', () => {
    // mulberry32 for seed 1, computed with an independent reference implementation (Python).
    const r = seededRandom(1);
    expect([r(), r(), r()].map((x) => Math.round(x * 1e9))).toEqual([627073941, 2735721, 527447040]);
  });
});

describe('systemClock', () => {
  it('tells monotonic time and runs and cancels timers', async () => {
    const t0 = systemClock.now();
    let fired = false;
    const h = systemClock.setTimeout(() => {
      fired = true;
    }, 1);
    systemClock.clearTimeout(h);
    await new Promise<void>((r) => systemClock.setTimeout(r, 2));
    expect(fired).toBe(false);
    expect(systemClock.now()).toBeGreaterThanOrEqual(t0);
  });
});

describe('EventEmitter', () => {
  it('delivers to listeners in order; unsubscribe removes only that listener', () => {
    const e = new EventEmitter<number>();
    const seen: string[] = [];
    const offA = e.subscribe((n) => seen.push(`a${n}`));
    e.subscribe((n) => seen.push(`b${n}`));
    expect(e.size).toBe(2);
    e.emit(1);
    offA();
    expect(e.size).toBe(1);
    e.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
  });

  it('a listener added or removed during an emit takes effect from the next one', () => {
    const e = new EventEmitter<number>();
    const seen: string[] = [];
    let offB: () => void = () => {};
    e.subscribe((n) => {
      seen.push(`a${n}`);
      offB();
      e.subscribe((m) => seen.push(`c${m}`));
    });
    offB = e.subscribe((n) => seen.push(`b${n}`));
    e.emit(1);
    expect(seen).toEqual(['a1', 'b1']);
  });
});

describe('FakeClock', () => {
  it('starts where told and moves only on advance', async () => {
    const clock = new FakeClock(500);
    expect(clock.now()).toBe(500);
    await clock.advance(250);
    expect(clock.now()).toBe(750);
    expect(new FakeClock().now()).toBe(0);
  });

  it('fires due timers in time order, then creation order, at their own time', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`neg@${clock.now()}`), -5);
    clock.setTimeout(() => fired.push('late'), 31);
    expect(clock.pending).toBe(5);
    await clock.advance(30);
    expect(fired).toEqual(['neg@0', 'a@10', 'b@20', 'c@20']);
    expect(clock.pending).toBe(1);
    expect(clock.now()).toBe(30);
  });

  it('fires timers set by timers within the same advance, and cancels by handle', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    const cancelled = clock.setTimeout(() => fired.push(-1), 7);
    const kept = clock.setTimeout(() => fired.push(8), 8);
    expect(cancelled).not.toBe(kept);
    clock.clearTimeout(cancelled);
    await clock.advance(10);
    expect(fired).toEqual([5, 8, 10]);
  });

  it('lets promise callbacks run between timers', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('t1');
      void Promise.resolve()
        .then(() => undefined)
        .then(() => order.push('after t1'));
    }, 1);
    clock.setTimeout(() => order.push('t2'), 1);
    await clock.advance(1);
    expect(order).toEqual(['t1', 'after t1', 't2']);
  });
});
