import { seededRandom } from '@bulwark/resilience';
import { describe, expect, it } from 'vitest';
import { analyseAvailability, toDays } from '../../src/slo/recommend/availability.js';
import { recommend } from '../../src/slo/recommend/recommend.js';
import { detectRegimeChange, toCurrentRegime } from '../../src/slo/recommend/regime.js';
import { gauss } from '../../src/slo/recommend/stats.js';
import type { AvailabilityPoint } from '../../src/telemetry/types.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 6, 1);

/** Hourly counts with binomial failures at `rate(hour)` (incidents are part of the rate). */
function hourly(o: { days: number; rps: number; rate: (h: number) => number; seed: number }): AvailabilityPoint[] {
  const rand = seededRandom(o.seed);
  const out: AvailabilityPoint[] = [];
  for (let h = 0; h < o.days * 24; h++) {
    const load = 0.675 + 0.325 * Math.cos((((h % 24) - 15) / 24) * 2 * Math.PI);
    const total = Math.max(1, Math.round(o.rps * 3600 * load));
    const p = Math.min(1, o.rate(h));
    let bad: number;
    if (total < 500) {
      bad = 0;
      for (let i = 0; i < total; i++) if (rand() < p) bad++;
    } else {
      bad = Math.max(0, Math.min(total, Math.round(total * p + Math.sqrt(total * p * (1 - p)) * gauss(rand))));
    }
    out.push({ start: new Date(T0 + h * HOUR), good: total - bad, total });
  }
  return out;
}

/** Incidents: hour → extra error rate, `count` of them, 1–3 hours at 20–100% errors. */
function incidents(seed: number, count: number, days: number): Map<number, number> {
  const rand = seededRandom(seed * 7919);
  const extra = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const start = Math.floor(rand() * days * 24);
    const hours = 1 + Math.floor(rand() * 3);
    const rate = 0.2 + rand() * 0.8;
    for (let h = start; h < start + hours; h++) extra.set(h, Math.min(1, (extra.get(h) ?? 0) + rate));
  }
  return extra;
}

describe('regime changes', () => {
  it("a day's baseline leaves out an incident of a few hours", () => {
    const inc = new Map([
      [10, 0.5],
      [11, 0.5],
    ]);
    const [day] = toDays(hourly({ days: 1, rps: 100, rate: (h) => 0.001 + (inc.get(h) ?? 0), seed: 1 }));
    if (!day?.base) throw new Error('no baseline');
    const failures = day.total - day.good;
    expect(failures / day.total).toBeGreaterThan(0.02); // the incident dominates the day
    expect(day.base / day.total).toBeGreaterThan(0.0008);
    expect(day.base / day.total).toBeLessThan(0.0012);
  });

  it('finds a regression on the day it happened, even on the last day of the history', () => {
    for (const stepDay of [20, 45, 59]) {
      const inc = incidents(stepDay, 3, 60);
      const pts = hourly({
        days: 60,
        rps: 30,
        rate: (h) => (h >= stepDay * 24 ? 0.004 : 0.001) + (inc.get(h) ?? 0),
        seed: stepDay,
      });
      const change = detectRegimeChange(toDays(pts));
      expect(change?.index).toBe(stepDay);
      expect(change?.share).toBe(1); // at midnight: no split inside the day fits clearly better
      expect(change?.ratio).toBeGreaterThan(3.3);
      expect(change?.ratio).toBeLessThan(4.7);
    }
  });

  it('finds a fix, and the forecast from the new level is stricter than one over both levels', () => {
    const inc = incidents(3, 2, 60);
    const pts = hourly({
      days: 60,
      rps: 30,
      rate: (h) => (h >= 30 * 24 ? 0.0005 : 0.004) + (inc.get(h) ?? 0),
      seed: 3,
    });
    const days = toDays(pts);
    const change = detectRegimeChange(days);
    expect(change?.index).toBe(30);
    expect(change?.ratio).toBeLessThan(0.2);
    const current = analyseAvailability({ days, incidentPool: [0.002, 0.01, 0.03] });
    const mixed = analyseAvailability({ days, incidentPool: [0.002, 0.01, 0.03], regime: false });
    expect(current.regimeChange?.index).toBe(30);
    expect(mixed.regimeChange).toBeUndefined();
    // Half the history at 0.4% errors (recency-weighted, so less than half the weight) costs the
    // mixed forecast several hundredths of a point.
    expect(current.tiers.balanced.target - mixed.tiers.balanced.target).toBeGreaterThanOrEqual(0.05);
    expect(current.tiers.balanced.target).toBeLessThanOrEqual(99.95);
    expect(current.observed).toBe(mixed.observed);
  });

  it('places a regression inside its day: the last twelve hours are read at their own rate', () => {
    const stepHour = 59 * 24 + 12;
    const pts = hourly({ days: 60, rps: 30, rate: (h) => (h >= stepHour ? 0.005 : 0.001), seed: 8 });
    const change = detectRegimeChange(toDays(pts));
    expect(change?.index).toBe(59);
    // The day's rate mixes 12 hours at 0.1% with 12 at 0.5%; the new level is read from the later.
    expect(change?.after).toBeGreaterThan(0.0045);
    expect(change?.after).toBeLessThan(0.0055);
    const last = pts.filter((p) => p.start.getTime() >= T0 + stepHour * HOUR).reduce((s, p) => s + p.total, 0);
    const day = pts.filter((p) => p.start.getTime() >= T0 + 59 * 24 * HOUR).reduce((s, p) => s + p.total, 0);
    expect(change?.share).toBeCloseTo(last / day, 2);
    // Moved to the new level, the history's first 59 days and the first half of the last all sit
    // at ~0.5%.
    const moved = toCurrentRegime(toDays(pts), change);
    const bad = moved.reduce((s, d) => s + d.total - d.good, 0);
    const total = moved.reduce((s, d) => s + d.total, 0);
    expect(bad / total).toBeGreaterThan(0.0045);
    expect(bad / total).toBeLessThan(0.0055);
  });

  it('a regression on the last day lowers the targets to what the new level allows', () => {
    const pts = hourly({ days: 60, rps: 30, rate: (h) => (h >= 59 * 24 ? 0.005 : 0.001), seed: 4 });
    const days = toDays(pts);
    const current = analyseAvailability({ days });
    const mixed = analyseAvailability({ days, regime: false });
    // At 0.5% errors a 30-day period is at most 99.5%; the mixed history (one day in 60) promises more.
    expect(mixed.tiers.balanced.target).toBeGreaterThan(99.7);
    expect(current.tiers.balanced.target).toBeLessThanOrEqual(99.52);
  });

  it('keeps the incidents of the days before the change when moving them to the new level', () => {
    const days = toDays(
      hourly({ days: 40, rps: 30, rate: (h) => (h >= 30 * 24 ? 0.004 : 0.001) + (h === 100 ? 0.9 : 0), seed: 5 }),
    );
    const change = detectRegimeChange(days);
    if (!change) throw new Error('no change found');
    const moved = toCurrentRegime(days, change);
    const excess = (d: (typeof days)[number]) => d.total - d.good - (d.base ?? 0);
    // Day 4 holds the incident (hour 100): its excess over the baseline is unchanged.
    expect(excess(moved[4] as (typeof days)[number])).toBeCloseTo(excess(days[4] as (typeof days)[number]), 6);
    for (let i = 0; i < 30; i++) {
      const d = moved[i] as (typeof days)[number];
      expect((d.base ?? 0) / d.total).toBeCloseTo((days[i]?.base ?? 0) / d.total + change.after - change.before, 9);
    }
    // Days of the current regime are untouched.
    for (let i = 30; i < 40; i++) expect(moved[i]).toEqual(days[i]);
  });

  it('finds nothing in steady histories with incidents, at any traffic (no false alarms)', () => {
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rand = seededRandom(seed * 31);
      const rps = Math.exp(Math.log(0.02) + rand() * (Math.log(300) - Math.log(0.02)));
      const rate = Math.exp(Math.log(1e-5) + rand() * (Math.log(2e-3) - Math.log(1e-5)));
      const inc = incidents(seed, Math.floor(rand() * 6), 60);
      const days = toDays(hourly({ days: 60, rps, rate: (h) => rate + (inc.get(h) ?? 0), seed }));
      expect(detectRegimeChange(days), `seed ${seed}, ${rps.toFixed(2)} rps, rate ${rate.toExponential(1)}`).toBe(
        undefined,
      );
      checked++;
    }
    expect(checked).toBe(40);
  });

  it('does not take a bad last day or two (incidents for eight hours a day) for a regression', () => {
    for (const lastDays of [1, 2]) {
      const bad = (h: number) => h >= (60 - lastDays) * 24 && [2, 3, 7, 8, 13, 14, 20, 21].includes(h % 24);
      const pts = hourly({ days: 60, rps: 30, rate: (h) => 0.001 + (bad(h) ? 0.05 : 0), seed: 9 + lastDays });
      const days = toDays(pts);
      // The trimmed daily rate of those days is well up: the quieter half of their hours is not.
      expect((days[59]?.base ?? 0) / (days[59]?.total ?? 1)).toBeGreaterThan(0.005);
      expect(detectRegimeChange(days)).toBeUndefined();
    }
  });

  it('reads daily counts at day level: a step that has lasted three days, not two bad days', () => {
    const daily = (stepAt: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        start: new Date(T0 + i * 24 * HOUR),
        good: 1_000_000 - (i >= stepAt ? 4000 : 1000) - (i === 12 ? 20_000 : 0),
        total: 1_000_000,
      }));
    const days = toDays(daily(30, 40));
    expect(days.every((d) => d.base === undefined)).toBe(true);
    const change = detectRegimeChange(days);
    expect(change?.index).toBe(30);
    expect(change?.ratio).toBeCloseTo(4, 1);
    // Moved to the new level, the days before keep their incident (day 12) on top of it.
    const moved = toCurrentRegime(days, change);
    expect(moved[5]?.good).toBe(1_000_000 - 4000);
    expect(moved[12]?.good).toBe(1_000_000 - 4000 - 20_000);
    expect(detectRegimeChange(toDays(daily(37, 40)))?.index).toBe(37);
    expect(detectRegimeChange(toDays(daily(38, 40)))).toBeUndefined();
  });

  it('finds nothing in the daily sums of steady histories with incidents (no false alarms at day level)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = seededRandom(seed * 31);
      const rps = Math.exp(Math.log(0.02) + rand() * (Math.log(300) - Math.log(0.02)));
      const rate = Math.exp(Math.log(1e-5) + rand() * (Math.log(2e-3) - Math.log(1e-5)));
      const inc = incidents(seed, Math.floor(rand() * 6), 60);
      const days = toDays(hourly({ days: 60, rps, rate: (h) => rate + (inc.get(h) ?? 0), seed })).map(
        ({ day, good, total, hours }) => ({ day, good, total, hours }),
      );
      expect(detectRegimeChange(days), `seed ${seed}`).toBeUndefined();
    }
  });

  it('is reported in the recommendation: when, how large, and a warning for a regression', () => {
    const availability = hourly({ days: 45, rps: 30, rate: (h) => (h >= 40 * 24 ? 0.004 : 0.001), seed: 6 });
    const out = recommend({
      service: 'checkout',
      archetype: 'backend_service',
      range: { start: new Date(T0), end: new Date(T0 + 45 * 24 * HOUR) },
      availability,
      latency: [],
      graph: { nodes: new Map(), edges: new Map() },
      sliTypes: ['availability'],
      seed: 1,
    });
    const rec = out.recommendations[0];
    if (rec?.sli_type !== 'availability') throw new Error('no availability recommendation');
    expect(rec.explanation.regime_change?.since).toBe(new Date(T0 + 40 * 24 * HOUR).toISOString().slice(0, 10));
    expect(rec.explanation.regime_change?.error_rate_after).toBeGreaterThan(0.33);
    expect(rec.explanation.regime_change?.error_rate_after).toBeLessThan(0.47);
    expect(rec.explanation.warnings.some((w) => w.startsWith('error rate stepped up'))).toBe(true);
    expect(rec.explanation.summary).toContain('the forecast starts from the current level');
    expect(rec.tiers.balanced.target).toBeLessThanOrEqual(99.6);
  });
});
