import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../../src/errors.js';
import type { ActiveSlo } from '../../../src/slo/lifecycle/types.js';
import { DEFAULT_QUERIES, fromActiveSlo, validateSloDefinition } from '../../../src/slo/alerts/index.js';

function active(targets: ActiveSlo['targets']): ActiveSlo {
  return {
    id: 'slo-7',
    service_id: 'svc-7',
    targets,
    source: 'recommendation_accepted',
    recommendation_id: 'rec-7',
    selected_tier: 'balanced',
    activated_at: new Date('2026-02-01T00:00:00Z'),
    activated_by: 'jane@example.com',
  };
}

describe('fromActiveSlo', () => {
  it('maps availability to its percent, and p99 / p95 latency to 99% / 95% of requests under the threshold', () => {
    const def = fromActiveSlo(active({ availability: 99.95, latency_p99_ms: 800, latency_p95_ms: 300 }), 'checkout');
    expect(def).toEqual({
      service: 'checkout',
      period: '30d',
      objectives: [
        { name: 'availability', sli: { kind: 'availability' }, target: 99.95 },
        { name: 'latency-p99', sli: { kind: 'latency', thresholdMs: 800 }, target: 99 },
        { name: 'latency-p95', sli: { kind: 'latency', thresholdMs: 300 }, target: 95 },
      ],
    });
    expect(validateSloDefinition(def)).toEqual([]);
  });

  it('includes only the targets the SLO has', () => {
    const def = fromActiveSlo(active({ latency_p95_ms: 120 }), 'search');
    expect(def.objectives.map((o) => o.name)).toEqual(['latency-p95']);
  });

  it('applies period, team, labels, query overrides and low-traffic protection', () => {
    const def = fromActiveSlo(active({ availability: 99.5 }), 'checkout', {
      period: '28d',
      team: 'payments',
      labels: { tier: '1' },
      queries: { serviceLabel: 'app' },
      minEventsPerHour: 30,
    });
    expect(def).toMatchObject({
      period: '28d',
      team: 'payments',
      labels: { tier: '1' },
      queries: { ...DEFAULT_QUERIES, serviceLabel: 'app' },
      minEventsPerHour: 30,
    });
  });

  it('refuses an SLO without targets', () => {
    try {
      fromActiveSlo(active({}), 'checkout');
      expect.unreachable('an SLO without targets was accepted');
    } catch (err) {
      expect(isBulwarkError(err) && err.code).toBe('validation_failed');
    }
  });
});
