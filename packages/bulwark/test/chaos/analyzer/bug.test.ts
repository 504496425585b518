import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countErrorLogs, RATE_CAP, rateCurve, scoreBug } from '../../../src/chaos/analyzer/bug.js';
import type { Sample } from '../../../src/chaos/analyzer/types.js';

const sample = (status_counts: Record<string, number>, extra: Partial<Sample> = {}): Sample => ({
  requests: Object.values(status_counts).reduce((a, b) => a + b, 0),
  status_counts,
  ...extra,
});

describe('bug scorer: rate curve', () => {
  it('hits the anchor points of the design (1 in 10,000 ≈ 1–2, 5 % ≈ 8, ≥ 20 % = 10)', () => {
    expect(10 * rateCurve(1e-4)).toBeGreaterThanOrEqual(1);
    expect(10 * rateCurve(1e-4)).toBeLessThanOrEqual(2);
    expect(10 * rateCurve(0.05)).toBeGreaterThanOrEqual(7.5);
    expect(10 * rateCurve(0.05)).toBeLessThanOrEqual(8.5);
    expect(rateCurve(RATE_CAP)).toBe(1);
    expect(rateCurve(0.6)).toBe(1);
  });

  it('is 0 for no, negative or non-finite rates', () => {
    for (const r of [0, -0.1, Number.NaN, Number.NEGATIVE_INFINITY]) expect(rateCurve(r)).toBe(0);
  });

  it('is monotone and bounded', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rateCurve(lo)).toBeLessThanOrEqual(rateCurve(hi));
        expect(rateCurve(hi)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('bug scorer: rules', () => {
  it('scores a single 5xx in 10,000 requests low and 5 % 5xx high', () => {
    const rare = scoreBug(sample({ '200': 9999, '503': 1 }));
    expect(rare.score).toBeGreaterThanOrEqual(1);
    expect(rare.score).toBeLessThanOrEqual(2);
    const five = scoreBug(sample({ '200': 950, '500': 50 }));
    expect(five.score).toBeGreaterThanOrEqual(7.5);
    expect(five.score).toBeLessThanOrEqual(8.5);
    expect(scoreBug(sample({ '200': 800, '502': 200 })).score).toBe(10);
  });

  it('counts transport errors and non-HTTP keys like 5xx', () => {
    const as5xx = scoreBug(sample({ '200': 970, '504': 30 })).score;
    expect(scoreBug(sample({ '200': 970, error: 30 })).score).toBe(as5xx);
    expect(scoreBug(sample({ '200': 970, timeout: 30 })).score).toBe(as5xx);
    expect(scoreBug(sample({ '200': 970, '5xx': 30 })).score).toBe(as5xx);
  });

  it('weights 4xx less than 5xx and caps them at 8', () => {
    const fourXx = scoreBug(sample({ '200': 970, '429': 30 })).score;
    const fiveXx = scoreBug(sample({ '200': 970, '503': 30 })).score;
    expect(fourXx).toBeGreaterThan(0);
    expect(fourXx).toBeLessThan(fiveXx);
    expect(scoreBug(sample({ '404': 1000 })).score).toBe(8);
  });

  it('scores only the excess over the baseline', () => {
    const baseline = sample({ '200': 990, '500': 10 });
    expect(scoreBug(sample({ '200': 990, '500': 10 }), baseline).score).toBe(0);
    expect(scoreBug(sample({ '200': 995, '500': 5 }), baseline).score).toBe(0);
    const doubled = scoreBug(sample({ '200': 980, '500': 20 }), baseline);
    expect(doubled.score).toBeCloseTo(scoreBug(sample({ '200': 990, '500': 10 })).score, 10);
    expect(doubled.details.excess_server_error_rate).toBeCloseTo(0.01, 12);
  });

  it('counts ERROR-level logs, each one closing half the gap to 6', () => {
    const logs = (n: number, level = 'ERROR') =>
      Array.from({ length: n }, (_, i) => ({ level, message: `boom ${i}`, service: 'payment' }));
    const ok = { '200': 100 };
    const one = scoreBug(sample(ok, { error_logs: logs(1) })).score;
    const two = scoreBug(sample(ok, { error_logs: logs(2) })).score;
    expect(one).toBeCloseTo(6 * 0.5, 12);
    expect(two).toBeCloseTo(6 * 0.75, 12);
    expect(scoreBug(sample(ok, { error_logs: logs(200) })).score).toBeLessThanOrEqual(6);
    expect(scoreBug(sample(ok, { error_logs: logs(3, 'warn') })).score).toBe(0);
    expect(countErrorLogs([...logs(1, 'fatal'), ...logs(1, ' Error '), ...logs(1, 'info')])).toBe(2);
    // Baseline logs are subtracted, scaled to the same request volume.
    const baseline = sample({ '200': 50 }, { error_logs: logs(1) });
    expect(scoreBug(sample(ok, { error_logs: logs(2) }), baseline).score).toBe(0);
  });

  it('takes the worst signal and puts its evidence first', () => {
    const result = scoreBug(
      sample(
        { '200': 9999, '500': 1 },
        {
          error_logs: [
            { level: 'error', message: 'x' },
            { level: 'error', message: 'y' },
          ],
        },
      ),
    );
    expect(result.score).toBeCloseTo(result.details.score_logs ?? Number.NaN, 12);
    expect(result.evidence[0]).toMatch(/ERROR log/);
  });

  it('handles zero requests, missing data and garbage', () => {
    const empty = scoreBug({ requests: 0, status_counts: {} });
    expect(empty).toMatchObject({ score: 0, missing: true });
    expect(scoreBug(undefined).missing).toBe(true);
    // Counts without a request total still give rates.
    expect(scoreBug({ requests: 0, status_counts: { '200': 80, '500': 20 } }).score).toBe(10);
    const garbage = scoreBug({
      requests: Number.NaN,
      status_counts: { '200': -5, '500': Number.POSITIVE_INFINITY, '503': Number.NaN },
    } as Sample);
    expect(garbage.missing).toBe(true);
    expect(Number.isFinite(garbage.score)).toBe(true);
    const malformed = scoreBug({ requests: 10, status_counts: null, error_logs: 'x' } as unknown as Sample);
    expect(malformed.score).toBe(0);
    expect(malformed.missing).toBeUndefined();
  });
});

describe('bug scorer: properties', () => {
  const counts = fc.nat({ max: 100_000 });
  const sampleArb = fc.record({
    requests: fc.oneof(fc.nat({ max: 200_000 }), fc.constant(0), fc.constant(Number.NaN)),
    ok: counts,
    c4: counts,
    c5: counts,
    err: counts,
  });
  const toSample = (s: { requests: number; ok: number; c4: number; c5: number; err: number }, extra5 = 0): Sample => ({
    requests: s.requests,
    status_counts: { '200': s.ok, '404': s.c4, '503': s.c5 + extra5, error: s.err },
  });

  it('more 5xx (other things equal) never lowers the bug score', () => {
    fc.assert(
      fc.property(sampleArb, fc.option(sampleArb, { nil: undefined }), fc.nat({ max: 50_000 }), (d, b, more) => {
        const baseline = b ? toSample(b) : undefined;
        const before = scoreBug(toSample(d), baseline).score;
        const after = scoreBug(toSample(d, more), baseline).score;
        expect(after).toBeGreaterThanOrEqual(before - 1e-12);
      }),
    );
  });

  it('always returns a finite score in [0, 10]', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 4 }), fc.double()),
        fc.double(),
        fc.array(fc.record({ level: fc.string(), message: fc.string() }), { maxLength: 5 }),
        (status_counts, requests, error_logs) => {
          const { score } = scoreBug({ requests, status_counts, error_logs });
          expect(Number.isFinite(score)).toBe(true);
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(10);
        },
      ),
    );
  });
});
