import { type DriftDirection, requireFinite, requireInteger } from './types.js';

/**
 * Which side of the Page-Hinkley test is monitored: increases of the mean (`up`), decreases
 * (`down`) or both.
 *
 * @example
 * ```ts
 * const mode: PageHinkleyMode = 'both';
 * ```
 */
export type PageHinkleyMode = 'up' | 'down' | 'both';

/**
 * Parameters of {@link PageHinkley}. Defaults are river's / scikit-multiflow's.
 *
 * @example
 * ```ts
 * const opts: PageHinkleyOptions = { delta: 0.5, threshold: 10, mode: 'up' };
 * ```
 */
export interface PageHinkleyOptions {
  /** Samples (since the last reset) before a change may be reported. Default 30. */
  minInstances?: number;
  /** Magnitude of changes that are tolerated (the drift allowance). Default 0.005. */
  delta?: number;
  /** Detection threshold lambda. Default 50. */
  threshold?: number;
  /** Forgetting factor applied to the cumulative sums. Default 0.9999. */
  alpha?: number;
  /** Default 'both'. */
  mode?: PageHinkleyMode;
}

/**
 * Serialised {@link PageHinkley} (JSON-safe: finite numbers, strings, booleans and nulls only).
 *
 * @example
 * ```ts
 * const state: PageHinkleyState = new PageHinkley().toJSON();
 * const copy = PageHinkley.fromJSON(JSON.parse(JSON.stringify(state)));
 * ```
 */
export interface PageHinkleyState {
  kind: 'page-hinkley';
  version: 1;
  options: Required<PageHinkleyOptions>;
  count: number;
  mean: number;
  sumIncrease: number;
  sumDecrease: number;
  minIncrease: number;
  maxDecrease: number;
  detected: boolean;
  direction: DriftDirection | null;
}

/**
 * Page-Hinkley change detector (Page 1954), as implemented by river / scikit-multiflow: with `x̄ₜ`
 * the running mean since the last reset,
 *
 *   m⁺ₜ = α·m⁺ₜ₋₁ + (xₜ − x̄ₜ − δ),  test⁺ = m⁺ₜ − min m⁺  (increase)
 *   m⁻ₜ = α·m⁻ₜ₋₁ + (xₜ − x̄ₜ + δ),  test⁻ = max m⁻ − m⁻ₜ  (decrease)
 *
 * and a change is reported when a monitored test exceeds `threshold` after at least
 * `minInstances` samples. As in river, the detector restarts on the update that follows a
 * detection.
 *
 * @example
 * ```ts
 * const ph = new PageHinkley({ threshold: 10, delta: 0.1 });
 * let at = -1;
 * for (let i = 0; i < 200 && at < 0; i++) if (ph.update(i < 100 ? 0 : 1)) at = i;
 * // at is a little after 100 and ph.direction === 'up'
 * ```
 */
export class PageHinkley {
  private readonly opts: Required<PageHinkleyOptions>;
  private count = 0;
  private mean_ = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = 0;
  private maxDecrease = 0;
  private detected = false;
  private direction_: DriftDirection | undefined;

  constructor(options: PageHinkleyOptions = {}) {
    this.opts = {
      minInstances: requireInteger(options.minInstances ?? 30, 1, 'minInstances'),
      delta: requireFinite(options.delta ?? 0.005, 'delta'),
      threshold: requireFinite(options.threshold ?? 50, 'threshold'),
      alpha: requireFinite(options.alpha ?? 1 - 0.0001, 'alpha'),
      mode: options.mode ?? 'both',
    };
    if (!['up', 'down', 'both'].includes(this.opts.mode)) throw new RangeError(`invalid mode '${this.opts.mode}'`);
    if (this.opts.alpha <= 0 || this.opts.alpha > 1) throw new RangeError('alpha must be in (0, 1]');
  }

  /** The resolved parameters. */
  get options(): Readonly<Required<PageHinkleyOptions>> {
    return this.opts;
  }

  /** Whether the last update reported a change. */
  get driftDetected(): boolean {
    return this.detected;
  }

  /** Direction of the change reported by the last update; undefined when it reported none. */
  get direction(): DriftDirection | undefined {
    return this.direction_;
  }

  /** Samples seen since the last reset. */
  get n(): number {
    return this.count;
  }

  /** Running mean since the last reset. */
  get mean(): number {
    return this.mean_;
  }

  /** Current values of the two test statistics (compare with `threshold`). */
  get statistics(): { increase: number; decrease: number } {
    if (this.count === 0) return { increase: 0, decrease: 0 };
    return { increase: this.sumIncrease - this.minIncrease, decrease: this.maxDecrease - this.sumDecrease };
  }

  /** Feeds one value; true when a change is detected at this value. */
  update(x: number): boolean {
    requireFinite(x, 'x');
    if (this.detected) this.reset();
    const { alpha, delta, threshold, mode, minInstances } = this.opts;
    this.count += 1;
    this.mean_ += (x - this.mean_) / this.count;
    const dev = x - this.mean_;
    this.sumIncrease = alpha * this.sumIncrease + dev - delta;
    this.sumDecrease = alpha * this.sumDecrease + dev + delta;
    if (this.count === 1) {
      this.minIncrease = this.sumIncrease;
      this.maxDecrease = this.sumDecrease;
    } else {
      if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
      if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    }
    this.detected = false;
    this.direction_ = undefined;
    if (this.count >= minInstances) {
      const up = this.sumIncrease - this.minIncrease;
      const down = this.maxDecrease - this.sumDecrease;
      const upHit = mode !== 'down' && up > threshold;
      const downHit = mode !== 'up' && down > threshold;
      if (upHit || downHit) {
        this.detected = true;
        this.direction_ = upHit && (!downHit || up >= down) ? 'up' : 'down';
      }
    }
    return this.detected;
  }

  /** Forgets everything seen so far (keeps the parameters). */
  reset(): void {
    this.count = 0;
    this.mean_ = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = 0;
    this.maxDecrease = 0;
    this.detected = false;
    this.direction_ = undefined;
  }

  /** JSON-safe snapshot; {@link PageHinkley.fromJSON} restores an identical detector. */
  toJSON(): PageHinkleyState {
    return {
      kind: 'page-hinkley',
      version: 1,
      options: { ...this.opts },
      count: this.count,
      mean: this.mean_,
      sumIncrease: this.sumIncrease,
      sumDecrease: this.sumDecrease,
      minIncrease: this.minIncrease,
      maxDecrease: this.maxDecrease,
      detected: this.detected,
      direction: this.direction_ ?? null,
    };
  }

  /** Restores a detector from {@link PageHinkley.toJSON} output. */
  static fromJSON(state: PageHinkleyState): PageHinkley {
    if (state?.kind !== 'page-hinkley' || state.version !== 1) throw new TypeError('not a PageHinkley state (v1)');
    const ph = new PageHinkley(state.options);
    ph.count = requireInteger(state.count, 0, 'count');
    ph.mean_ = requireFinite(state.mean, 'mean');
    ph.sumIncrease = requireFinite(state.sumIncrease, 'sumIncrease');
    ph.sumDecrease = requireFinite(state.sumDecrease, 'sumDecrease');
    ph.minIncrease = requireFinite(state.minIncrease, 'minIncrease');
    ph.maxDecrease = requireFinite(state.maxDecrease, 'maxDecrease');
    ph.detected = state.detected === true;
    ph.direction_ = state.direction ?? undefined;
    return ph;
  }
}
