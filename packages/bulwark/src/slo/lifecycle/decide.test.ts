import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { decide, modificationDelta } from './decide.js';
import type { ActiveSlo, RecommendationForDecision } from './types.js';

const now = new Date('2026-02-14T11:00:00Z');
const availabilityRec: RecommendationForDecision = {
  id: 'rec-1',
  service_id: 'checkout',
  sli_type: 'availability',
  status: 'active',
  expires_at: new Date('2026-02-15T10:30:00Z'),
  tiers: { conservative: { target: 99.5 }, balanced: { target: 99.9 }, aggressive: { target: 99.95 } },
};
const latencyRec: RecommendationForDecision = {
  id: 'rec-2',
  service_id: 'checkout',
  sli_type: 'latency',
  status: 'active',
  expires_at: new Date('2026-02-15T10:30:00Z'),
  tiers: {
    conservative: { target_ms: 1200, percentile: 'p99.9' },
    balanced: { target_ms: 800, percentile: 'p99' },
    aggressive: { target_ms: 500, percentile: 'p95' },
  },
};
const base = { actor: 'jane@example.com', serviceId: 'checkout', current: undefined, now };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isBulwarkError(err) ? err.code : 'not-a-bulwark-error';
  }
  return undefined;
}

describe('decide', () => {
  it('accepting a tier activates exactly its target', () => {
    const d = decide({
      ...base,
      recommendation: availabilityRec,
      request: { action: 'accept', recommendation_id: 'rec-1', selected_tier: 'balanced' },
    });
    expect(d.next).toMatchObject({
      targets: { availability: 99.9 },
      source: 'recommendation_accepted',
      selected_tier: 'balanced',
    });
    expect(d.modification_delta).toBeNull();
    expect(d.audit).toMatchObject({ action: 'accept', actor: 'jane@example.com', recommendation_id: 'rec-1' });
  });

  it('modifying records the signed delta from the recommended value', () => {
    const d = decide({
      ...base,
      recommendation: availabilityRec,
      request: {
        action: 'modify',
        recommendation_id: 'rec-1',
        selected_tier: 'balanced',
        modifications: { availability: 99.95, latency_p99_ms: 600 },
        rationale: 'adding a fallback provider',
      },
    });
    expect(d.next?.targets).toEqual({ availability: 99.95, latency_p99_ms: 600 });
    expect(d.next?.source).toBe('recommendation_modified');
    expect(d.modification_delta).toEqual({
      availability: '+0.05 from recommended 99.9',
      latency_p99_ms: 'set to 600 (not part of the recommendation)',
    });
  });

  it('accepting a latency tier keeps the active availability target', () => {
    const current: ActiveSlo = {
      id: 's1',
      service_id: 'checkout',
      targets: { availability: 99.9 },
      source: 'recommendation_accepted',
      recommendation_id: 'rec-1',
      selected_tier: 'balanced',
      activated_at: now,
      activated_by: 'x',
    };
    const d = decide({
      ...base,
      current,
      recommendation: latencyRec,
      request: { action: 'accept', recommendation_id: 'rec-2', selected_tier: 'aggressive' },
    });
    expect(d.next?.targets).toEqual({ availability: 99.9, latency_p95_ms: 500 });
  });

  it('rejecting keeps the current SLO and requires a rationale', () => {
    const req = { action: 'reject' as const, recommendation_id: 'rec-1' };
    expect(codeOf(() => decide({ ...base, recommendation: availabilityRec, request: req }))).toBe('validation_failed');
    const d = decide({ ...base, recommendation: availabilityRec, request: { ...req, rationale: 'too strict for Q1' } });
    expect(d.next).toBeUndefined();
    expect(d.audit.rationale).toBe('too strict for Q1');
  });

  it('refuses expired, superseded, foreign and unknown recommendations with the right codes', () => {
    const req = { action: 'accept' as const, recommendation_id: 'rec-1', selected_tier: 'balanced' as const };
    const expired = { ...availabilityRec, expires_at: new Date(now.getTime() - 1) };
    expect(codeOf(() => decide({ ...base, recommendation: expired, request: req }))).toBe('conflict');
    const superseded = { ...availabilityRec, status: 'superseded' as const };
    expect(codeOf(() => decide({ ...base, recommendation: superseded, request: req }))).toBe('conflict');
    const foreign = { ...availabilityRec, service_id: 'payments' };
    expect(codeOf(() => decide({ ...base, recommendation: foreign, request: req }))).toBe('validation_failed');
    expect(codeOf(() => decide({ ...base, recommendation: undefined, request: req }))).toBe('not_found');
  });

  it('requires a tier to accept and modifications to modify', () => {
    expect(
      codeOf(() =>
        decide({ ...base, recommendation: availabilityRec, request: { action: 'accept', recommendation_id: 'rec-1' } }),
      ),
    ).toBe('validation_failed');
    expect(
      codeOf(() =>
        decide({
          ...base,
          recommendation: availabilityRec,
          request: { action: 'modify', recommendation_id: 'rec-1', selected_tier: 'balanced', modifications: {} },
        }),
      ),
    ).toBe('validation_failed');
  });

  it('manual SLOs need targets and a rationale and carry no recommendation', () => {
    expect(
      codeOf(() => decide({ ...base, recommendation: undefined, request: { action: 'manual', rationale: 'x' } })),
    ).toBe('validation_failed');
    const d = decide({
      ...base,
      recommendation: undefined,
      request: { action: 'manual', modifications: { availability: 99.5 }, rationale: 'contractual SLA' },
    });
    expect(d.next).toMatchObject({ source: 'manual', recommendation_id: null, targets: { availability: 99.5 } });
  });
});

describe('modificationDelta', () => {
  it('is empty when nothing changes and signed otherwise', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 90, max: 99.999, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        (r, d) => {
          const m = Number((r + d).toFixed(4));
          const out = modificationDelta({ availability: r }, { availability: m });
          if (m === r) expect(out).toEqual({});
          else expect(out.availability).toMatch(m > r ? /^\+/ : /^-/);
        },
      ),
    );
  });
});
