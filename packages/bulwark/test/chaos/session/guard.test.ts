import { describe, expect, it } from 'vitest';
import { analyzeObservation } from '../../../src/chaos/analyzer/index.js';
import {
  baselineVerdict,
  describePlans,
  recoveryFailure,
  recoveryVerdict,
  steadyStateFailure,
  summarizeObservation,
} from '../../../src/chaos/session/guard.js';
import { initialTrials } from '../../../src/chaos/session/handler.js';
import { taskTimeoutMinutes } from '../../../src/chaos/session/service.js';
import type { FaultPlan } from '../../../src/chaos/space/plan.js';
import { sample } from './support.js';

const plan: FaultPlan = {
  target_service: 'payment',
  fault: { type: 'delay', delay_ms: 600 },
  percentage: 100,
  start_delay_s: 0,
  duration_s: 30,
};

describe('session guard rails (pure)', () => {
  it('baseline: steady only within the limits', () => {
    expect(baselineVerdict({ baseline: sample(100, 0), during: sample(100, 50) }, { max_error_rate: 0 }).ok).toBe(true);
    const bad = baselineVerdict({ baseline: sample(100, 5), during: sample(100, 50) }, { max_error_rate: 0.01 });
    expect(bad.ok).toBe(false);
    expect(bad.reasons.join()).toMatch(/error rate 5\.00% exceeds 1\.00%/);
    // Fail-safe: no baseline at all is not a steady state.
    expect(baselineVerdict({ during: sample(10, 0) }, {}).ok).toBe(false);
    expect(baselineVerdict({ baseline: sample(100, 0, 900), during: sample(1, 0) }, { max_p99_ms: 500 }).ok).toBe(
      false,
    );
  });

  it('recovery: a fault that keeps failing after it is cleared is not recovered (max_error_rate 0)', () => {
    const obs = { baseline: sample(50, 0), during: sample(50, 40), recovery: sample(50, 10) };
    const v = recoveryVerdict(obs, analyzeObservation(obs), { max_error_rate: 0 });
    expect(v.recovered).toBe(false);
    expect(v.reasons.join('; ')).toMatch(/exceeds 0\.00%/);
    const healed = { baseline: sample(50, 0), during: sample(50, 40), recovery: sample(50, 0) };
    expect(recoveryVerdict(healed, analyzeObservation(healed), { max_error_rate: 0 }).recovered).toBe(true);
    expect(recoveryVerdict({ during: sample(5, 5) }, { recovered: false }, {}).recovered).toBeNull();
  });

  it('failure reasons name the trial and the plan', () => {
    expect(steadyStateFailure(3, ['no requests observed'])).toBe(
      'steady state not reached before trial 3 (no requests observed)',
    );
    expect(recoveryFailure(4, [plan], ['x'])).toBe(
      'system did not recover after trial 4 (plan payment delay 600ms 100%): x',
    );
    expect(describePlans([])).toBe('no faults');
  });

  it('summaries keep counts and p99 per phase, never raw samples', () => {
    const s = summarizeObservation({
      baseline: { requests: 3, status_counts: { '200': 3 }, latency_ms: { samples: [1, 2, 3] } },
      during: sample(10, 5),
    });
    expect(s.baseline).toMatchObject({ requests: 3, status_counts: { '200': 3 }, error_rate: 0 });
    expect(s.during).toMatchObject({ requests: 10, error_rate: 0.5, p99_ms: 20 });
    expect(JSON.stringify(s)).not.toContain('samples');
    expect(s.recovery).toBeUndefined();
  });

  it('budget helpers', () => {
    expect(initialTrials(12)).toBe(3);
    expect(initialTrials(60)).toBe(10);
    expect(initialTrials(1)).toBe(2);
    const load = { rps: 20, path: '/', method: 'GET', duration_s: 2, baseline_s: 1, recovery_s: 1 };
    const guard = { steady_state_retries: 2, require_recovery: false, retry_pause_s: 5 };
    expect(taskTimeoutMinutes({ max_trials: 60, max_minutes: 60 }, load, guard)).toBeGreaterThan(60);
    const long = taskTimeoutMinutes({ max_trials: 60, max_minutes: 170 }, load, guard);
    expect(long).toBeGreaterThan(170);
    expect(long).toBeLessThanOrEqual(180);
  });
});
