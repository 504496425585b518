import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DriftEvent,
  DriftVoter,
  type DriftVoterOptions,
  type DriftVoterState,
  detectDrift,
} from '../../../src/slo/drift/index.js';
import { gaussian, mulberry32 } from './support.js';

const DAY = 1440;

/** Per-minute p99 latency: 200 ms × daily cycle × step × lognormal noise. */
function latency(opts: { minutes: number; seed: number; amplitude?: number; stepAt?: number; factor?: number }) {
  const normal = gaussian(mulberry32(opts.seed));
  return [...Array(opts.minutes)].map((_, t) => {
    const cycle = 1 + (opts.amplitude ?? 0) * Math.sin((2 * Math.PI * t) / DAY);
    const step = opts.stepAt !== undefined && t >= opts.stepAt ? (opts.factor ?? 1.2) : 1;
    return 200 * cycle * step * Math.exp(0.12 * normal());
  });
}

/** Detector settings that can never fire. */
const OFF = {
  pageHinkley: { threshold: 1e12 },
  adwin: { delta: 1e-300 },
  ks: { alpha: 0 },
} as const;

describe('DriftVoter', () => {
  it('reports nothing on a constant stream', () => {
    expect(detectDrift(Array(3 * DAY).fill(180))).toEqual([]);
  });

  it('does not mistake a ±30% daily cycle for drift (it would without the seasonal baseline)', () => {
    // 10 streams × 4 days. The voter is tuned for ≤ 1% of quiet days with an alarm, so 40 days
    // should see at most a few; ignoring seasonality alarms on most streams.
    let seasonal = 0;
    let flat = 0;
    for (let seed = 100; seed < 110; seed++) {
      const xs = latency({ minutes: 4 * DAY, seed, amplitude: 0.3 });
      seasonal += detectDrift(xs).length;
      if (detectDrift(xs, { normalizer: { seasonalPeriod: 0 } }).length > 0) flat += 1;
    }
    expect(seasonal).toBeLessThanOrEqual(3);
    expect(flat).toBeGreaterThanOrEqual(8);
  });

  it('detects a +30% step on a seasonal stream: one up event, onset and magnitude estimated', () => {
    const stepAt = 2 * DAY + 200;
    const events = detectDrift(latency({ minutes: 2 * DAY + 600, seed: 12, amplitude: 0.3, stepAt, factor: 1.3 }));
    expect(events).toHaveLength(1);
    const e = events[0] as DriftEvent;
    expect(e.direction).toBe('up');
    expect(e.index).toBeGreaterThanOrEqual(stepAt);
    expect(e.index - stepAt).toBeLessThan(60);
    expect(Math.abs(e.onsetIndex - stepAt)).toBeLessThan(20);
    expect(e.magnitude.relative).toBeGreaterThan(0.15);
    expect(e.magnitude.relative).toBeLessThan(0.45);
    expect(e.magnitude.recentMean).toBeGreaterThan(e.magnitude.referenceMean);
    expect(e.detectors.length).toBeGreaterThanOrEqual(2);
  });

  it('reports a drop as down with a negative magnitude', () => {
    const stepAt = 1500;
    const events = detectDrift(latency({ minutes: 2000, seed: 13, stepAt, factor: 0.7 }));
    const e = events[0] as DriftEvent;
    expect(e.direction).toBe('down');
    expect(e.index - stepAt).toBeLessThan(60);
    expect(e.magnitude.relative).toBeLessThan(-0.15);
    expect(e.magnitude.relative).toBeGreaterThan(-0.45);
  });

  it('requires two of three detectors: one detector firing alone is not a drift', () => {
    const xs = latency({ minutes: 1800, seed: 14, stepAt: 1200, factor: 1.5 });
    const phOnly: DriftVoterOptions = { adwin: OFF.adwin, ks: OFF.ks };
    const voter = new DriftVoter(phOnly);
    let phFired = 0;
    for (const x of xs) {
      expect(voter.update(x)).toBeUndefined();
      if (voter.lastFired.some(([n]) => n === 'pageHinkley')) phFired += 1;
    }
    expect(phFired).toBeGreaterThan(0);

    const single = detectDrift(xs, { ...phOnly, minVotes: 1 });
    expect(single[0]?.detectors).toEqual(['pageHinkley']);

    const pair = detectDrift(xs, { adwin: OFF.adwin });
    expect(pair[0]?.detectors.sort()).toEqual(['ks', 'pageHinkley']);
    expect(pair[0]?.index).toBeGreaterThanOrEqual(1200);
  });

  it('only counts detections inside the agreement window', () => {
    const counts: Record<number, number> = { 1: 0, 5: 0, 30: 0 };
    for (let seed = 20; seed < 30; seed++) {
      const xs = latency({ minutes: 1800, seed, stepAt: 1200, factor: 1.25 });
      for (const agreementWindow of [1, 5, 30]) {
        for (const e of detectDrift(xs, { agreementWindow })) {
          counts[agreementWindow] = (counts[agreementWindow] as number) + 1;
          const at = Object.values(e.firedAt) as number[];
          expect(Math.max(...at) - Math.min(...at)).toBeLessThan(agreementWindow);
          expect(Math.max(...at)).toBe(e.index);
        }
      }
    }
    // Detectors rarely fire on the same sample: a narrower window accepts fewer changes.
    expect(counts[30]).toBeGreaterThanOrEqual(10);
    expect(counts[1]).toBeLessThan(counts[30] as number);
  });

  it('reports a lasting step once: no echo when the changed day becomes the seasonal baseline', () => {
    const stepAt = 2 * DAY + 200;
    const xs = latency({ minutes: 3 * DAY + 600, seed: 17, amplitude: 0.3, stepAt, factor: 1.3 });
    const events = detectDrift(xs);
    expect(events.map((e) => e.direction)).toEqual(['up']);
    // Without restating the remembered day at the new level, the old level comes back a day later.
    const echo = detectDrift(xs, { rebase: false });
    expect(echo.some((e) => e.direction === 'down' && e.index > stepAt + DAY - 300)).toBe(true);
  });

  it('error ratios with the identity transform', () => {
    const rand = mulberry32(15);
    const xs = [...Array(1500)].map((_, t) => {
      const p = t < 1000 ? 0.002 : 0.006;
      let errors = 0;
      for (let i = 0; i < 2000; i++) if (rand() < p) errors += 1;
      return errors / 2000;
    });
    const events = detectDrift(xs, { normalizer: { transform: 'identity', seasonalPeriod: 0 } });
    expect(events[0]?.direction).toBe('up');
    expect(events[0]?.index).toBeGreaterThanOrEqual(1000);
    expect((events[0]?.index as number) - 1000).toBeLessThan(30);
  });

  it('tolerates missing samples; event indices stay positions in the series', () => {
    const stepAt = 1500;
    const xs: Array<number | null> = latency({ minutes: 2000, seed: 16, stepAt, factor: 1.3 });
    for (let i = 0; i < xs.length; i += 17) xs[i] = null;
    const events = detectDrift(xs);
    expect(events[0]?.direction).toBe('up');
    expect(xs[events[0]?.index as number]).not.toBeNull();
    expect((events[0]?.index as number) - stepAt).toBeLessThan(60);
  });

  it('serialisation round trip mid-stream yields the same future events', () => {
    const options: DriftVoterOptions = {
      normalizer: { seasonalPeriod: 60, seasonalHalfWindow: 10, scaleWindow: 60, fallbackWindow: 20 },
      ks: { referenceSize: 60, minReferenceSize: 30, recentSize: 15, alpha: 0.01 },
      pageHinkley: { threshold: 6 },
      adwin: { delta: 0.01 },
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.nat(),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        (seed, cut, factor) => {
          const xs: Array<number | null> = latency({ minutes: 500, seed, stepAt: 300, factor });
          xs[cut % 500] = null;
          const split = cut % xs.length;
          const a = new DriftVoter(options);
          const outA = xs.map((x) => [a.update(x), [...a.lastFired]]);
          const b0 = new DriftVoter(options);
          const outB = xs.slice(0, split).map((x) => [b0.update(x), [...b0.lastFired]]);
          const b = DriftVoter.fromJSON(JSON.parse(JSON.stringify(b0.toJSON())) as DriftVoterState);
          for (const x of xs.slice(split)) outB.push([b.update(x), [...b.lastFired]]);
          expect(outB).toEqual(outA);
          expect(b.toJSON()).toEqual(a.toJSON());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('rejects impossible vote settings', () => {
    expect(() => new DriftVoter({ minVotes: 4 })).toThrow(RangeError);
    expect(() => DriftVoter.fromJSON({ kind: 'adwin' } as unknown as DriftVoterState)).toThrow(TypeError);
  });
});
