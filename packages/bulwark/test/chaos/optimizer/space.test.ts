import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InfeasibleSpaceError } from '../../../src/chaos/optimizer/errors.js';
import { Prng } from '../../../src/chaos/optimizer/prng.js';
import { EncodedSpace, INACTIVE, validateSpace } from '../../../src/chaos/optimizer/space.js';
import type { Dimension, Point, SearchSpace } from '../../../src/chaos/optimizer/types.js';

const faultSpace: SearchSpace = {
  dimensions: [
    { kind: 'categorical', name: 'target', values: ['api', 'db', 'cache'] },
    { kind: 'categorical', name: 'fault', values: ['delay', 'abort', 'partition'] },
    {
      kind: 'integer',
      name: 'delay_ms',
      low: 1,
      high: 5000,
      log: true,
      activeWhen: { dimension: 'fault', in: ['delay'] },
    },
    { kind: 'integer', name: 'http_status', low: 500, high: 504, activeWhen: { dimension: 'fault', in: ['abort'] } },
    { kind: 'real', name: 'percentage', low: 1, high: 100 },
    {
      kind: 'real',
      name: 'jitter',
      low: 0.001,
      high: 10,
      log: true,
      activeWhen: { dimension: 'fault', in: ['delay'] },
    },
    { kind: 'categorical', name: 'flag', values: [true, false, 1, '1'] },
  ],
};

/** Arbitrary valid point of `faultSpace`. */
const faultPoint: fc.Arbitrary<Point> = fc
  .record({
    target: fc.constantFrom('api', 'db', 'cache'),
    fault: fc.constantFrom('delay', 'abort', 'partition'),
    delay: fc.integer({ min: 1, max: 5000 }),
    status: fc.integer({ min: 500, max: 504 }),
    percentage: fc.double({ min: 1, max: 100, noNaN: true }),
    jitter: fc.double({ min: 0.001, max: 10, noNaN: true }),
    flag: fc.constantFrom<boolean | number | string>(true, false, 1, '1'),
  })
  .map((r) => ({
    target: r.target,
    fault: r.fault,
    delay_ms: r.fault === 'delay' ? r.delay : null,
    http_status: r.fault === 'abort' ? r.status : null,
    percentage: r.percentage,
    jitter: r.fault === 'delay' ? r.jitter : null,
    flag: r.flag,
  }));

describe('space validation', () => {
  const real = (name: string, extra: Partial<Dimension> = {}): Dimension =>
    ({ kind: 'real', name, low: 0, high: 1, ...extra }) as Dimension;
  const cases: Array<[string, SearchSpace, RegExp]> = [
    [
      'low >= high',
      { dimensions: [real('a'), real('latency', { low: 5, high: 5 })] },
      /'latency'.*low \(5\) must be less than high \(5\)/,
    ],
    [
      'log needs low > 0',
      { dimensions: [real('rate', { low: 0, high: 1, log: true })] },
      /'rate'.*log scale requires low > 0/,
    ],
    ['duplicate names', { dimensions: [real('x'), real('x')] }, /'x' is declared more than once/],
    [
      'integer bounds',
      { dimensions: [{ kind: 'integer', name: 'retries', low: 0.5, high: 3 }] },
      /'retries'.*integer bounds must be integers/,
    ],
    [
      'duplicate category',
      { dimensions: [{ kind: 'categorical', name: 'svc', values: ['a', 'a'] }] },
      /'svc'.*duplicate category 'a'/,
    ],
    [
      'empty categories',
      { dimensions: [{ kind: 'categorical', name: 'svc', values: [] }] },
      /'svc'.*at least one value/,
    ],
    [
      'activeWhen refers to a later dimension',
      {
        dimensions: [
          real('delay', { activeWhen: { dimension: 'fault', in: ['delay'] } }),
          { kind: 'categorical', name: 'fault', values: ['delay'] },
        ],
      },
      /'delay'.*activeWhen refers to 'fault', which is not declared before it/,
    ],
    [
      'activeWhen refers to a numeric dimension',
      { dimensions: [real('p'), real('q', { activeWhen: { dimension: 'p', in: [1] } })] },
      /'q'.*'p', which is not categorical/,
    ],
    [
      'activeWhen value not a category',
      {
        dimensions: [
          { kind: 'categorical', name: 'fault', values: ['delay', 'abort'] },
          real('delay', { activeWhen: { dimension: 'fault', in: ['slow'] } }),
        ],
      },
      /'delay'.*activeWhen value 'slow' is not a category of 'fault'/,
    ],
    [
      'unknown kind',
      { dimensions: [{ kind: 'ordinal', name: 'z' } as unknown as Dimension] },
      /'z'.*unknown kind 'ordinal'/,
    ],
    [
      'too many dimensions',
      { dimensions: Array.from({ length: 21 }, (_, i) => real(`d${i}`)) },
      /21 dimensions; at most 20/,
    ],
    ['no dimensions', { dimensions: [] }, /no dimensions/],
  ];
  it.each(cases)('rejects %s with a message naming the dimension', (_label, space, message) => {
    expect(() => validateSpace(space)).toThrow(message);
    expect(() => new EncodedSpace(space)).toThrow(message);
  });

  it('accepts the maximum of 20 dimensions and a well-formed conditional space', () => {
    expect(() => validateSpace({ dimensions: Array.from({ length: 20 }, (_, i) => real(`d${i}`)) })).not.toThrow();
    expect(() => validateSpace(faultSpace)).not.toThrow();
  });
});

describe('encoding', () => {
  const space = new EncodedSpace(faultSpace);

  it('round-trips any valid point: exact for integers and categories, to 1e-9 for reals (property)', () => {
    fc.assert(
      fc.property(faultPoint, (p) => {
        const enc = space.encode(p);
        const back = space.decode(enc);
        for (const [k, v] of Object.entries(p)) {
          if (typeof v === 'number' && (k === 'percentage' || k === 'jitter'))
            expect(Math.abs((back[k] as number) - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
          else expect(back[k]).toStrictEqual(v);
        }
        expect(space.key(back)).toBe(space.key(space.decode(space.encode(back))));
      }),
    );
  });

  it('maps numeric values into [0, 1] (log-scaled when log), categories to indices, inactive to -1', () => {
    const p: Point = {
      target: 'cache',
      fault: 'delay',
      delay_ms: 1,
      http_status: null,
      percentage: 100,
      jitter: 0.1,
      flag: '1',
    };
    const enc = space.encode(p);
    // jitter 0.1 is 2 of the 4 decades between 1e-3 and 10.
    expect(Array.from(enc)).toEqual([2, 0, 0, INACTIVE, 1, expect.closeTo(0.5, 12), 3]);
  });

  it('keys ignore property order and distinguish 1 from "1" and true', () => {
    const base: Point = {
      target: 'api',
      fault: 'partition',
      delay_ms: null,
      http_status: null,
      percentage: 50,
      jitter: null,
    };
    const a = space.key({ ...base, flag: 1 });
    const reordered = space.key({ flag: 1, ...base });
    expect(a).toBe(reordered);
    expect(space.key({ ...base, flag: '1' })).not.toBe(a);
    expect(space.key({ ...base, flag: true })).not.toBe(a);
  });

  it('rejects invalid points with the dimension named', () => {
    const ok: Point = {
      target: 'api',
      fault: 'abort',
      delay_ms: null,
      http_status: 503,
      percentage: 10,
      jitter: null,
      flag: true,
    };
    expect(() => space.encode(ok)).not.toThrow();
    expect(() => space.encode({ ...ok, http_status: 600 })).toThrow(/'http_status'.*outside \[500, 504\]/);
    expect(() => space.encode({ ...ok, http_status: 502.5 })).toThrow(/'http_status'.*not an integer/);
    expect(() => space.encode({ ...ok, delay_ms: 10 })).toThrow(/'delay_ms' is inactive/);
    expect(() => space.encode({ ...ok, http_status: null })).toThrow(/'http_status' is active/);
    expect(() => space.encode({ ...ok, target: 'queue' })).toThrow(/'target'.*'queue' is not one of its categories/);
    expect(() => space.encode({ ...ok, bogus: 1 })).toThrow(/unknown dimension 'bogus'/);
    const { percentage: _omit, ...missing } = ok;
    expect(() => space.encode(missing)).toThrow(/no value for dimension 'percentage'/);
  });
});

describe('sampling', () => {
  it('respects bounds, integrality and log-uniformity', () => {
    const space = new EncodedSpace({
      dimensions: [
        { kind: 'real', name: 'r', low: 1e-3, high: 1e3, log: true },
        { kind: 'integer', name: 'n', low: -3, high: 3 },
      ],
    });
    const rng = new Prng(7);
    const N = 4000;
    let belowGeoMean = 0;
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const p = space.sample(rng);
      const r = p.r as number;
      const n = p.n as number;
      expect(r).toBeGreaterThanOrEqual(1e-3);
      expect(r).toBeLessThanOrEqual(1e3);
      expect(Number.isInteger(n)).toBe(true);
      if (r < 1) belowGeoMean++;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    // Log-uniform: half the mass below the geometric mean 1 (a linear sampler would give 0.1%).
    expect(belowGeoMean / N).toBeGreaterThan(0.45);
    expect(belowGeoMean / N).toBeLessThan(0.55);
    // Uniform over the 7 integers, including both bounds.
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c / N - 1 / 7)).toBeLessThan(0.03);
  });

  it('sets conditional dimensions to null exactly when inactive (property over seeds)', () => {
    const space = new EncodedSpace(faultSpace);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = new Prng(seed);
        for (let i = 0; i < 20; i++) {
          const p = space.sample(rng);
          expect(p.delay_ms === null).toBe(p.fault !== 'delay');
          expect(p.jitter === null).toBe(p.fault !== 'delay');
          expect(p.http_status === null).toBe(p.fault !== 'abort');
          expect(() => space.validatePoint(p)).not.toThrow();
        }
      }),
      { numRuns: 50 },
    );
  });

  it('never returns an infeasible point and fails clearly when nothing is feasible', () => {
    const feasible = (p: Point) => (p.percentage as number) <= 20 && p.target !== 'db';
    const space = new EncodedSpace({ ...faultSpace, feasible });
    const rng = new Prng(3);
    for (let i = 0; i < 300; i++) expect(feasible(space.sample(rng))).toBe(true);
    const never = new EncodedSpace({ ...faultSpace, feasible: () => false });
    expect(() => never.sample(new Prng(1), 50)).toThrow(InfeasibleSpaceError);
    expect(() => never.sample(new Prng(1), 50)).toThrow(/no feasible point found in 50 random samples/);
  });

  it('counts and enumerates discrete spaces with conditionals', () => {
    const space = new EncodedSpace({
      dimensions: [
        { kind: 'categorical', name: 'mode', values: ['abort', 'delay'] },
        { kind: 'integer', name: 'ms', low: 1, high: 3, activeWhen: { dimension: 'mode', in: ['delay'] } },
        { kind: 'categorical', name: 'svc', values: ['a', 'b'] },
      ],
    });
    // abort × 2 services + delay × 3 × 2 services.
    expect(space.cardinality(100)).toBe(8);
    expect(space.cardinality(5)).toBe(Number.POSITIVE_INFINITY);
    const all = space.enumerateEncoded(100);
    const keys = new Set<string>();
    for (let r = 0; r < all.rows; r++) keys.add(space.key(space.decode(all.data, r * space.size)));
    expect(keys.size).toBe(8);
    expect(new EncodedSpace(faultSpace).cardinality(1e9)).toBe(Number.POSITIVE_INFINITY);
  });
});
