import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LATENCY_THRESHOLD_MS,
  degradationScore,
  scorePerformance,
} from '../../../src/chaos/analyzer/performance.js';
import { latencySummary, quantileSorted } from '../../../src/chaos/analyzer/stats.js';
import type { LatencyInput, Sample } from '../../../src/chaos/analyzer/types.js';

const withLatency = (latency_ms: LatencyInput): Sample => ({
  requests: 100,
  status_counts: { '200': 100 },
  latency_ms,
});

describe('performance scorer: curve', () => {
  it('is 0 at or below the baseline, 9 at the threshold and capped at 10', () => {
    expect(degradationScore(100, 100, 500)).toBe(0);
    expect(degradationScore(50, 100, 500)).toBe(0);
    expect(degradationScore(500, 100, 500)).toBe(9);
    expect(degradationScore(300, 100, 500)).toBeCloseTo(4.5, 12);
    expect(degradationScore(10_000, 100, 500)).toBe(10);
    // A threshold at or below the baseline cannot divide by zero.
    expect(degradationScore(101, 100, 100)).toBe(9);
    expect(Number.isFinite(degradationScore(Number.NaN, 0, 0))).toBe(true);
  });
});

describe('performance scorer: rules', () => {
  it('defaults the p99 threshold to 5 × baseline', () => {
    const baseline = withLatency({ p50: 20, p99: 100 });
    const result = scorePerformance(withLatency({ p50: 20, p99: 500 }), baseline);
    expect(result.score).toBe(9);
    expect(result.details.threshold_tail).toBe(500);
  });

  it('defaults the threshold to 1000 ms without a baseline', () => {
    const result = scorePerformance(withLatency({ p99: DEFAULT_LATENCY_THRESHOLD_MS / 2 }));
    expect(result.score).toBeCloseTo(4.5, 12);
    expect(result.details.threshold_tail).toBe(DEFAULT_LATENCY_THRESHOLD_MS);
  });

  it('honours a configured threshold', () => {
    const baseline = withLatency({ p99: 100 });
    const result = scorePerformance(withLatency({ p99: 200 }), baseline, { p99ThresholdMs: 200 });
    expect(result.score).toBe(9);
  });

  it('counts a median shift even when the tail hardly moves', () => {
    const baseline = withLatency({ p50: 20, p99: 400 });
    const during = withLatency({ p50: 100, p99: 410 });
    const result = scorePerformance(during, baseline);
    expect(result.details.score_p50).toBe(9);
    expect(result.score).toBe(9);
    expect(result.evidence[0]).toMatch(/^p50/);
  });

  it('falls back from p99 to max for the tail', () => {
    const result = scorePerformance(withLatency({ p50: 10, max: 2000 }));
    expect(result.details.tail).toBe(2000);
  });

  it('computes percentiles from raw samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted 1..100
    const summary = latencySummary(withLatency({ samples }));
    // Linear interpolation between closest ranks: position (n − 1)·q.
    expect(summary?.p50).toBeCloseTo(50.5, 12);
    expect(summary?.p99).toBeCloseTo(99 + 0.01 * 1, 12);
    expect(summary?.max).toBe(100);
    expect(quantileSorted([7], 0.99)).toBe(7);
    const fromSamples = scorePerformance(withLatency({ samples }));
    const fromPercentiles = scorePerformance(withLatency({ p50: summary?.p50 ?? 0, p99: summary?.p99 ?? 0 }));
    expect(fromSamples.score).toBeCloseTo(fromPercentiles.score, 12);
  });

  it('ignores NaN and negative samples', () => {
    const summary = latencySummary(withLatency({ samples: [Number.NaN, -5, 10, 20, Number.POSITIVE_INFINITY, 30] }));
    expect(summary).toMatchObject({ p50: 20, max: 30 });
  });

  it('interpolates percentiles inside histogram buckets', () => {
    // 50 in (0, 10], 30 in (10, 20], 20 in (20, 40].
    const perBucket = latencySummary(withLatency({ histogram: { le: [10, 20, 40], counts: [50, 30, 20] } }));
    expect(perBucket?.p50).toBeCloseTo(10, 12);
    expect(perBucket?.p95).toBeCloseTo(20 + (20 * (95 - 80)) / 20, 12);
    expect(perBucket?.p99).toBeCloseTo(20 + (20 * (99 - 80)) / 20, 12);
    expect(perBucket?.max).toBe(40);
    const cumulative = latencySummary(
      withLatency({ histogram: { le: [20, 10, 40], counts: [80, 50, 100], cumulative: true } }),
    );
    expect(cumulative).toEqual(perBucket);
  });

  it('reports quantiles in the overflow bucket as the highest finite bound', () => {
    const summary = latencySummary(withLatency({ histogram: { le: [10, 20], counts: [50, 30, 20] } }));
    expect(summary?.p99).toBe(20);
    expect(summary?.p50).toBeCloseTo(10, 12);
  });

  it('marks a window without latency as missing', () => {
    expect(scorePerformance({ requests: 10, status_counts: {} })).toMatchObject({ score: 0, missing: true });
    expect(scorePerformance(withLatency({ samples: [] })).missing).toBe(true);
    expect(scorePerformance(withLatency({ histogram: { le: [], counts: [] } })).missing).toBe(true);
    expect(scorePerformance(withLatency({ p99: Number.NaN })).missing).toBe(true);
  });
});

describe('performance scorer: properties', () => {
  const ms = fc.double({ min: 0, max: 1e6, noNaN: true });

  it('a higher p99 never lowers the score', () => {
    fc.assert(
      fc.property(ms, ms, ms, fc.option(fc.record({ p50: ms, p99: ms }), { nil: undefined }), (p50, a, b, base) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const baseline = base ? withLatency(base) : undefined;
        const low = scorePerformance(withLatency({ p50, p99: lo }), baseline).score;
        const high = scorePerformance(withLatency({ p50, p99: hi }), baseline).score;
        expect(high).toBeGreaterThanOrEqual(low);
      }),
    );
  });

  it('always returns a finite score in [0, 10]', () => {
    const anyNumber = fc.oneof(fc.double(), fc.integer());
    const latency = fc.oneof(
      fc.record({ p50: anyNumber, p99: anyNumber }, { requiredKeys: [] }),
      fc.record({ samples: fc.array(anyNumber, { maxLength: 30 }) }),
      fc.record({
        histogram: fc.record({
          le: fc.array(anyNumber, { maxLength: 6 }),
          counts: fc.array(anyNumber, { maxLength: 7 }),
          cumulative: fc.boolean(),
        }),
      }),
    );
    fc.assert(
      fc.property(latency, latency, (d, b) => {
        const { score } = scorePerformance(withLatency(d), withLatency(b));
        expect(Number.isFinite(score)).toBe(true);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(10);
      }),
    );
  });
});
