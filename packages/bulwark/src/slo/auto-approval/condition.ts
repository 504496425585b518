/**
 * The auto-approval condition language: small, typed, validated on write.
 *
 *   criticality in ["low", "medium"] and confidence == "high" and tier == "balanced"
 *   not (team == "payments") or breach_probability < 0.05
 *
 * Grammar (precedence low -> high): or, and, not, comparison.
 *   expr       := and ("or" and)*
 *   and        := unary ("and" unary)*
 *   unary      := "not" unary | "(" expr ")" | comparison
 *   comparison := FIELD op value | FIELD "in" "[" value ("," value)* "]"
 *   op         := == != < <= > >=
 *   value      := NUMBER | STRING ("double quoted") | true | false
 * Fields are a fixed, typed vocabulary (FIELDS); comparing a field with a value of another type,
 * ordering strings, or naming a value outside a closed vocabulary (FIELD_VALUES, e.g. confidence
 * "high" | "medium" | "low") is a validation error reported with its column.
 *
 * Facts (what a condition is evaluated against; see auto-approval/facts.ts):
 * - tier: the recommendation tier the rule would accept (conservative | balanced | aggressive);
 *   service_tier: the services row's numeric tier.
 * - target: the chosen tier's availability target (percent) or latency target (ms), so combine it
 *   with sli_type; breach_probability: the chosen tier's estimated breach probability.
 * - confidence: the recommendation engine's confidence ("high" | "medium" | "low").
 */

export type FieldType = 'string' | 'number' | 'boolean';

export const FIELDS: Record<string, FieldType> = {
  service_id: 'string',
  team: 'string',
  criticality: 'string',
  tier: 'string',
  sli_type: 'string',
  target: 'number',
  confidence: 'string',
  breach_probability: 'number',
  data_completeness: 'number',
  lookback_days: 'number',
  cold_start: 'boolean',
  service_tier: 'number',
};

/** String fields with a closed vocabulary: any other value is a typo that could never match. */
export const FIELD_VALUES: Partial<Record<keyof typeof FIELDS, readonly string[]>> = {
  confidence: ['high', 'medium', 'low'],
  tier: ['conservative', 'balanced', 'aggressive'],
  sli_type: ['availability', 'latency'],
  criticality: ['low', 'medium', 'high', 'critical'],
};

export type Value = string | number | boolean;
type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { kind: 'or' | 'and'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; field: string; op: Op; value: Value }
  | { kind: 'in'; field: string; values: Value[] };

export class ConditionError extends Error {
  override name = 'ConditionError';
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} (at column ${column})`);
  }
}

type Token =
  | { t: 'ident'; v: string; col: number }
  | { t: 'num'; v: number; col: number }
  | { t: 'str'; v: string; col: number }
  | { t: 'op'; v: string; col: number }
  | { t: 'eof'; col: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    const col = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ t: 'ident', v: m[0], col });
      i += m[0].length;
    } else if (/[0-9.-]/.test(c)) {
      const m = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
      if (!m) throw new ConditionError(`unexpected '${c}'`, col);
      out.push({ t: 'num', v: Number(m[0]), col });
      i += m[0].length;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new ConditionError('unterminated string', col);
      out.push({ t: 'str', v: s, col });
      i = j + 1;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>='].includes(two)) {
        out.push({ t: 'op', v: two, col });
        i += 2;
      } else if ('<>()[],'.includes(c)) {
        out.push({ t: 'op', v: c, col });
        i++;
      } else {
        throw new ConditionError(`unexpected '${c}'`, col);
      }
    }
  }
  out.push({ t: 'eof', col: src.length + 1 });
  return out;
}

const MAX_LENGTH = 2000;
const MAX_DEPTH = 32;

/** Parse and type-check a condition; throws ConditionError with a column on any problem. */
export function parseCondition(src: string): Condition {
  if (src.length > MAX_LENGTH) throw new ConditionError(`condition longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos] as Token;
  const next = () => tokens[pos++] as Token;
  const isWord = (tok: Token, w: string) => tok.t === 'ident' && tok.v.toLowerCase() === w;
  const expectOp = (v: string) => {
    const tok = next();
    if (tok.t !== 'op' || tok.v !== v) throw new ConditionError(`expected '${v}'`, tok.col);
  };

  const value = (): { v: Value; col: number } => {
    const tok = next();
    if (tok.t === 'num' || tok.t === 'str') return { v: tok.v, col: tok.col };
    if (isWord(tok, 'true')) return { v: true, col: tok.col };
    if (isWord(tok, 'false')) return { v: false, col: tok.col };
    throw new ConditionError('expected a number, a "string", true or false', tok.col);
  };

  const checkType = (field: string, v: Value, col: number) => {
    const want = FIELDS[field] as FieldType;
    if (typeof v !== want) throw new ConditionError(`field '${field}' is a ${want}, not a ${typeof v}`, col);
    const allowed = FIELD_VALUES[field];
    if (allowed && typeof v === 'string' && !allowed.includes(v)) {
      throw new ConditionError(
        `"${v}" is not a valid ${field}; use one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
        col,
      );
    }
  };

  const comparison = (): Condition => {
    const tok = next();
    if (tok.t !== 'ident') throw new ConditionError('expected a field name', tok.col);
    const field = tok.v;
    if (!(field in FIELDS)) {
      throw new ConditionError(`unknown field '${field}'; known fields: ${Object.keys(FIELDS).join(', ')}`, tok.col);
    }
    const opTok = peek();
    if (isWord(opTok, 'in')) {
      next();
      expectOp('[');
      const values: Value[] = [];
      do {
        const { v, col } = value();
        checkType(field, v, col);
        values.push(v);
      } while (peek().t === 'op' && (peek() as { v: string }).v === ',' && next());
      expectOp(']');
      return { kind: 'in', field, values };
    }
    const op = next();
    if (op.t !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(op.v)) {
      throw new ConditionError('expected a comparison (== != < <= > >=) or `in`', op.col);
    }
    const { v, col } = value();
    checkType(field, v, col);
    if (FIELDS[field] !== 'number' && !['==', '!='].includes(op.v)) {
      throw new ConditionError(`field '${field}' can only be compared with == or !=`, op.col);
    }
    return { kind: 'compare', field, op: op.v as Op, value: v };
  };

  const unary = (depth: number): Condition => {
    if (depth > MAX_DEPTH) throw new ConditionError('condition nests too deeply', peek().col);
    const tok = peek();
    if (isWord(tok, 'not')) {
      next();
      return { kind: 'not', operand: unary(depth + 1) };
    }
    if (tok.t === 'op' && tok.v === '(') {
      next();
      const inner = or(depth + 1);
      expectOp(')');
      return inner;
    }
    return comparison();
  };
  const and = (depth: number): Condition => {
    let left = unary(depth);
    while (isWord(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: unary(depth) };
    }
    return left;
  };
  const or = (depth: number): Condition => {
    let left = and(depth);
    while (isWord(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: and(depth) };
    }
    return left;
  };

  const result = or(0);
  const end = peek();
  if (end.t !== 'eof') throw new ConditionError('unexpected input after the condition', end.col);
  return result;
}

export type Facts = Partial<Record<keyof typeof FIELDS, Value>>;

/** The fields a condition mentions (e.g. to tell whether a rule explicitly decides on confidence). */
export function fieldsOf(c: Condition, out: Set<string> = new Set()): Set<string> {
  switch (c.kind) {
    case 'or':
    case 'and':
      fieldsOf(c.left, out);
      fieldsOf(c.right, out);
      break;
    case 'not':
      fieldsOf(c.operand, out);
      break;
    default:
      out.add(c.field);
  }
  return out;
}

/** Evaluate against a recommendation's facts; a missing fact makes its comparison false. */
export function evaluateCondition(c: Condition, facts: Facts): boolean {
  switch (c.kind) {
    case 'or':
      return evaluateCondition(c.left, facts) || evaluateCondition(c.right, facts);
    case 'and':
      return evaluateCondition(c.left, facts) && evaluateCondition(c.right, facts);
    case 'not':
      return !evaluateCondition(c.operand, facts);
    case 'in': {
      const v = facts[c.field];
      return v !== undefined && c.values.includes(v);
    }
    case 'compare': {
      const v = facts[c.field];
      if (v === undefined) return false;
      switch (c.op) {
        case '==':
          return v === c.value;
        case '!=':
          return v !== c.value;
        case '<':
          return v < c.value;
        case '<=':
          return v <= c.value;
        case '>':
          return v > c.value;
        case '>=':
          return v >= c.value;
      }
    }
  }
}
