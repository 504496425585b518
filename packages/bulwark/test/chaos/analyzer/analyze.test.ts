import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeObservation,
  combineScores,
  DEFAULT_PEAK_FACTOR,
  DEFAULT_WEIGHTS,
} from '../../../src/chaos/analyzer/analyze.js';
import { quantileSorted } from '../../../src/chaos/analyzer/stats.js';
import type { ComponentName, ComponentScore, Observation, Sample, Span } from '../../../src/chaos/analyzer/types.js';

const component = (score: number, missing = false): ComponentScore =>
  missing
    ? { score: 0, evidence: ['no data'], details: {}, missing }
    : { score, evidence: [`scored ${score}`], details: {} };
const components = (bug: number, performance: number, structure: number | null) => ({
  bug: component(bug),
  performance: component(performance),
  structure: structure === null ? component(0, true) : component(structure),
});

const healthy: Sample = { requests: 1000, status_counts: { '200': 1000 }, latency_ms: { p50: 20, p99: 100 } };

describe('combineScores', () => {
  it('normalises the default weights and sums the contributions', () => {
    const blend = combineScores(components(4, 2, 1));
    const total = DEFAULT_WEIGHTS.bug + DEFAULT_WEIGHTS.performance + DEFAULT_WEIGHTS.structure;
    expect(blend.components.bug.weight).toBeCloseTo(DEFAULT_WEIGHTS.bug / total, 12);
    expect(blend.components.performance.contribution).toBeCloseTo((2 * DEFAULT_WEIGHTS.performance) / total, 12);
    expect(blend.weighted).toBeCloseTo((4 * 0.5 + 2 * 0.3 + 1 * 0.2) / total, 12);
  });

  it('does not dilute one catastrophic component (peak term)', () => {
    const blend = combineScores(components(10, 0, 0));
    expect(blend.weighted).toBeCloseTo(5, 12);
    expect(blend.severity).toBeCloseTo(DEFAULT_PEAK_FACTOR * 10, 12);
  });

  it('uses the weighted mean when it exceeds the peak term', () => {
    const blend = combineScores(components(9, 9, 9));
    expect(blend.severity).toBeCloseTo(9, 12);
  });

  it('honours configured weights and peak factor', () => {
    const blend = combineScores(components(10, 0, 0), {
      weights: { bug: 1, performance: 3, structure: 0 },
      peakFactor: 0,
    });
    expect(blend.components.bug.weight).toBeCloseTo(0.25, 12);
    expect(blend.components.structure.weight).toBe(0);
    expect(blend.severity).toBeCloseTo(2.5, 12);
  });

  it('ignores zero-weight components in the peak term', () => {
    const blend = combineScores(components(0, 0, 10), { weights: { structure: 0 } });
    expect(blend.severity).toBe(0);
  });

  it('excludes components without data and renormalises the others', () => {
    const blend = combineScores(components(10, 0, null));
    expect(blend.components.structure).toEqual({ score: 0, weight: 0, contribution: 0 });
    expect(blend.components.bug.weight).toBeCloseTo(0.5 / 0.8, 12);
    expect(blend.evidence).toContain('structure (no data, excluded): no data');
  });

  it('falls back to the default weights when the configured ones are unusable', () => {
    const defaults = combineScores(components(6, 3, 1));
    for (const weights of [
      { bug: 0, performance: 0, structure: 0 },
      { bug: Number.NaN, performance: -1, structure: Number.POSITIVE_INFINITY },
    ]) {
      expect(combineScores(components(6, 3, 1), { weights }).severity).toBeCloseTo(defaults.severity, 12);
    }
  });

  it('gives the missing-data score when nothing has data', () => {
    const none = { bug: component(0, true), performance: component(0, true), structure: component(0, true) };
    expect(combineScores(none).severity).toBe(0);
    expect(combineScores(none, { missingScore: 3 }).severity).toBe(3);
  });
});

describe('analyzeObservation', () => {
  it('rates an outage-like trial severe and a quiet one 0', () => {
    const outage = analyzeObservation({
      baseline: healthy,
      during: { requests: 1000, status_counts: { '200': 700, '503': 300 }, latency_ms: { p50: 20, p99: 100 } },
    });
    expect(outage.severity).toBeGreaterThanOrEqual(8);
    expect(outage.evidence[0]).toMatch(/^bug 10\.0: server errors 30\.00% of 1000 requests/);
    const quiet = analyzeObservation({ baseline: healthy, during: healthy });
    expect(quiet.severity).toBe(0);
    expect(quiet.components.structure.weight).toBe(0);
  });

  it('judges recovery against the baseline', () => {
    const during: Sample = { requests: 100, status_counts: { '500': 100 } };
    expect(analyzeObservation({ baseline: healthy, during, recovery: healthy }).recovered).toBe(true);
    const stillFailing: Sample = { requests: 100, status_counts: { '200': 90, '500': 10 }, latency_ms: { p99: 100 } };
    const failing = analyzeObservation({ baseline: healthy, during, recovery: stillFailing });
    expect(failing.recovered).toBe(false);
    expect(failing.evidence).toContain('recovery: did not recover to baseline');
    const slow: Sample = { ...healthy, latency_ms: { p99: 1000 } };
    expect(analyzeObservation({ baseline: healthy, during, recovery: slow }).recovered).toBe(false);
    const lenient = analyzeObservation({ baseline: healthy, during, recovery: slow }, { recovery: { p99Ratio: 10 } });
    expect(lenient.recovered).toBe(true);
    expect(analyzeObservation({ baseline: healthy, during })).not.toHaveProperty('recovered');
    const emptyRecovery = { requests: 0, status_counts: {} };
    expect(analyzeObservation({ baseline: healthy, during, recovery: emptyRecovery })).not.toHaveProperty('recovered');
  });

  it('handles empty and malformed observations', () => {
    expect(analyzeObservation({ during: { requests: 0, status_counts: {} } }).severity).toBe(0);
    expect(analyzeObservation(null as unknown as Observation).severity).toBe(0);
    expect(analyzeObservation({} as Observation).severity).toBe(0);
    const weird = analyzeObservation({
      during: { requests: -3, status_counts: { '500': Number.NaN }, latency_ms: { samples: [Number.NaN] }, spans: [] },
      baseline: 'nope' as unknown as Sample,
      recovery: 42 as unknown as Sample,
    });
    expect(weird.severity).toBe(0);
  });

  it('analyses 10,000 latency samples and 5,000 spans correctly', () => {
    const latencies = (scale: number) => Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_000) * scale + 1);
    const spans = (prefix: string, retries: number): Span[] => {
      const out: Span[] = [];
      for (let t = 0; out.length < 5000; t += 1) {
        const trace_id = `${prefix}${t}`;
        out.push({ trace_id, span_id: 'root', service: 'gateway', operation: 'GET /', duration_ms: 3 });
        for (let r = 0; r <= retries; r += 1) {
          out.push({ trace_id, span_id: `c${r}`, parent_id: 'root', service: 'api', operation: 'get', duration_ms: 1 });
        }
      }
      return out;
    };
    const baselineSamples = latencies(0.01);
    const duringSamples = latencies(0.05);
    const observation: Observation = {
      baseline: {
        requests: 10_000,
        status_counts: { '200': 10_000 },
        latency_ms: { samples: baselineSamples },
        spans: spans('b', 0),
      },
      during: {
        requests: 10_000,
        status_counts: { '200': 9_500, '503': 500 },
        latency_ms: { samples: duringSamples },
        spans: spans('d', 4),
      },
    };
    const result = analyzeObservation(observation);
    const p99 = (xs: number[]) =>
      quantileSorted(
        [...xs].sort((a, b) => a - b),
        0.99,
      );
    const expectedTail = 9 * ((p99(duringSamples) - p99(baselineSamples)) / (4 * p99(baselineSamples)));
    expect(result.components.performance.score).toBeCloseTo(Math.min(10, expectedTail), 9);
    expect(result.components.bug.score).toBeGreaterThanOrEqual(7.5);
    expect(result.components.bug.score).toBeLessThanOrEqual(8.5);
    expect(result.components.structure.score).toBeGreaterThan(0);
    expect(result.severity).toBeGreaterThanOrEqual(DEFAULT_PEAK_FACTOR * result.components.bug.score);
  });
});

describe('analyzeObservation: properties', () => {
  const num = fc.oneof(
    fc.double(),
    fc.integer({ min: -10, max: 100_000 }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0),
  );
  const latency = fc.oneof(
    fc.record({ p50: num, p95: num, p99: num, max: num }, { requiredKeys: [] }),
    fc.record({ samples: fc.array(num, { maxLength: 40 }) }),
    fc.record({
      histogram: fc.record({ le: fc.array(num, { maxLength: 5 }), counts: fc.array(num, { maxLength: 6 }) }),
    }),
  );
  const id = fc.constantFrom('a', 'b', 'c', 'd');
  const span = fc.record(
    { trace_id: id, span_id: id, parent_id: id, service: id, operation: id, status: num, duration_ms: num },
    { requiredKeys: ['trace_id', 'span_id', 'service', 'operation', 'duration_ms'] },
  );
  const sample: fc.Arbitrary<Sample> = fc.record(
    {
      requests: num,
      status_counts: fc.dictionary(
        fc.constantFrom('200', '404', '429', '500', '503', 'error', 'timeout', '5xx', 'x'),
        num,
      ),
      latency_ms: latency,
      error_logs: fc.array(fc.record({ level: fc.constantFrom('ERROR', 'warn', 'fatal', ''), message: fc.string() }), {
        maxLength: 4,
      }),
      spans: fc.array(span, { maxLength: 15 }),
    },
    { requiredKeys: ['requests', 'status_counts'] },
  );
  const observation: fc.Arbitrary<Observation> = fc.record(
    { baseline: sample, during: sample, recovery: sample },
    { requiredKeys: ['during'] },
  );
  const weights = fc.record({ bug: num, performance: num, structure: num }, { requiredKeys: [] });

  it('severity is always finite and in [0, 10]', () => {
    fc.assert(
      fc.property(observation, weights, fc.option(num, { nil: undefined }), (obs, w, peakFactor) => {
        const options = peakFactor === undefined ? { weights: w } : { weights: w, peakFactor };
        const result = analyzeObservation(obs, options);
        expect(Number.isFinite(result.severity)).toBe(true);
        expect(result.severity).toBeGreaterThanOrEqual(0);
        expect(result.severity).toBeLessThanOrEqual(10);
        for (const name of ['bug', 'performance', 'structure'] as ComponentName[]) {
          const c = result.components[name];
          expect(Number.isFinite(c.score) && c.score >= 0 && c.score <= 10).toBe(true);
          expect(Number.isFinite(c.contribution)).toBe(true);
        }
      }),
    );
  });

  it('contributions sum to the weighted part, which never exceeds the severity', () => {
    fc.assert(
      fc.property(observation, (obs) => {
        const result = analyzeObservation(obs);
        const { bug, performance, structure } = result.components;
        expect(bug.contribution + performance.contribution + structure.contribution).toBeCloseTo(result.weighted, 9);
        const weightSum = bug.weight + performance.weight + structure.weight;
        expect(weightSum === 0 || Math.abs(weightSum - 1) < 1e-9).toBe(true);
        expect(result.severity).toBeGreaterThanOrEqual(result.weighted - 1e-9);
      }),
    );
  });

  // Only once the window has status data: a first 5xx turns the bug component from "no data,
  // excluded" into a present (possibly 0) component, which legitimately re-weights the blend.
  it('more 5xx during the fault never lowers the severity of a window with status data', () => {
    fc.assert(
      fc.property(observation, fc.integer({ min: 1, max: 10_000 }), (obs, more) => {
        const counts = obs.during.status_counts;
        const current = counts['503'];
        const base = typeof current === 'number' && Number.isFinite(current) && current >= 0 ? current : 0;
        const worse = { ...obs, during: { ...obs.during, status_counts: { ...counts, '503': base + more } } };
        const before = analyzeObservation({
          ...obs,
          during: { ...obs.during, status_counts: { ...counts, '503': base } },
        });
        fc.pre(before.components.bug.weight > 0);
        expect(analyzeObservation(worse).severity).toBeGreaterThanOrEqual(before.severity - 1e-9);
      }),
    );
  });
});
