import { describe, expect, it } from 'vitest';
import { steadyStateOk } from '../../../src/chaos/analyzer/steady-state.js';
import type { Sample } from '../../../src/chaos/analyzer/types.js';

const limits = { max_error_rate: 0.01, max_p99_ms: 500 };
const sample = (status_counts: Record<string, number>, p99?: number): Sample => {
  const s: Sample = { requests: Object.values(status_counts).reduce((a, b) => a + b, 0), status_counts };
  if (p99 !== undefined) s.latency_ms = { p50: 10, p99 };
  return s;
};

describe('steadyStateOk', () => {
  it('accepts a healthy window, including at the limits', () => {
    expect(steadyStateOk(sample({ '200': 990, '500': 10 }, 500), limits)).toEqual({ ok: true, reasons: [] });
  });

  it('rejects a window whose error rate exceeds the limit, counting transport errors', () => {
    expect(steadyStateOk(sample({ '200': 980, '503': 20 }, 100), limits)).toEqual({
      ok: false,
      reasons: ['error rate 2.00% exceeds 1.00%'],
    });
    expect(steadyStateOk(sample({ '200': 980, error: 20 }, 100), limits).ok).toBe(false);
  });

  it('does not count 4xx as errors', () => {
    expect(steadyStateOk(sample({ '200': 900, '404': 100 }, 100), limits).ok).toBe(true);
  });

  it('rejects a slow window', () => {
    expect(steadyStateOk(sample({ '200': 100 }, 501), limits)).toEqual({
      ok: false,
      reasons: ['p99 501 ms exceeds 500 ms'],
    });
    const samples = Array.from({ length: 100 }, (_, i) => (i < 95 ? 10 : 900));
    expect(steadyStateOk({ ...sample({ '200': 100 }), latency_ms: { samples } }, limits).ok).toBe(false);
  });

  it('fails safe when health cannot be shown', () => {
    expect(steadyStateOk({ requests: 0, status_counts: {} }, {}).reasons).toEqual(['no requests observed']);
    expect(steadyStateOk(sample({ '200': 100 }), limits)).toEqual({
      ok: false,
      reasons: ['no latency data to check p99'],
    });
    expect(steadyStateOk(undefined, limits).ok).toBe(false);
    expect(steadyStateOk(sample({ '200': 100 }, 10), { max_error_rate: Number.NaN }).reasons).toEqual([
      'invalid max_error_rate NaN',
    ]);
  });

  it('checks only the limits given', () => {
    expect(steadyStateOk(sample({ '200': 50, '500': 50 }), { max_p99_ms: 1000 }).reasons).toEqual([
      'no latency data to check p99',
    ]);
    expect(steadyStateOk(sample({ '200': 100 }), {}).ok).toBe(true);
  });
});
