import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dimension, Point } from '../../../src/chaos/optimizer/types.js';
import { FaultSpaceError } from '../../../src/chaos/space/errors.js';
import { parseFaultSpace } from '../../../src/chaos/space/parse.js';
import { faultDimensionName, toFaultPlans } from '../../../src/chaos/space/plan.js';
import { PLAN_FALLBACKS } from '../../../src/chaos/space/types.js';
import { EXAMPLE } from './fixtures.js';

const example = parseFaultSpace(EXAMPLE);

/** Arbitrary point of a search space that respects every dimension's condition. */
function pointOf(dimensions: readonly Dimension[]): fc.Arbitrary<Point> {
  const values = dimensions.map((d) =>
    d.kind === 'categorical'
      ? fc.constantFrom(...d.values)
      : d.kind === 'integer'
        ? fc.integer({ min: d.low, max: d.high })
        : fc.double({ min: d.low, max: d.high, noNaN: true }),
  );
  return fc.tuple(...values).map((raw) => {
    const point: Point = {};
    dimensions.forEach((d, i) => {
      const when = d.activeWhen;
      const active = !when || when.in.includes(point[when.dimension] as never);
      point[d.name] = active ? (raw[i] ?? null) : null;
    });
    return point;
  });
}

function planError(point: Point, space = example): FaultSpaceError {
  try {
    toFaultPlans(point, space);
  } catch (error) {
    if (error instanceof FaultSpaceError) return error;
    throw error;
  }
  throw new Error('expected the point to be rejected');
}

describe('toFaultPlans: single fault', () => {
  it('maps an abort point and leaves out the delay', () => {
    const plans = toFaultPlans(
      { service: 'payment', fault: 'abort', abort_status: 503, delay_ms: null, percentage: 25, duration_s: 12 },
      example,
    );
    expect(plans).toEqual([
      {
        target_service: 'payment',
        fault: { type: 'abort', abort_status: 503 },
        percentage: 25,
        start_delay_s: PLAN_FALLBACKS.start_delay_s,
        duration_s: 12,
      },
    ]);
  });

  it('maps a delay point and leaves out the abort status even if the point carries one', () => {
    const [plan] = toFaultPlans(
      { service: 'cache', fault: 'delay', abort_status: 500, delay_ms: 250.4, percentage: 10, duration_s: 5 },
      example,
    );
    expect(plan?.fault).toEqual({ type: 'delay', delay_ms: 250 });
  });

  it('maps both and falls back when a conditional dimension is inactive', () => {
    const [plan] = toFaultPlans(
      { service: 'cache', fault: 'both', abort_status: null, delay_ms: 80, percentage: 10, duration_s: 5 },
      example,
    );
    expect(plan?.fault).toEqual({ type: 'both', abort_status: PLAN_FALLBACKS.abort_status, delay_ms: 80 });
  });

  it('clamps the percentage to the blast-radius cap', () => {
    const [plan] = toFaultPlans(
      { service: 'cache', fault: 'abort', abort_status: 500, percentage: 90, duration_s: 5 },
      example,
    );
    expect(plan?.percentage).toBe(50);
  });

  it('uses file defaults and the static matcher, with method/path_prefix dimensions overriding', () => {
    const space = parseFaultSpace(`name: d
target: { entry: "http://x:1", services: [api] }
dimensions:
  - { name: method, type: categorical, values: [GET, POST] }
defaults: { service: api, fault: delay, delay_ms: 700, percentage: 5 }
match: { path_prefix: /v1, headers: { x-tenant: test } }
`);
    expect(toFaultPlans({ method: 'POST' }, space)).toEqual([
      {
        target_service: 'api',
        match: { path_prefix: '/v1', headers: { 'x-tenant': 'test' }, method: 'POST' },
        fault: { type: 'delay', delay_ms: 700 },
        percentage: 5,
        start_delay_s: PLAN_FALLBACKS.start_delay_s,
        duration_s: PLAN_FALLBACKS.duration_s,
      },
    ]);
  });

  it('rejects points without a service or with a bad fault type or number', () => {
    expect(planError({ fault: 'abort' }).issues).toContainEqual({
      path: 'point.service',
      message: 'no target service for this fault',
    });
    expect(planError({ service: 'cache', fault: 'explode' }).issues[0]?.path).toBe('point.fault');
    expect(planError({ service: 'cache', fault: 'abort', abort_status: 'teapot' }).issues).toEqual([
      { path: 'point.abort_status', message: 'abort_status must be a finite number, got "teapot"' },
    ]);
  });

  it('produces well-formed plans for every point of the example space', () => {
    fc.assert(
      fc.property(pointOf(example.searchSpace.dimensions), (point) => {
        const plans = toFaultPlans(point, example);
        expect(plans).toHaveLength(1);
        const plan = plans[0]!;
        expect(plan.target_service).toBe(point.service);
        expect(plan.fault.type).toBe(point.fault);
        expect('abort_status' in plan.fault).toBe(plan.fault.type !== 'delay');
        expect('delay_ms' in plan.fault).toBe(plan.fault.type !== 'abort');
        if (plan.fault.type !== 'delay') expect(plan.fault.abort_status).toBe(point.abort_status);
        expect(plan.percentage).toBeLessThanOrEqual(50);
        expect(plan.percentage).toBe(Math.min(50, point.percentage as number));
      }),
    );
  });
});

describe('toFaultPlans: multi-fault', () => {
  const space = parseFaultSpace(`name: two
target: { entry: "http://x:1", services: [checkout, payment, cache] }
faults: 2
dimensions:
  - { name: service, type: categorical, values: [checkout, payment, cache] }
  - { name: fault, type: categorical, values: [abort, delay] }
  - { name: delay_ms, type: integer, low: 10, high: 900, when: { fault: [delay] } }
  - { name: start_delay_s, type: integer, low: 0, high: 20 }
`);

  it('names dimensions with a 1-based suffix', () => {
    expect(faultDimensionName('delay_ms', 2, 2)).toBe('delay_ms_2');
    expect(faultDimensionName('delay_ms', 1, 1)).toBe('delay_ms');
  });

  it('maps a point to one plan per fault, in order', () => {
    const plans = toFaultPlans(
      {
        service_1: 'payment',
        fault_1: 'abort',
        delay_ms_1: null,
        start_delay_s_1: 0,
        service_2: 'cache',
        fault_2: 'delay',
        delay_ms_2: 300,
        start_delay_s_2: 15,
      },
      space,
    );
    expect(plans.map((p) => [p.target_service, p.fault, p.start_delay_s])).toEqual([
      ['payment', { type: 'abort', abort_status: PLAN_FALLBACKS.abort_status }, 0],
      ['cache', { type: 'delay', delay_ms: 300 }, 15],
    ]);
  });

  it('reports which fault of the point is malformed', () => {
    const issues = planError({ service_1: 'payment', fault_1: 'abort', fault_2: 'delay' }, space).issues;
    expect(issues.map((i) => i.path)).toEqual(['point.service_2']);
  });

  it('maps every point of the expanded space to two plans reading their own dimensions', () => {
    fc.assert(
      fc.property(pointOf(space.searchSpace.dimensions), (point) => {
        const plans = toFaultPlans(point, space);
        expect(plans).toHaveLength(2);
        plans.forEach((plan, i) => {
          const k = i + 1;
          expect(plan.target_service).toBe(point[`service_${k}`]);
          expect(plan.fault.type).toBe(point[`fault_${k}`]);
          expect(plan.start_delay_s).toBe(point[`start_delay_s_${k}`]);
          if (plan.fault.type === 'delay') expect(plan.fault.delay_ms).toBe(point[`delay_ms_${k}`]);
        });
      }),
    );
  });
});
