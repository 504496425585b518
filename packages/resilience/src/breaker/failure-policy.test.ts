import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CallOutcome, consecutiveFailures, countWindow, timeWindow } from './failure-policy.js';

const F: CallOutcome = { success: false, slow: false };
const S: CallOutcome = { success: true, slow: false };
const SLOW: CallOutcome = { success: true, slow: true };
const SLOW_F: CallOutcome = { success: false, slow: true };

describe('consecutiveFailures', () => {
  it.each([0, 0.5, Number.NaN])('rejects threshold %s', (t) => {
    expect(() => consecutiveFailures(t)).toThrow(new RangeError('threshold must be >= 1'));
  });

  it('opens at the threshold, a success resets the run', () => {
    const p = consecutiveFailures(3);
    p.record(F, 0);
    p.record(F, 0);
    expect(p.shouldOpen(0)).toBe(false);
    expect(p.snapshot(0)).toEqual({ calls: 2, failures: 2, slow: 0 });
    p.record(S, 0);
    expect(p.snapshot(0)).toEqual({ calls: 0, failures: 0, slow: 0 });
    for (let i = 0; i < 3; i++) p.record(F, 0);
    expect(p.shouldOpen(0)).toBe(true);
    expect(p.toJSON()).toEqual({ kind: 'consecutive', run: 3 });
    p.reset();
    expect(p.shouldOpen(0)).toBe(false);
    expect(p.toJSON()).toEqual({ kind: 'consecutive', run: 0 });
    expect(p.timeless).toBe(true);
  });

  it('resumes a run from toJSON, ignoring anything else', () => {
    const p = consecutiveFailures(2, { run: 1 });
    expect(p.snapshot(0).failures).toBe(1);
    p.record(F, 0);
    expect(p.shouldOpen(0)).toBe(true);
    expect(consecutiveFailures(2, { run: '1' }).toJSON()).toEqual({ kind: 'consecutive', run: 0 });
    expect(consecutiveFailures(2, null).toJSON()).toEqual({ kind: 'consecutive', run: 0 });
  });
});

describe('countWindow', () => {
  it('keeps the last `size` outcomes (rounded down, at least 1)', () => {
    const p = countWindow({ size: 3.9, minimumCalls: 1 });
    p.record(F, 0);
    p.record(SLOW_F, 0);
    p.record(S, 0);
    expect(p.snapshot(0)).toEqual({ calls: 3, failures: 2, slow: 1 });
    p.record(S, 0); // evicts F
    expect(p.snapshot(0)).toEqual({ calls: 3, failures: 1, slow: 1 });
    p.record(S, 0); // evicts SLOW_F
    expect(p.snapshot(0)).toEqual({ calls: 3, failures: 0, slow: 0 });
    p.record(SLOW, 0); // evicts S
    expect(p.toJSON()).toEqual({ kind: 'count', calls: 3, failures: 0, slow: 1 });
    const one = countWindow({ size: 0, minimumCalls: 1 });
    one.record(F, 0);
    one.record(S, 0);
    expect(one.snapshot(0)).toEqual({ calls: 1, failures: 0, slow: 0 });
    expect(one.timeless).toBe(true);
  });

  it('needs 10 calls and a 50% failure rate by default', () => {
    const p = countWindow({ size: 20 });
    for (let i = 0; i < 9; i++) p.record(F, 0);
    expect(p.shouldOpen(0)).toBe(false);
    p.record(S, 0);
    expect(p.shouldOpen(0)).toBe(true); // 9 of 10
    const half = countWindow({ size: 10 });
    for (let i = 0; i < 10; i++) half.record(i < 5 ? F : S, 0);
    expect(half.shouldOpen(0)).toBe(true); // exactly 50%
    const below = countWindow({ size: 10 });
    for (let i = 0; i < 10; i++) below.record(i < 4 ? F : S, 0);
    expect(below.shouldOpen(0)).toBe(false);
  });

  it('ignores slow calls unless a slow-call threshold below 1 is set', () => {
    const off = countWindow({ size: 4, minimumCalls: 4 });
    for (let i = 0; i < 4; i++) off.record(SLOW, 0);
    expect(off.shouldOpen(0)).toBe(false);
    const on = countWindow({ size: 4, minimumCalls: 4, slowCallRateThreshold: 0.5 });
    on.record(S, 0);
    on.record(S, 0);
    on.record(S, 0);
    on.record(SLOW, 0);
    expect(on.shouldOpen(0)).toBe(false); // 25%
    on.record(SLOW, 0); // evicts the first S
    expect(on.shouldOpen(0)).toBe(true); // 50%
  });

  it('never opens on an empty window, even with minimumCalls 0', () => {
    const p = countWindow({ size: 5, minimumCalls: 0, failureRateThreshold: 0 });
    expect(p.shouldOpen(0)).toBe(false);
    p.record(S, 0);
    expect(p.shouldOpen(0)).toBe(true);
  });

  it('reset empties the window, and later evictions do not see the old outcomes', () => {
    const p = countWindow({ size: 2, minimumCalls: 1 });
    p.record(SLOW_F, 0);
    p.record(SLOW_F, 0);
    p.reset();
    expect(p.snapshot(0)).toEqual({ calls: 0, failures: 0, slow: 0 });
    p.record(S, 0);
    p.record(S, 0);
    p.record(S, 0);
    expect(p.snapshot(0)).toEqual({ calls: 2, failures: 0, slow: 0 });
  });

  it('matches a plain list of the last `size` outcomes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.record({ success: fc.boolean(), slow: fc.boolean() }), { maxLength: 40 }),
        (size, outcomes) => {
          const p = countWindow({ size });
          for (const o of outcomes) p.record(o, 0);
          const last = outcomes.slice(-size);
          expect(p.snapshot(0)).toEqual({
            calls: last.length,
            failures: last.filter((o) => !o.success).length,
            slow: last.filter((o) => o.slow).length,
          });
        },
      ),
    );
  });
});

describe('timeWindow', () => {
  it('drops a bucket once all of it is older than the window', () => {
    // 1000 ms in 10 buckets of 100 ms.
    const p = timeWindow({ windowMs: 1000, minimumCalls: 1 });
    p.record(F, 0);
    p.record(SLOW_F, 50);
    p.record(S, 150);
    expect(p.snapshot(1099)).toEqual({ calls: 3, failures: 2, slow: 1 });
    expect(p.snapshot(1100)).toEqual({ calls: 1, failures: 0, slow: 0 });
    expect(p.shouldOpen(1100)).toBe(false);
    expect(p.snapshot(1200)).toEqual({ calls: 0, failures: 0, slow: 0 });
    expect(p.timeless).toBeUndefined();
  });

  it('shouldOpen judges only the calls still in the window', () => {
    const p = timeWindow({ windowMs: 1000, buckets: 4, minimumCalls: 2 });
    p.record(F, 0);
    p.record(F, 300);
    expect(p.shouldOpen(999)).toBe(true);
    expect(p.shouldOpen(1250)).toBe(false); // the first bucket [0, 250) is gone
  });

  it('reuses a bucket for a later period, dropping what it held', () => {
    const p = timeWindow({ windowMs: 1000, buckets: 10 });
    p.record(F, 10);
    p.record(SLOW, 1010); // same slot, next period
    expect(p.toJSON()).toEqual({ kind: 'time', calls: 1, failures: 0, slow: 1 });
    p.record(F, -50); // times before 0 map to the last bucket
    p.record(S, 950); // same bucket, later period
    expect(p.snapshot(1010)).toEqual({ calls: 2, failures: 0, slow: 1 });
  });

  it('uses at least one bucket of at least 1 ms', () => {
    const single = timeWindow({ windowMs: 100, buckets: 0, minimumCalls: 1 });
    single.record(F, 0);
    single.record(F, 99);
    expect(single.snapshot(100)).toEqual({ calls: 2, failures: 2, slow: 0 });
    expect(single.snapshot(200)).toEqual({ calls: 0, failures: 0, slow: 0 });
    const tiny = timeWindow({ windowMs: 5, buckets: 10, minimumCalls: 1 });
    tiny.record(F, 0.4); // bucket [0, 1), not [0, 0.5)
    expect(tiny.snapshot(5.5)).toEqual({ calls: 1, failures: 1, slow: 0 });
    expect(tiny.snapshot(6)).toEqual({ calls: 0, failures: 0, slow: 0 });
  });

  it('reset forgets everything', () => {
    const p = timeWindow({ windowMs: 1000, minimumCalls: 1 });
    p.record(SLOW_F, 0);
    p.reset();
    expect(p.snapshot(0)).toEqual({ calls: 0, failures: 0, slow: 0 });
    p.record(S, 0);
    expect(p.snapshot(0)).toEqual({ calls: 1, failures: 0, slow: 0 });
  });
});
