import { describe, expect, it } from 'vitest';
import { EXAMPLE_RUN_REQUEST, EXECUTOR_OPENAPI } from '../../../src/chaos/executor/openapi.js';
import { parseRunRequest } from '../../../src/chaos/executor/schema.js';

const valid = {
  plans: [{ target_service: 'payment', fault: { type: 'abort' }, percentage: 50 }],
  duration_s: 2,
  load: { rps: 10, path: '/checkout' },
};

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('run request schema', () => {
  it('normalises defaults (start delay 0, duration = run duration, abort 503, method GET)', () => {
    const r = parseRunRequest(valid, ['payment']);
    expect(r).toEqual({
      ok: true,
      value: {
        plans: [
          {
            target_service: 'payment',
            fault: { type: 'abort', abort_status: 503 },
            percentage: 50,
            start_delay_s: 0,
            duration_s: 2,
          },
        ],
        duration_s: 2,
        load: { rps: 10, path: '/checkout', method: 'GET' },
      },
    });
  });

  it('rejects bad bodies with located issues', () => {
    const cases: Array<[unknown, string]> = [
      [{ ...valid, duration_s: 0 }, 'duration_s'],
      [{ ...valid, load: { rps: 10, path: 'checkout' } }, 'load.path'],
      [{ ...valid, plans: [{ ...valid.plans[0], percentage: 101 }] }, 'plans.0.percentage'],
      [{ ...valid, plans: [{ ...valid.plans[0], fault: { type: 'crash' } }] }, 'plans.0.fault.type'],
      [{ ...valid, extra: 1 }, '(body)'],
      [{ ...valid, load: { rps: 2000, path: '/' }, duration_s: 600 }, 'load.rps'],
      ['nope', '(body)'],
    ];
    for (const [body, path] of cases) {
      const r = parseRunRequest(body, ['payment']);
      expect(r.ok, JSON.stringify(body)).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(path);
    }
    const unknown = parseRunRequest({ ...valid, plans: [{ ...valid.plans[0], target_service: 'nope' }] }, ['payment']);
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.issues[0]?.message).toMatch(/unknown service 'nope'/);
  });

  it('the OpenAPI document is 3.0, its references resolve and its example is a valid request', () => {
    expect(EXECUTOR_OPENAPI.openapi).toMatch(/^3\.0\./);
    const schemas = EXECUTOR_OPENAPI.components.schemas as Record<string, unknown>;
    for (const ref of refs(EXECUTOR_OPENAPI)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    }
    expect(Object.keys(EXECUTOR_OPENAPI.paths)).toEqual(expect.arrayContaining(['/health', '/runs', '/openapi.json']));
    expect(parseRunRequest(EXAMPLE_RUN_REQUEST, ['payment']).ok).toBe(true);
  });
});
