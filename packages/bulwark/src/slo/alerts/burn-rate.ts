/**
 * Multi-window, multi-burn-rate alert windows (Google SRE workbook, "Alerting on SLOs", §6).
 * Each window pair alerts when a share of the period's error budget would be consumed within the
 * long window; the short window (1/12 of the long one) confirms the burn is still happening, so
 * the alert resets quickly once it stops. Factors are derived from the period, never hard-coded.
 */
import { roundNumber } from './promql.js';
import { PERIOD_HOURS, type SloPeriod } from './types.js';

/**
 * Alert severity: page (wake someone) or ticket (handle in working hours).
 *
 * @example
 * ```ts
 * const s: BurnSeverity = 'page';
 * ```
 */
export type BurnSeverity = 'page' | 'ticket';

/**
 * A window pair before the period is known.
 *
 * @example
 * ```ts
 * const w: BurnRateWindowSpec = {
 *   severity: 'page', longWindow: '1h', longWindowHours: 1, shortWindow: '5m', budgetConsumed: 0.02,
 * };
 * ```
 */
export interface BurnRateWindowSpec {
  severity: BurnSeverity;
  /** Prometheus duration of the long window, e.g. `1h`. */
  longWindow: string;
  longWindowHours: number;
  /** Prometheus duration of the short (confirmation) window, e.g. `5m`. */
  shortWindow: string;
  /** Share of the period's error budget consumed within the long window when the alert fires. */
  budgetConsumed: number;
}

/**
 * A window pair with its burn-rate factor for a period.
 *
 * @example
 * ```ts
 * burnRateWindows('30d')[0]; // => { severity: 'page', longWindow: '1h', shortWindow: '5m', factor: 14.4, … }
 * ```
 */
export interface BurnRateWindow extends BurnRateWindowSpec {
  /** Burn rate at which `budgetConsumed` of the budget is spent within the long window. */
  factor: number;
}

/**
 * The workbook's four window pairs: page 2% in 1h and 5% in 6h, ticket 10% in 1d and 10% in 3d.
 *
 * @example
 * ```ts
 * BURN_RATE_WINDOW_SPECS.map((w) => `${w.longWindow}/${w.shortWindow}`); // => ['1h/5m', '6h/30m', '1d/2h', '3d/6h']
 * ```
 */
export const BURN_RATE_WINDOW_SPECS: readonly BurnRateWindowSpec[] = Object.freeze([
  { severity: 'page', longWindow: '1h', longWindowHours: 1, shortWindow: '5m', budgetConsumed: 0.02 },
  { severity: 'page', longWindow: '6h', longWindowHours: 6, shortWindow: '30m', budgetConsumed: 0.05 },
  { severity: 'ticket', longWindow: '1d', longWindowHours: 24, shortWindow: '2h', budgetConsumed: 0.1 },
  { severity: 'ticket', longWindow: '3d', longWindowHours: 72, shortWindow: '6h', budgetConsumed: 0.1 },
]);

/**
 * The burn-rate factor: budget consumed × period hours ÷ long-window hours.
 *
 * @example
 * ```ts
 * burnRateFactor(0.02, 720, 1); // => 14.4
 * burnRateFactor(0.02, 672, 1); // => 13.44
 * ```
 */
export function burnRateFactor(budgetConsumed: number, periodHours: number, longWindowHours: number): number {
  return roundNumber((budgetConsumed * periodHours) / longWindowHours);
}

/**
 * The four window pairs with their factors for a period (30d: 14.4, 6, 3, 1; 28d: 13.44, 5.6, 2.8, 0.9333…).
 *
 * @example
 * ```ts
 * burnRateWindows('30d').map((w) => w.factor); // => [14.4, 6, 3, 1]
 * ```
 */
export function burnRateWindows(period: SloPeriod): BurnRateWindow[] {
  const hours = PERIOD_HOURS[period];
  return BURN_RATE_WINDOW_SPECS.map((w) => ({
    ...w,
    factor: burnRateFactor(w.budgetConsumed, hours, w.longWindowHours),
  }));
}

/**
 * Every window an SLI must be recorded over for the alerts, shortest first, followed by the period.
 *
 * @example
 * ```ts
 * sliWindows('30d'); // => ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']
 * ```
 */
export function sliWindows(period: SloPeriod): string[] {
  const byLength = new Map<string, number>();
  for (const w of BURN_RATE_WINDOW_SPECS) {
    byLength.set(w.longWindow, w.longWindowHours * 60);
    byLength.set(w.shortWindow, durationMinutes(w.shortWindow));
  }
  return [...byLength.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([w]) => w)
    .concat(period);
}

/**
 * Minutes in a simple Prometheus duration (`5m`, `2h`, `3d`, `4w`).
 *
 * @example
 * ```ts
 * durationMinutes('2h'); // => 120
 * ```
 */
export function durationMinutes(duration: string): number {
  const m = /^(\d+)([mhdw])$/.exec(duration);
  if (!m) throw new RangeError(`unsupported duration: ${duration}`);
  const unit = { m: 1, h: 60, d: 1440, w: 10080 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
