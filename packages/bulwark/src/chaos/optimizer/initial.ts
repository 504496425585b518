/**
 * Initial designs: the points evaluated before the surrogate model takes over. Random, Latin hypercube
 * and Sobol designs are generated in the unit cube and mapped through {@link EncodedSpace.fromUnit}, so
 * categories and integers receive their fair share of strata.
 */
import { InfeasibleSpaceError } from './errors.js';
import type { Prng } from './prng.js';
import { DEFAULT_MAX_ATTEMPTS, type EncodedSpace } from './space.js';
import type { Point } from './types.js';

/** The initial design kinds. */
export type InitialDesign = 'random' | 'lhs' | 'sobol';

/**
 * Joe & Kuo direction numbers (file new-joe-kuo-6.21201), dimensions 2..21, as `[s, a, m_1..m_s]`.
 * Dimension 1 is the van der Corput sequence (all m = 1) and needs no entry.
 */
const JOE_KUO: ReadonlyArray<readonly number[]> = [
  [1, 0, 1],
  [2, 1, 1, 3],
  [3, 1, 1, 3, 1],
  [3, 2, 1, 1, 1],
  [4, 1, 1, 1, 3, 3],
  [4, 4, 1, 3, 5, 13],
  [5, 2, 1, 1, 5, 5, 17],
  [5, 4, 1, 1, 5, 5, 5],
  [5, 7, 1, 1, 7, 11, 19],
  [5, 11, 1, 1, 5, 1, 1],
  [5, 13, 1, 1, 1, 3, 11],
  [5, 14, 1, 3, 5, 5, 31],
  [6, 1, 1, 3, 3, 9, 7, 49],
  [6, 13, 1, 1, 1, 15, 21, 21],
  [6, 16, 1, 3, 1, 13, 27, 49],
  [6, 19, 1, 1, 1, 15, 7, 5],
  [6, 22, 1, 3, 1, 15, 13, 25],
  [6, 25, 1, 1, 5, 5, 19, 61],
  [7, 1, 1, 3, 7, 11, 23, 15, 103],
  [7, 4, 1, 3, 7, 13, 13, 15, 69],
];

/** Maximum number of dimensions of {@link Sobol}. */
export const SOBOL_MAX_DIMENSIONS = JOE_KUO.length + 1;

const BITS = 32;
const TWO_POW_32 = 4294967296;

/**
 * Sobol low-discrepancy sequence (Gray-code order, Antonov–Saleev), up to
 * {@link SOBOL_MAX_DIMENSIONS} dimensions and 2^32 points. With a `scramble` PRNG each dimension is
 * XOR-ed with a random digital shift, which keeps the (t, m, s)-net structure while making the first
 * point random instead of the origin.
 */
export class Sobol {
  /** Number of dimensions. */
  readonly dimensions: number;
  private readonly v: Uint32Array;
  private readonly x: Uint32Array;
  private readonly shift: Uint32Array;
  private index = 0;

  /** Creates a generator for `dimensions` dimensions, optionally digitally shifted with `scramble`. */
  constructor(dimensions: number, scramble?: Prng) {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > SOBOL_MAX_DIMENSIONS)
      throw new Error(`Sobol dimensions must be an integer in 1..${SOBOL_MAX_DIMENSIONS} (got ${dimensions})`);
    this.dimensions = dimensions;
    this.v = new Uint32Array(dimensions * BITS);
    this.x = new Uint32Array(dimensions);
    this.shift = new Uint32Array(dimensions);
    for (let k = 0; k < BITS; k++) this.v[k] = (1 << (31 - k)) >>> 0;
    for (let j = 1; j < dimensions; j++) {
      const row = JOE_KUO[j - 1] as readonly number[];
      const s = row[0] as number;
      const a = row[1] as number;
      const base = j * BITS;
      // 1-based k in the literature; v[base + k - 1] holds V_k.
      for (let k = 1; k <= s; k++) this.v[base + k - 1] = ((row[1 + k] as number) << (32 - k)) >>> 0;
      for (let k = s + 1; k <= BITS; k++) {
        const vks = this.v[base + k - s - 1] as number;
        let value = (vks ^ (vks >>> s)) >>> 0;
        for (let i = 1; i <= s - 1; i++) {
          if (((a >>> (s - 1 - i)) & 1) === 1) value = (value ^ (this.v[base + k - i - 1] as number)) >>> 0;
        }
        this.v[base + k - 1] = value;
      }
    }
    if (scramble !== undefined) for (let j = 0; j < dimensions; j++) this.shift[j] = scramble.nextUint32();
  }

  /** Writes the next point (each coordinate in [0, 1)) into `out[offset..offset+dimensions)`. */
  next(out: Float64Array, offset = 0): void {
    const d = this.dimensions;
    if (this.index > 0) {
      if (this.index >= TWO_POW_32) throw new Error('Sobol sequence exhausted (2^32 points)');
      // Position of the lowest zero bit of (index - 1).
      let n = this.index - 1;
      let c = 0;
      while ((n & 1) === 1) {
        n = Math.floor(n / 2);
        c++;
      }
      for (let j = 0; j < d; j++) this.x[j] = ((this.x[j] as number) ^ (this.v[j * BITS + c] as number)) >>> 0;
    }
    for (let j = 0; j < d; j++) {
      out[offset + j] = (((this.x[j] as number) ^ (this.shift[j] as number)) >>> 0) / TWO_POW_32;
    }
    this.index++;
  }
}

/** `n` Sobol points in [0, 1)^d, row-major; digitally shifted when `scramble` is given. */
export function sobolDesign(n: number, d: number, scramble?: Prng): Float64Array {
  const out = new Float64Array(n * d);
  const s = new Sobol(d, scramble);
  for (let i = 0; i < n; i++) s.next(out, i * d);
  return out;
}

/**
 * A Latin hypercube of `n` points in [0, 1)^d, row-major: in every column each of the `n` strata
 * [k/n, (k+1)/n) holds exactly one point, at a uniformly random position.
 */
export function latinHypercube(n: number, d: number, rng: Prng): Float64Array {
  const out = new Float64Array(n * d);
  const perm = new Int32Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) perm[i] = i;
    rng.shuffle(perm);
    for (let i = 0; i < n; i++) out[i * d + j] = ((perm[i] as number) + rng.next()) / n;
  }
  return out;
}

/** `n` independent uniform points in [0, 1)^d, row-major. */
export function randomDesign(n: number, d: number, rng: Prng): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  return out;
}

/** The unit-cube design of the given kind. */
export function unitDesign(kind: InitialDesign, n: number, d: number, rng: Prng): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`design size must be a non-negative integer (got ${n})`);
  switch (kind) {
    case 'random':
      return randomDesign(n, d, rng);
    case 'lhs':
      return latinHypercube(n, d, rng);
    case 'sobol':
      return sobolDesign(n, d, rng);
    default:
      throw new Error(`unknown initial design '${String(kind)}'`);
  }
}

/**
 * `n` distinct feasible points of `space` laid out by the design `kind`. A design point that is
 * infeasible or repeats an earlier one (or a key in `exclude`) is replaced by a uniformly random
 * feasible, new point; when no new point can be found (a small discrete space is used up) the design
 * is returned shorter. Throws {@link InfeasibleSpaceError} if no feasible point can be sampled at all.
 */
export function initialPoints(
  space: EncodedSpace,
  kind: InitialDesign,
  n: number,
  rng: Prng,
  exclude: ReadonlySet<string> = new Set(),
): Point[] {
  const d = space.size;
  const unit = unitDesign(kind, n, d, rng);
  const buf = new Float64Array(d);
  const seen = new Set(exclude);
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    space.fromUnit(unit, i * d, buf, 0);
    let p: Point | undefined = space.decode(buf);
    let key = space.key(p);
    if (!space.isFeasible(p) || seen.has(key)) {
      p = undefined;
      let feasibleSeen = false;
      for (let attempt = 0; attempt < DEFAULT_MAX_ATTEMPTS; attempt++) {
        space.sampleEncoded(rng, buf, 0);
        const q = space.decode(buf);
        if (!space.isFeasible(q)) continue;
        feasibleSeen = true;
        key = space.key(q);
        if (!seen.has(key)) {
          p = q;
          break;
        }
      }
      if (p === undefined) {
        if (!feasibleSeen && out.length === 0 && seen.size === 0)
          throw new InfeasibleSpaceError(
            `no feasible point found in ${DEFAULT_MAX_ATTEMPTS} random samples: the space's constraints seem infeasible`,
          );
        break;
      }
    }
    seen.add(key);
    out.push(p);
  }
  return out;
}
