import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  compileExpression,
  ExpressionError,
  MAX_EXPRESSION_DEPTH,
  type NameLookup,
} from '../../../src/chaos/space/expression.js';

const vars =
  (values: Record<string, number | null>): NameLookup =>
  (name) =>
    values[name] ?? null;

const known = (names: string[]) => ({
  checkName: (n: string) => (names.includes(n) ? undefined : `unknown dimension '${n}'`),
});

function evaluate(source: string, values: Record<string, number | null> = {}): boolean {
  return compileExpression(source, known(Object.keys(values))).evaluate(vars(values));
}

function errorOf(source: string, names: string[] = []): ExpressionError {
  try {
    compileExpression(source, known(names));
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`expected '${source}' to be rejected`);
}

describe('constraint expressions: arithmetic and precedence', () => {
  it('multiplies before adding and evaluates left to right', () => {
    expect(evaluate('1 + 2 * 3 == 7')).toBe(true);
    expect(evaluate('(1 + 2) * 3 == 9')).toBe(true);
    expect(evaluate('10 - 4 - 3 == 3')).toBe(true);
    expect(evaluate('8 / 4 / 2 == 1')).toBe(true);
    expect(evaluate('-2 * -3 == 6')).toBe(true);
    expect(evaluate('- (2 + 3) == -5')).toBe(true);
    expect(evaluate('1.5e2 == 150 and .5 == 0.5')).toBe(true);
  });

  it('binds and tighter than or, and not looser than comparisons', () => {
    // Under "or before and" this would be (true or false) and false = false.
    expect(evaluate('a > 1 or b > 1 and c > 1', { a: 5, b: 0, c: 0 })).toBe(true);
    // Under "not before comparison" this would be (not a) > 1, a type error; under "not over or" false.
    expect(evaluate('not a > 1 or b > 1', { a: 5, b: 5 })).toBe(true);
    expect(evaluate('not (a > 1 or b > 1)', { a: 5, b: 5 })).toBe(false);
    expect(evaluate('not not a > 1', { a: 5 })).toBe(true);
  });

  it('supports every comparison operator', () => {
    const cases: Array<[string, boolean]> = [
      ['a <= 3', true],
      ['a < 3', false],
      ['a >= 3', true],
      ['a > 3', false],
      ['a == 3', true],
      ['a != 3', false],
    ];
    for (const [source, expected] of cases) expect(evaluate(source, { a: 3 }), source).toBe(expected);
  });

  it('evaluates the example constraint over dimension values', () => {
    const c = compileExpression('duration_s * percentage <= 1000', known(['duration_s', 'percentage']));
    expect(c.names).toEqual(['duration_s', 'percentage']);
    expect(c.evaluate(vars({ duration_s: 20, percentage: 50 }))).toBe(true);
    expect(c.evaluate(vars({ duration_s: 21, percentage: 50 }))).toBe(false);
  });

  it('treats a constraint on an inactive (null) dimension as satisfied', () => {
    expect(evaluate('delay_ms > 100000', { delay_ms: null })).toBe(true);
    expect(evaluate('delay_ms > 100000 and a < 0', { delay_ms: null, a: 5 })).toBe(true);
    expect(evaluate('delay_ms > 100000', { delay_ms: 5 })).toBe(false);
  });

  it('makes comparisons with non-finite arithmetic false (division by zero is infeasible)', () => {
    expect(evaluate('a / b <= 3', { a: 1, b: 0 })).toBe(false);
    expect(evaluate('a / b != 3', { a: 0, b: 0 })).toBe(false);
    expect(evaluate('not a / b <= 3', { a: 1, b: 0 })).toBe(true);
  });

  it('agrees with a reference interpreter on random fully parenthesised expressions', () => {
    type Tree = { op: '+' | '-' | '*' | '/'; l: Tree; r: Tree } | { leaf: 'x' | 'y' | number };
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ leaf: fc.oneof(fc.constantFrom<'x' | 'y'>('x', 'y'), fc.integer({ min: 0, max: 50 })) }),
        fc.record({ op: fc.constantFrom<'+' | '-' | '*' | '/'>('+', '-', '*', '/'), l: tie('tree'), r: tie('tree') }),
      ),
    }));
    const render = (t: Tree): string => ('leaf' in t ? String(t.leaf) : `(${render(t.l)} ${t.op} ${render(t.r)})`);
    const reference = (t: Tree, x: number, y: number): number => {
      if ('leaf' in t) return t.leaf === 'x' ? x : t.leaf === 'y' ? y : t.leaf;
      const a = reference(t.l, x, y);
      const b = reference(t.r, x, y);
      return t.op === '+' ? a + b : t.op === '-' ? a - b : t.op === '*' ? a * b : a / b;
    };
    fc.assert(
      fc.property(tree, fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 }), (t, x, y) => {
        const expected = reference(t, x, y);
        fc.pre(Number.isFinite(expected));
        const c = compileExpression(`${render(t)} <= ${expected}`, known(['x', 'y']));
        const d = compileExpression(`${render(t)} > ${expected}`, known(['x', 'y']));
        expect(c.evaluate(vars({ x, y }))).toBe(true);
        expect(d.evaluate(vars({ x, y }))).toBe(false);
      }),
    );
  });
});

describe('constraint expressions: rejection', () => {
  it('rejects unknown names with the column of the name', () => {
    const e = errorOf('percentage <= 50 and foo > 2', ['percentage']);
    expect(e.message).toBe("unknown dimension 'foo' at column 22");
    expect(e.column).toBe(22);
  });

  it('rejects injection attempts without evaluating anything', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      for (const source of [
        'process.exit()',
        'process.exit(1) or percentage < 1',
        "require('fs')",
        'constructor.constructor("return process")()',
        '__proto__ == 1',
        'percentage <= 50; process.exit()',
        '`$' + '{process.exit()}`', // a template literal
        'globalThis > 1',
      ]) {
        expect(() => compileExpression(source, known(['percentage'])), source).toThrow(ExpressionError);
      }
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
  });

  it('reports the offending character and suggests the keyword operators', () => {
    expect(errorOf('process.exit()', ['process']).message).toBe("unexpected character '.' at column 8");
    expect(errorOf('a > 1 && a < 3', ['a']).message).toMatch(/'&'.*use 'and'.*column 7/);
    expect(errorOf('a > 1 || a < 3', ['a']).message).toMatch(/use 'or'/);
    expect(errorOf('!(a > 1)', ['a']).message).toMatch(/use 'not'/);
    expect(errorOf('a = 1', ['a']).message).toMatch(/use '=='/);
  });

  it('rejects syntax errors with a position', () => {
    expect(errorOf('', []).message).toMatch(/unexpected end of expression at column 1/);
    expect(errorOf('(a > 1', ['a']).message).toMatch(/expected '\)' to close the '\(' of column 1 at column 7/);
    expect(errorOf('a > 1)', ['a']).message).toMatch(/unexpected '\)' at column 6/);
    expect(errorOf('a > > 1', ['a']).message).toMatch(/unexpected '>' at column 5/);
    expect(errorOf('a 1 > 2', ['a']).message).toMatch(/unexpected '1' at column 3/);
  });

  it('rejects chained comparisons and type errors', () => {
    expect(errorOf('1 < a < 3', ['a']).message).toMatch(/chained comparisons/);
    expect(errorOf('a + 1', ['a']).message).toMatch(/must be a comparison/);
    expect(errorOf('(a < 1) + 1 > 0', ['a']).message).toMatch(/'\+' needs numbers/);
    expect(errorOf('not a', ['a']).message).toMatch(/'not' needs a comparison/);
    expect(errorOf('a and a > 1', ['a']).message).toMatch(/'and' needs a comparison/);
    expect(errorOf('(a < 1) == (a < 2)', ['a']).message).toMatch(/'==' needs numbers/);
  });

  it('bounds length and nesting', () => {
    const deep = `${'('.repeat(MAX_EXPRESSION_DEPTH + 1)}a > 1${')'.repeat(MAX_EXPRESSION_DEPTH + 1)}`;
    expect(errorOf(deep, ['a']).message).toMatch(/nested deeper/);
    const fine = `${'('.repeat(10)}a > 1${')'.repeat(10)}`;
    expect(compileExpression(fine, known(['a'])).evaluate(vars({ a: 2 }))).toBe(true);
    expect(errorOf(`a > ${'1'.repeat(2000)}`, ['a']).message).toMatch(/longer than/);
    expect(errorOf(`${'-'.repeat(200)}a > 1`, ['a']).message).toMatch(/nested deeper/);
  });
});
