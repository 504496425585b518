import { seededRandom } from '@bulwark/resilience';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFault, type InstalledRule, isActive, matchesRequest } from '../../../src/chaos/executor/rules.js';
import type { FaultPlan } from '../../../src/chaos/space/plan.js';

const plan = (extra: Partial<FaultPlan> = {}): FaultPlan => ({
  target_service: 's',
  fault: { type: 'abort', abort_status: 503 },
  percentage: 100,
  start_delay_s: 0,
  duration_s: 10,
  ...extra,
});
const req = { method: 'GET', path: '/a/b?q=1', headers: { 'x-t': 'v' } };

describe('fault rules', () => {
  it('matches by method (case-insensitive, * = any), path prefix (query ignored) and exact headers', () => {
    expect(matchesRequest(undefined, req)).toBe(true);
    expect(matchesRequest({ method: 'get' }, req)).toBe(true);
    expect(matchesRequest({ method: '*' }, req)).toBe(true);
    expect(matchesRequest({ method: 'POST' }, req)).toBe(false);
    expect(matchesRequest({ path_prefix: '/a/' }, req)).toBe(true);
    expect(matchesRequest({ path_prefix: '/a/b?' }, req)).toBe(false);
    expect(matchesRequest({ headers: { 'X-T': 'v' } }, req)).toBe(true);
    expect(matchesRequest({ headers: { 'x-t': 'V' } }, req)).toBe(false);
    expect(matchesRequest({ headers: { 'x-missing': '' } }, req)).toBe(false);
  });

  it('is active exactly in [installed + start_delay, + duration)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: -5000, max: 300_000 }),
        (start, dur, offset) => {
          const rule: InstalledRule = { plan: plan({ start_delay_s: start, duration_s: dur }), installedAt: 1e12 };
          const expected = offset >= start * 1000 && offset < (start + dur) * 1000;
          expect(isActive(rule, 1e12 + offset)).toBe(expected);
        },
      ),
    );
  });

  it('fires with frequency ≈ percentage / 100', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer(), (percentage, seed) => {
        const rules = [{ plan: plan({ percentage }), installedAt: 0 }];
        const random = seededRandom(seed);
        let fired = 0;
        const n = 2000;
        for (let i = 0; i < n; i += 1) if (decideFault(rules, req, 1, random)) fired += 1;
        const p = percentage / 100;
        const sd = Math.sqrt(n * p * (1 - p));
        expect(Math.abs(fired - n * p)).toBeLessThanOrEqual(5 * sd + 1);
      }),
      { numRuns: 30 },
    );
  });

  it('lets the first firing rule decide, with defaults for missing status and delay', () => {
    const rules: InstalledRule[] = [
      { plan: plan({ match: { method: 'POST' } }), installedAt: 0 },
      { plan: plan({ fault: { type: 'both' } }), installedAt: 0 },
      { plan: plan({ fault: { type: 'delay', delay_ms: 5 } }), installedAt: 0 },
    ];
    expect(decideFault(rules, req, 1, () => 0)).toEqual({ rule: 1, type: 'both', delayMs: 100, abortStatus: 503 });
    expect(decideFault(rules.slice(2), req, 1, () => 0)).toEqual({ rule: 0, type: 'delay', delayMs: 5 });
    expect(decideFault(rules, req, 20_000, () => 0)).toBeUndefined();
  });
});
