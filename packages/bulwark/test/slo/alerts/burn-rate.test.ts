import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BURN_RATE_WINDOW_SPECS,
  burnRateFactor,
  burnRateWindows,
  durationMinutes,
  generatePrometheusRules,
  type SloDefinition,
  sliWindows,
} from '../../../src/slo/alerts/index.js';

// The workbook's policy in words: page when 2% of the budget burns in 1 hour or 5% in 6 hours;
// ticket when 10% burns in 1 day or 10% in 3 days.
const POLICY = [
  { severity: 'page', share: 2 / 100, hours: 1 },
  { severity: 'page', share: 5 / 100, hours: 6 },
  { severity: 'ticket', share: 10 / 100, hours: 24 },
  { severity: 'ticket', share: 10 / 100, hours: 3 * 24 },
] as const;

function expectedFactors(days: number): number[] {
  // Spending `share` of a budget meant for `days` days within `hours` hours is a burn rate of
  // share × (period hours) / hours.
  return POLICY.map((p) => (p.share * days * 24) / p.hours);
}

describe('burn-rate factors', () => {
  it('for 30 days are the workbook values 14.4, 6, 3 and 1', () => {
    const factors = burnRateWindows('30d').map((w) => w.factor);
    const published = [14.4, 6, 3, 1];
    factors.forEach((f, i) => {
      expect(f).toBeCloseTo(published[i] as number, 10);
      expect(f).toBeCloseTo(expectedFactors(30)[i] as number, 10);
    });
  });

  it('for 28 days follow from the same policy (2% of 672 h in 1 h = 13.44, …), not from the 30-day values', () => {
    const factors = burnRateWindows('28d').map((w) => w.factor);
    const expected = expectedFactors(28);
    factors.forEach((f, i) => {
      expect(f).toBeCloseTo(expected[i] as number, 9);
    });
    expect(factors[0]).toBeCloseTo(0.02 * 672, 9);
    expect(factors).not.toEqual(burnRateWindows('30d').map((w) => w.factor));
  });

  it('pair page and ticket severities with long windows of 1h, 6h, 1d, 3d and short windows of a twelfth', () => {
    const windows = burnRateWindows('30d');
    expect(windows.map((w) => w.severity)).toEqual(POLICY.map((p) => p.severity));
    expect(windows.map((w) => durationMinutes(w.longWindow))).toEqual(POLICY.map((p) => p.hours * 60));
    for (const w of windows) expect(durationMinutes(w.shortWindow) * 12).toBe(durationMinutes(w.longWindow));
  });

  it('always spend exactly the budget share within the long window', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.integer({ min: 24, max: 24 * 400 }),
        fc.integer({ min: 1, max: 24 * 7 }),
        (share, periodHours, longHours) => {
          const factor = burnRateFactor(share, periodHours, longHours);
          expect((factor * longHours) / periodHours).toBeCloseTo(share, 8);
        },
      ),
    );
  });

  it('are the thresholds of the generated alert expressions, times the error budget', () => {
    for (const period of ['28d', '30d'] as const) {
      const def: SloDefinition = {
        service: 'checkout',
        period,
        objectives: [{ name: 'availability', sli: { kind: 'availability' }, target: 99.5 }],
      };
      const alerts = generatePrometheusRules(def).groups.flatMap((g) => g.rules.filter((r) => r.alert));
      const page = alerts.find((r) => r.alert?.endsWith('BurnRatePage'));
      const ticket = alerts.find((r) => r.alert?.endsWith('BurnRateTicket'));
      const thresholds = (expr: string, window: string) =>
        [...expr.matchAll(new RegExp(`ratio_rate${window}\\{[^}]*\\} > \\(([0-9.]+) \\* ([0-9.]+)\\)`, 'g'))].map(
          (m) => [Number(m[1]), Number(m[2])],
        );
      const expected = expectedFactors(period === '28d' ? 28 : 30);
      const check = (expr: string, windows: [string, string], factor: number) => {
        for (const w of windows) {
          const found = thresholds(expr, w);
          expect(found).toHaveLength(1);
          expect(found[0]?.[0]).toBeCloseTo(factor, 9);
          expect(found[0]?.[1]).toBeCloseTo(0.005, 12);
        }
      };
      check(page?.expr ?? '', ['1h', '5m'], expected[0] as number);
      check(page?.expr ?? '', ['6h', '30m'], expected[1] as number);
      check(ticket?.expr ?? '', ['1d', '2h'], expected[2] as number);
      check(ticket?.expr ?? '', ['3d', '6h'], expected[3] as number);
    }
  });
});

describe('SLI windows', () => {
  it('cover every alert window, shortest first, then the period', () => {
    for (const period of ['28d', '30d'] as const) {
      const windows = sliWindows(period);
      expect(windows.at(-1)).toBe(period);
      const alertWindows = BURN_RATE_WINDOW_SPECS.flatMap((w) => [w.longWindow, w.shortWindow]);
      for (const w of alertWindows) expect(windows).toContain(w);
      const minutes = windows.slice(0, -1).map(durationMinutes);
      expect([...minutes].sort((a, b) => a - b)).toEqual(minutes);
    }
  });
});
