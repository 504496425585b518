import { describe, expect, it } from 'vitest';
import { AbortPolicy, ShutdownController } from './abort-policy.js';
import { seededRandom } from './clock.js';
import { FakeClock } from './fake-clock.js';
import { ResourceGuard } from './resource-guard.js';

describe('AbortPolicy', () => {
  it('aborts on a repeated error pattern before the rate rule fires', () => {
    const p = new AbortPolicy({ maxSameError: 3, maxFailureRate: 0.9, minEvents: 100, clock: new FakeClock() });
    p.record({ ok: false, errorClass: 'TypeError' });
    p.record({ ok: false, errorClass: 'TypeError' });
    expect(p.evaluate().action).toBe('continue');
    p.record({ ok: false, errorClass: 'TypeError' });
    expect(p.evaluate()).toMatchObject({ action: 'abort', rule: 'pattern' });
  });

  it('different error classes or a success break the pattern', () => {
    const p = new AbortPolicy({ maxSameError: 2 });
    p.record({ ok: false, errorClass: 'A' });
    p.record({ ok: false, errorClass: 'B' });
    p.record({ ok: true });
    p.record({ ok: false, errorClass: 'B' });
    expect(p.evaluate().action).toBe('continue');
  });

  it('needs the minimum number of events before judging a rate, and forgets old events', async () => {
    const clock = new FakeClock();
    const p = new AbortPolicy({ windowMs: 1000, maxFailureRate: 0.5, minEvents: 4, clock });
    p.record({ ok: false, errorClass: 'x' });
    p.record({ ok: false, errorClass: 'y' });
    expect(p.evaluate().action).toBe('continue'); // 100% of 2 events: not enough evidence
    p.record({ ok: true });
    p.record({ ok: false, errorClass: 'z' });
    expect(p.evaluate()).toMatchObject({ action: 'abort', rule: 'rate' });
    await clock.advance(1001);
    expect(p.evaluate().action).toBe('continue');
  });

  it('a 10% transient failure rate never aborts a rate-limited policy (no false positive)', () => {
    const random = seededRandom(7);
    const clock = new FakeClock();
    const p = new AbortPolicy({ windowMs: 60_000, maxFailureRate: 0.5, minEvents: 20, maxSameError: 6, clock });
    let aborts = 0;
    for (let i = 0; i < 10_000; i++) {
      p.record(random() < 0.1 ? { ok: false, errorClass: 'ECONNRESET' } : { ok: true });
      if (p.evaluate().action === 'abort') aborts++;
    }
    expect(aborts).toBe(0);
  });
});

describe('ShutdownController', () => {
  it('waits for tracked work within the grace period', async () => {
    const clock = new FakeClock();
    const s = new ShutdownController(clock);
    let release!: () => void;
    s.track(new Promise<void>((r) => (release = r)));
    const done = s.begin('SIGTERM', 1000);
    expect(s.stopping).toBe(true);
    release();
    expect(await done).toEqual({ drained: true });
    expect(s.signal.aborted).toBe(false);
  });

  it('aborts what is left after the grace period', async () => {
    const clock = new FakeClock();
    const s = new ShutdownController(clock);
    s.track(new Promise(() => {}));
    const done = s.begin('SIGTERM', 1000);
    await clock.advance(1000);
    expect(await done).toEqual({ drained: false });
    expect(s.signal.aborted).toBe(true);
  });
});

describe('ResourceGuard', () => {
  it('reports overload above the threshold, advises restart after a sustained breach, recovers', async () => {
    const clock = new FakeClock();
    let heapUsed = 500;
    const guard = new ResourceGuard({
      clock,
      maxHeapRatio: 0.8,
      restartAfterMs: 10_000,
      sample: () => ({ rssBytes: 1, heapUsedBytes: heapUsed, heapLimitBytes: 1000 }),
    });
    const events: string[] = [];
    guard.onBreach((e) => events.push(`breach ${e.reasons[0]}`));
    guard.onRestartAdvised(() => events.push('restart'));
    guard.onRecover(() => events.push('recover'));
    guard.check();
    expect(guard.overloaded).toBe(false);
    heapUsed = 850;
    guard.check();
    expect(guard.overloaded).toBe(true);
    await clock.advance(10_000);
    guard.check();
    heapUsed = 100;
    guard.check();
    expect(guard.overloaded).toBe(false);
    expect(events).toEqual(['breach heap 85.0% >= 80%', 'breach heap 85.0% >= 80%', 'restart', 'recover']);
  });

  it('takes real snapshots of this process', () => {
    const guard = new ResourceGuard({ maxHeapRatio: 0.99 });
    const s = guard.check();
    expect(s.heapUsedBytes).toBeGreaterThan(0);
    expect(s.heapLimitBytes).toBeGreaterThan(s.heapUsedBytes);
    expect(guard.overloaded).toBe(false);
  });
});
