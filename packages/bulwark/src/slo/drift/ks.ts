import { SortedMultiset } from './sorted.js';
import { type DriftDirection, requireFinite, requireInteger } from './types.js';

/**
 * Result of a two-sample Kolmogorov–Smirnov test of a reference sample `a` against a sample `b`.
 *
 * @example
 * ```ts
 * const r: KsResult = ksTwoSample([1, 2, 3], [4, 5, 6]);
 * r.statistic; // 1
 * ```
 */
export interface KsResult {
  /** D = sup |F_a − F_b| (0 … 1). */
  statistic: number;
  /** sup (F_a − F_b): large when `b` is shifted towards larger values. */
  dPlus: number;
  /** sup (F_b − F_a): large when `b` is shifted towards smaller values. */
  dMinus: number;
  /** Asymptotic p-value with Stephens' correction (0 … 1). */
  pValue: number;
  n: number;
  m: number;
}

/**
 * The Kolmogorov distribution's survival function
 * Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²} (for λ < 1.18 the equivalent Jacobi-theta form
 * 1 − (√(2π)/λ) Σ_{j≥1} e^{−(2j−1)²π²/(8λ²)}, which converges fast there). Q(λ ≤ 0) = 1.
 *
 * @example
 * ```ts
 * kolmogorovQ(1.36); // ≈ 0.0494
 * ```
 */
export function kolmogorovQ(lambda: number): number {
  if (Number.isNaN(lambda)) throw new RangeError('lambda must not be NaN');
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    const y = Math.exp((-Math.PI * Math.PI) / (8 * lambda * lambda));
    if (y === 0) return 1;
    let sum = 0;
    for (let j = 1; j < 100; j++) {
      const term = y ** ((2 * j - 1) * (2 * j - 1));
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * sum);
  }
  let sum = 0;
  for (let j = 1; j < 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += j % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return clamp01(2 * sum);
}

/**
 * Asymptotic p-value of a two-sample KS statistic `d` for sample sizes `n` and `m`, with Stephens'
 * small-sample correction: Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·d), nₑ = n·m/(n+m).
 *
 * @example
 * ```ts
 * ksPValue(0, 10, 10); // 1
 * ksPValue(1, 100, 100); // ≈ 0 (disjoint samples)
 * ```
 */
export function ksPValue(d: number, n: number, m: number): number {
  if (!(n > 0 && m > 0)) throw new RangeError('sample sizes must be positive');
  const se = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((se + 0.12 + 0.11 / se) * d);
}

/**
 * Two-sample KS test on samples that are already sorted ascending (not checked). Ties (within
 * and across samples) are handled exactly: both empirical CDFs are advanced past every copy of a
 * value before they are compared.
 *
 * @example
 * ```ts
 * ksTwoSampleSorted([1, 2, 3, 4], [3, 4, 5, 6]).statistic; // 0.5
 * ```
 */
export function ksTwoSampleSorted(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('both samples must be non-empty');
  let i = 0;
  let j = 0;
  let dPlus = 0;
  let dMinus = 0;
  while (i < n && j < m) {
    const ai = a[i] as number;
    const bj = b[j] as number;
    const v = Math.min(ai, bj);
    while (i < n && (a[i] as number) <= v) i++;
    while (j < m && (b[j] as number) <= v) j++;
    const diff = i / n - j / m;
    if (diff > dPlus) dPlus = diff;
    if (-diff > dMinus) dMinus = -diff;
  }
  const statistic = Math.max(dPlus, dMinus);
  return { statistic, dPlus, dMinus, pValue: ksPValue(statistic, n, m), n, m };
}

/**
 * Two-sample Kolmogorov–Smirnov test of `a` (reference) against `b`. Inputs are not modified.
 *
 * @example
 * ```ts
 * const r = ksTwoSample([0.1, 0.4, 0.2], [0.9, 0.8, 0.7]);
 * r.statistic; // 1
 * r.dPlus; // 1  (b is larger)
 * ```
 */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  for (const x of a) requireFinite(x, 'sample value');
  for (const x of b) requireFinite(x, 'sample value');
  return ksTwoSampleSorted(
    [...a].sort((x, y) => x - y),
    [...b].sort((x, y) => x - y),
  );
}

/**
 * The two-sample KS statistic D = sup_x |F_a(x) − F_b(x)|.
 *
 * @example
 * ```ts
 * ksStatistic([1, 2, 3], [1, 2, 3]); // 0
 * ```
 */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  return ksTwoSample(a, b).statistic;
}

/**
 * Parameters of {@link KsWindowDetector}.
 *
 * @example
 * ```ts
 * const opts: KsWindowOptions = { referenceSize: 240, recentSize: 30, alpha: 0.001 };
 * ```
 */
export interface KsWindowOptions {
  /** Maximum size of the reference window. Default 200. */
  referenceSize?: number;
  /** Size of the recent (sliding) window; tests run only when it is full. Default 30. */
  recentSize?: number;
  /** Significance level: a change is reported when p < alpha. Default 0.01. */
  alpha?: number;
  /** Minimum reference samples before testing. Default 30. */
  minReferenceSize?: number;
  /**
   * `sliding`: the reference is the `referenceSize` samples just before the recent window;
   * `fixed`: the first `referenceSize` samples (after a reset or detection) are kept. Default
   * 'sliding'.
   */
  reference?: 'sliding' | 'fixed';
}

/**
 * Serialised {@link KsWindowDetector}; windows are in arrival order.
 *
 * @example
 * ```ts
 * const state: KsWindowState = new KsWindowDetector().toJSON();
 * const copy = KsWindowDetector.fromJSON(JSON.parse(JSON.stringify(state)));
 * ```
 */
export interface KsWindowState {
  kind: 'ks-window';
  version: 1;
  options: Required<KsWindowOptions>;
  reference: number[];
  recent: number[];
  detected: boolean;
  direction: DriftDirection | null;
  last: KsResult | null;
}

/**
 * Streaming two-sample KS drift detector: compares a reference window with the most recent
 * `recentSize` values at every update (once both are large enough) and reports a change when the
 * p-value falls below `alpha`. The direction comes from the signed statistics (D⁺ ≥ D⁻ → the
 * recent values are larger → `up`). After a detection the recent window becomes the new reference
 * and the recent window restarts empty.
 *
 * @example
 * ```ts
 * const ks = new KsWindowDetector({ recentSize: 20, alpha: 0.001 });
 * let at = -1;
 * for (let i = 0; i < 400 && at < 0; i++) if (ks.update((i % 7) + (i >= 200 ? 10 : 0))) at = i;
 * // at is a few samples after 200; ks.direction === 'up'
 * ```
 */
export class KsWindowDetector {
  private readonly opts: Required<KsWindowOptions>;
  private reference: number[] = [];
  private recent: number[] = [];
  private readonly referenceSorted = new SortedMultiset();
  private readonly recentSorted = new SortedMultiset();
  private detected = false;
  private direction_: DriftDirection | undefined;
  private last: KsResult | undefined;

  constructor(options: KsWindowOptions = {}) {
    this.opts = {
      referenceSize: requireInteger(options.referenceSize ?? 200, 1, 'referenceSize'),
      recentSize: requireInteger(options.recentSize ?? 30, 1, 'recentSize'),
      alpha: requireFinite(options.alpha ?? 0.01, 'alpha'),
      minReferenceSize: requireInteger(options.minReferenceSize ?? 30, 1, 'minReferenceSize'),
      reference: options.reference ?? 'sliding',
    };
    if (this.opts.minReferenceSize > this.opts.referenceSize) {
      throw new RangeError('minReferenceSize must not exceed referenceSize');
    }
    if (this.opts.reference !== 'sliding' && this.opts.reference !== 'fixed') throw new RangeError('invalid reference');
  }

  /** The resolved parameters. */
  get options(): Readonly<Required<KsWindowOptions>> {
    return this.opts;
  }

  /** Whether the last update reported a change. */
  get driftDetected(): boolean {
    return this.detected;
  }

  /** Direction of the change reported by the last update. */
  get direction(): DriftDirection | undefined {
    return this.direction_;
  }

  /** The most recent test (undefined until the first test ran). */
  get lastResult(): KsResult | undefined {
    return this.last;
  }

  /** Current sizes of the reference and recent windows. */
  get sizes(): { reference: number; recent: number } {
    return { reference: this.reference.length, recent: this.recent.length };
  }

  /** Feeds one value; true when the test rejects at this value. */
  update(x: number): boolean {
    requireFinite(x, 'x');
    this.detected = false;
    this.direction_ = undefined;
    this.recent.push(x);
    this.recentSorted.add(x);
    if (this.recent.length > this.opts.recentSize) {
      const old = this.recent.shift() as number;
      this.recentSorted.remove(old);
      this.toReference(old);
    }
    if (this.recent.length === this.opts.recentSize && this.reference.length >= this.opts.minReferenceSize) {
      const r = ksTwoSampleSorted(this.referenceSorted.toArray(), this.recentSorted.toArray());
      this.last = r;
      if (r.pValue < this.opts.alpha) {
        this.detected = true;
        this.direction_ = r.dPlus >= r.dMinus ? 'up' : 'down';
        this.reference = this.recent;
        this.recent = [];
        this.referenceSorted.clear();
        for (const v of this.reference) this.referenceSorted.add(v);
        this.recentSorted.clear();
      }
    }
    return this.detected;
  }

  /** Empties both windows (keeps the parameters). */
  reset(): void {
    this.reference = [];
    this.recent = [];
    this.referenceSorted.clear();
    this.recentSorted.clear();
    this.detected = false;
    this.direction_ = undefined;
    this.last = undefined;
  }

  /** JSON-safe snapshot; {@link KsWindowDetector.fromJSON} restores an identical detector. */
  toJSON(): KsWindowState {
    return {
      kind: 'ks-window',
      version: 1,
      options: { ...this.opts },
      reference: [...this.reference],
      recent: [...this.recent],
      detected: this.detected,
      direction: this.direction_ ?? null,
      last: this.last ? { ...this.last } : null,
    };
  }

  /** Restores a detector from {@link KsWindowDetector.toJSON} output. */
  static fromJSON(state: KsWindowState): KsWindowDetector {
    if (state?.kind !== 'ks-window' || state.version !== 1) throw new TypeError('not a KsWindowDetector state (v1)');
    const d = new KsWindowDetector(state.options);
    d.reference = state.reference.map((v) => requireFinite(v, 'reference value'));
    d.recent = state.recent.map((v) => requireFinite(v, 'recent value'));
    for (const v of d.reference) d.referenceSorted.add(v);
    for (const v of d.recent) d.recentSorted.add(v);
    d.detected = state.detected === true;
    d.direction_ = state.direction ?? undefined;
    d.last = state.last ? { ...state.last } : undefined;
    return d;
  }

  private toReference(v: number): void {
    if (this.opts.reference === 'fixed') {
      if (this.reference.length < this.opts.referenceSize) {
        this.reference.push(v);
        this.referenceSorted.add(v);
      }
      return;
    }
    this.reference.push(v);
    this.referenceSorted.add(v);
    if (this.reference.length > this.opts.referenceSize) this.referenceSorted.remove(this.reference.shift() as number);
  }
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
