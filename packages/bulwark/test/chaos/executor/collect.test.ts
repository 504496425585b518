import { describe, expect, it } from 'vitest';
import { phaseSample, type Telemetry } from '../../../src/chaos/executor/collect.js';
import type { LoadResult } from '../../../src/chaos/executor/load.js';

const load: LoadResult = {
  requests: 2,
  status_counts: { '200': 1, error: 1 },
  latencies_ms: [5, 3000],
  started_at: 1000,
  ended_at: 2000,
};
const span = (trace: string, extra: Record<string, unknown> = {}) => ({
  trace_id: trace,
  span_id: `${trace}-s`,
  service: 'a',
  operation: 'GET /',
  duration_ms: 1,
  start_ms: 1500,
  ...extra,
});

describe('phase samples', () => {
  it('keeps the phase’s spans (analyzer fields only) and ERROR logs, by request id or by time', () => {
    const telemetry: Telemetry = {
      spans: [
        span('run-d-1', { attributes: { fault: 'abort' }, status: 503, parent_id: 'p' }),
        span('run-b-1'),
        span('run-d-10'),
      ],
      logs: [
        { ts: 1500, level: 'ERROR', service: 'a', message: 'boom', request_id: 'run-d-1' },
        { ts: 1500, level: 'WARN', service: 'a', message: 'meh', request_id: 'run-d-1' },
        { ts: 1500, level: 'ERROR', service: 'a', message: 'other phase', request_id: 'run-b-1' },
        { ts: 1600, level: 'ERROR', service: 'b', message: 'no id, in window' },
        { ts: 2600, level: 'ERROR', service: 'b', message: 'no id, after window' },
      ],
      warnings: [],
    };
    const sample = phaseSample(load, 'run-d', telemetry);
    expect(sample).toEqual({
      requests: 2,
      status_counts: { '200': 1, error: 1 },
      latency_ms: { samples: [5, 3000] },
      spans: [
        {
          trace_id: 'run-d-1',
          span_id: 'run-d-1-s',
          parent_id: 'p',
          service: 'a',
          operation: 'GET /',
          status: 503,
          duration_ms: 1,
        },
        { trace_id: 'run-d-10', span_id: 'run-d-10-s', service: 'a', operation: 'GET /', duration_ms: 1 },
      ],
      error_logs: [
        { level: 'ERROR', message: 'boom', service: 'a' },
        { level: 'ERROR', message: 'no id, in window', service: 'b' },
      ],
    });
  });
});
