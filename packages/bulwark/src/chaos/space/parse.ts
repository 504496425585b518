/**
 * Fault space files (YAML or JSON) → a validated {@link FaultSpace} with the optimizer's
 * {@link SearchSpace}. Every problem is reported with its path (`dimensions[3].low`) and, when it
 * can be located in the text, its 1-based line. Pure: takes text, never reads files.
 */

import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { CategoryValue, Dimension, Point } from '../optimizer/types.js';
import { MAX_DIMENSIONS } from '../optimizer/types.js';
import { FaultSpaceError, type FaultSpaceIssue } from './errors.js';
import { compileExpression, ExpressionError } from './expression.js';
import { faultDimensionName } from './plan.js';
import { type DimensionSpec, type FaultSpaceFile, faultSpaceFileSchema } from './schema.js';
import {
  type DeclaredDimension,
  FAULT_TYPES,
  type FaultMatch,
  type FaultSpace,
  PLAN_FIELDS,
  type PlanDefaults,
  type PlanField,
  type SpaceConstraint,
} from './types.js';

/** Largest accepted fault space text, in characters. */
export const MAX_FAULT_SPACE_LENGTH = 256 * 1024;

type Segment = string | number;
type Locate = (path: readonly Segment[]) => number | undefined;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Formats a path as `dimensions[3].low`; the root is `''`; keys that are not identifiers are
 * quoted (`headers["x-user"]`).
 *
 * @param path - object keys and array indices from the root
 * @returns the dotted path
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Parses the text and returns the data plus a path → line locator (YAML parser for both formats). */
function readDocument(text: string, format: 'yaml' | 'json' | undefined): { data: unknown; locate: Locate } {
  if (text.length > MAX_FAULT_SPACE_LENGTH) {
    throw new FaultSpaceError([{ path: '', message: `file longer than ${MAX_FAULT_SPACE_LENGTH} characters` }]);
  }
  const lineCounter = new LineCounter();
  // JSON is (almost) a subset of YAML: the YAML document gives line numbers for both formats.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: format !== 'json' });
  const locate: Locate = (path) => {
    for (let n = path.length; n >= 0; n -= 1) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && Array.isArray(node.range)) {
        return lineCounter.linePos(node.range[0]).line;
      }
    }
    return undefined;
  };

  if (format === 'json') {
    try {
      return { data: JSON.parse(text) as unknown, locate };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const line = lineCounter.linePos(jsonErrorOffset(text, message)).line;
      throw new FaultSpaceError([{ path: '', line, message: `invalid JSON: ${message}` }]);
    }
  }

  if (doc.errors.length > 0) {
    throw new FaultSpaceError(
      doc.errors.map((e) => {
        const issue: FaultSpaceIssue = { path: '', message: `invalid YAML: ${firstLine(e.message)}` };
        const line = e.linePos?.[0]?.line;
        if (line !== undefined) issue.line = line;
        return issue;
      }),
    );
  }
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }) as unknown, locate };
  } catch (error) {
    throw new FaultSpaceError([
      { path: '', message: `invalid YAML: ${error instanceof Error ? error.message : error}` },
    ]);
  }
}

/** Is this `JSON.parse` failure of a prefix of length `length` only due to the cut? */
function cutShort(message: string, length: number): boolean {
  if (message.includes('end of JSON input')) return true;
  const position = /position (\d+)/.exec(message);
  return position !== null && Number(position[1]) >= length;
}

/**
 * Offset of a JSON syntax error. V8 names the position for some errors only; otherwise find the
 * shortest prefix whose parse fails for a reason other than being cut short (binary search).
 */
function jsonErrorOffset(text: string, message: string): number {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    let broken = false;
    try {
      JSON.parse(text.slice(0, mid + 1));
    } catch (error) {
      broken = !cutShort(error instanceof Error ? error.message : String(error), mid + 1);
    }
    if (broken) hi = mid;
    else lo = mid + 1;
  }
  return Math.min(lo, text.length);
}

function issueAt(locate: Locate, path: readonly Segment[], message: string): FaultSpaceIssue {
  const issue: FaultSpaceIssue = { path: formatPath(path), message };
  const line = locate(path);
  if (line !== undefined) issue.line = line;
  return issue;
}

function zodIssues(issues: readonly z.core.$ZodIssue[], locate: Locate): FaultSpaceIssue[] {
  const out: FaultSpaceIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is Segment => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(issueAt(locate, [...path, key], `unknown key '${key}'`));
      continue;
    }
    let message = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) message = 'is required';
    if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      message = `must be one of ${issue.options.map((o) => `'${String(o)}'`).join(', ')}`;
    }
    out.push(issueAt(locate, path, message));
  }
  return out;
}

const isNumericValues = (values: readonly CategoryValue[]): boolean => values.every((v) => typeof v === 'number');

function isNumericDimension(d: DimensionSpec): boolean {
  return d.type !== 'categorical' || isNumericValues(d.values);
}

/** Numeric plan fields and their admissible ranges. */
const NUMERIC_FIELDS: Partial<Record<PlanField, { min: number; max: number; minExclusive?: boolean; int?: boolean }>> =
  {
    abort_status: { min: 200, max: 599, int: true },
    delay_ms: { min: 0, max: Number.POSITIVE_INFINITY },
    percentage: { min: 0, max: 100 },
    start_delay_s: { min: 0, max: Number.POSITIVE_INFINITY },
    duration_s: { min: 0, max: Number.POSITIVE_INFINITY, minExclusive: true },
  };

function describeRange(r: { min: number; max: number; minExclusive?: boolean }): string {
  const lower = r.minExclusive ? `> ${r.min}` : `>= ${r.min}`;
  return Number.isFinite(r.max) ? `${lower} and <= ${r.max}` : lower;
}

class Checker {
  readonly issues: FaultSpaceIssue[] = [];

  constructor(private readonly locate: Locate) {}

  add(path: readonly Segment[], message: string): void {
    this.issues.push(issueAt(this.locate, path, message));
  }
}

function checkPlanField(d: DimensionSpec, i: number, file: FaultSpaceFile, check: Checker): void {
  const at = (...rest: Segment[]): Segment[] => ['dimensions', i, ...rest];
  const name = d.name as PlanField;
  const stringValues = (allowed?: readonly string[], what?: string): void => {
    if (d.type !== 'categorical') {
      check.add(at('type'), `'${name}' must be categorical`);
      return;
    }
    d.values.forEach((v, k) => {
      if (typeof v !== 'string') check.add(at('values', k), `'${name}' values must be strings`);
      else if (allowed && !allowed.includes(v)) check.add(at('values', k), `'${v}' is not ${what}`);
      else if (name === 'path_prefix' && !v.startsWith('/')) check.add(at('values', k), "must start with '/'");
    });
  };
  switch (name) {
    case 'service':
      stringValues(file.target.services, `one of target.services (${file.target.services.join(', ')})`);
      return;
    case 'fault':
      stringValues(FAULT_TYPES, `a fault type (${FAULT_TYPES.join(', ')})`);
      return;
    case 'method':
    case 'path_prefix':
      stringValues();
      return;
    default: {
      const range = Object.hasOwn(NUMERIC_FIELDS, name) ? NUMERIC_FIELDS[name] : undefined;
      if (!range) return;
      const inRange = (x: number): boolean =>
        (range.minExclusive ? x > range.min : x >= range.min) && x <= range.max && (!range.int || Number.isInteger(x));
      const expected = `${range.int ? 'an integer ' : ''}${describeRange(range)}`;
      if (d.type === 'categorical') {
        d.values.forEach((v, k) => {
          if (typeof v !== 'number') check.add(at('values', k), `'${name}' values must be numbers`);
          else if (!inRange(v)) check.add(at('values', k), `'${name}' must be ${expected}, got ${v}`);
        });
        return;
      }
      if (range.int && d.type === 'real') check.add(at('type'), `'${name}' must be integer or categorical`);
      if (!inRange(d.low)) check.add(at('low'), `'${name}' must be ${expected}, got ${d.low}`);
      if (!inRange(d.high)) check.add(at('high'), `'${name}' must be ${expected}, got ${d.high}`);
    }
  }
}

function checkDimensions(file: FaultSpaceFile, check: Checker): void {
  const firstIndex = new Map<string, number>();
  file.dimensions.forEach((d, i) => {
    const seen = firstIndex.get(d.name);
    if (seen !== undefined) {
      check.add(
        ['dimensions', i, 'name'],
        `duplicate dimension name '${d.name}' (first declared at dimensions[${seen}])`,
      );
    } else firstIndex.set(d.name, i);
    const isPlanField = (PLAN_FIELDS as readonly string[]).includes(d.name);
    if (!isPlanField) {
      check.add(['dimensions', i, 'name'], `'${d.name}' is not a fault-plan field (one of ${PLAN_FIELDS.join(', ')})`);
    }

    if (d.type === 'categorical') {
      d.values.forEach((v, k) => {
        if (d.values.indexOf(v) !== k)
          check.add(['dimensions', i, 'values', k], `duplicate value ${JSON.stringify(v)}`);
      });
    } else {
      if (!(d.low < d.high)) check.add(['dimensions', i, 'low'], `low (${d.low}) must be lower than high (${d.high})`);
      if (d.log && d.low <= 0) check.add(['dimensions', i, 'low'], `a log-scale dimension needs low > 0, got ${d.low}`);
    }

    if (d.when) {
      const refs = Object.keys(d.when);
      if (refs.length !== 1) {
        check.add(['dimensions', i, 'when'], `must name exactly one dimension, got ${refs.length}`);
      } else {
        const ref = refs[0] as string;
        const refIndex = firstIndex.get(ref);
        const target = refIndex === undefined ? undefined : file.dimensions[refIndex];
        if (ref === d.name) {
          check.add(['dimensions', i, 'when', ref], 'a dimension cannot depend on itself');
        } else if (refIndex === undefined || !target) {
          const later = file.dimensions.findIndex((x) => x.name === ref);
          check.add(
            ['dimensions', i, 'when', ref],
            later >= 0
              ? `must reference an earlier dimension ('${ref}' is declared later, at dimensions[${later}])`
              : `unknown dimension '${ref}'`,
          );
        } else if (target.type !== 'categorical') {
          check.add(['dimensions', i, 'when', ref], `'${ref}' is not categorical`);
        } else {
          const raw = d.when[ref];
          const values = Array.isArray(raw) ? raw : [raw];
          values.forEach((v, k) => {
            if (v === undefined || !target.values.includes(v)) {
              check.add(
                Array.isArray(raw) ? ['dimensions', i, 'when', ref, k] : ['dimensions', i, 'when', ref],
                `${JSON.stringify(v)} is not a value of '${ref}' (${target.values.map((x) => JSON.stringify(x)).join(', ')})`,
              );
            }
          });
        }
      }
    }
    if (isPlanField) checkPlanField(d, i, file, check);
  });

  const names = new Set(file.dimensions.map((d) => d.name));
  if (!names.has('service')) {
    if (file.defaults?.service === undefined) {
      check.add(['dimensions'], "no 'service' dimension and no defaults.service: every plan needs a target service");
    } else if (!file.target.services.includes(file.defaults.service)) {
      check.add(['defaults', 'service'], `'${file.defaults.service}' is not one of target.services`);
    }
  }
  if (!names.has('fault') && file.defaults?.fault === undefined) {
    check.add(['dimensions'], "no 'fault' dimension and no defaults.fault: every plan needs a fault type");
  }
  const faults = file.faults ?? 1;
  const total = faults * file.dimensions.length;
  if (total > MAX_DIMENSIONS) {
    check.add(
      ['faults'],
      `${faults} faults × ${file.dimensions.length} dimensions = ${total} search dimensions, more than ${MAX_DIMENSIONS}`,
    );
  }
}

function numericLookup(point: Point, name: string): number | null {
  const value = Object.hasOwn(point, name) ? point[name] : null;
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number.NaN;
}

function compileConstraints(file: FaultSpaceFile, check: Checker): SpaceConstraint[] {
  const faults = file.faults ?? 1;
  const declared = new Map(file.dimensions.map((d) => [d.name, d] as const));
  const resolveDeclared = (name: string): DimensionSpec | undefined => {
    const direct = declared.get(name);
    if (direct) return direct;
    if (faults === 1) return undefined;
    const m = /^(.*)_(\d+)$/.exec(name);
    const index = m ? Number(m[2]) : 0;
    return m && index >= 1 && index <= faults ? declared.get(m[1] as string) : undefined;
  };
  const checkName = (name: string): string | undefined => {
    const d = resolveDeclared(name);
    if (!d) {
      const hint = faults > 1 && declared.has(name.replace(/_\d+$/, '')) ? ` (faults are numbered 1..${faults})` : '';
      return `unknown dimension '${name}'${hint}`;
    }
    return isNumericDimension(d) ? undefined : `dimension '${name}' is not numeric`;
  };

  const out: SpaceConstraint[] = [];
  (file.constraints ?? []).forEach((source, i) => {
    let compiled: ReturnType<typeof compileExpression>;
    try {
      compiled = compileExpression(source, { checkName });
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      check.add(['constraints', i], error.message);
      return;
    }
    const perFault = faults > 1 && compiled.names.some((n) => declared.has(n));
    const instances = perFault ? faults : 1;
    for (let k = 1; k <= instances; k += 1) {
      const rename = (n: string): string => (perFault && declared.has(n) ? faultDimensionName(n, k, faults) : n);
      const references = compiled.names.map(rename);
      out.push({
        label: perFault ? `${source} [fault ${k}]` : source,
        references,
        test: (point) => compiled.evaluate((n) => numericLookup(point, rename(n))),
      });
    }
  });

  const cap = file.blast_radius?.max_percentage;
  if (cap !== undefined) {
    const index = file.dimensions.findIndex((d) => d.name === 'percentage');
    const d = file.dimensions[index];
    if (d) {
      const lowest = d.type === 'categorical' ? Math.min(...d.values.map(Number)) : d.low;
      if (lowest > cap) {
        check.add(
          ['blast_radius', 'max_percentage'],
          `cap ${cap} is below every percentage of dimensions[${index}] (lowest ${lowest}): no feasible point`,
        );
      }
      for (let k = 1; k <= faults; k += 1) {
        const name = faultDimensionName('percentage', k, faults);
        out.push({
          label: `blast_radius: ${name} <= ${cap}`,
          references: [name],
          test: (point) => {
            const value = numericLookup(point, name);
            return value === null || value <= cap;
          },
        });
      }
    }
    const fallback = file.defaults?.percentage;
    if (fallback !== undefined && fallback > cap) {
      check.add(['defaults', 'percentage'], `${fallback} exceeds blast_radius.max_percentage ${cap}`);
    }
  }
  return out;
}

function declare(d: DimensionSpec): DeclaredDimension {
  const out: DeclaredDimension = { name: d.name as PlanField, kind: d.type };
  if (d.type === 'categorical') out.values = [...d.values];
  else {
    out.low = d.low;
    out.high = d.high;
    if (d.log !== undefined) out.log = d.log;
  }
  const ref = d.when ? Object.keys(d.when)[0] : undefined;
  if (d.when && ref !== undefined) {
    const raw = d.when[ref];
    out.when = { dimension: ref, in: Array.isArray(raw) ? [...raw] : raw === undefined ? [] : [raw] };
  }
  return out;
}

function expand(declared: readonly DeclaredDimension[], faults: number): Dimension[] {
  const out: Dimension[] = [];
  for (let k = 1; k <= faults; k += 1) {
    for (const d of declared) {
      const name = faultDimensionName(d.name, k, faults);
      const activeWhen = d.when
        ? { dimension: faultDimensionName(d.when.dimension, k, faults), in: d.when.in }
        : undefined;
      let dim: Dimension;
      if (d.kind === 'categorical') dim = { kind: 'categorical', name, values: d.values ?? [] };
      else {
        const numeric: Dimension & { kind: 'integer' | 'real' } = {
          kind: d.kind,
          name,
          low: d.low ?? 0,
          high: d.high ?? 0,
        };
        if (d.log !== undefined) numeric.log = d.log;
        dim = numeric;
      }
      if (activeWhen) dim.activeWhen = activeWhen;
      out.push(dim);
    }
  }
  return out;
}

function copyDefined<T extends object>(source: object | undefined): T {
  const out = {} as T;
  if (!source) return out;
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * Parses and validates a fault space file.
 *
 * Structure is checked with a zod schema; then: 1–20 declared dimensions (and at most
 * `MAX_DIMENSIONS` after multi-fault expansion), unique names that are plan fields, `low < high`,
 * `log` only with `low > 0`, categorical values non-empty and unique, `when` naming one earlier
 * categorical dimension and existing values, plan-field ranges (e.g. `percentage` in [0, 100],
 * `service` values among `target.services`), and constraints that parse and reference only
 * numeric dimensions. The blast-radius cap becomes one more constraint per `percentage`
 * dimension.
 *
 * @param text - the file contents
 * @param format - `'json'` parses with `JSON.parse`; `'yaml'` or omitted parses YAML (a JSON file
 *   is valid YAML, so omitting the format accepts both)
 * @returns the fault space, including the optimizer's `searchSpace`
 * @throws FaultSpaceError listing every problem found, each with `path` and, when locatable, `line`
 * @example
 * const space = parseFaultSpace(readFileSync('faults.yaml', 'utf8'));
 * space.searchSpace.feasible({ percentage: 80 }); // false with `percentage <= 50`
 */
export function parseFaultSpace(text: string, format?: 'yaml' | 'json'): FaultSpace {
  const { data, locate } = readDocument(text, format);
  const parsed = faultSpaceFileSchema.safeParse(data);
  if (!parsed.success) throw new FaultSpaceError(zodIssues(parsed.error.issues, locate));
  const file = parsed.data;

  const check = new Checker(locate);
  checkDimensions(file, check);
  const constraints = compileConstraints(file, check);
  if (check.issues.length > 0) throw new FaultSpaceError(check.issues);

  const faults = file.faults ?? 1;
  const dimensions = file.dimensions.map(declare);
  const feasible = (point: Point): boolean => constraints.every((c) => c.test(point));
  const match = copyDefined<FaultMatch>(file.match);
  if (match.headers) match.headers = { ...match.headers };

  const space: FaultSpace = {
    name: file.name,
    target: { entry: file.target.entry, services: [...file.target.services] },
    faults,
    dimensions,
    constraints,
    match,
    defaults: copyDefined<PlanDefaults>(file.defaults),
    searchSpace: { dimensions: expand(dimensions, faults), feasible },
  };
  if (file.description !== undefined) space.description = file.description;
  if (file.blast_radius) space.blastRadius = { maxPercentage: file.blast_radius.max_percentage };
  if (file.steady_state) space.steadyState = copyDefined(file.steady_state);
  return space;
}
