/**
 * A tiny, safe expression language for fault-space constraints.
 *
 * Grammar (lowest precedence first; `not` binds looser than comparisons, as in Python):
 * ```
 * expr    := or
 * or      := and ('or' and)*
 * and     := not ('and' not)*
 * not     := 'not' not | compare
 * compare := sum (('<=' | '<' | '>=' | '>' | '==' | '!=') sum)?     -- never chained
 * sum     := product (('+' | '-') product)*
 * product := unary (('*' | '/') unary)*
 * unary   := ('-' | '+') unary | atom
 * atom    := number | name | '(' expr ')'
 * ```
 * The source is tokenised and parsed by hand into closures; nothing is ever handed to `eval` or
 * `Function`, and names are resolved only through the caller's lookup, so `process.exit()` or
 * `constructor` are plain parse errors. Expressions are type-checked at compile time: arithmetic
 * takes numbers, `and`/`or`/`not` take booleans, and a constraint must be boolean.
 *
 * Evaluation semantics: arithmetic is IEEE double; a comparison with a non-finite operand
 * (division by zero, `NaN`) is false, so such a point is infeasible rather than silently allowed.
 */

/** Longest accepted constraint source, in characters (keeps parsing cheap and bounded). */
export const MAX_EXPRESSION_LENGTH = 1000;

/** Deepest accepted nesting (parentheses, unary operators, `not`), so recursion stays shallow. */
export const MAX_EXPRESSION_DEPTH = 64;

/** A constraint that does not tokenise, parse or type-check. `column` is 1-based. */
export class ExpressionError extends Error {
  readonly column: number;

  /**
   * @param message - what is wrong, without the position
   * @param column - 1-based column in the expression source
   */
  constructor(message: string, column: number) {
    super(`${message} at column ${column}`);
    this.name = 'ExpressionError';
    this.column = column;
  }
}

/** Resolves a dimension name to its numeric value, or `null` when the dimension is inactive. */
export type NameLookup = (name: string) => number | null;

/** A compiled boolean expression. */
export interface CompiledExpression {
  /** The source text as written. */
  readonly source: string;
  /** Every distinct name referenced, in order of first appearance. */
  readonly names: readonly string[];
  /**
   * Evaluates with the given lookup. When any referenced name resolves to `null` (an inactive
   * conditional dimension) the expression is treated as satisfied and `true` is returned.
   */
  evaluate(lookup: NameLookup): boolean;
}

/** Options for {@link compileExpression}. */
export interface CompileOptions {
  /**
   * Called for each referenced name at compile time; return an error message to reject the name
   * (unknown dimension, non-numeric dimension …) or `undefined` to accept it.
   */
  checkName?: (name: string) => string | undefined;
}

type TokenKind = 'number' | 'name' | 'op' | 'lparen' | 'rparen' | 'keyword' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  column: number;
  value?: number;
}

const KEYWORDS = new Set(['and', 'or', 'not']);
const COMPARISONS = new Set(['<=', '<', '>=', '>', '==', '!=']);
const NUMBER_RE = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    const column = i + 1;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i += 1;
      continue;
    }
    const rest = source.slice(i);
    const num = NUMBER_RE.exec(rest);
    if (num) {
      tokens.push({ kind: 'number', text: num[0], column, value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const name = NAME_RE.exec(rest);
    if (name) {
      tokens.push({ kind: KEYWORDS.has(name[0]) ? 'keyword' : 'name', text: name[0], column });
      i += name[0].length;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (COMPARISONS.has(two)) {
      tokens.push({ kind: 'op', text: two, column });
      i += 2;
      continue;
    }
    if ('<>+-*/'.includes(ch)) {
      tokens.push({ kind: 'op', text: ch, column });
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '(' ? 'lparen' : 'rparen', text: ch, column });
      i += 1;
      continue;
    }
    const hint =
      two === '&&'
        ? " (use 'and')"
        : two === '||'
          ? " (use 'or')"
          : ch === '!'
            ? " (use 'not')"
            : ch === '='
              ? " (use '==')"
              : '';
    throw new ExpressionError(`unexpected character '${ch}'${hint}`, column);
  }
  tokens.push({ kind: 'end', text: 'end of expression', column: source.length + 1 });
  return tokens;
}

type NumFn = (lookup: NameLookup) => number;
type BoolFn = (lookup: NameLookup) => boolean;
type Typed = { type: 'number'; fn: NumFn; column: number } | { type: 'boolean'; fn: BoolFn; column: number };

function compare(op: string, a: NumFn, b: NumFn): BoolFn {
  const guard =
    (test: (x: number, y: number) => boolean): BoolFn =>
    (lookup) => {
      const x = a(lookup);
      const y = b(lookup);
      return Number.isFinite(x) && Number.isFinite(y) && test(x, y);
    };
  switch (op) {
    case '<=':
      return guard((x, y) => x <= y);
    case '<':
      return guard((x, y) => x < y);
    case '>=':
      return guard((x, y) => x >= y);
    case '>':
      return guard((x, y) => x > y);
    case '==':
      return guard((x, y) => x === y);
    default:
      return guard((x, y) => x !== y);
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  readonly names: string[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly checkName: ((name: string) => string | undefined) | undefined,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos += 1;
    return token;
  }

  private enter(column: number): void {
    this.depth += 1;
    if (this.depth > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError(`expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`, column);
    }
  }

  private leave(): void {
    this.depth -= 1;
  }

  parseAll(): Typed {
    const result = this.parseOr();
    const token = this.peek();
    if (token.kind !== 'end') throw new ExpressionError(`unexpected '${token.text}'`, token.column);
    return result;
  }

  private expectBoolean(operand: Typed, op: string): BoolFn {
    if (operand.type !== 'boolean') {
      throw new ExpressionError(`'${op}' needs a comparison on each side, got a number`, operand.column);
    }
    return operand.fn;
  }

  private expectNumber(operand: Typed, op: string): NumFn {
    if (operand.type !== 'number') {
      throw new ExpressionError(`'${op}' needs numbers, got a comparison`, operand.column);
    }
    return operand.fn;
  }

  private parseOr(): Typed {
    let left = this.parseAnd();
    while (this.peek().kind === 'keyword' && this.peek().text === 'or') {
      this.next();
      const a = this.expectBoolean(left, 'or');
      const b = this.expectBoolean(this.parseAnd(), 'or');
      left = { type: 'boolean', fn: (l) => a(l) || b(l), column: left.column };
    }
    return left;
  }

  private parseAnd(): Typed {
    let left = this.parseNot();
    while (this.peek().kind === 'keyword' && this.peek().text === 'and') {
      this.next();
      const a = this.expectBoolean(left, 'and');
      const b = this.expectBoolean(this.parseNot(), 'and');
      left = { type: 'boolean', fn: (l) => a(l) && b(l), column: left.column };
    }
    return left;
  }

  private parseNot(): Typed {
    const token = this.peek();
    if (token.kind === 'keyword' && token.text === 'not') {
      this.next();
      this.enter(token.column);
      const operand = this.expectBoolean(this.parseNot(), 'not');
      this.leave();
      return { type: 'boolean', fn: (l) => !operand(l), column: token.column };
    }
    return this.parseCompare();
  }

  private parseCompare(): Typed {
    const left = this.parseSum();
    const token = this.peek();
    if (token.kind !== 'op' || !COMPARISONS.has(token.text)) return left;
    this.next();
    const right = this.parseSum();
    const after = this.peek();
    if (after.kind === 'op' && COMPARISONS.has(after.text)) {
      throw new ExpressionError("chained comparisons are not supported (use 'and')", after.column);
    }
    const fn = compare(token.text, this.expectNumber(left, token.text), this.expectNumber(right, token.text));
    return { type: 'boolean', fn, column: left.column };
  }

  private parseSum(): Typed {
    let left = this.parseProduct();
    while (this.peek().kind === 'op' && (this.peek().text === '+' || this.peek().text === '-')) {
      const op = this.next().text;
      const a = this.expectNumber(left, op);
      const b = this.expectNumber(this.parseProduct(), op);
      const fn: NumFn = op === '+' ? (l) => a(l) + b(l) : (l) => a(l) - b(l);
      left = { type: 'number', fn, column: left.column };
    }
    return left;
  }

  private parseProduct(): Typed {
    let left = this.parseUnary();
    while (this.peek().kind === 'op' && (this.peek().text === '*' || this.peek().text === '/')) {
      const op = this.next().text;
      const a = this.expectNumber(left, op);
      const b = this.expectNumber(this.parseUnary(), op);
      const fn: NumFn = op === '*' ? (l) => a(l) * b(l) : (l) => a(l) / b(l);
      left = { type: 'number', fn, column: left.column };
    }
    return left;
  }

  private parseUnary(): Typed {
    const token = this.peek();
    if (token.kind === 'op' && (token.text === '-' || token.text === '+')) {
      this.next();
      this.enter(token.column);
      const operand = this.expectNumber(this.parseUnary(), token.text);
      this.leave();
      const fn: NumFn = token.text === '-' ? (l) => -operand(l) : operand;
      return { type: 'number', fn, column: token.column };
    }
    return this.parseAtom();
  }

  private parseAtom(): Typed {
    const token = this.next();
    switch (token.kind) {
      case 'number': {
        const value = token.value as number;
        if (!Number.isFinite(value)) throw new ExpressionError(`number '${token.text}' is out of range`, token.column);
        return { type: 'number', fn: () => value, column: token.column };
      }
      case 'name': {
        const name = token.text;
        const problem = this.checkName?.(name);
        if (problem !== undefined) throw new ExpressionError(problem, token.column);
        if (!this.names.includes(name)) this.names.push(name);
        // Null never reaches here: evaluate() short-circuits when any name is inactive.
        return { type: 'number', fn: (l) => l(name) ?? Number.NaN, column: token.column };
      }
      case 'lparen': {
        this.enter(token.column);
        const inner = this.parseOr();
        this.leave();
        const close = this.next();
        if (close.kind !== 'rparen') {
          throw new ExpressionError(`expected ')' to close the '(' of column ${token.column}`, close.column);
        }
        return { ...inner, column: token.column };
      }
      case 'end':
        throw new ExpressionError('unexpected end of expression', token.column);
      default:
        throw new ExpressionError(`unexpected '${token.text}'`, token.column);
    }
  }
}

/**
 * Compiles a boolean constraint such as `duration_s * percentage <= 1000`.
 *
 * @param source - the constraint text
 * @param options - `checkName` rejects names the caller does not know
 * @returns the compiled expression
 * @throws ExpressionError on a syntax, name or type error (with the 1-based column)
 * @example
 * const c = compileExpression('a + b <= 10');
 * c.evaluate((n) => (n === 'a' ? 3 : 4)); // true
 */
export function compileExpression(source: string, options: CompileOptions = {}): CompiledExpression {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH + 1);
  }
  const parser = new Parser(tokenize(source), options.checkName);
  const typed = parser.parseAll();
  if (typed.type !== 'boolean') {
    throw new ExpressionError('a constraint must be a comparison (e.g. `percentage <= 50`), not a number', 1);
  }
  const fn = typed.fn;
  const names = [...parser.names];
  return {
    source,
    names,
    evaluate(lookup: NameLookup): boolean {
      for (const name of names) if (lookup(name) === null) return true;
      return fn(lookup);
    },
  };
}
