import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../../src/errors.js';
import { MAX_DIMENSIONS } from '../../../src/chaos/optimizer/types.js';
import { FaultSpaceError, type FaultSpaceIssue } from '../../../src/chaos/space/errors.js';
import { parseFaultSpace } from '../../../src/chaos/space/parse.js';
import { EXAMPLE } from './fixtures.js';

/** A minimal valid file with the given dimension lines (YAML block items) and extra top-level text. */
function file(dimensions: string[], extra = ''): string {
  return [
    'name: t',
    'target: { entry: "http://localhost:1", services: [a, b] }',
    'dimensions:',
    ...dimensions.map((d) => `  - ${d}`),
    extra,
  ].join('\n');
}
const SERVICE = '{ name: service, type: categorical, values: [a, b] }';
const FAULT = '{ name: fault, type: categorical, values: [abort, delay, both] }';

function issuesOf(text: string, format?: 'yaml' | 'json'): FaultSpaceIssue[] {
  try {
    parseFaultSpace(text, format);
  } catch (error) {
    if (error instanceof FaultSpaceError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the fault space to be rejected');
}

function onlyIssue(text: string, format?: 'yaml' | 'json'): FaultSpaceIssue {
  const issues = issuesOf(text, format);
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  return issues[0] as FaultSpaceIssue;
}

describe('parseFaultSpace: the example file', () => {
  const space = parseFaultSpace(EXAMPLE);

  it('keeps the declared metadata', () => {
    expect(space.name).toBe('checkout-faults');
    expect(space.target.entry).toBe('http://127.0.0.1:8080');
    expect(space.target.services).toContain('gateway');
    expect(space.faults).toBe(1);
    expect(space.blastRadius).toEqual({ maxPercentage: 50 });
    expect(space.steadyState).toEqual({ max_error_rate: 0.01, max_p99_ms: 500 });
  });

  it('converts dimensions to the optimizer shape with conditions', () => {
    const dims = space.searchSpace.dimensions;
    expect(dims.map((d) => [d.name, d.kind])).toEqual([
      ['service', 'categorical'],
      ['fault', 'categorical'],
      ['abort_status', 'categorical'],
      ['delay_ms', 'integer'],
      ['percentage', 'real'],
      ['duration_s', 'integer'],
    ]);
    expect(dims[2]?.activeWhen).toEqual({ dimension: 'fault', in: ['abort', 'both'] });
    expect(dims[3]).toMatchObject({ low: 10, high: 5000, log: true, activeWhen: { dimension: 'fault' } });
    expect(dims[4]?.activeWhen).toBeUndefined();
    expect(dims[4]).not.toHaveProperty('log');
  });

  it('compiles the constraints and the blast-radius cap into the feasibility predicate', () => {
    const feasible = space.searchSpace.feasible;
    const base = { service: 'cache', fault: 'abort', abort_status: 500, delay_ms: null, duration_s: 10 };
    expect(feasible({ ...base, percentage: 50 })).toBe(true);
    expect(feasible({ ...base, percentage: 50.5 })).toBe(false);
    expect(feasible({ ...base, percentage: 40, duration_s: 25 })).toBe(true);
    expect(feasible({ ...base, percentage: 40, duration_s: 26 })).toBe(false);
    expect(space.constraints.map((c) => c.label)).toContain('blast_radius: percentage <= 50');
  });

  it('reads the same space from JSON', () => {
    const json = JSON.stringify({
      name: 'checkout-faults',
      target: { entry: 'http://127.0.0.1:8080', services: ['checkout', 'payment'] },
      dimensions: [
        { name: 'service', type: 'categorical', values: ['checkout', 'payment'] },
        { name: 'fault', type: 'categorical', values: ['abort', 'delay'] },
        { name: 'delay_ms', type: 'integer', low: 10, high: 5000, log: true, when: { fault: ['delay'] } },
      ],
      constraints: ['delay_ms <= 1000'],
    });
    const space = parseFaultSpace(json, 'json');
    expect(space.searchSpace.dimensions[2]?.activeWhen).toEqual({ dimension: 'fault', in: ['delay'] });
    expect(space.searchSpace.feasible({ service: 'checkout', fault: 'delay', delay_ms: 1500 })).toBe(false);
    expect(parseFaultSpace(json).searchSpace.dimensions).toEqual(space.searchSpace.dimensions);
  });
});

describe('parseFaultSpace: conditional dimensions', () => {
  const space = parseFaultSpace(
    file(
      [SERVICE, FAULT, '{ name: delay_ms, type: integer, low: 10, high: 5000, when: { fault: delay } }'],
      'constraints: ["delay_ms <= 2000"]',
    ),
  );

  it('accepts a single value in when', () => {
    expect(space.searchSpace.dimensions[2]?.activeWhen).toEqual({ dimension: 'fault', in: ['delay'] });
  });

  it('treats a constraint on the inactive dimension as satisfied', () => {
    expect(space.searchSpace.feasible({ service: 'a', fault: 'abort', delay_ms: null })).toBe(true);
    expect(space.searchSpace.feasible({ service: 'a', fault: 'abort' })).toBe(true);
    expect(space.searchSpace.feasible({ service: 'a', fault: 'delay', delay_ms: 2500 })).toBe(false);
    expect(space.searchSpace.feasible({ service: 'a', fault: 'delay', delay_ms: 1500 })).toBe(true);
  });

  it('rejects a non-numeric value for a numeric dimension as infeasible', () => {
    expect(space.searchSpace.feasible({ service: 'a', fault: 'delay', delay_ms: 'lots' })).toBe(false);
  });

  it('turns a blast-radius cap into a constraint without an explicit one', () => {
    const capped = parseFaultSpace(
      file(
        [SERVICE, FAULT, '{ name: percentage, type: integer, low: 1, high: 100 }'],
        'blast_radius: { max_percentage: 30 }',
      ),
    );
    expect(capped.searchSpace.feasible({ service: 'a', fault: 'abort', percentage: 30 })).toBe(true);
    expect(capped.searchSpace.feasible({ service: 'a', fault: 'abort', percentage: 31 })).toBe(false);
  });
});

describe('parseFaultSpace: errors carry path, message and line', () => {
  it('is a BulwarkError with code validation_failed and the issues as extension', () => {
    let caught: unknown;
    try {
      parseFaultSpace(file([SERVICE, FAULT, '{ name: percentage, type: real, low: 5, high: 5 }']));
    } catch (error) {
      caught = error;
    }
    expect(isBulwarkError(caught)).toBe(true);
    const error = caught as FaultSpaceError;
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(400);
    expect(error.extensions.issues).toEqual(error.issues);
    expect(error.message).toContain('dimensions[2].low (line 6): low (5) must be lower than high (5)');
  });

  it('requires at least one and at most 20 dimensions', () => {
    expect(onlyIssue(file([]).replace('dimensions:', 'dimensions: []'))).toMatchObject({
      path: 'dimensions',
      line: 3,
      message: 'needs at least one dimension',
    });
    const many = Array.from({ length: MAX_DIMENSIONS + 1 }, () => SERVICE);
    expect(issuesOf(file(many))[0]).toMatchObject({ path: 'dimensions', message: 'at most 20 dimensions' });
  });

  it('rejects duplicate names', () => {
    expect(onlyIssue(file([SERVICE, FAULT, SERVICE]))).toEqual({
      path: 'dimensions[2].name',
      line: 6,
      message: "duplicate dimension name 'service' (first declared at dimensions[0])",
    });
  });

  it('rejects low >= high and log with low <= 0', () => {
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: delay_ms, type: integer, low: 50, high: 10 }']))).toEqual({
      path: 'dimensions[2].low',
      line: 6,
      message: 'low (50) must be lower than high (10)',
    });
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: delay_ms, type: real, low: 0, high: 10, log: true }']))).toEqual({
      path: 'dimensions[2].low',
      line: 6,
      message: 'a log-scale dimension needs low > 0, got 0',
    });
  });

  it('reports the line of a field in a block mapping', () => {
    const text = file([SERVICE, FAULT, 'name: delay_ms\n    type: integer\n    low: 10\n    high: 5']);
    expect(onlyIssue(text)).toMatchObject({ path: 'dimensions[2].low', line: 8 });
  });

  it('requires categorical values', () => {
    expect(onlyIssue(file([SERVICE, '{ name: fault, type: categorical, values: [] }']))).toEqual({
      path: 'dimensions[1].values',
      line: 5,
      message: 'needs at least one value',
    });
    expect(onlyIssue(file([SERVICE, '{ name: fault, type: categorical, values: [abort, abort] }']))).toMatchObject({
      path: 'dimensions[1].values[1]',
      message: 'duplicate value "abort"',
    });
  });

  it('requires when to reference an earlier categorical dimension and its values', () => {
    const delay = (when: string) => `{ name: delay_ms, type: integer, low: 1, high: 9, when: ${when} }`;
    expect(onlyIssue(file([SERVICE, delay('{ fault: [delay] }'), FAULT]))).toEqual({
      path: 'dimensions[1].when.fault',
      line: 5,
      message: "must reference an earlier dimension ('fault' is declared later, at dimensions[2])",
    });
    expect(onlyIssue(file([SERVICE, FAULT, delay('{ falt: [delay] }')]))).toMatchObject({
      path: 'dimensions[2].when.falt',
      message: "unknown dimension 'falt'",
    });
    expect(
      onlyIssue(
        file([SERVICE, FAULT, '{ name: percentage, type: real, low: 1, high: 9 }', delay('{ percentage: [1] }')]),
      ),
    ).toMatchObject({ path: 'dimensions[3].when.percentage', message: "'percentage' is not categorical" });
    expect(onlyIssue(file([SERVICE, FAULT, delay('{ fault: [delay, slow] }')]))).toEqual({
      path: 'dimensions[2].when.fault[1]',
      line: 6,
      message: '"slow" is not a value of \'fault\' ("abort", "delay", "both")',
    });
    expect(onlyIssue(file([SERVICE, FAULT, delay('{ fault: delay, service: a }')]))).toMatchObject({
      path: 'dimensions[2].when',
      message: 'must name exactly one dimension, got 2',
    });
  });

  it('rejects constraints that do not parse or reference unknown or non-numeric dimensions', () => {
    const dims = [SERVICE, FAULT, '{ name: percentage, type: real, low: 1, high: 100 }'];
    const withConstraints = (...cs: string[]) => file(dims, `constraints:\n${cs.map((c) => `  - "${c}"`).join('\n')}`);
    expect(onlyIssue(withConstraints('percentage <= 50', 'percentage * duraton_s <= 10'))).toEqual({
      path: 'constraints[1]',
      line: 9,
      message: "unknown dimension 'duraton_s' at column 14",
    });
    expect(onlyIssue(withConstraints('fault == 1'))).toMatchObject({
      path: 'constraints[0]',
      message: "dimension 'fault' is not numeric at column 1",
    });
    expect(onlyIssue(withConstraints('percentage <= '))).toMatchObject({
      path: 'constraints[0]',
      message: 'unexpected end of expression at column 15',
    });
    expect(onlyIssue(withConstraints('process.exit()'))).toMatchObject({ path: 'constraints[0]', line: 8 });
  });

  it('allows constraints on numeric categorical dimensions', () => {
    const space = parseFaultSpace(
      file(
        [SERVICE, FAULT, '{ name: abort_status, type: categorical, values: [500, 503] }'],
        'constraints: ["abort_status < 503"]',
      ),
    );
    expect(space.searchSpace.feasible({ service: 'a', fault: 'abort', abort_status: 503 })).toBe(false);
  });

  it('reports unknown keys, bad types and missing fields from the schema', () => {
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: delay_ms, type: integer, lwo: 1, low: 1, high: 9 }']))).toEqual({
      path: 'dimensions[2].lwo',
      line: 6,
      message: "unknown key 'lwo'",
    });
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: delay_ms, type: integr, low: 1, high: 9 }']))).toMatchObject({
      path: 'dimensions[2].type',
      message: "must be one of 'categorical', 'integer', 'real'",
    });
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: delay_ms, type: integer, low: 1.5, high: 9 }']))).toMatchObject({
      path: 'dimensions[2].low',
      message: 'must be an integer',
    });
    expect(onlyIssue(file([SERVICE, FAULT]).replace('name: t\n', ''))).toEqual({
      path: 'name',
      line: 1,
      message: 'is required',
    });
    expect(onlyIssue(file([SERVICE, FAULT]).replace('"http://localhost:1"', 'localhost'))).toMatchObject({
      path: 'target.entry',
      line: 2,
      message: 'must be an http(s) URL',
    });
  });

  it('collects several problems at once', () => {
    const issues = issuesOf(
      file(
        [SERVICE, FAULT, '{ name: delay_ms, type: integer, low: 9, high: 1 }', SERVICE],
        'constraints: ["nope > 1"]',
      ),
    );
    expect(issues.map((i) => i.path)).toEqual(['dimensions[2].low', 'dimensions[3].name', 'constraints[0]']);
  });

  it('reports YAML syntax errors with their line', () => {
    const issue = issuesOf('name: t\ntarget: { entry: x\ndimensions: [')[0];
    expect(issue?.path).toBe('');
    expect(issue?.message).toMatch(/^invalid YAML: /);
    expect(issue?.line).toBeGreaterThanOrEqual(2);
    expect(onlyIssue('name: a\nname: b\n')).toMatchObject({
      line: 2,
      message: 'invalid YAML: Map keys must be unique',
    });
  });

  it('reports JSON syntax errors with their line and schema errors with JSON lines', () => {
    const syntax = onlyIssue('{\n  "name": "x",\n  "target": ,\n}', 'json');
    expect(syntax.message).toMatch(/^invalid JSON: /);
    expect(syntax.line).toBe(3);
    expect(onlyIssue('{\n  "name": "x",\n  "target": {', 'json')).toMatchObject({ line: 3 });
    const schema = issuesOf('{\n  "name": "x",\n  "target": 3,\n  "dimensions": []\n}', 'json');
    expect(schema).toContainEqual({ path: 'target', line: 3, message: 'expected object, received number' });
  });

  it('rejects a document that is not a mapping', () => {
    expect(onlyIssue('- a\n- b\n')).toMatchObject({ path: '', message: 'expected object, received array' });
    expect(onlyIssue('')).toMatchObject({ path: '' });
  });
});

describe('parseFaultSpace: plan-field rules', () => {
  it('rejects dimensions that are not plan fields', () => {
    for (const name of ['constructor', 'toString']) {
      expect(onlyIssue(file([SERVICE, FAULT, `{ name: ${name}, type: integer, low: 1, high: 2 }`]))).toMatchObject({
        path: 'dimensions[2].name',
        message: expect.stringMatching(new RegExp(`^'${name}' is not a fault-plan field`)),
      });
    }
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: foo, type: integer, low: 1, high: 2 }']))).toMatchObject({
      path: 'dimensions[2].name',
      message: expect.stringMatching(/^'foo' is not a fault-plan field/),
    });
  });

  it('requires services among target.services and known fault types', () => {
    expect(onlyIssue(file(['{ name: service, type: categorical, values: [a, zz] }', FAULT]))).toEqual({
      path: 'dimensions[0].values[1]',
      line: 4,
      message: "'zz' is not one of target.services (a, b)",
    });
    expect(onlyIssue(file([SERVICE, '{ name: fault, type: categorical, values: [abort, crash] }']))).toMatchObject({
      path: 'dimensions[1].values[1]',
      message: "'crash' is not a fault type (abort, delay, both)",
    });
  });

  it('checks numeric ranges of plan fields', () => {
    expect(onlyIssue(file([SERVICE, FAULT, '{ name: percentage, type: real, low: 1, high: 150 }']))).toEqual({
      path: 'dimensions[2].high',
      line: 6,
      message: "'percentage' must be >= 0 and <= 100, got 150",
    });
    expect(
      onlyIssue(file([SERVICE, FAULT, '{ name: abort_status, type: categorical, values: [503, 700] }'])),
    ).toMatchObject({
      path: 'dimensions[2].values[1]',
      message: "'abort_status' must be an integer >= 200 and <= 599, got 700",
    });
  });

  it('requires a way to choose the service and the fault type', () => {
    expect(onlyIssue(file([FAULT]))).toMatchObject({ path: 'dimensions', message: expect.stringMatching(/'service'/) });
    expect(onlyIssue(file([SERVICE]))).toMatchObject({ path: 'dimensions', message: expect.stringMatching(/'fault'/) });
    expect(() => parseFaultSpace(file([SERVICE], 'defaults: { fault: delay }'))).not.toThrow();
    expect(onlyIssue(file([FAULT], 'defaults: { service: zz }'))).toMatchObject({ path: 'defaults.service' });
  });

  it('rejects a blast radius that excludes every percentage', () => {
    expect(
      onlyIssue(
        file(
          [SERVICE, FAULT, '{ name: percentage, type: real, low: 60, high: 100 }'],
          'blast_radius: { max_percentage: 50 }',
        ),
      ),
    ).toMatchObject({
      path: 'blast_radius.max_percentage',
      line: 7,
      message: expect.stringMatching(/no feasible point/),
    });
  });
});

describe('parseFaultSpace: multi-fault spaces', () => {
  const text = file(
    [
      SERVICE,
      FAULT,
      '{ name: delay_ms, type: integer, low: 10, high: 500, when: { fault: [delay, both] } }',
      '{ name: percentage, type: real, low: 1, high: 100 }',
    ],
    'faults: 2\nconstraints: ["percentage <= 60", "percentage_1 + percentage_2 <= 80"]\nblast_radius: { max_percentage: 50 }',
  );
  const space = parseFaultSpace(text);

  it('suffixes every dimension per fault and rewires conditions', () => {
    expect(space.faults).toBe(2);
    expect(space.searchSpace.dimensions.map((d) => d.name)).toEqual([
      'service_1',
      'fault_1',
      'delay_ms_1',
      'percentage_1',
      'service_2',
      'fault_2',
      'delay_ms_2',
      'percentage_2',
    ]);
    expect(space.searchSpace.dimensions[6]?.activeWhen).toEqual({ dimension: 'fault_2', in: ['delay', 'both'] });
  });

  it('instantiates constraints on declared names per fault and keeps suffixed ones', () => {
    expect(space.constraints.map((c) => c.label)).toEqual([
      'percentage <= 60 [fault 1]',
      'percentage <= 60 [fault 2]',
      'percentage_1 + percentage_2 <= 80',
      'blast_radius: percentage_1 <= 50',
      'blast_radius: percentage_2 <= 50',
    ]);
    const point = {
      service_1: 'a',
      fault_1: 'abort',
      delay_ms_1: null,
      service_2: 'b',
      fault_2: 'delay',
      delay_ms_2: 20,
    };
    expect(space.searchSpace.feasible({ ...point, percentage_1: 40, percentage_2: 40 })).toBe(true);
    expect(space.searchSpace.feasible({ ...point, percentage_1: 40, percentage_2: 45 })).toBe(false);
    expect(space.searchSpace.feasible({ ...point, percentage_1: 10, percentage_2: 55 })).toBe(false);
  });

  it('rejects fault indices out of range and too many expanded dimensions', () => {
    expect(onlyIssue(text.replace('percentage_1 + percentage_2', 'percentage_1 + percentage_3'))).toMatchObject({
      path: 'constraints[1]',
      message: "unknown dimension 'percentage_3' (faults are numbered 1..2) at column 16",
    });
    expect(onlyIssue(text.replace('faults: 2', 'faults: 6'))).toEqual({
      path: 'faults',
      line: 8,
      message: '6 faults × 4 dimensions = 24 search dimensions, more than 20',
    });
  });
});

describe('examples/demo-mesh-space.yaml (the file docs/chaos.md runs against the demo mesh)', () => {
  const text = readFileSync(new URL('../../../../../examples/demo-mesh-space.yaml', import.meta.url), 'utf8');
  const space = parseFaultSpace(text);

  it('names only services the demo mesh has, behind its gateway', () => {
    expect(space.target.services).toEqual(['checkout', 'cache', 'inventory', 'warehouse', 'payment', 'fraud']);
    const service = space.searchSpace.dimensions.find((d) => d.name === 'service');
    expect(service?.kind === 'categorical' && service.values).toEqual(space.target.services);
  });

  it('caps the blast radius below every request', () => {
    const feasible = space.searchSpace.feasible;
    const point = { service: 'payment', fault: 'abort', abort_status: 503, delay_ms: null };
    expect(feasible?.({ ...point, percentage: 80 })).toBe(true);
    expect(feasible?.({ ...point, percentage: 81 })).toBe(false);
  });
});
