/**
 * The search space as numbers: validation, encoding of points to feature vectors (and back), uniform
 * sampling, conditional (`activeWhen`) dimensions and feasibility rejection.
 *
 * Encoding (one number per dimension, in declaration order):
 * - real / integer: position in [0, 1] between `low` and `high`, on a log scale when `log` is set;
 * - categorical: the category's index 0..k-1 (the forest splits on it natively, no one-hot);
 * - an inactive conditional dimension: {@link INACTIVE} (-1), below every active value.
 */
import { InfeasibleSpaceError } from './errors.js';
import type { Prng } from './prng.js';
import {
  type CategoryValue,
  type Dimension,
  type Feasibility,
  MAX_DIMENSIONS,
  type Point,
  type SearchSpace,
} from './types.js';

/** Encoded value of an inactive conditional dimension. */
export const INACTIVE = -1;

/** Default attempt budget of rejection sampling against `feasible`. */
export const DEFAULT_MAX_ATTEMPTS = 1000;

const REAL = 0;
const INT = 1;
const CAT = 2;

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

function isCategoryValue(v: unknown): v is CategoryValue {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Checks a search space and throws an `Error` whose message names the offending dimension: at most
 * {@link MAX_DIMENSIONS} dimensions, unique non-empty names, finite `low < high`, `log` only with
 * `low > 0`, integer bounds for integer dimensions, non-empty unique categories, and `activeWhen`
 * referring to an earlier categorical dimension and to its categories.
 */
export function validateSpace(space: SearchSpace): void {
  if (space === null || typeof space !== 'object' || !Array.isArray(space.dimensions))
    throw new Error('search space must have a dimensions array');
  const dims = space.dimensions;
  if (dims.length === 0) throw new Error('search space has no dimensions');
  if (dims.length > MAX_DIMENSIONS)
    throw new Error(`search space has ${dims.length} dimensions; at most ${MAX_DIMENSIONS} are supported`);
  if (space.feasible !== undefined && typeof space.feasible !== 'function')
    throw new Error('search space feasible must be a function');
  const seen = new Map<string, Dimension>();
  dims.forEach((dim, i) => {
    if (dim === null || typeof dim !== 'object') throw new Error(`dimension #${i + 1} is not an object`);
    const name = (dim as { name?: unknown }).name;
    if (typeof name !== 'string' || name.length === 0) throw new Error(`dimension #${i + 1} has no name`);
    if (seen.has(name)) throw new Error(`dimension '${name}' is declared more than once`);
    const kind = (dim as { kind?: unknown }).kind;
    if (kind === 'real' || kind === 'integer') {
      const { low, high, log } = dim as { low: unknown; high: unknown; log?: unknown };
      if (typeof low !== 'number' || !Number.isFinite(low) || typeof high !== 'number' || !Number.isFinite(high))
        throw new Error(`dimension '${name}': low and high must be finite numbers`);
      if (kind === 'integer' && (!Number.isInteger(low) || !Number.isInteger(high)))
        throw new Error(`dimension '${name}': integer bounds must be integers (got ${low}..${high})`);
      if (!(low < high)) throw new Error(`dimension '${name}': low (${low}) must be less than high (${high})`);
      if (log !== undefined && typeof log !== 'boolean') throw new Error(`dimension '${name}': log must be a boolean`);
      if (log === true && !(low > 0)) throw new Error(`dimension '${name}': log scale requires low > 0 (got ${low})`);
    } else if (kind === 'categorical') {
      const values = (dim as { values?: unknown }).values;
      if (!Array.isArray(values) || values.length === 0)
        throw new Error(`dimension '${name}': categorical dimension needs at least one value`);
      const vs = new Set<unknown>();
      for (const v of values) {
        if (!isCategoryValue(v))
          throw new Error(`dimension '${name}': category ${describe(v)} is not a string, finite number or boolean`);
        if (vs.has(v)) throw new Error(`dimension '${name}': duplicate category ${describe(v)}`);
        vs.add(v);
      }
    } else {
      throw new Error(`dimension '${name}': unknown kind ${describe(kind)}`);
    }
    const aw = dim.activeWhen;
    if (aw !== undefined) {
      if (aw === null || typeof aw !== 'object' || typeof aw.dimension !== 'string')
        throw new Error(`dimension '${name}': activeWhen must name a dimension`);
      const parent = seen.get(aw.dimension);
      if (parent === undefined)
        throw new Error(`dimension '${name}': activeWhen refers to '${aw.dimension}', which is not declared before it`);
      if (parent.kind !== 'categorical')
        throw new Error(`dimension '${name}': activeWhen refers to '${aw.dimension}', which is not categorical`);
      if (!Array.isArray(aw.in) || aw.in.length === 0)
        throw new Error(`dimension '${name}': activeWhen.in must list at least one category of '${aw.dimension}'`);
      for (const v of aw.in) {
        if (!parent.values.includes(v))
          throw new Error(
            `dimension '${name}': activeWhen value ${describe(v)} is not a category of '${aw.dimension}'`,
          );
      }
    }
    seen.set(name, dim);
  });
}

/**
 * A validated search space with its numeric encoding. Immutable; all methods are pure except that
 * sampling methods advance the PRNG they are given.
 */
export class EncodedSpace {
  /** The dimensions in declaration order (the encoding's column order). */
  readonly dimensions: readonly Dimension[];
  /** Dimension names in column order. */
  readonly names: readonly string[];
  /** Number of dimensions (columns of the encoding). */
  readonly size: number;
  /** The feasibility predicate, if any. */
  readonly feasible: Feasibility | undefined;
  /** Per column: 0 for a numeric dimension, the number of categories for a categorical one. */
  readonly categories: Int32Array;
  /** True when every dimension is integer or categorical (the space is countable). */
  readonly discrete: boolean;

  private readonly kind: Uint8Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly isLog: Uint8Array;
  private readonly lnLow: Float64Array;
  private readonly lnHigh: Float64Array;
  private readonly parent: Int32Array;
  private readonly allowed: ReadonlyArray<Uint8Array | null>;
  private readonly catIndex: ReadonlyArray<ReadonlyMap<CategoryValue, number> | null>;
  private readonly index: ReadonlyMap<string, number>;

  /** Validates `space` (see {@link validateSpace}) and precomputes its encoding. */
  constructor(space: SearchSpace) {
    validateSpace(space);
    const dims = space.dimensions;
    const d = dims.length;
    this.dimensions = dims;
    this.names = dims.map((x) => x.name);
    this.size = d;
    this.feasible = space.feasible;
    this.categories = new Int32Array(d);
    this.kind = new Uint8Array(d);
    this.low = new Float64Array(d);
    this.high = new Float64Array(d);
    this.isLog = new Uint8Array(d);
    this.lnLow = new Float64Array(d);
    this.lnHigh = new Float64Array(d);
    this.parent = new Int32Array(d).fill(-1);
    const index = new Map<string, number>();
    const allowed: Array<Uint8Array | null> = [];
    const catIndex: Array<Map<CategoryValue, number> | null> = [];
    dims.forEach((dim, i) => {
      index.set(dim.name, i);
      if (dim.kind === 'categorical') {
        this.kind[i] = CAT;
        this.categories[i] = dim.values.length;
        catIndex.push(new Map(dim.values.map((v, j) => [v, j])));
      } else {
        this.kind[i] = dim.kind === 'integer' ? INT : REAL;
        this.low[i] = dim.low;
        this.high[i] = dim.high;
        if (dim.log === true) {
          this.isLog[i] = 1;
          this.lnLow[i] = Math.log(dim.low);
          this.lnHigh[i] = Math.log(dim.high);
        }
        catIndex.push(null);
      }
      if (dim.activeWhen !== undefined) {
        const p = index.get(dim.activeWhen.dimension) as number;
        this.parent[i] = p;
        const parentMap = catIndex[p] as Map<CategoryValue, number>;
        const mask = new Uint8Array(parentMap.size);
        for (const v of dim.activeWhen.in) mask[parentMap.get(v) as number] = 1;
        allowed.push(mask);
      } else {
        allowed.push(null);
      }
    });
    this.allowed = allowed;
    this.catIndex = catIndex;
    this.index = index;
    this.discrete = !dims.some((x) => x.kind === 'real');
  }

  /** Column of the dimension called `name`, or -1. */
  columnOf(name: string): number {
    return this.index.get(name) ?? -1;
  }

  /** True when column `i` is categorical. */
  isCategorical(i: number): boolean {
    return this.kind[i] === CAT;
  }

  /** True when column `i` is an integer dimension. */
  isInteger(i: number): boolean {
    return this.kind[i] === INT;
  }

  /** Whether column `i` is active in the encoded vector at `vec[offset..]` (its parent chain holds). */
  isActive(vec: ArrayLike<number>, offset: number, i: number): boolean {
    const p = this.parent[i] as number;
    if (p < 0) return true;
    const c = vec[offset + p] as number;
    return c >= 0 && (this.allowed[i] as Uint8Array)[c] === 1;
  }

  /** Encodes one (valid, non-null) value of column `i`. */
  encodeValue(i: number, v: CategoryValue): number {
    const k = this.kind[i];
    if (k === CAT) return (this.catIndex[i] as ReadonlyMap<CategoryValue, number>).get(v) as number;
    const x = v as number;
    if (this.isLog[i] === 1) {
      const lo = this.lnLow[i] as number;
      return (Math.log(x) - lo) / ((this.lnHigh[i] as number) - lo);
    }
    const lo = this.low[i] as number;
    return (x - lo) / ((this.high[i] as number) - lo);
  }

  /** Decodes an encoded (active, >= 0) value of column `i` to the dimension's value. */
  decodeValue(i: number, e: number): CategoryValue {
    const k = this.kind[i];
    if (k === CAT) {
      const values = (this.dimensions[i] as { values: readonly CategoryValue[] }).values;
      const j = Math.min(values.length - 1, Math.max(0, Math.round(e)));
      return values[j] as CategoryValue;
    }
    const lo = this.low[i] as number;
    const hi = this.high[i] as number;
    const u = Math.min(Math.max(e, 0), 1);
    let x: number;
    if (this.isLog[i] === 1) {
      const llo = this.lnLow[i] as number;
      x = Math.exp(llo + u * ((this.lnHigh[i] as number) - llo));
    } else {
      x = lo + u * (hi - lo);
    }
    if (k === INT) x = Math.round(x);
    return Math.min(Math.max(x, lo), hi);
  }

  /** The canonical encoded value for column `i` near `e` (integers snapped to the nearest integer). */
  snap(i: number, e: number): number {
    const k = this.kind[i];
    if (k === REAL) return Math.min(Math.max(e, 0), 1);
    if (k === CAT) {
      const n = this.categories[i] as number;
      return Math.min(n - 1, Math.max(0, Math.round(e)));
    }
    return this.encodeValue(i, this.decodeValue(i, e));
  }

  /**
   * Maps u in [0, 1) to an encoded value of column `i` so that a uniform u gives a uniform value:
   * uniform over integers, over categories, and over [low, high] (log-uniform when `log`).
   */
  unitToEncoded(i: number, u: number): number {
    const k = this.kind[i];
    if (k === REAL) return u;
    if (k === CAT) {
      const n = this.categories[i] as number;
      return Math.min(n - 1, Math.floor(u * n));
    }
    const lo = this.low[i] as number;
    const hi = this.high[i] as number;
    let v: number;
    if (this.isLog[i] === 1) {
      // Log-uniform over [low, high + 1) so that `high` gets its share.
      const llo = this.lnLow[i] as number;
      v = Math.floor(Math.exp(llo + u * (Math.log(hi + 1) - llo)));
    } else {
      v = lo + Math.floor(u * (hi - lo + 1));
    }
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return this.encodeValue(i, v);
  }

  /**
   * Writes the encoded point for a unit-cube row `u[uOffset..uOffset+size)` into `out[outOffset..]`,
   * marking inactive conditional columns {@link INACTIVE}.
   */
  fromUnit(u: ArrayLike<number>, uOffset: number, out: Float64Array, outOffset: number): void {
    for (let i = 0; i < this.size; i++) {
      out[outOffset + i] = this.isActive(out, outOffset, i)
        ? this.unitToEncoded(i, u[uOffset + i] as number)
        : INACTIVE;
    }
  }

  /** Writes a uniformly random encoded point into `out[offset..]` (feasibility not checked). */
  sampleEncoded(rng: Prng, out: Float64Array, offset: number): void {
    const kind = this.kind;
    const parent = this.parent;
    const cats = this.categories;
    for (let i = 0; i < this.size; i++) {
      // Always draw, so the stream position does not depend on activity.
      const u = rng.next();
      const p = parent[i] as number;
      if (p >= 0) {
        const c = out[offset + p] as number;
        if (c < 0 || (this.allowed[i] as Uint8Array)[c] !== 1) {
          out[offset + i] = INACTIVE;
          continue;
        }
      }
      const k = kind[i];
      if (k === REAL) out[offset + i] = u;
      else if (k === CAT) out[offset + i] = Math.min((cats[i] as number) - 1, Math.floor(u * (cats[i] as number)));
      else out[offset + i] = this.unitToEncoded(i, u);
    }
  }

  /**
   * Restores consistency of an encoded point after some columns were changed: columns whose condition
   * no longer holds become {@link INACTIVE}; columns that became active get a uniformly random value.
   */
  repair(vec: Float64Array, offset: number, rng: Prng): void {
    for (let i = 0; i < this.size; i++) {
      if (this.parent[i] === -1) continue;
      const active = this.isActive(vec, offset, i);
      if (!active) vec[offset + i] = INACTIVE;
      else if ((vec[offset + i] as number) < 0) vec[offset + i] = this.unitToEncoded(i, rng.next());
    }
  }

  /**
   * Decodes an encoded vector to a point; inactive columns become `null`. Numeric values are clamped to
   * their bounds and integers rounded, so any vector decodes to a valid point.
   */
  decode(vec: ArrayLike<number>, offset = 0): Point {
    const point: Point = {};
    for (let i = 0; i < this.size; i++) {
      point[this.names[i] as string] = this.isActive(vec, offset, i)
        ? this.decodeValue(i, vec[offset + i] as number)
        : null;
    }
    return point;
  }

  /** Encodes a point (validated first, see {@link EncodedSpace.validatePoint}) into a new vector. */
  encode(point: Point): Float64Array {
    const out = new Float64Array(this.size);
    this.encodeInto(point, out, 0);
    return out;
  }

  /** Encodes a point (validated first) into `out[offset..offset+size)`. */
  encodeInto(point: Point, out: Float64Array, offset: number): void {
    this.validatePoint(point);
    for (let i = 0; i < this.size; i++) {
      const v = point[this.names[i] as string];
      out[offset + i] = v === null || v === undefined ? INACTIVE : this.encodeValue(i, v);
    }
  }

  /**
   * Throws an `Error` naming the dimension unless `point` assigns every dimension a valid value: within
   * bounds (integers integral), a declared category, `null` exactly when the dimension is inactive, and
   * no unknown keys. Feasibility is not checked here.
   */
  validatePoint(point: Point): void {
    if (point === null || typeof point !== 'object') throw new Error('point must be an object');
    for (const key of Object.keys(point)) {
      if (!this.index.has(key)) throw new Error(`point has unknown dimension '${key}'`);
    }
    const encodedParents = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const name = this.names[i] as string;
      const v = point[name];
      const active = this.isActive(encodedParents, 0, i);
      if (v === undefined) throw new Error(`point has no value for dimension '${name}'`);
      if (!active) {
        if (v !== null) throw new Error(`dimension '${name}' is inactive in this point and must be null`);
        encodedParents[i] = INACTIVE;
        continue;
      }
      if (v === null) throw new Error(`dimension '${name}' is active in this point and must not be null`);
      const k = this.kind[i];
      if (k === CAT) {
        const j = (this.catIndex[i] as ReadonlyMap<CategoryValue, number>).get(v);
        if (j === undefined) throw new Error(`dimension '${name}': ${describe(v)} is not one of its categories`);
        encodedParents[i] = j;
      } else {
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new Error(`dimension '${name}': value ${describe(v)} is not a finite number`);
        if (k === INT && !Number.isInteger(v)) throw new Error(`dimension '${name}': value ${v} is not an integer`);
        const lo = this.low[i] as number;
        const hi = this.high[i] as number;
        if (v < lo || v > hi) throw new Error(`dimension '${name}': value ${v} is outside [${lo}, ${hi}]`);
        encodedParents[i] = 0;
      }
    }
  }

  /** A validated copy of `point` with its keys in declaration order (inactive dimensions `null`). */
  canonical(point: Point): Point {
    this.validatePoint(point);
    const out: Point = {};
    for (const n of this.names) out[n] = point[n] ?? null;
    return out;
  }

  /** True when the point satisfies the space's `feasible` predicate (or there is none). */
  isFeasible(point: Point): boolean {
    return this.feasible === undefined || this.feasible(point) === true;
  }

  /**
   * Canonical key of a point for duplicate detection: the values in declaration order, JSON-encoded
   * (so `1` and `'1'` differ). Keys of equal points are equal whatever the property order.
   */
  key(point: Point): string {
    const values: Array<CategoryValue | null> = [];
    for (const n of this.names) values.push(point[n] ?? null);
    return JSON.stringify(values);
  }

  /**
   * A uniformly random feasible point by rejection sampling. Throws {@link InfeasibleSpaceError} when
   * `maxAttempts` samples in a row were infeasible.
   */
  sample(rng: Prng, maxAttempts = DEFAULT_MAX_ATTEMPTS): Point {
    const buf = new Float64Array(this.size);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      this.sampleEncoded(rng, buf, 0);
      const p = this.decode(buf);
      if (this.isFeasible(p)) return p;
    }
    throw new InfeasibleSpaceError(
      `no feasible point found in ${maxAttempts} random samples: the space's constraints seem infeasible`,
    );
  }

  /**
   * Number of distinct points (ignoring feasibility) when the space is discrete and has at most
   * `limit` points; otherwise `Infinity`.
   */
  cardinality(limit: number): number {
    if (!this.discrete) return Number.POSITIVE_INFINITY;
    let count = 0;
    const vec = new Float64Array(this.size);
    const visit = (i: number): boolean => {
      if (i === this.size) {
        count++;
        return count <= limit;
      }
      if (!this.isActive(vec, 0, i)) {
        vec[i] = INACTIVE;
        return visit(i + 1);
      }
      const n = this.valueCount(i);
      if (n > limit) return false;
      for (let j = 0; j < n; j++) {
        vec[i] = this.nthEncoded(i, j);
        if (!visit(i + 1)) return false;
      }
      return true;
    };
    return visit(0) ? count : Number.POSITIVE_INFINITY;
  }

  /**
   * All points of a discrete space as encoded rows (row-major, `size` columns), in lexicographic order
   * of the declaration. Throws when the space has more than `limit` points or is continuous.
   */
  enumerateEncoded(limit: number): { data: Float64Array; rows: number } {
    const n = this.cardinality(limit);
    if (!Number.isFinite(n)) throw new Error(`space has more than ${limit} points (or is continuous)`);
    const data = new Float64Array(n * this.size);
    const vec = new Float64Array(this.size);
    let row = 0;
    const visit = (i: number): void => {
      if (i === this.size) {
        data.set(vec, row * this.size);
        row++;
        return;
      }
      if (!this.isActive(vec, 0, i)) {
        vec[i] = INACTIVE;
        visit(i + 1);
        return;
      }
      const m = this.valueCount(i);
      for (let j = 0; j < m; j++) {
        vec[i] = this.nthEncoded(i, j);
        visit(i + 1);
      }
    };
    visit(0);
    return { data, rows: n };
  }

  private valueCount(i: number): number {
    if (this.kind[i] === CAT) return this.categories[i] as number;
    return (this.high[i] as number) - (this.low[i] as number) + 1;
  }

  private nthEncoded(i: number, j: number): number {
    if (this.kind[i] === CAT) return j;
    return this.encodeValue(i, (this.low[i] as number) + j);
  }
}
