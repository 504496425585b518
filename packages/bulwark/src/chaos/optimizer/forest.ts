/**
 * Random-forest regression from scratch, tuned for the optimizer's sizes (hundreds of rows, ≤ 20
 * features, 100 trees, 10^4 predictions per ask):
 * - CART trees grown on bootstrap samples (bootstrap multiplicities are row weights);
 * - split search on presorted columns: one global sort per feature per fit, then every node's rows stay
 *   sorted per feature through stable partitioning, and the SSE reduction of every threshold comes from
 *   running (prefix) sums of weight and weight·y;
 * - native categorical splits (Breiman): categories ordered by their mean target in the node, best
 *   prefix of that order goes left; the left set is stored as a bitmask;
 * - optional ExtraTrees splitter (random thresholds / random category subsets);
 * - all trees live in flat typed arrays; the two children of a node are adjacent (`right = left + 1`).
 *
 * The predictive std uses the law of total variance over the trees: mean of the within-leaf variances
 * plus the variance of the per-tree means, floored at `minVariance`.
 */
import { Prng } from './prng.js';

/** Rows per cache block in `predict` (256 rows × 20 features × 8 B = 40 KB). */
const PREDICT_BLOCK = 256;

/** A dense row-major matrix. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Builds a {@link Matrix} from an array of equally long rows. */
export function toMatrix(rows: ReadonlyArray<ArrayLike<number>>): Matrix {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`row ${i} has ${r.length} columns, expected ${cols}`);
    for (let j = 0; j < cols; j++) data[i * cols + j] = r[j] as number;
  });
  return { data, rows: rows.length, cols };
}

/** Options of {@link RandomForest}. */
export interface ForestOptions {
  /** Number of trees (default 100). */
  nTrees?: number;
  /** Minimum number of distinct training rows in a leaf (default 3). */
  minSamplesLeaf?: number;
  /** Features tried per split: all (default), floor(sqrt(d)), or an explicit count. */
  maxFeatures?: 'all' | 'sqrt' | number;
  /** Grow each tree on a bootstrap sample (default true). */
  bootstrap?: boolean;
  /** 'best' (CART, default) or 'random' (ExtraTrees: random thresholds / category subsets). */
  splitter?: 'best' | 'random';
  /** Maximum depth (root = 0); default unlimited. */
  maxDepth?: number;
  /** Floor of the predictive variance (default 1e-6). */
  minVariance?: number;
  /** Seed of the bootstrap and feature sampling (default 0). */
  seed?: number;
  /**
   * Per column: 0 for numeric, k > 0 for a categorical column with values -1 (inactive/missing) or
   * 0..k-1. Default: all numeric.
   */
  categories?: ArrayLike<number>;
}

/** Mean and standard deviation of the forest's prediction per row. */
export interface Prediction {
  mean: Float64Array;
  std: Float64Array;
}

interface Resolved {
  nTrees: number;
  minSamplesLeaf: number;
  maxFeatures: 'all' | 'sqrt' | number;
  bootstrap: boolean;
  splitter: 'best' | 'random';
  maxDepth: number;
  minVariance: number;
  seed: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`forest ${name} must be a positive integer (got ${v})`);
  return v;
}

/** A random forest regressor. Call {@link RandomForest.fit} before predicting. */
export class RandomForest {
  private readonly opts: Resolved;
  private readonly categoriesOpt: ArrayLike<number> | undefined;
  private d = 0;
  private yOffset = 0;
  private nTreesFitted = 0;
  private roots = new Int32Array(0);
  private treeDepth = new Int32Array(0);
  /** 1 when the tree has a categorical split (prediction then consults `bits`). */
  private treeHasCat = new Uint8Array(0);
  private currentTree = 0;
  /** Split feature, or -1 for a leaf. */
  private feature = new Int32Array(0);
  /** (left child << shift) | feature for splits; (self << shift) for leaves (they loop on themselves). */
  private code = new Int32Array(0);
  /** Numeric threshold (go right when x > thr); -Infinity for categorical splits; +Infinity for leaves. */
  private thr = new Float64Array(0);
  /** Leaf mean of the centred targets. */
  private value = new Float64Array(0);
  /** Leaf variance + mean² (second moment), for the law of total variance. */
  private second = new Float64Array(0);
  /** Distinct training rows in the node. */
  private count = new Int32Array(0);
  /**
   * Per node, `2^slotShift` flags indexed by slot = category + 1: 1 when a categorical split sends the
   * slot left (categories unseen in the node go right). All zero for numeric splits and leaves, whose
   * slot ((x + 1) | 0 ∈ {0, 1, 2}) then changes nothing.
   */
  private bits = new Uint8Array(0);
  private slotShift = 2;
  private shift = 5;
  private nodes = 0;
  private importances = new Float64Array(0);
  private sumBuf = new Float64Array(0);

  /** Creates an unfitted forest; options are validated here. */
  constructor(options: ForestOptions = {}) {
    const maxFeatures = options.maxFeatures ?? 'all';
    if (maxFeatures !== 'all' && maxFeatures !== 'sqrt') positiveInt('maxFeatures', maxFeatures);
    const minVariance = options.minVariance ?? 1e-6;
    if (!(minVariance >= 0)) throw new Error(`forest minVariance must be >= 0 (got ${minVariance})`);
    const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
    if (!(maxDepth >= 0)) throw new Error(`forest maxDepth must be >= 0 (got ${maxDepth})`);
    const splitter = options.splitter ?? 'best';
    if (splitter !== 'best' && splitter !== 'random') throw new Error(`forest splitter must be 'best' or 'random'`);
    this.opts = {
      nTrees: positiveInt('nTrees', options.nTrees ?? 100),
      minSamplesLeaf: positiveInt('minSamplesLeaf', options.minSamplesLeaf ?? 3),
      maxFeatures,
      bootstrap: options.bootstrap ?? true,
      splitter,
      maxDepth,
      minVariance,
      seed: options.seed ?? 0,
    };
    this.categoriesOpt = options.categories;
  }

  /** Number of fitted trees (0 before `fit`). */
  get treeCount(): number {
    return this.nTreesFitted;
  }

  /** Total number of nodes over all trees. */
  get nodeCount(): number {
    return this.nodes;
  }

  /** Fits the forest to `X` (rows × features) and targets `y`; returns `this`. */
  fit(X: Matrix, y: ArrayLike<number>): this {
    const n = X.rows;
    const d = X.cols;
    if (n < 1) throw new Error('forest needs at least one training row');
    if (d < 1) throw new Error('forest needs at least one feature');
    if (y.length !== n) throw new Error(`forest got ${y.length} targets for ${n} rows`);
    if (X.data.length < n * d) throw new Error('forest matrix data is shorter than rows × cols');
    const xd = X.data;
    const cats = new Int32Array(d);
    if (this.categoriesOpt !== undefined) {
      if (this.categoriesOpt.length !== d)
        throw new Error(`forest categories has ${this.categoriesOpt.length} entries for ${d} columns`);
      for (let j = 0; j < d; j++) {
        const k = this.categoriesOpt[j] as number;
        if (!Number.isInteger(k) || k < 0) throw new Error(`forest categories[${j}] must be a non-negative integer`);
        cats[j] = k;
      }
    }
    let ySum = 0;
    for (let i = 0; i < n; i++) {
      const v = y[i] as number;
      if (!Number.isFinite(v)) throw new Error(`forest target ${i} is not finite (${v})`);
      ySum += v;
      for (let j = 0; j < d; j++) {
        const x = xd[i * d + j] as number;
        const k = cats[j] as number;
        if (k > 0 ? !(Number.isInteger(x) && x >= -1 && x < k) : Number.isNaN(x))
          throw new Error(`forest input row ${i} column ${j} is invalid (${x})`);
      }
    }
    this.yOffset = ySum / n;
    const yc = new Float64Array(n);
    for (let i = 0; i < n; i++) yc[i] = (y[i] as number) - this.yOffset;

    const { nTrees, minSamplesLeaf } = this.opts;
    this.d = d;
    this.shift = Math.max(1, Math.ceil(Math.log2(d + 1)));
    // Each leaf holds >= minSamplesLeaf distinct rows, so a tree has at most 2·floor(n/minLeaf) - 1 nodes.
    const capacity = nTrees * 2 * Math.max(1, Math.floor(n / minSamplesLeaf));
    if (capacity >= 2 ** (31 - this.shift)) throw new Error('forest too large for its node encoding');
    let maxCat = 0;
    for (let j = 0; j < d; j++) maxCat = Math.max(maxCat, cats[j] as number);
    this.slotShift = Math.max(2, Math.ceil(Math.log2(maxCat + 1)));
    if (this.feature.length < capacity) {
      this.feature = new Int32Array(capacity);
      this.code = new Int32Array(capacity);
      this.thr = new Float64Array(capacity);
      this.value = new Float64Array(capacity);
      this.second = new Float64Array(capacity);
      this.count = new Int32Array(capacity);
    }
    const bitsCap = capacity << this.slotShift;
    if (this.bits.length < bitsCap) this.bits = new Uint8Array(bitsCap);
    this.roots = new Int32Array(nTrees);
    this.treeDepth = new Int32Array(nTrees);
    this.treeHasCat = new Uint8Array(nTrees);
    this.importances = new Float64Array(d);
    this.nodes = 0;

    // Presort every column once: native numeric sort of the values, then ranks by binary search
    // (ties keep row order).
    const order = new Int32Array(d * n);
    const col = new Float64Array(n);
    const ties = new Int32Array(n);
    for (let f = 0; f < d; f++) {
      for (let i = 0; i < n; i++) col[i] = xd[i * d + f] as number;
      const sortedCol = col.slice().sort();
      ties.fill(0);
      for (let i = 0; i < n; i++) {
        const v = col[i] as number;
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((sortedCol[mid] as number) < v) lo = mid + 1;
          else hi = mid;
        }
        const pos = lo + (ties[lo] as number);
        ties[lo] = (ties[lo] as number) + 1;
        order[f * n + pos] = i;
      }
    }

    const mtry =
      this.opts.maxFeatures === 'all'
        ? d
        : this.opts.maxFeatures === 'sqrt'
          ? Math.max(1, Math.floor(Math.sqrt(d)))
          : Math.min(d, this.opts.maxFeatures);
    const b = new TreeBuilder(this, this.opts, xd, yc, cats, n, d, mtry, new Prng(this.opts.seed));
    const treeImportance = new Float64Array(d);
    for (let t = 0; t < nTrees; t++) {
      treeImportance.fill(0);
      b.importance = treeImportance;
      b.maxDepthSeen = 0;
      b.resample(order, this.opts.bootstrap);
      const root = this.allocNodes(1);
      this.roots[t] = root;
      this.currentTree = t;
      b.buildRoot(root);
      this.treeDepth[t] = b.maxDepthSeen;
      let total = 0;
      for (let f = 0; f < d; f++) total += treeImportance[f] as number;
      if (total > 0)
        for (let f = 0; f < d; f++)
          this.importances[f] = (this.importances[f] as number) + (treeImportance[f] as number) / total;
    }
    this.nTreesFitted = nTrees;
    let total = 0;
    for (let f = 0; f < d; f++) total += this.importances[f] as number;
    if (total > 0) for (let f = 0; f < d; f++) this.importances[f] = (this.importances[f] as number) / total;
    return this;
  }

  /**
   * Predicts mean and std for every row of `X`. Pass `out` (arrays of length ≥ rows) to avoid
   * allocating. The std is sqrt(max(minVariance, mean_t(leafVar_t) + var_t(leafMean_t))). With
   * `trees` < the fitted count, only the first `trees` trees are used (a cheaper sub-forest: the trees
   * are exchangeable, so this is an unbiased, noisier estimate — used to pre-screen candidates).
   *
   * Implementation: tree-major, four rows descend each tree in lockstep, branch-free (leaves loop on
   * themselves, so every row takes exactly the tree's depth in steps), which keeps the CPU busy instead
   * of waiting on mispredicted branches.
   */
  predict(X: Matrix, out?: Prediction, trees = this.nTreesFitted): Prediction {
    if (this.nTreesFitted === 0) throw new Error('forest is not fitted');
    if (!(Number.isInteger(trees) && trees >= 1 && trees <= this.nTreesFitted))
      throw new Error(`forest predict: trees must be an integer in [1, ${this.nTreesFitted}] (got ${trees})`);
    if (X.cols !== this.d) throw new Error(`forest was fitted on ${this.d} columns, got ${X.cols}`);
    const rows = X.rows;
    if (X.data.length < rows * X.cols) throw new Error('forest matrix data is shorter than rows × cols');
    const mean = out?.mean ?? new Float64Array(rows);
    const std = out?.std ?? new Float64Array(rows);
    if (mean.length < rows || std.length < rows) throw new Error('forest prediction buffers are too short');
    if (this.sumBuf.length < rows) this.sumBuf = new Float64Array(rows);
    const s1 = mean;
    const s2 = this.sumBuf;
    s1.fill(0, 0, rows);
    s2.fill(0, 0, rows);
    const d = this.d;
    const xd = X.data;
    const T = trees;
    const code = this.code;
    const thr = this.thr;
    const bits = this.bits;
    const ss = this.slotShift;
    const value = this.value;
    const second = this.second;
    const sh = this.shift;
    const fm = (1 << sh) - 1;
    // Blocks of rows small enough to stay in cache while every tree visits them.
    for (let blockStart = 0; blockStart < rows; blockStart += PREDICT_BLOCK) {
      const blockEnd = Math.min(rows, blockStart + PREDICT_BLOCK);
      for (let t = 0; t < T; t++) {
        const root = this.roots[t] as number;
        const depth = this.treeDepth[t] as number;
        let r = blockStart;
        if (this.treeHasCat[t] === 0) {
          // No categorical split in this tree: the same descent without the category table.
          for (; r + 3 < blockEnd; r += 4) {
            const b0 = r * d;
            const b1 = b0 + d;
            const b2 = b1 + d;
            const b3 = b2 + d;
            let n0 = root;
            let n1 = root;
            let n2 = root;
            let n3 = root;
            for (let k = 0; k < depth; k++) {
              const c0 = code[n0] as number;
              const c1 = code[n1] as number;
              const c2 = code[n2] as number;
              const c3 = code[n3] as number;
              const x0 = xd[b0 + (c0 & fm)] as number;
              const x1 = xd[b1 + (c1 & fm)] as number;
              const x2 = xd[b2 + (c2 & fm)] as number;
              const x3 = xd[b3 + (c3 & fm)] as number;
              const m0 = (c0 >>> sh) + +(x0 > (thr[n0] as number));
              const m1 = (c1 >>> sh) + +(x1 > (thr[n1] as number));
              const m2 = (c2 >>> sh) + +(x2 > (thr[n2] as number));
              const m3 = (c3 >>> sh) + +(x3 > (thr[n3] as number));
              // A split always moves to a child, a leaf stays: nothing moved means all four are at leaves.
              if (m0 === n0 && m1 === n1 && m2 === n2 && m3 === n3) break;
              n0 = m0;
              n1 = m1;
              n2 = m2;
              n3 = m3;
            }
            s1[r] = (s1[r] as number) + (value[n0] as number);
            s1[r + 1] = (s1[r + 1] as number) + (value[n1] as number);
            s1[r + 2] = (s1[r + 2] as number) + (value[n2] as number);
            s1[r + 3] = (s1[r + 3] as number) + (value[n3] as number);
            s2[r] = (s2[r] as number) + (second[n0] as number);
            s2[r + 1] = (s2[r + 1] as number) + (second[n1] as number);
            s2[r + 2] = (s2[r + 2] as number) + (second[n2] as number);
            s2[r + 3] = (s2[r + 3] as number) + (second[n3] as number);
          }
        } else {
          for (; r + 3 < blockEnd; r += 4) {
            const b0 = r * d;
            const b1 = b0 + d;
            const b2 = b1 + d;
            const b3 = b2 + d;
            let n0 = root;
            let n1 = root;
            let n2 = root;
            let n3 = root;
            for (let k = 0; k < depth; k++) {
              const c0 = code[n0] as number;
              const c1 = code[n1] as number;
              const c2 = code[n2] as number;
              const c3 = code[n3] as number;
              const x0 = xd[b0 + (c0 & fm)] as number;
              const x1 = xd[b1 + (c1 & fm)] as number;
              const x2 = xd[b2 + (c2 & fm)] as number;
              const x3 = xd[b3 + (c3 & fm)] as number;
              const m0 = (c0 >>> sh) + (+(x0 > (thr[n0] as number)) ^ (bits[(n0 << ss) | ((x0 + 1) | 0)] as number));
              const m1 = (c1 >>> sh) + (+(x1 > (thr[n1] as number)) ^ (bits[(n1 << ss) | ((x1 + 1) | 0)] as number));
              const m2 = (c2 >>> sh) + (+(x2 > (thr[n2] as number)) ^ (bits[(n2 << ss) | ((x2 + 1) | 0)] as number));
              const m3 = (c3 >>> sh) + (+(x3 > (thr[n3] as number)) ^ (bits[(n3 << ss) | ((x3 + 1) | 0)] as number));
              // A split always moves to a child, a leaf stays: nothing moved means all four are at leaves.
              if (m0 === n0 && m1 === n1 && m2 === n2 && m3 === n3) break;
              n0 = m0;
              n1 = m1;
              n2 = m2;
              n3 = m3;
            }
            s1[r] = (s1[r] as number) + (value[n0] as number);
            s1[r + 1] = (s1[r + 1] as number) + (value[n1] as number);
            s1[r + 2] = (s1[r + 2] as number) + (value[n2] as number);
            s1[r + 3] = (s1[r + 3] as number) + (value[n3] as number);
            s2[r] = (s2[r] as number) + (second[n0] as number);
            s2[r + 1] = (s2[r + 1] as number) + (second[n1] as number);
            s2[r + 2] = (s2[r + 2] as number) + (second[n2] as number);
            s2[r + 3] = (s2[r + 3] as number) + (second[n3] as number);
          }
        }
        for (; r < blockEnd; r++) {
          const b0 = r * d;
          let n0 = root;
          for (let k = 0; k < depth; k++) {
            const c0 = code[n0] as number;
            const x0 = xd[b0 + (c0 & fm)] as number;
            n0 = (c0 >>> sh) + (+(x0 > (thr[n0] as number)) ^ (bits[(n0 << ss) | ((x0 + 1) | 0)] as number));
          }
          s1[r] = (s1[r] as number) + (value[n0] as number);
          s2[r] = (s2[r] as number) + (second[n0] as number);
        }
      }
    }
    const minVar = this.opts.minVariance;
    const offset = this.yOffset;
    for (let r = 0; r < rows; r++) {
      const m = (s1[r] as number) / T;
      const v = (s2[r] as number) / T - m * m;
      mean[r] = m + offset;
      std[r] = Math.sqrt(Math.max(v, minVar));
    }
    return { mean, std };
  }

  /**
   * Mean decrease in impurity per feature: each tree's SSE reductions normalised to sum 1, averaged
   * over trees and normalised again. All zeros when no tree split (e.g. constant targets).
   */
  featureImportances(): Float64Array {
    return Float64Array.from(this.importances);
  }

  /** For each tree, the number of distinct training rows in each of its leaves. */
  leafSizes(): Int32Array[] {
    const out: Int32Array[] = [];
    for (let t = 0; t < this.nTreesFitted; t++) {
      const sizes: number[] = [];
      const stack = [this.roots[t] as number];
      while (stack.length > 0) {
        const node = stack.pop() as number;
        if ((this.feature[node] as number) < 0) sizes.push(this.count[node] as number);
        else {
          const left = (this.code[node] as number) >>> this.shift;
          stack.push(left, left + 1);
        }
      }
      out.push(Int32Array.from(sizes));
    }
    return out;
  }

  /** Maximum depth over all trees (a lone root leaf has depth 0). */
  depth(): number {
    let best = 0;
    for (let t = 0; t < this.nTreesFitted; t++) best = Math.max(best, this.treeDepth[t] as number);
    return best;
  }

  /** @internal Reserves `k` consecutive nodes; returns the first index. */
  allocNodes(k: number): number {
    const first = this.nodes;
    if (first + k > this.feature.length) throw new Error('forest node capacity exceeded');
    this.nodes += k;
    return first;
  }

  /** @internal Stores a leaf with the mean and variance of its (centred) targets. */
  setLeaf(node: number, mean: number, variance: number, count: number): void {
    this.feature[node] = -1;
    this.code[node] = node << this.shift;
    this.thr[node] = Number.POSITIVE_INFINITY;
    this.bits.fill(0, node << this.slotShift, (node + 1) << this.slotShift);
    this.value[node] = mean;
    this.second[node] = variance + mean * mean;
    this.count[node] = count;
  }

  /** @internal Stores a numeric split (x <= thr goes left); children are `left` and `left + 1`. */
  setNumericSplit(node: number, f: number, thr: number, left: number, count: number): void {
    this.feature[node] = f;
    this.code[node] = (left << this.shift) | f;
    this.thr[node] = thr;
    this.bits.fill(0, node << this.slotShift, (node + 1) << this.slotShift);
    this.count[node] = count;
  }

  /**
   * @internal Stores a categorical split: slots (category index + 1) listed in `leftSlots[0..nLeft)`
   * go left, every other slot (including categories unseen in the node) goes right.
   */
  setCategoricalSplit(
    node: number,
    f: number,
    leftSlots: ArrayLike<number>,
    nLeft: number,
    left: number,
    count: number,
  ): void {
    // thr = -Infinity makes (x > thr) = 1, so goRight = 1 ^ bit: bit 1 sends a slot left.
    this.treeHasCat[this.currentTree] = 1;
    const base = node << this.slotShift;
    this.bits.fill(0, base, base + (1 << this.slotShift));
    for (let i = 0; i < nLeft; i++) this.bits[base + (leftSlots[i] as number)] = 1;
    this.feature[node] = f;
    this.code[node] = (left << this.shift) | f;
    this.thr[node] = Number.NEGATIVE_INFINITY;
    this.count[node] = count;
  }
}

/** Grows one tree at a time; holds the per-fit scratch buffers. */
class TreeBuilder {
  /** Distinct rows in the current bootstrap sample. */
  m = 0;
  /** Deepest leaf of the current tree. */
  maxDepthSeen = 0;
  importance: Float64Array;
  private readonly w: Float64Array;
  private readonly wy: Float64Array;
  private readonly sorted: Int32Array;
  private readonly tmp: Int32Array;
  private readonly goLeft: Uint8Array;
  private readonly features: Int32Array;
  private readonly cw: Float64Array;
  private readonly cs: Float64Array;
  private readonly cn: Int32Array;
  private readonly slots: Int32Array;
  private readonly bestSlots: Int32Array;
  private readonly slotLeft: Uint8Array;
  private readonly minLeaf: number;
  private readonly maxDepth: number;
  private readonly random: boolean;
  private lastNSlots = 0;
  /**
   * Columns whose rows are kept sorted: the numeric ones (categorical splits need no order), or
   * column 0 alone when all are categorical. `ref` is a tracked column used to enumerate a node's rows.
   */
  private readonly tracked: Int32Array;
  private readonly ref: number;

  constructor(
    private readonly forest: RandomForest,
    opts: Resolved,
    private readonly X: Float64Array,
    private readonly y: Float64Array,
    private readonly cats: Int32Array,
    private readonly n: number,
    private readonly d: number,
    private readonly mtry: number,
    private readonly rng: Prng,
  ) {
    this.minLeaf = opts.minSamplesLeaf;
    this.maxDepth = opts.maxDepth;
    this.random = opts.splitter === 'random';
    this.importance = new Float64Array(d);
    this.w = new Float64Array(n);
    this.wy = new Float64Array(n);
    this.sorted = new Int32Array(d * n + 1);
    this.tmp = new Int32Array(n);
    this.goLeft = new Uint8Array(n);
    this.features = new Int32Array(d);
    let maxCat = 0;
    for (let j = 0; j < d; j++) maxCat = Math.max(maxCat, cats[j] as number);
    this.cw = new Float64Array(maxCat + 1);
    this.cs = new Float64Array(maxCat + 1);
    this.cn = new Int32Array(maxCat + 1);
    this.slots = new Int32Array(maxCat + 1);
    this.bestSlots = new Int32Array(maxCat + 1);
    this.slotLeft = new Uint8Array(maxCat + 1);
    const numeric: number[] = [];
    for (let j = 0; j < d; j++) if ((cats[j] as number) === 0) numeric.push(j);
    this.tracked = Int32Array.from(numeric.length > 0 ? numeric : [0]);
    this.ref = this.tracked[0] as number;
  }

  /** Draws the bootstrap weights and fills the per-feature sorted row lists (stride n). */
  resample(order: Int32Array, bootstrap: boolean): void {
    const { n, w, wy, y } = this;
    if (bootstrap) {
      w.fill(0);
      for (let k = 0; k < n; k++) {
        const i = this.rng.int(n);
        w[i] = (w[i] as number) + 1;
      }
    } else {
      w.fill(1);
    }
    const present = this.goLeft;
    for (let i = 0; i < n; i++) {
      wy[i] = (w[i] as number) * (y[i] as number);
      present[i] = (w[i] as number) > 0 ? 1 : 0;
    }
    const sorted = this.sorted;
    let m = 0;
    for (let k = 0; k < this.tracked.length; k++) {
      const f = this.tracked[k] as number;
      let p = f * n;
      const end = f * n + n;
      // Branch-free filter of the presorted order to the sampled rows.
      for (let q = f * n; q < end; q++) {
        const r = order[q] as number;
        sorted[p] = r;
        p += present[r] as number;
      }
      m = p - f * n;
    }
    this.m = m;
  }

  /** Grows the current tree from `root` over all sampled rows. */
  buildRoot(root: number): void {
    let W = 0;
    let S = 0;
    let Q = 0;
    const base = this.ref * this.n;
    for (let p = base; p < base + this.m; p++) {
      const r = this.sorted[p] as number;
      W += this.w[r] as number;
      S += this.wy[r] as number;
      Q += (this.wy[r] as number) * (this.y[r] as number);
    }
    this.build(root, 0, this.m, 0, W, S, Q);
  }

  /** Grows the subtree of `node` over sorted positions [start, end) with weight sums W, Σwy, Σwy². */
  private build(node: number, start: number, end: number, depth: number, W: number, S: number, Q: number): void {
    const { n, d, w, wy, y, X, sorted, minLeaf } = this;
    const mean = S / W;
    const sse = Q - (S * S) / W;
    const varr = sse > 0 ? sse / W : 0;
    const cnt = end - start;
    if (depth >= this.maxDepth || cnt < 2 * minLeaf || sse <= 1e-12 * Math.max(1, Q)) {
      this.leaf(node, mean, varr, cnt, depth);
      return;
    }

    // Features to try at this node (a random subset when mtry < d).
    const features = this.features;
    for (let f = 0; f < d; f++) features[f] = f;
    const mtry = this.mtry;
    if (mtry < d) {
      for (let i = 0; i < mtry; i++) {
        const j = i + this.rng.int(d - i);
        const tmp = features[i] as number;
        features[i] = features[j] as number;
        features[j] = tmp;
      }
    }

    // Maximise Σ_children (Σwy)²/Σw, i.e. minimise the children's SSE. Comparisons are
    // cross-multiplied (sL²·wR + sR²·wL > best·wL·wR) to keep divisions out of the scan.
    const baseProxy = (S * S) / W;
    let bestProxy = baseProxy;
    let bestF = -1;
    let bestThr = 0;
    let bestNSlots = 0;
    let firstK = 0;
    if (this.random && cnt === 2 && minLeaf === 1) {
      // Two rows (frequent with single-row leaves): every split separating them has the same proxy, so
      // the first feature on which they differ wins; when it is numeric, split on it directly and only
      // consume the later features' random draws (the general loop below would give the same tree).
      const ref = this.ref * n;
      const r1 = sorted[ref + start] as number;
      const r2 = sorted[ref + start + 1] as number;
      let k = 0;
      for (; k < mtry; k++) {
        const f = features[k] as number;
        const a = X[r1 * d + f] as number;
        const b = X[r2 * d + f] as number;
        if (a === b) continue;
        if ((this.cats[f] as number) > 0) break;
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        let t = lo + this.rng.next() * (hi - lo);
        if (t >= hi) t = lo;
        const rl = a < b ? r1 : r2;
        const wL = w[rl] as number;
        const sL = wy[rl] as number;
        const sR = S - sL;
        bestProxy = (sL * sL) / wL + (sR * sR) / (W - wL);
        bestF = f;
        bestThr = t;
        break;
      }
      if (bestF >= 0) {
        for (k++; k < mtry; k++) {
          const f = features[k] as number;
          if ((X[r1 * d + f] as number) === (X[r2 * d + f] as number)) continue;
          this.rng.next();
          if ((this.cats[f] as number) > 0) this.rng.next();
        }
        firstK = mtry;
      }
    }
    for (let k = firstK; k < mtry; k++) {
      const f = features[k] as number;
      const K = this.cats[f] as number;
      const segStart = f * n + start;
      const segEnd = f * n + end;
      if (K > 0) {
        const ref = this.ref * n;
        const proxy = this.categoricalSplit(f, K, ref + start, ref + end, W, S, cnt);
        if (proxy > bestProxy) {
          bestProxy = proxy;
          bestF = f;
          bestNSlots = this.lastNSlots;
          this.bestSlots.set(this.slots.subarray(0, bestNSlots));
        }
        continue;
      }
      const lo = X[(sorted[segStart] as number) * d + f] as number;
      const hi = X[(sorted[segEnd - 1] as number) * d + f] as number;
      if (!(lo < hi)) continue;
      if (this.random) {
        let t = lo + this.rng.next() * (hi - lo);
        if (t >= hi) t = lo;
        let wL = 0;
        let sL = 0;
        let p = segStart;
        for (; p < segEnd; p++) {
          const r = sorted[p] as number;
          if ((X[r * d + f] as number) > t) break;
          wL += w[r] as number;
          sL += wy[r] as number;
        }
        const nL = p - segStart;
        if (nL < minLeaf || cnt - nL < minLeaf) continue;
        const sR = S - sL;
        const proxy = (sL * sL) / wL + (sR * sR) / (W - wL);
        if (proxy > bestProxy) {
          bestProxy = proxy;
          bestF = f;
          bestThr = t;
        }
        continue;
      }
      let wL = 0;
      let sL = 0;
      let p = segStart;
      const first = segStart + minLeaf - 1;
      for (; p < first; p++) {
        const r = sorted[p] as number;
        wL += w[r] as number;
        sL += wy[r] as number;
      }
      const last = segEnd - minLeaf;
      let xv = X[(sorted[p] as number) * d + f] as number;
      for (; p < last; p++) {
        const r = sorted[p] as number;
        wL += w[r] as number;
        sL += wy[r] as number;
        const xn = X[(sorted[p + 1] as number) * d + f] as number;
        if (xv < xn) {
          const wR = W - wL;
          const sR = S - sL;
          if (sL * sL * wR + sR * sR * wL > bestProxy * wL * wR) {
            bestProxy = (sL * sL) / wL + (sR * sR) / wR;
            bestF = f;
            const mid = 0.5 * (xv + xn);
            bestThr = mid < xn ? mid : xv;
          }
        }
        xv = xn;
      }
    }
    if (bestF < 0) {
      this.leaf(node, mean, varr, cnt, depth);
      return;
    }
    this.importance[bestF] = (this.importance[bestF] as number) + (bestProxy - baseProxy);

    // Route the rows and sum the left child's statistics.
    const goLeft = this.goLeft;
    const K = this.cats[bestF] as number;
    const fb = (K > 0 ? this.ref : bestF) * n;
    let nL = 0;
    let WL = 0;
    let SL = 0;
    let QL = 0;
    if (K > 0) {
      const slotLeft = this.slotLeft;
      slotLeft.fill(0, 0, K + 1);
      for (let i = 0; i < bestNSlots; i++) slotLeft[this.bestSlots[i] as number] = 1;
      for (let p = fb + start; p < fb + end; p++) {
        const r = sorted[p] as number;
        const g = slotLeft[((X[r * d + bestF] as number) + 1) | 0] as number;
        goLeft[r] = g;
        nL += g;
        WL += g * (w[r] as number);
        SL += g * (wy[r] as number);
        QL += g * (wy[r] as number) * (y[r] as number);
      }
    } else {
      for (let p = fb + start; p < fb + end; p++) {
        const r = sorted[p] as number;
        const g = (X[r * d + bestF] as number) <= bestThr ? 1 : 0;
        goLeft[r] = g;
        nL += g;
        WL += g * (w[r] as number);
        SL += g * (wy[r] as number);
        QL += g * (wy[r] as number) * (y[r] as number);
      }
    }
    // Stable partition of every tracked column's segment.
    const tmp = this.tmp;
    for (let k = 0; k < this.tracked.length; k++) {
      const base = (this.tracked[k] as number) * n;
      let li = base + start;
      let ri = 0;
      // Branch-free: write to both sides, advance one (the branch would be unpredictable).
      for (let p = base + start; p < base + end; p++) {
        const r = sorted[p] as number;
        const g = goLeft[r] as number;
        sorted[li] = r;
        tmp[ri] = r;
        li += g;
        ri += 1 - g;
      }
      for (let q = 0; q < ri; q++) sorted[li + q] = tmp[q] as number;
    }

    const child = this.forest.allocNodes(2);
    if (K > 0) this.forest.setCategoricalSplit(node, bestF, this.bestSlots, bestNSlots, child, cnt);
    else this.forest.setNumericSplit(node, bestF, bestThr, child, cnt);
    this.build(child, start, start + nL, depth + 1, WL, SL, QL);
    this.build(child + 1, start + nL, end, depth + 1, W - WL, S - SL, Math.max(0, Q - QL));
  }

  private leaf(node: number, mean: number, varr: number, cnt: number, depth: number): void {
    this.forest.setLeaf(node, mean, varr, cnt);
    if (depth > this.maxDepthSeen) this.maxDepthSeen = depth;
  }

  /**
   * Best (or random, for ExtraTrees) categorical split of column `f` over sorted positions [from, to):
   * returns the split's proxy Σ s²/w, or -Infinity; the left slots are left in `slots[0..lastNSlots)`.
   */
  private categoricalSplit(f: number, K: number, from: number, to: number, W: number, S: number, cnt: number) {
    const { cw, cs, cn, slots, X, wy, w, d, sorted, minLeaf } = this;
    const nSlots = K + 1;
    cw.fill(0, 0, nSlots);
    cs.fill(0, 0, nSlots);
    cn.fill(0, 0, nSlots);
    for (let p = from; p < to; p++) {
      const r = sorted[p] as number;
      const s = ((X[r * d + f] as number) + 1) | 0;
      cw[s] = (cw[s] as number) + (w[r] as number);
      cs[s] = (cs[s] as number) + (wy[r] as number);
      cn[s] = (cn[s] as number) + 1;
    }
    let present = 0;
    for (let s = 0; s < nSlots; s++) if ((cn[s] as number) > 0) slots[present++] = s;
    if (present < 2) return Number.NEGATIVE_INFINITY;
    if (this.random) {
      // A random non-trivial subset of the present categories goes left.
      let nLeftSlots = 0;
      for (let i = 0; i < present; i++) {
        if (this.rng.next() < 0.5) {
          const t = slots[nLeftSlots] as number;
          slots[nLeftSlots] = slots[i] as number;
          slots[i] = t;
          nLeftSlots++;
        }
      }
      if (nLeftSlots === 0 || nLeftSlots === present) nLeftSlots = 1;
      let wL = 0;
      let sL = 0;
      let nL = 0;
      for (let i = 0; i < nLeftSlots; i++) {
        const s = slots[i] as number;
        wL += cw[s] as number;
        sL += cs[s] as number;
        nL += cn[s] as number;
      }
      if (nL < minLeaf || cnt - nL < minLeaf) return Number.NEGATIVE_INFINITY;
      this.lastNSlots = nLeftSlots;
      const sR = S - sL;
      return (sL * sL) / wL + (sR * sR) / (W - wL);
    }
    // Breiman: order the present categories by mean target; the best split is a prefix of that order.
    for (let i = 1; i < present; i++) {
      const s = slots[i] as number;
      const key = (cs[s] as number) / (cw[s] as number);
      let j = i - 1;
      while (j >= 0 && (cs[slots[j] as number] as number) / (cw[slots[j] as number] as number) > key) {
        slots[j + 1] = slots[j] as number;
        j--;
      }
      slots[j + 1] = s;
    }
    let best = Number.NEGATIVE_INFINITY;
    let bestN = 0;
    let wL = 0;
    let sL = 0;
    let nL = 0;
    for (let i = 0; i < present - 1; i++) {
      const s = slots[i] as number;
      wL += cw[s] as number;
      sL += cs[s] as number;
      nL += cn[s] as number;
      if (nL < minLeaf) continue;
      if (cnt - nL < minLeaf) break;
      const sR = S - sL;
      const proxy = (sL * sL) / wL + (sR * sR) / (W - wL);
      if (proxy > best) {
        best = proxy;
        bestN = i + 1;
      }
    }
    this.lastNSlots = bestN;
    return best;
  }
}
