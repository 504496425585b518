/**
 * Bayesian optimisation of fault plans: scikit-optimize's `Optimizer(base_estimator="RF",
 * acq_func="EI")` loop (random-forest surrogate, acquisition maximised over 10^4 sampled candidates),
 * with these additions:
 * - while fewer than `gpUntil` (50) observations exist, the model-based asks use a Gaussian process
 *   instead ({@link GaussianProcess}: Matérn 5/2, ARD, MAP lengthscales; raw severities through a
 *   fitted Yeo–Johnson power transform; 5,000 candidates from the same pool): with a handful of points
 *   a smooth model finds and climbs a basin far better than the piecewise-constant forest;
 * - the forest is fitted on normal scores of the severities (rank-based, outlier-proof), not raw values;
 *   it is an extra-trees forest without bootstrap and with single-observation leaves, so it interpolates
 *   the observations (measured much better on every benchmark than skopt's min_samples_leaf = 3);
 * - candidates also come from mutations of the best observations (local search: half of them move one
 *   or two dimensions, half 1..d dimensions jointly) and from a TuRBO-like trust region around the
 *   incumbent (initial side 0.4 of the unit cube) whose side doubles after 3
 *   successes in a row and halves after max(4, d) failures in a row; when it collapses it restarts
 *   around the points found afterwards (a new "region"), so a poor basin is eventually left;
 * - every third model-based ask on a space with categorical dimensions is a category-exploration ask
 *   (CoCaBO-like): a UCB bandit per categorical dimension picks its value (best severity seen with the
 *   value + an exploration bonus), and the acquisition is maximised over numeric values with those
 *   categories — so a category combination that looks poor on average, but has a narrow good basin,
 *   keeps being refined instead of starving behind the incumbent's combination;
 * - points asked but not yet told enter the model with a pessimistic "constant liar" (the worst observed
 *   severity), so several asks in a row spread out instead of piling onto one optimum;
 * - pools of ≥ 2,000 candidates are screened with an eighth of the trees and the best 8% re-scored
 *   with the whole forest (keeps refit + ask at 200 × 20 under 50 ms with the deeper trees);
 * - duplicates of observed or pending points are never proposed; small discrete spaces are scored
 *   exhaustively and end with {@link SpaceExhaustedError}.
 * Everything random comes from a seeded {@link Prng}: an optimizer is a pure function of its seed and
 * the told severities, and its state serialises with `toJSON()` / `Optimizer.fromJSON()`.
 */
import { type AcquisitionKind, acquisitionValues, fitPowerTransform, normalScores } from './acquisition.js';
import { InfeasibleSpaceError, SpaceExhaustedError } from './errors.js';
import { RandomForest } from './forest.js';
import { defaultLengthscaleMedian, GaussianProcess } from './gp.js';
import { type InitialDesign, initialPoints } from './initial.js';
import { mixSeed, Prng, type PrngState } from './prng.js';
import { DEFAULT_MAX_ATTEMPTS, EncodedSpace, INACTIVE } from './space.js';
import type { CategoryValue, Dimension, Feasibility, Point, SearchSpace } from './types.js';

/** Options of the {@link Optimizer} constructor. */
export interface OptimizerOptions {
  /** The search space (validated; errors name the dimension). */
  space: SearchSpace;
  /** Seed of every random choice. */
  seed: number;
  /** Points from the initial design before the model is used (default 10). */
  nInitial?: number;
  /** Initial design (default 'random'). */
  initialDesign?: InitialDesign;
  /** Acquisition function (default 'EI'); 'LCB' means the upper confidence bound when maximising. */
  acquisition?: AcquisitionKind;
  /** EI / PI improvement margin (default 0.01). */
  xi?: number;
  /** Confidence-bound exploration weight (default 1.96). */
  kappa?: number;
  /** Candidates scored per ask (default 10,000). */
  nCandidates?: number;
  /** Trees in the forest (default 100). */
  nTrees?: number;
  /** Minimum distinct observations per leaf (default 1: the forest interpolates the observations). */
  minSamplesLeaf?: number;
  /** Features tried per split (default 'all'). */
  maxFeatures?: 'all' | 'sqrt' | number;
  /** 'random' (extra trees: random thresholds, default — better on smooth and mixed spaces, measured) or 'best' (CART). */
  splitter?: 'best' | 'random';
  /**
   * Fit the forest on normal scores of the severities ('normal-scores', default) or on the raw values
   * ('none', as scikit-optimize). Normal scores make the model invariant to monotone rescaling and
   * robust to outliers; EI / PI / LCB are then computed on that scale. (The GP phase always uses its
   * Yeo–Johnson transform.)
   */
  outputTransform?: 'none' | 'normal-scores';
  /** Add neighbours of the best observations to the candidates (default true). */
  localSearch?: boolean;
  /** Add samples from a trust region around the incumbent to the candidates (default true). */
  trustRegion?: boolean;
  /** Fraction of the candidates that are local neighbours when `localSearch` (default 0.1). */
  localFraction?: number;
  /** Fraction of the candidates drawn from the trust region when `trustRegion` (default 0.25). */
  trustRegionFraction?: number;
  /** Grow each tree on a bootstrap sample (default false: every tree sees every observation). */
  bootstrap?: boolean;
  /**
   * Every `categoryEvery`-th model-based ask (by the number of observed + pending points) is a
   * category-exploration ask when the space has categorical dimensions: each categorical value is
   * chosen by a UCB bandit and the acquisition is maximised over numeric values only (default 3; 0
   * disables it).
   */
  categoryEvery?: number;
  /** Exploration weight of that bandit, on severities min-max scaled to [0, 1] (default 0.5). */
  categoryUcb?: number;
  /**
   * Pre-screen pools of ≥ 2,000 candidates with an eighth of the trees and re-score the best 8% with
   * the whole forest (default true; false scores every candidate with every tree).
   */
  prescreen?: boolean;
  /**
   * While fewer than `gpUntil` observations exist, model-based asks use a Gaussian process instead of
   * the forest (Matérn 5/2 with one lengthscale per dimension, MAP lengthscales; fitted on the raw
   * severities through a Yeo–Johnson power transform): with few observations it is a much better
   * model than the interpolating forest, which takes over when there is enough data and the GP's cubic
   * cost grows. Default 50; 0 never uses the GP.
   */
  gpUntil?: number;
  /**
   * Median of the GP's log-normal lengthscale prior, on the unit-cube encoding (default 0.5·sqrt(d/6):
   * half the mean distance between two uniform points of the d-dimensional unit cube; log-sd 1).
   */
  gpPriorMedian?: number;
  /** Candidates scored per ask while the GP is used (default 5,000; at most `nCandidates`). */
  gpCandidates?: number;
}

/** The resolved, JSON-serialisable configuration (the space without its `feasible` function). */
export interface OptimizerConfig {
  dimensions: Dimension[];
  seed: number;
  nInitial: number;
  initialDesign: InitialDesign;
  acquisition: AcquisitionKind;
  xi: number;
  kappa: number;
  nCandidates: number;
  nTrees: number;
  minSamplesLeaf: number;
  maxFeatures: 'all' | 'sqrt' | number;
  splitter: 'best' | 'random';
  outputTransform: 'none' | 'normal-scores';
  localSearch: boolean;
  trustRegion: boolean;
  localFraction: number;
  trustRegionFraction: number;
  bootstrap: boolean;
  categoryEvery: number;
  categoryUcb: number;
  prescreen: boolean;
  gpUntil: number;
  gpPriorMedian: number;
  gpCandidates: number;
}

/** One told trial. */
export interface Observation {
  point: Point;
  severity: number;
}

/** Where an asked point came from. */
export type ProposalSource = 'initial' | 'random' | 'model';

/**
 * State of the trust region: side length in the unit cube, the success / failure streaks, and the
 * index of the first observation of the current "region" (observations since the last restart; the
 * region's best point is the trust region's centre and its top points seed the local search).
 */
export interface TrustRegionState {
  length: number;
  successes: number;
  failures: number;
  restarts: number;
  regionStart: number;
}

/** Everything needed to resume an optimizer exactly (see {@link Optimizer.toJSON}). */
export interface OptimizerState {
  version: 1;
  config: OptimizerConfig;
  /** Whether the space had a `feasible` predicate (it must be passed again to `fromJSON`). */
  hasFeasible: boolean;
  rng: number[];
  observations: Observation[];
  pending: Array<{ point: Point; source: ProposalSource }>;
  initialQueue: Point[];
  trustRegion: TrustRegionState;
}

/** Output of {@link Optimizer.explain}. */
export interface Explanation {
  /** Mean decrease in impurity of the surrogate forest, normalised to sum 1 (all 0 if it never split). */
  featureImportance: Record<string, number>;
  /**
   * Partial dependence of predicted severity on each dimension: for each grid value (≈10 for numeric
   * dimensions, every category for categoricals) the mean prediction over a sample of observed points
   * with that dimension set to the value. Empty for a conditional dimension never active in the sample.
   */
  partialDependence: Record<string, Array<{ value: CategoryValue; mean: number }>>;
}

/** Options of {@link Optimizer.explain}. */
export interface ExplainOptions {
  /** Grid points per numeric dimension (default 10). */
  gridSize?: number;
  /** Observed points averaged over (default 100). */
  sampleSize?: number;
}

const TR_INIT = 0.4;
/** Candidate pools at least this large are pre-screened with an eighth of the trees. */
const SCREEN_MIN_ROWS = 2000;
/** Fraction of a screened pool re-scored with the whole forest. */
const SCREEN_FRACTION = 0.08;
const BOOTSTRAP_DEFAULT = false;
/** Observations below which model-based asks use the Gaussian process (see `gpUntil`). */
const GP_UNTIL_DEFAULT = 50;
const TR_MIN = 0.5 ** 7;
const TR_MAX = 1.6;
const TR_SUCCESS_TOLERANCE = 3;
const TR_SUCCESS_MARGIN = 0.01;
const LOCAL_INCUMBENTS = 5;
const STEP_MIN = 0.005;
const STEP_MAX = 0.3;

interface Entry {
  point: Point;
  severity: number;
  key: string;
  enc: Float64Array;
}

interface PendingEntry {
  point: Point;
  source: ProposalSource;
  enc: Float64Array;
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new Error(message);
}

function resolveConfig(o: OptimizerOptions): OptimizerConfig {
  check(o !== null && typeof o === 'object', 'optimizer options must be an object');
  check(
    typeof o.seed === 'number' && Number.isFinite(o.seed),
    `optimizer seed must be a finite number (got ${o.seed})`,
  );
  const c: OptimizerConfig = {
    dimensions: o.space?.dimensions ? [...o.space.dimensions] : [],
    seed: o.seed,
    nInitial: o.nInitial ?? 10,
    initialDesign: o.initialDesign ?? 'random',
    acquisition: o.acquisition ?? 'EI',
    xi: o.xi ?? 0.01,
    kappa: o.kappa ?? 1.96,
    nCandidates: o.nCandidates ?? 10_000,
    nTrees: o.nTrees ?? 100,
    minSamplesLeaf: o.minSamplesLeaf ?? 1,
    maxFeatures: o.maxFeatures ?? 'all',
    splitter: o.splitter ?? 'random',
    outputTransform: o.outputTransform ?? 'normal-scores',
    localSearch: o.localSearch ?? true,
    trustRegion: o.trustRegion ?? true,
    localFraction: o.localFraction ?? 0.1,
    trustRegionFraction: o.trustRegionFraction ?? 0.25,
    bootstrap: o.bootstrap ?? BOOTSTRAP_DEFAULT,
    categoryEvery: o.categoryEvery ?? 3,
    categoryUcb: o.categoryUcb ?? 0.5,
    prescreen: o.prescreen ?? true,
    gpUntil: o.gpUntil ?? GP_UNTIL_DEFAULT,
    gpPriorMedian: o.gpPriorMedian ?? defaultLengthscaleMedian(Math.max(1, o.space?.dimensions?.length ?? 1)),
    gpCandidates: o.gpCandidates ?? 5000,
  };
  check(Number.isInteger(c.nInitial) && c.nInitial >= 0, `nInitial must be a non-negative integer (got ${c.nInitial})`);
  check(
    ['random', 'lhs', 'sobol'].includes(c.initialDesign),
    `initialDesign must be 'random', 'lhs' or 'sobol' (got '${c.initialDesign}')`,
  );
  check(
    ['EI', 'PI', 'LCB'].includes(c.acquisition),
    `acquisition must be 'EI', 'PI' or 'LCB' (got '${c.acquisition}')`,
  );
  check(Number.isFinite(c.xi) && c.xi >= 0, `xi must be a finite number >= 0 (got ${c.xi})`);
  check(Number.isFinite(c.kappa) && c.kappa >= 0, `kappa must be a finite number >= 0 (got ${c.kappa})`);
  check(
    Number.isInteger(c.nCandidates) && c.nCandidates >= 1,
    `nCandidates must be a positive integer (got ${c.nCandidates})`,
  );
  check(Number.isInteger(c.nTrees) && c.nTrees >= 1, `nTrees must be a positive integer (got ${c.nTrees})`);
  check(
    Number.isInteger(c.minSamplesLeaf) && c.minSamplesLeaf >= 1,
    `minSamplesLeaf must be a positive integer (got ${c.minSamplesLeaf})`,
  );
  check(
    c.maxFeatures === 'all' || c.maxFeatures === 'sqrt' || (Number.isInteger(c.maxFeatures) && c.maxFeatures >= 1),
    `maxFeatures must be 'all', 'sqrt' or a positive integer (got ${String(c.maxFeatures)})`,
  );
  check(c.splitter === 'best' || c.splitter === 'random', `splitter must be 'best' or 'random'`);
  check(
    c.outputTransform === 'none' || c.outputTransform === 'normal-scores',
    `outputTransform must be 'none' or 'normal-scores'`,
  );
  check(typeof c.localSearch === 'boolean', 'localSearch must be a boolean');
  check(typeof c.bootstrap === 'boolean', 'bootstrap must be a boolean');
  check(typeof c.prescreen === 'boolean', 'prescreen must be a boolean');
  check(
    Number.isInteger(c.categoryEvery) && c.categoryEvery >= 0,
    `categoryEvery must be a non-negative integer (got ${c.categoryEvery})`,
  );
  check(
    Number.isFinite(c.categoryUcb) && c.categoryUcb >= 0,
    `categoryUcb must be a finite number >= 0 (got ${c.categoryUcb})`,
  );
  check(Number.isInteger(c.gpUntil) && c.gpUntil >= 0, `gpUntil must be a non-negative integer (got ${c.gpUntil})`);
  check(
    Number.isFinite(c.gpPriorMedian) && c.gpPriorMedian > 0,
    `gpPriorMedian must be a finite number > 0 (got ${c.gpPriorMedian})`,
  );
  check(
    Number.isInteger(c.gpCandidates) && c.gpCandidates >= 1,
    `gpCandidates must be a positive integer (got ${c.gpCandidates})`,
  );
  check(typeof c.trustRegion === 'boolean', 'trustRegion must be a boolean');
  check(
    c.localFraction >= 0 && c.trustRegionFraction >= 0 && c.localFraction + c.trustRegionFraction <= 1,
    `localFraction and trustRegionFraction must be >= 0 and sum to at most 1 (got ${c.localFraction}, ${c.trustRegionFraction})`,
  );
  return c;
}

/**
 * Ask/tell Bayesian optimizer that maximises severity over a {@link SearchSpace}. Deterministic for a
 * seed: two optimizers with the same options, told the same severities, ask the same points.
 */
export class Optimizer {
  /** The encoded search space. */
  readonly space: EncodedSpace;
  private readonly cfg: OptimizerConfig;
  private rng: Prng;
  private entries: Entry[] = [];
  private observedKeys = new Set<string>();
  private pending = new Map<string, PendingEntry>();
  private initialQueue: Point[];
  private tr: TrustRegionState = { length: TR_INIT, successes: 0, failures: 0, restarts: 0, regionStart: 0 };
  private enumerated: { data: Float64Array; rows: number } | null | undefined;
  private candidateBuf = new Float64Array(0);
  private prediction = { mean: new Float64Array(0), std: new Float64Array(0) };
  private acqBuf = new Float64Array(0);

  /** Validates the options and space, and lays out the initial design. */
  constructor(options: OptimizerOptions) {
    this.cfg = resolveConfig(options);
    this.space = new EncodedSpace(options.space);
    this.rng = new Prng(this.cfg.seed);
    this.initialQueue = initialPoints(
      this.space,
      this.cfg.initialDesign,
      this.cfg.nInitial,
      new Prng(mixSeed(this.cfg.seed, 1)),
    );
  }

  /** The resolved configuration (a copy). */
  get config(): OptimizerConfig {
    return { ...this.cfg, dimensions: [...this.cfg.dimensions] };
  }

  /** All told observations in order (copies). */
  get observations(): Observation[] {
    return this.entries.map((e) => ({ point: { ...e.point }, severity: e.severity }));
  }

  /** Points asked and not yet told, in ask order (copies). */
  get pendingPoints(): Point[] {
    return [...this.pending.values()].map((p) => ({ ...p.point }));
  }

  /** The trust region's current state (a copy). */
  get trustRegionState(): TrustRegionState {
    return { ...this.tr };
  }

  /**
   * The next point to evaluate: the next initial-design point while fewer than `nInitial` points are
   * observed or pending, a random point while fewer than two observations exist, then the candidate
   * with the best acquisition under a freshly fitted forest. Never a duplicate of an observed or
   * pending point; always feasible. Throws {@link SpaceExhaustedError} when no such point remains.
   */
  ask(): Point {
    if (this.entries.length + this.pending.size < this.cfg.nInitial) {
      while (this.initialQueue.length > 0) {
        const p = this.initialQueue.shift() as Point;
        const key = this.space.key(p);
        if (this.observedKeys.has(key) || this.pending.has(key)) continue;
        return this.propose(p, key, 'initial');
      }
    }
    if (this.entries.length < 2) {
      const p = this.sampleNew();
      return this.propose(p, this.space.key(p), 'random');
    }
    return this.askModel();
  }

  /**
   * Records the severity of a trial. The point must be valid for the space (it need not have been
   * asked; told points may repeat). `severity` must be finite (nominally in [0, 10]).
   */
  tell(point: Point, severity: number): void {
    const enc = this.space.encode(point);
    if (typeof severity !== 'number' || !Number.isFinite(severity))
      throw new Error(`severity must be a finite number (got ${severity})`);
    const canonical = this.space.canonical(point);
    const key = this.space.key(canonical);
    const pend = this.pending.get(key);
    if (pend !== undefined) this.pending.delete(key);
    const regionBest = this.regionTop(1)[0]?.severity;
    this.entries.push({ point: canonical, severity, key, enc });
    this.observedKeys.add(key);
    if (this.cfg.trustRegion && pend?.source === 'model' && regionBest !== undefined)
      this.updateTrustRegion(severity, regionBest);
  }

  /** The `k` best observations, highest severity first (ties in tell order). */
  best(k = 1): Observation[] {
    check(Number.isInteger(k) && k >= 0, `best(k): k must be a non-negative integer (got ${k})`);
    return this.entries
      .map((e, i) => ({ e, i }))
      .sort((a, b) => b.e.severity - a.e.severity || a.i - b.i)
      .slice(0, k)
      .map(({ e }) => ({ point: { ...e.point }, severity: e.severity }));
  }

  /**
   * Explains the observations with a forest fitted on them: feature importance (mean decrease in
   * impurity) and partial dependence per dimension. Deterministic; does not change what `ask` returns.
   * Needs at least two observations.
   */
  explain(options: ExplainOptions = {}): Explanation {
    const n = this.entries.length;
    check(n >= 2, `explain() needs at least 2 observations (have ${n})`);
    const gridSize = options.gridSize ?? 10;
    const sampleSize = options.sampleSize ?? 100;
    check(Number.isInteger(gridSize) && gridSize >= 2, `gridSize must be an integer >= 2 (got ${gridSize})`);
    check(Number.isInteger(sampleSize) && sampleSize >= 1, `sampleSize must be a positive integer (got ${sampleSize})`);
    const d = this.space.size;
    const rng = new Prng(mixSeed(this.cfg.seed, 2, n));
    // Raw severities here, so partial dependence reads in severity units.
    const { forest } = this.fitForest(false, rng.nextUint32(), false);
    const imp = forest.featureImportances();
    const featureImportance: Record<string, number> = {};
    this.space.names.forEach((name, i) => {
      featureImportance[name] = imp[i] as number;
    });

    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const sample = Array.from(order.subarray(0, Math.min(n, sampleSize)), (i) => (this.entries[i] as Entry).enc);
    const partialDependence: Record<string, Array<{ value: CategoryValue; mean: number }>> = {};
    const buf = new Float64Array(sample.length * d);
    const mean = new Float64Array(sample.length);
    const std = new Float64Array(sample.length);
    for (let i = 0; i < d; i++) {
      const name = this.space.names[i] as string;
      const rows = sample.filter((enc) => this.space.isActive(enc, 0, i));
      const curve: Array<{ value: CategoryValue; mean: number }> = [];
      partialDependence[name] = curve;
      if (rows.length === 0) continue;
      const grid: number[] = [];
      if (this.space.isCategorical(i)) {
        for (let c = 0; c < (this.space.categories[i] as number); c++) grid.push(c);
      } else {
        for (let g = 0; g < gridSize; g++) {
          const e = this.space.snap(i, g / (gridSize - 1));
          if (!grid.includes(e)) grid.push(e);
        }
      }
      for (const e of grid) {
        const fill = new Prng(mixSeed(this.cfg.seed, 3, i));
        rows.forEach((enc, r) => {
          buf.set(enc, r * d);
          buf[r * d + i] = e;
          this.space.repair(buf, r * d, fill);
        });
        forest.predict({ data: buf, rows: rows.length, cols: d }, { mean, std });
        let s = 0;
        for (let r = 0; r < rows.length; r++) s += mean[r] as number;
        curve.push({ value: this.space.decodeValue(i, e), mean: s / rows.length });
      }
    }
    return { featureImportance, partialDependence };
  }

  /**
   * A JSON-serialisable snapshot (configuration, observations, pending points, remaining initial
   * design, PRNG and trust-region state). `Optimizer.fromJSON(JSON.parse(JSON.stringify(o.toJSON())))`
   * asks exactly what `o` would ask next.
   */
  toJSON(): OptimizerState {
    return {
      version: 1,
      config: this.config,
      hasFeasible: this.space.feasible !== undefined,
      rng: [...this.rng.state()],
      observations: this.observations,
      pending: [...this.pending.values()].map((p) => ({ point: { ...p.point }, source: p.source })),
      initialQueue: this.initialQueue.map((p) => ({ ...p })),
      trustRegion: { ...this.tr },
    };
  }

  /**
   * Restores an optimizer from {@link Optimizer.toJSON} output. Functions do not serialise: if the
   * original space had a `feasible` predicate, pass it again in `options.feasible`.
   */
  static fromJSON(state: OptimizerState, options: { feasible?: Feasibility } = {}): Optimizer {
    check(state !== null && typeof state === 'object' && state.version === 1, 'unsupported optimizer state version');
    check(
      !state.hasFeasible || typeof options.feasible === 'function',
      'the saved optimizer had a feasible predicate: pass it again as options.feasible',
    );
    const space: SearchSpace =
      options.feasible === undefined
        ? { dimensions: state.config.dimensions }
        : { dimensions: state.config.dimensions, feasible: options.feasible };
    // A state saved before the GP phase existed (no `gpUntil`) restores with it off: the forest-only
    // behaviour it was saved with, so its asks replay exactly.
    const saved = state.config as Partial<OptimizerConfig> & OptimizerConfig;
    const o = new Optimizer({ ...saved, gpUntil: saved.gpUntil ?? 0, nInitial: 0, space });
    (o.cfg as { nInitial: number }).nInitial = state.config.nInitial;
    o.rng = Prng.fromState(state.rng as unknown as PrngState);
    for (const p of state.initialQueue) o.space.validatePoint(p);
    o.initialQueue = state.initialQueue.map((p) => o.space.canonical(p));
    for (const ob of state.observations) {
      const enc = o.space.encode(ob.point);
      check(Number.isFinite(ob.severity), 'saved observation has a non-finite severity');
      const point = o.space.canonical(ob.point);
      const key = o.space.key(point);
      o.entries.push({ point, severity: ob.severity, key, enc });
      o.observedKeys.add(key);
    }
    for (const pe of state.pending) {
      const enc = o.space.encode(pe.point);
      const point = o.space.canonical(pe.point);
      o.pending.set(o.space.key(point), { point, source: pe.source, enc });
    }
    const t = state.trustRegion;
    check(Number.isFinite(t.length) && t.length > 0, 'saved trust region has an invalid length');
    check(
      Number.isInteger(t.regionStart) && t.regionStart >= 0 && t.regionStart <= o.entries.length,
      'saved trust region has an invalid regionStart',
    );
    o.tr = {
      length: t.length,
      successes: t.successes,
      failures: t.failures,
      restarts: t.restarts,
      regionStart: t.regionStart,
    };
    return o;
  }

  // ---------------------------------------------------------------------------------------------

  private propose(point: Point, key: string, source: ProposalSource): Point {
    const canonical = this.space.canonical(point);
    this.pending.set(key, { point: canonical, source, enc: this.space.encode(canonical) });
    return { ...canonical };
  }

  /** The `k` best observations of the current region (since the last trust-region restart). */
  private regionTop(k: number): Entry[] {
    const start = this.cfg.trustRegion ? this.tr.regionStart : 0;
    return this.entries
      .slice(start)
      .map((e, i) => ({ e, i }))
      .sort((a, b) => b.e.severity - a.e.severity || a.i - b.i)
      .slice(0, k)
      .map(({ e }) => e);
  }

  private isNew(key: string): boolean {
    return !this.observedKeys.has(key) && !this.pending.has(key);
  }

  /** A uniformly random feasible point not yet observed or pending. */
  private sampleNew(): Point {
    const d = this.space.size;
    const buf = new Float64Array(d);
    let feasibleSeen = false;
    for (let attempt = 0; attempt < DEFAULT_MAX_ATTEMPTS; attempt++) {
      this.space.sampleEncoded(this.rng, buf, 0);
      const p = this.space.decode(buf);
      if (!this.space.isFeasible(p)) continue;
      feasibleSeen = true;
      if (this.isNew(this.space.key(p))) return p;
    }
    const rest = this.remainingDiscrete();
    if (rest !== undefined) return rest;
    if (!feasibleSeen)
      throw new InfeasibleSpaceError(
        `no feasible point found in ${DEFAULT_MAX_ATTEMPTS} random samples: the space's constraints seem infeasible`,
      );
    throw new SpaceExhaustedError(
      `no new feasible point found in ${DEFAULT_MAX_ATTEMPTS} random samples (${this.entries.length} observed, ${this.pending.size} pending)`,
    );
  }

  /** For a small discrete space, a random remaining point (or throws SpaceExhaustedError); else undefined. */
  private remainingDiscrete(): Point | undefined {
    const all = this.enumeration();
    if (all === null) return undefined;
    const d = this.space.size;
    const start = this.rng.int(all.rows);
    for (let k = 0; k < all.rows; k++) {
      const p = this.space.decode(all.data, ((start + k) % all.rows) * d);
      if (this.isNew(this.space.key(p)) && this.space.isFeasible(p)) return p;
    }
    throw new SpaceExhaustedError(
      `search space exhausted: all feasible points are observed or pending (${this.entries.length} observed, ${this.pending.size} pending)`,
    );
  }

  /** All points of the space when it is discrete with at most nCandidates points, else null (cached). */
  private enumeration(): { data: Float64Array; rows: number } | null {
    if (this.enumerated === undefined) {
      const limit = this.cfg.nCandidates;
      this.enumerated = Number.isFinite(this.space.cardinality(limit)) ? this.space.enumerateEncoded(limit) : null;
    }
    return this.enumerated;
  }

  /**
   * Training rows: the observations (+ pending points at the worst observed severity when
   * `withPending`), targets on normal scores of the severities when `transform`. Returns the rows and
   * the best observed target on that scale.
   */
  private trainingData(
    withPending: boolean,
    transform: boolean,
  ): { X: Float64Array; y: Float64Array; rows: number; best: number } {
    const d = this.space.size;
    const pend = withPending ? [...this.pending.values()] : [];
    const nObs = this.entries.length;
    const rows = nObs + pend.length;
    const X = new Float64Array(rows * d);
    let y: Float64Array = new Float64Array(rows);
    let worst = Number.POSITIVE_INFINITY;
    this.entries.forEach((e, i) => {
      X.set(e.enc, i * d);
      y[i] = e.severity;
      if (e.severity < worst) worst = e.severity;
    });
    pend.forEach((p, j) => {
      const i = nObs + j;
      X.set(p.enc, i * d);
      y[i] = worst;
    });
    if (transform) y = normalScores(y);
    let best = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < nObs; i++) if ((y[i] as number) > best) best = y[i] as number;
    return { X, y, rows, best };
  }

  /**
   * Forest on {@link trainingData} (on normal scores when `transform`, default: `outputTransform` is
   * 'normal-scores'). Returns the forest and the best observed target on the forest's scale.
   */
  private fitForest(
    withPending: boolean,
    seed: number,
    transform = this.cfg.outputTransform === 'normal-scores',
  ): { forest: RandomForest; best: number } {
    const { X, y, rows, best } = this.trainingData(withPending, transform);
    const forest = new RandomForest({
      nTrees: this.cfg.nTrees,
      minSamplesLeaf: this.cfg.minSamplesLeaf,
      maxFeatures: this.cfg.maxFeatures,
      splitter: this.cfg.splitter,
      bootstrap: this.cfg.bootstrap,
      seed,
      categories: this.space.categories,
    }).fit({ data: X, rows, cols: this.space.size }, y);
    return { forest, best };
  }

  private askModel(): Point {
    const d = this.space.size;
    const forestSeed = this.rng.nextUint32(); // drawn in both phases: the stream does not depend on the phase
    const useGp = this.entries.length < this.cfg.gpUntil;
    let forest: RandomForest | undefined;
    let gp: GaussianProcess | undefined;
    let best: number;
    if (useGp) {
      // Raw severities through a fitted power transform (Yeo–Johnson, standardised): the GP keeps the
      // shape of the peak it has to locate (normal scores flatten it) while heavy tails are compressed.
      const data = this.trainingData(true, false);
      const warp = fitPowerTransform(data.y.subarray(0, this.entries.length));
      for (let i = 0; i < data.rows; i++) data.y[i] = warp(data.y[i] as number);
      data.best = warp(data.best);
      gp = new GaussianProcess({ categories: this.space.categories, priorMedian: this.cfg.gpPriorMedian }).fit(
        data.X,
        data.rows,
        d,
        data.y,
      );
      best = data.best;
    } else {
      ({ forest, best } = this.fitForest(true, forestSeed));
    }
    const enumerated = this.enumeration();
    const poolSize = useGp ? Math.min(this.cfg.nCandidates, this.cfg.gpCandidates) : this.cfg.nCandidates;
    const every = this.cfg.categoryEvery;
    const catAsk =
      enumerated === null && every > 0 && (this.entries.length + this.pending.size) % every === 0
        ? this.categoryCandidates(poolSize)
        : undefined;
    const cands = enumerated ?? catAsk ?? this.generateCandidates(poolSize);
    if (this.acqBuf.length < cands.rows) {
      this.acqBuf = new Float64Array(cands.rows);
      this.prediction = { mean: new Float64Array(cands.rows), std: new Float64Array(cands.rows) };
    }
    const rows = cands.rows;
    const params = { xi: this.cfg.xi, kappa: this.cfg.kappa };
    const nTrees = this.cfg.nTrees;
    // Large pools are screened with an eighth of the trees; the best SCREEN_FRACTION are re-scored
    // with the whole forest (the trees are exchangeable: the sub-forest is a noisier estimate).
    const screen = forest !== undefined && this.cfg.prescreen && rows >= SCREEN_MIN_ROWS && nTrees >= 8;
    const pred =
      forest !== undefined
        ? forest.predict({ data: cands.data, rows, cols: d }, this.prediction, screen ? Math.ceil(nTrees / 8) : nTrees)
        : (gp as GaussianProcess).predict(cands.data, rows, this.prediction);
    const acq = acquisitionValues(this.cfg.acquisition, pred.mean, pred.std, best, params, this.acqBuf, rows);
    // Rows in preference order: `kept` (re-scored, best first) then the others by screening score.
    let kept: Int32Array = new Int32Array(0);
    let keptAcq: Float64Array = new Float64Array(0);
    if (screen) {
      const k = Math.ceil(rows * SCREEN_FRACTION);
      kept = this.topRows(acq, rows, k);
      const sub = new Float64Array(k * d);
      kept.forEach((r, j) => {
        sub.set(cands.data.subarray(r * d, r * d + d), j * d);
      });
      const full = (forest as RandomForest).predict({ data: sub, rows: k, cols: d });
      keptAcq = acquisitionValues(this.cfg.acquisition, full.mean, full.std, best, params);
    }
    const tryRow = (r: number): Point | undefined => {
      const p = this.space.decode(cands.data, r * d);
      return this.isNew(this.space.key(p)) && this.space.isFeasible(p) ? p : undefined;
    };
    let top = 0;
    if (screen) {
      let j0 = 0;
      for (let j = 1; j < kept.length; j++) if ((keptAcq[j] as number) > (keptAcq[j0] as number)) j0 = j;
      top = kept[j0] as number;
    } else {
      for (let r = 1; r < rows; r++) if ((acq[r] as number) > (acq[top] as number)) top = r;
    }
    let chosen = tryRow(top);
    if (chosen === undefined) {
      const inKept = new Uint8Array(rows);
      for (const r of kept) inKept[r] = 1;
      const keptOrder = Array.from(kept.keys()).sort(
        (a, b) => (keptAcq[b] as number) - (keptAcq[a] as number) || (kept[a] as number) - (kept[b] as number),
      );
      const rest = Int32Array.from({ length: rows }, (_, i) => i)
        .filter((r) => inKept[r] === 0)
        .sort((a, b) => (acq[b] as number) - (acq[a] as number) || a - b);
      const order = [...keptOrder.map((j) => kept[j] as number), ...rest];
      for (const r of order) {
        chosen = tryRow(r);
        if (chosen !== undefined) break;
      }
    }
    if (chosen === undefined) {
      if (enumerated !== null)
        throw new SpaceExhaustedError(
          `search space exhausted: all feasible points are observed or pending (${this.entries.length} observed, ${this.pending.size} pending)`,
        );
      chosen = this.sampleNew();
    }
    return this.propose(chosen, this.space.key(chosen), 'model');
  }

  /** The `k` rows with the highest `score` (ties: lower index first), in increasing row order. */
  private topRows(score: Float64Array, rows: number, k: number): Int32Array {
    const sorted = score.slice(0, rows).sort();
    const kth = sorted[rows - k] as number;
    const out = new Int32Array(k);
    let n = 0;
    for (let r = 0; r < rows && n < k; r++) if ((score[r] as number) > kth) out[n++] = r;
    for (let r = 0; r < rows && n < k; r++) if ((score[r] as number) === kth) out[n++] = r;
    return out.sort();
  }

  /** Uniform samples + neighbours of the incumbents + trust-region samples, as encoded rows. */
  private generateCandidates(total = this.cfg.nCandidates): { data: Float64Array; rows: number } {
    const d = this.space.size;
    const nLocalWanted = this.cfg.localSearch ? Math.floor(total * this.cfg.localFraction) : 0;
    const nTRWanted = this.cfg.trustRegion ? Math.floor(total * this.cfg.trustRegionFraction) : 0;
    const incumbents = this.regionTop(LOCAL_INCUMBENTS).map((e) => e.enc);
    // Right after a restart the region is empty: its share goes to uniform samples.
    const nLocal = incumbents.length > 0 ? nLocalWanted : 0;
    const nTR = incumbents.length > 0 ? nTRWanted : 0;
    const nRandom = total - nLocal - nTR;
    if (this.candidateBuf.length < total * d) this.candidateBuf = new Float64Array(total * d);
    const data = this.candidateBuf;
    const rng = this.rng;
    const space = this.space;
    let row = 0;
    for (; row < nRandom; row++) space.sampleEncoded(rng, data, row * d);

    if (nLocal > 0) {
      const active = new Int32Array(d);
      for (let j = 0; j < nLocal; j++, row++) {
        const off = row * d;
        // Half of the neighbours around the best point, the rest spread over the next incumbents.
        const inc = incumbents[j < nLocal / 2 ? 0 : j % incumbents.length] as Float64Array;
        data.set(inc, off);
        // One or two dimensions (half of the neighbours), else 1..d mutations: coordinate moves and
        // joint moves of several dimensions, so the acquisition can pick a direction.
        let nMut = rng.next() < 0.75 ? 1 : 2;
        if (rng.next() < 0.5) nMut = 1 + rng.int(d);
        for (let m = 0; m < nMut; m++) {
          let nActive = 0;
          for (let i = 0; i < d; i++) {
            if (space.isActive(data, off, i) && !(space.isCategorical(i) && (space.categories[i] as number) < 2))
              active[nActive++] = i;
          }
          if (nActive === 0) break;
          this.mutate(data, off, active[rng.int(nActive)] as number);
          space.repair(data, off, rng);
        }
      }
    }

    if (nTR > 0) {
      const center = incumbents[0] as Float64Array;
      const half = this.tr.length / 2;
      const pCat = Math.min(1, this.tr.length) * 0.5;
      for (let j = 0; j < nTR; j++, row++) {
        const off = row * d;
        for (let i = 0; i < d; i++) {
          const c = center[i] as number;
          if (c === INACTIVE) {
            data[off + i] = INACTIVE;
          } else if (space.isCategorical(i)) {
            const k = space.categories[i] as number;
            if (k > 1 && rng.next() < pCat) {
              const o = rng.int(k - 1);
              data[off + i] = o >= c ? o + 1 : o;
            } else {
              data[off + i] = c;
            }
          } else {
            const lo = Math.max(0, c - half);
            const hi = Math.min(1, c + half);
            data[off + i] = space.snap(i, lo + rng.next() * (hi - lo));
          }
        }
        space.repair(data, off, rng);
      }
    }
    return { data, rows: total };
  }

  /**
   * Candidates of a category-exploration ask (CoCaBO-like: a bandit picks the categories, the model
   * the numeric values). Each categorical dimension gets the value with the highest UCB score
   * best + c·sqrt(ln n / n_value) over the observations where it is active (best = highest severity
   * with that value, min-max scaled to [0, 1]; untried values first, ties broken at random). All
   * candidates carry those values: half are uniform numeric samples, half mutate 1..d numeric
   * dimensions of the best observation with exactly those values (or of the incumbent, whose numeric
   * values then move to the new categories). Undefined when the space has no categorical or no
   * numeric dimension, so the ask uses the usual pool.
   */
  private categoryCandidates(total = this.cfg.nCandidates): { data: Float64Array; rows: number } | undefined {
    const d = this.space.size;
    const space = this.space;
    const cats: number[] = [];
    for (let i = 0; i < d; i++) if (space.isCategorical(i) && (space.categories[i] as number) > 1) cats.push(i);
    let nNumeric = 0;
    for (let i = 0; i < d; i++) if (!space.isCategorical(i)) nNumeric++;
    if (cats.length === 0 || nNumeric === 0 || this.entries.length === 0) return undefined;
    const n = this.entries.length;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const e of this.entries) {
      lo = Math.min(lo, e.severity);
      hi = Math.max(hi, e.severity);
    }
    const ys = this.entries.map((e) => (hi > lo ? (e.severity - lo) / (hi - lo) : 0.5));
    const rng = this.rng;
    const chosen = new Float64Array(d).fill(Number.NaN);
    const ln = Math.log(n);
    for (const i of cats) {
      const k = space.categories[i] as number;
      const best = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
      const cnt = new Int32Array(k);
      let nAct = 0;
      this.entries.forEach((e, r) => {
        const v = e.enc[i] as number;
        if (v < 0) return;
        nAct++;
        cnt[v] = (cnt[v] as number) + 1;
        if ((ys[r] as number) > (best[v] as number)) best[v] = ys[r] as number;
      });
      if (nAct === 0) continue;
      let arm = -1;
      let armScore = Number.NEGATIVE_INFINITY;
      const start = rng.int(k);
      for (let jj = 0; jj < k; jj++) {
        const v = (start + jj) % k;
        const c = cnt[v] as number;
        const score =
          c === 0 ? Number.POSITIVE_INFINITY : (best[v] as number) + this.cfg.categoryUcb * Math.sqrt(ln / c);
        if (score > armScore) {
          armScore = score;
          arm = v;
        }
      }
      chosen[i] = arm;
    }
    // Base point: the best observation matching every chosen category, else the incumbent.
    let base: Float64Array | undefined;
    let baseSev = Number.NEGATIVE_INFINITY;
    for (const e of this.entries) {
      let ok = true;
      for (const i of cats) if (!Number.isNaN(chosen[i] as number) && e.enc[i] !== chosen[i]) ok = false;
      if (ok && e.severity > baseSev) {
        baseSev = e.severity;
        base = e.enc;
      }
    }
    const inc = base ?? this.incumbent()?.enc;
    if (this.candidateBuf.length < total * d) this.candidateBuf = new Float64Array(total * d);
    const data = this.candidateBuf;
    const numeric = new Int32Array(d);
    const setCats = (off: number) => {
      for (const i of cats) if (!Number.isNaN(chosen[i] as number)) data[off + i] = chosen[i] as number;
      space.repair(data, off, rng);
    };
    for (let row = 0; row < total; row++) {
      const off = row * d;
      if (row % 2 === 0 || inc === undefined) {
        space.sampleEncoded(rng, data, off);
        setCats(off);
      } else {
        data.set(inc, off);
        setCats(off);
        const nMut = rng.next() < 0.5 ? 1 : 1 + rng.int(d);
        for (let m = 0; m < nMut; m++) {
          let nn = 0;
          for (let i = 0; i < d; i++) if (!space.isCategorical(i) && space.isActive(data, off, i)) numeric[nn++] = i;
          if (nn === 0) break;
          this.mutate(data, off, numeric[rng.int(nn)] as number);
          space.repair(data, off, rng);
        }
      }
    }
    return { data, rows: total };
  }

  /** The best observation (first told among equals). */
  private incumbent(): Entry | undefined {
    let b: Entry | undefined;
    for (const e of this.entries) if (b === undefined || e.severity > b.severity) b = e;
    return b;
  }

  /** Mutates column `i` of the encoded row at `off`: Gaussian step (numeric) or another category. */
  private mutate(data: Float64Array, off: number, i: number): void {
    const space = this.space;
    const rng = this.rng;
    const old = data[off + i] as number;
    if (space.isCategorical(i)) {
      const k = space.categories[i] as number;
      const o = rng.int(k - 1);
      data[off + i] = o >= old ? o + 1 : o;
      return;
    }
    // Log-uniform step scale: both fine refinement and larger jumps.
    const sd = Math.exp(Math.log(STEP_MIN) + rng.next() * (Math.log(STEP_MAX) - Math.log(STEP_MIN)));
    const delta = sd * rng.normal();
    let e = old + delta;
    if (e < 0) e = -e;
    if (e > 1) e = 2 - e;
    let snapped = space.snap(i, e);
    if (snapped === old && space.isInteger(i)) {
      // Guarantee a move of at least one integer step.
      const v = space.decodeValue(i, old) as number;
      const dim = space.dimensions[i] as { low: number; high: number };
      let next = delta >= 0 ? v + 1 : v - 1;
      if (next > dim.high || next < dim.low) next = delta >= 0 ? v - 1 : v + 1;
      snapped = space.encodeValue(i, next);
    }
    data[off + i] = snapped;
  }

  private updateTrustRegion(severity: number, before: number): void {
    const tr = this.tr;
    // Success = a meaningful improvement of the region's best: by 1% of the observed severity range
    // (so creeping gains in a poor basin still count as failures and eventually trigger a restart).
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const e of this.entries) {
      if (e.severity < lo) lo = e.severity;
      if (e.severity > hi) hi = e.severity;
    }
    const improved = severity > before + Math.max(1e-3 * Math.abs(before), TR_SUCCESS_MARGIN * (hi - lo));
    if (improved) {
      tr.successes++;
      tr.failures = 0;
    } else {
      tr.failures++;
      tr.successes = 0;
    }
    if (tr.successes >= TR_SUCCESS_TOLERANCE) {
      tr.length = Math.min(2 * tr.length, TR_MAX);
      tr.successes = 0;
    }
    if (tr.failures >= Math.max(4, this.space.size)) {
      tr.length /= 2;
      tr.failures = 0;
    }
    if (tr.length < TR_MIN) {
      // Collapsed: restart in a new region (the next proposal comes from global candidates only).
      tr.length = TR_INIT;
      tr.restarts++;
      tr.regionStart = this.entries.length;
    }
  }
}
