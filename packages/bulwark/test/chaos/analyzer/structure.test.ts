import { describe, expect, it } from 'vitest';
import { MIN_BASELINE_SHARE, scoreStructure, summarizeTraces } from '../../../src/chaos/analyzer/structure.js';
import type { Sample, Span } from '../../../src/chaos/analyzer/types.js';

type Call = { service: string; operation: string; calls?: Call[]; repeat?: number };

/** Builds `count` identical traces from a call tree; `repeat` duplicates a call under the same parent. */
function traces(prefix: string, count: number, root: Call): Span[] {
  const spans: Span[] = [];
  for (let t = 0; t < count; t += 1) {
    let next = 0;
    const trace_id = `${prefix}-${t}`;
    const emit = (call: Call, parent_id?: string): void => {
      for (let r = 0; r < (call.repeat ?? 1); r += 1) {
        const span_id = `s${next++}`;
        const span: Span = { trace_id, span_id, service: call.service, operation: call.operation, duration_ms: 5 };
        if (parent_id !== undefined) span.parent_id = parent_id;
        spans.push(span);
        for (const child of call.calls ?? []) emit(child, span_id);
      }
    };
    emit(root);
  }
  return spans;
}

const withSpans = (spans: Span[]): Sample => ({ requests: 10, status_counts: { '200': 10 }, spans });

const checkout = (payment: Partial<Call> = {}): Call => ({
  service: 'gateway',
  operation: 'POST /checkout',
  calls: [
    {
      service: 'checkout',
      operation: 'placeOrder',
      calls: [
        { service: 'payment', operation: 'charge', ...payment },
        { service: 'inventory', operation: 'reserve' },
      ],
    },
  ],
});
const baseline = withSpans(traces('b', 20, checkout()));

describe('structure scorer', () => {
  it('summarises traces: spans, depth and repeats', () => {
    const summary = summarizeTraces(traces('x', 4, checkout({ repeat: 3 })));
    expect(summary.traces).toBe(4);
    expect(summary.spans).toBe(4 * 6);
    expect(summary.repeats).toBe(4 * 2);
    expect(summary.meanDepth).toBe(3);
    expect(summary.services).toEqual(new Set(['gateway', 'checkout', 'payment', 'inventory']));
  });

  it('scores an unchanged structure 0', () => {
    const result = scoreStructure(withSpans(traces('d', 10, checkout())), baseline);
    expect(result.score).toBe(0);
    expect(result.evidence).toEqual(['call structure unchanged']);
  });

  it('detects a missing service', () => {
    const noPayment: Call = {
      service: 'gateway',
      operation: 'POST /checkout',
      calls: [
        { service: 'checkout', operation: 'placeOrder', calls: [{ service: 'inventory', operation: 'reserve' }] },
      ],
    };
    const result = scoreStructure(withSpans(traces('d', 10, noPayment)), baseline);
    expect(result.details.missing_services).toBe(1);
    expect(result.details.missing_operations).toBe(0);
    expect(result.score).toBeCloseTo(10 * (1 - 0.6), 12);
    expect(result.evidence[0]).toBe('missing vs baseline: services payment');
  });

  it('detects a missing operation of a service that is still called', () => {
    const otherOp = checkout({ operation: 'refund' });
    const result = scoreStructure(withSpans(traces('d', 10, otherOp)), baseline);
    expect(result.details.missing_services).toBe(0);
    expect(result.details.missing_operations).toBe(1);
    expect(result.details.new_operations).toBe(1);
    expect(result.score).toBeCloseTo(10 * (1 - 0.6 ** 0.5), 12);
  });

  it('ignores operations that were rare in the baseline', () => {
    const rare = Math.floor(MIN_BASELINE_SHARE * 100) - 1; // below the share in 100 traces
    const mixed = withSpans([
      ...traces('b', 100 - rare, checkout()),
      ...traces('r', rare, { service: 'gateway', operation: 'GET /rare' }),
    ]);
    const result = scoreStructure(withSpans(traces('d', 10, checkout())), mixed);
    expect(result.details.missing_operations).toBe(0);
    expect(result.details.missing_services).toBe(0);
  });

  it('detects retries (same parent, service and operation) and fan-out growth', () => {
    const result = scoreStructure(withSpans(traces('d', 10, checkout({ repeat: 3 }))), baseline);
    expect(result.details.retries_per_trace).toBe(2);
    expect(result.details.fanout_growth).toBeCloseTo(6 / 4, 12);
    expect(result.details.score_retry).toBeCloseTo(10 * (1 - Math.exp(-1)), 12);
    expect(result.score).toBeCloseTo(result.details.score_retry ?? Number.NaN, 12);
    expect(result.evidence[0]).toMatch(/^retries: 2 repeated spans per trace \(baseline 0\)/);
  });

  it('subtracts retries that already happen in the baseline', () => {
    const loopy = withSpans(traces('b', 10, checkout({ repeat: 3 })));
    expect(scoreStructure(withSpans(traces('d', 10, checkout({ repeat: 3 }))), loopy).score).toBe(0);
  });

  it('detects deeper call chains', () => {
    const deeper = checkout({ calls: [{ service: 'fraud', operation: 'score' }] });
    const result = scoreStructure(withSpans(traces('d', 10, deeper)), baseline);
    expect(result.details.mean_depth).toBe(4);
    expect(result.details.score_depth).toBe(2.5);
  });

  it('judges only retries, at half weight, without baseline spans', () => {
    const result = scoreStructure(withSpans(traces('d', 10, checkout({ repeat: 3 }))));
    expect(result.score).toBeCloseTo(0.5 * 10 * (1 - Math.exp(-1)), 12);
    expect(result.evidence[0]).toMatch(/no baseline spans/);
  });

  it('marks a window without spans as missing and skips malformed spans', () => {
    expect(scoreStructure(withSpans([]), baseline)).toMatchObject({ score: 0, missing: true });
    const garbage = [null, 3, { trace_id: 't' }, { trace_id: 1, span_id: 'a', service: 's', operation: 'o' }];
    const result = scoreStructure({ ...withSpans([]), spans: garbage as unknown as Span[] }, baseline);
    expect(result).toMatchObject({ missing: true, details: { invalid_spans: 4 } });
  });

  it('survives parent cycles and very deep chains', () => {
    const cycle: Span[] = [
      { trace_id: 't', span_id: 'a', parent_id: 'b', service: 's', operation: 'x', duration_ms: 1 },
      { trace_id: 't', span_id: 'b', parent_id: 'a', service: 's', operation: 'y', duration_ms: 1 },
    ];
    expect(summarizeTraces(cycle).meanDepth).toBe(2);
    const chain: Span[] = Array.from({ length: 20_000 }, (_, i) => {
      const span: Span = { trace_id: 't', span_id: `s${i}`, service: 's', operation: 'op', duration_ms: 1 };
      if (i > 0) span.parent_id = `s${i - 1}`;
      return span;
    });
    expect(summarizeTraces(chain.reverse()).meanDepth).toBe(20_000);
  });
});
