import { describe, expect, it } from 'vitest';
import { AbortPolicy, ShutdownController } from './abort-policy.js';
import { FakeClock } from './fake-clock.js';
import { ResourceGuard, type ResourceSnapshot } from './resource-guard.js';

describe('AbortPolicy rules', () => {
  it('without rules always continues', () => {
    const p = new AbortPolicy();
    for (let i = 0; i < 50; i++) p.record({ ok: false, errorClass: 'X' });
    expect(p.evaluate()).toEqual({ action: 'continue' });
  });

  it('pattern: the same class N times in a row; a missing class counts as "unknown"', () => {
    const p = new AbortPolicy({ maxSameError: 3 });
    p.record({ ok: false });
    p.record({ ok: false });
    expect(p.evaluate()).toEqual({ action: 'continue' });
    p.record({ ok: false });
    expect(p.evaluate()).toEqual({
      action: 'abort',
      rule: 'pattern',
      reason: 'the same failure (unknown) repeated 3 times in a row',
    });
    expect(p.toJSON()).toEqual({ consecutive: 3, sameClass: 'unknown', sameCount: 3 });
  });

  it('a different class restarts the pattern count at 1; a success clears everything', () => {
    const p = new AbortPolicy({ maxSameError: 2 });
    p.record({ ok: false, errorClass: 'A' });
    p.record({ ok: false, errorClass: 'B' });
    expect(p.toJSON()).toEqual({ consecutive: 2, sameClass: 'B', sameCount: 1 });
    expect(p.evaluate().action).toBe('continue');
    p.record({ ok: true });
    expect(p.toJSON()).toEqual({ consecutive: 0, sameClass: undefined, sameCount: 0 });
  });

  it('consecutive: N failures in a row of any class; the pattern rule is reported first', () => {
    const p = new AbortPolicy({ maxConsecutive: 3, maxSameError: 3 });
    p.record({ ok: false, errorClass: 'A' });
    p.record({ ok: false, errorClass: 'B' });
    expect(p.evaluate().action).toBe('continue');
    p.record({ ok: false, errorClass: 'C' });
    expect(p.evaluate()).toEqual({ action: 'abort', rule: 'consecutive', reason: '3 consecutive failures' });
    const both = new AbortPolicy({ maxConsecutive: 2, maxSameError: 2 });
    both.record({ ok: false, errorClass: 'A' });
    both.record({ ok: false, errorClass: 'A' });
    expect(both.evaluate()).toMatchObject({ rule: 'pattern' });
  });

  it('rate: needs 10 events by default, aborts at the rate (inclusive) with a readable reason', () => {
    const p = new AbortPolicy({ maxFailureRate: 0.5 });
    for (let i = 0; i < 9; i++) p.record({ ok: i % 2 === 0 });
    expect(p.evaluate().action).toBe('continue'); // 4 of 9, and too few anyway
    p.record({ ok: false });
    expect(p.evaluate()).toEqual({
      action: 'abort',
      rule: 'rate',
      reason: 'failure rate 50.0% over the last 10 events exceeds 50.0%',
    });
    const below = new AbortPolicy({ maxFailureRate: 0.5, minEvents: 4 });
    for (const ok of [true, true, false, true]) below.record({ ok });
    expect(below.evaluate().action).toBe('continue');
    below.record({ ok: false });
    below.record({ ok: false }); // 3 of 6
    expect(below.evaluate()).toMatchObject({ action: 'abort', rule: 'rate' });
  });

  it('forgets events as old as the window, also when evaluating', async () => {
    const clock = new FakeClock();
    const p = new AbortPolicy({ windowMs: 1000, maxFailureRate: 0.5, minEvents: 2, clock });
    p.record({ ok: false });
    await clock.advance(500);
    p.record({ ok: false });
    expect(p.evaluate().action).toBe('abort');
    await clock.advance(500); // the first is now exactly 1000 ms old
    expect(p.evaluate().action).toBe('continue');
    p.record({ ok: true });
    p.record({ ok: true });
    expect(p.evaluate().action).toBe('continue'); // 1 of 3
    await clock.advance(499);
    p.record({ ok: false });
    expect(p.evaluate()).toMatchObject({ action: 'abort', reason: expect.stringContaining('over the last 4 events') });
    await clock.advance(1); // the failure at 500 leaves: 1 of 3
    expect(p.evaluate().action).toBe('continue');
  });

  it('uses the system clock by default', () => {
    const p = new AbortPolicy({ windowMs: 60_000, maxFailureRate: 1, minEvents: 1 });
    p.record({ ok: false });
    expect(p.evaluate().action).toBe('abort');
  });
});

describe('ShutdownController details', () => {
  it('drains tracked work within the grace period, keeping the first reason', async () => {
    const clock = new FakeClock();
    const s = new ShutdownController(clock);
    expect(s.stopping).toBe(false);
    let finish!: () => void;
    const work = new Promise<void>((r) => (finish = r));
    expect(s.track(work)).toBe(work);
    const done = s.begin('SIGTERM', 1000);
    expect(s.stopping).toBe(true);
    await clock.advance(999);
    finish();
    await expect(done).resolves.toEqual({ drained: true });
    expect(s.signal.aborted).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('aborts with a message naming the reason and the grace period', async () => {
    const clock = new FakeClock();
    const s = new ShutdownController(clock);
    s.track(new Promise(() => {}));
    const done = s.begin('SIGINT', 100);
    await clock.advance(100);
    await expect(done).resolves.toEqual({ drained: false });
    expect(s.signal.aborted).toBe(true);
    expect((s.signal.reason as Error).message).toBe('shutdown (SIGINT): grace period of 100 ms exceeded');
  });

  it('forgets finished and failed work, so a later shutdown drains at once', async () => {
    const clock = new FakeClock();
    const s = new ShutdownController(clock);
    await s.track(Promise.resolve(1));
    await s.track(Promise.reject(new Error('x'))).catch(() => {});
    await expect(s.begin('done', 10)).resolves.toEqual({ drained: true });
  });
});

describe('ResourceGuard details', () => {
  const sampleOf =
    (
      over: Partial<{
        rssBytes: number;
        heapUsedBytes: number;
        heapLimitBytes: number;
        eventLoopDelayP99Ms: number;
      }> = {},
    ) =>
    () => ({
      rssBytes: 100,
      heapUsedBytes: 10,
      heapLimitBytes: 100,
      ...over,
    });

  it('derives ratios from the sample', () => {
    const clock = new FakeClock(42);
    const g = new ResourceGuard({ clock, sample: sampleOf({ rssBytes: 300 }), memoryLimitBytes: 1000 });
    expect(g.snapshot).toBeUndefined();
    const snap = g.check();
    expect(snap).toEqual({
      at: 42,
      rssBytes: 300,
      heapUsedBytes: 10,
      heapLimitBytes: 100,
      heapRatio: 0.1,
      rssRatio: 0.3,
      eventLoopDelayP99Ms: 0,
    });
    expect(g.snapshot).toEqual(snap);
    const noLimit = new ResourceGuard({ clock, sample: sampleOf({ heapLimitBytes: 0 }) });
    expect(noLimit.check()).toMatchObject({ heapRatio: 0, rssRatio: undefined });
  });

  it('breaches at the default 80% heap, 80% rss, and at the event-loop threshold (all inclusive)', () => {
    const clock = new FakeClock();
    const reasons: string[][] = [];
    const heap = new ResourceGuard({ clock, sample: sampleOf({ heapUsedBytes: 80 }) });
    heap.onBreach((b) => reasons.push(b.reasons));
    heap.check();
    const rss = new ResourceGuard({ clock, sample: sampleOf({ rssBytes: 800 }), memoryLimitBytes: 1000 });
    rss.onBreach((b) => reasons.push(b.reasons));
    rss.check();
    const lag = new ResourceGuard({
      clock,
      sample: sampleOf({ eventLoopDelayP99Ms: 12.5 }),
      maxEventLoopDelayMs: 12.5,
    });
    lag.onBreach((b) => reasons.push(b.reasons));
    lag.check();
    const fine = new ResourceGuard({
      clock,
      sample: sampleOf({ heapUsedBytes: 79, rssBytes: 799, eventLoopDelayP99Ms: 12.4 }),
      memoryLimitBytes: 1000,
      maxEventLoopDelayMs: 12.5,
    });
    fine.onBreach((b) => reasons.push(b.reasons));
    fine.check();
    expect(reasons).toEqual([['heap 80.0% >= 80%'], ['rss 80.0% >= 80%'], ['event-loop p99 12.5 ms >= 12.5 ms']]);
    expect([heap.overloaded, rss.overloaded, lag.overloaded, fine.overloaded]).toEqual([true, true, true, false]);
  });

  it('custom thresholds, several reasons at once', () => {
    const g = new ResourceGuard({
      clock: new FakeClock(),
      sample: sampleOf({ heapUsedBytes: 50, rssBytes: 600 }),
      maxHeapRatio: 0.5,
      maxRssRatio: 0.6,
      memoryLimitBytes: 1000,
    });
    const seen: Array<{ snapshot: ResourceSnapshot; reasons: string[] }> = [];
    g.onBreach((b) => seen.push(b));
    const snap = g.check();
    expect(seen).toEqual([{ snapshot: snap, reasons: ['heap 50.0% >= 50%', 'rss 60.0% >= 60%'] }]);
  });

  it('advises a restart once the breach has lasted restartAfterMs, and recovers', async () => {
    const clock = new FakeClock();
    let used = 90;
    const g = new ResourceGuard({
      clock,
      sample: () => ({ rssBytes: 1, heapUsedBytes: used, heapLimitBytes: 100 }),
      restartAfterMs: 1000,
    });
    const restarts: number[] = [];
    const recoveries: number[] = [];
    g.onRestartAdvised((r) => restarts.push(r.breachedForMs));
    g.onRecover((r) => recoveries.push(r.snapshot.at));
    g.check();
    await clock.advance(999);
    g.check();
    expect(restarts).toEqual([]);
    await clock.advance(1);
    g.check();
    expect(restarts).toEqual([1000]);
    used = 10;
    await clock.advance(5);
    g.check();
    g.check();
    expect(recoveries).toEqual([1005]);
    expect(g.overloaded).toBe(false);
    used = 90;
    g.check(); // a new breach starts its own clock
    expect(restarts).toEqual([1000]);
  });

  it('start checks at once and then every interval (default 5 s); stop ends it; start is idempotent', async () => {
    const clock = new FakeClock();
    let checks = 0;
    const g = new ResourceGuard({
      clock,
      sample: () => {
        checks++;
        return { rssBytes: 1, heapUsedBytes: 1, heapLimitBytes: 100 };
      },
    });
    g.start();
    g.start();
    expect(checks).toBe(1);
    await clock.advance(4999);
    expect(checks).toBe(1);
    await clock.advance(1);
    expect(checks).toBe(2);
    g.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(20_000);
    expect(checks).toBe(2);
    g.stop();
    const fast = new ResourceGuard({
      clock,
      intervalMs: 100,
      sample: () => {
        checks++;
        return { rssBytes: 1, heapUsedBytes: 1, heapLimitBytes: 100 };
      },
    });
    fast.start();
    await clock.advance(300);
    fast.stop();
    expect(checks).toBe(6);
  });
});
