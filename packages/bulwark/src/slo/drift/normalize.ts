import { SortedMultiset } from './sorted.js';
import { requireFinite, requireInteger } from './types.js';

/**
 * Parameters of {@link SliNormalizer}.
 *
 * @example
 * ```ts
 * const opts: NormalizerOptions = { transform: 'log', seasonalPeriod: 1440, seasonalHalfWindow: 30 };
 * ```
 */
export interface NormalizerOptions {
  /**
   * `log` (default) for positive, multiplicative-noise SLIs such as latency percentiles: residuals
   * become relative deviations and a seasonal amplitude cancels out. `identity` for additive SLIs
   * that can be 0, such as error ratios.
   */
  transform?: 'log' | 'identity';
  /** `log` transform: values are clamped to at least this before the logarithm. Default 1e-9. */
  logFloor?: number;
  /**
   * Samples per season (1440 for a daily cycle of per-minute samples). 0 disables seasonality: the
   * residual is the transformed value itself and the location carries the level. Default 1440.
   */
  seasonalPeriod?: number;
  /**
   * The seasonal baseline is a local quadratic fit over ± this many samples one period ago,
   * evaluated at the same phase (smooth, so it follows a daily cycle without a curvature bias,
   * and averages the noise of ~2·h samples). Default 240.
   */
  seasonalHalfWindow?: number;
  /**
   * Before one full period is known: the baseline is a straight line fitted to this many previous
   * samples, extrapolated one step (it follows a slow daily cycle with little lag, but absorbs a
   * step within about half the window). Default 120.
   */
  fallbackWindow?: number;
  /** Minimum samples in a baseline window. Default 5. */
  minBaselineSamples?: number;
  /** Residuals used for the robust location and scale. Default 480. */
  scaleWindow?: number;
  /** The newest residuals kept out of the location/scale window, so a fresh shift does not hide itself. Default 30. */
  scaleLag?: number;
  /** Residuals needed before standardised values are produced. Default 30. */
  minScaleSamples?: number;
  /** Lower bound of the scale (transformed units). Default 1e-6. */
  minScale?: number;
  /** Standardised residuals are clipped to ±clip (robustness to single-sample spikes). Default 3. */
  clip?: number;
  /** Values remembered for next period's baseline are winsorised at ±historyClip scales. Default 6. */
  historyClip?: number;
  /**
   * Prewhitening: remove the lag-1 autocorrelation φ of the residuals, estimated on the
   * location/scale window and shrunk towards 0 by one standard error, capped at this value, so
   * that the detectors' thresholds (calibrated for independent samples) keep their false-alarm
   * rate on autocorrelated SLIs (at the price of a slower detection there). 0 disables. Default 0.8.
   */
  maxAutocorrelation?: number;
}

/** The lag-1 autocorrelation is re-estimated every this many samples (it moves slowly). */
const AUTOCORRELATION_EVERY = 16;

/**
 * One normalised sample produced by {@link SliNormalizer.push}.
 *
 * @example
 * ```ts
 * const s: NormalizedSample | undefined = new SliNormalizer().push(200);
 * // undefined while warming up
 * ```
 */
export interface NormalizedSample {
  /** Index of the sample in the stream (missing samples count). */
  index: number;
  /** The raw value. */
  value: number;
  /** The transformed value. */
  transformed: number;
  /** Seasonal (or fallback) baseline, in transformed units without the level offset. */
  baseline: number;
  /** transformed − offset − baseline. */
  residual: number;
  /** Robust location (median) of the lagged residuals. */
  location: number;
  /** Robust scale (IQR / 1.349) of the lagged residuals. */
  scale: number;
  /** Lag-1 autocorrelation removed from this sample (0 = none). */
  autocorrelation: number;
  /** Prewhitened (residual − location) / scale, clipped to ±clip: the detectors' input. */
  z: number;
  /** What the reference model expected for this sample, in raw units. */
  expected: number;
}

/**
 * Serialised {@link SliNormalizer}; histories are oldest first, missing values as null.
 *
 * @example
 * ```ts
 * const state: NormalizerState = new SliNormalizer().toJSON();
 * const copy = SliNormalizer.fromJSON(JSON.parse(JSON.stringify(state)));
 * ```
 */
export interface NormalizerState {
  kind: 'sli-normalizer';
  version: 1;
  options: Required<NormalizerOptions>;
  index: number;
  offset: number;
  lastLocation: number | null;
  rebase: { since: number; before: number; restate: boolean } | null;
  history: Array<number | null>;
  pending: Array<[number, number]>;
  scale: Array<[number, number]>;
  carriedScale: number | null;
  /** Index and clipped deviation of the last standardised sample. */
  previous: [number, number] | null;
  /** Sample index of the last autocorrelation estimate, and the estimate. */
  phi: [number, number] | null;
}

/**
 * Turns a raw SLI stream into standardised, seasonally adjusted residuals for the drift detectors.
 *
 * 1. transform (`log` by default), so multiplicative noise and a multiplicative daily cycle
 *    become additive;
 * 2. baseline: a local quadratic fit to the (winsorised) transformed values one season ago,
 *    ±`seasonalHalfWindow` samples around the same phase — a diurnal pattern is in the baseline
 *    and therefore not in the residual. Before one full season has been seen, a straight line
 *    through the previous `fallbackWindow` samples, extrapolated one step (follows a slow daily
 *    cycle with little lag, but absorbs a step within about `fallbackWindow`/2 samples);
 * 3. residual = transformed − offset − baseline, with the location = median of a window of past
 *    residuals that excludes the newest `scaleLag`;
 * 4. z = (residual − location) / (IQR/1.349), prewhitened for lag-1 autocorrelation and clipped
 *    to ±`clip`.
 *
 * After an accepted change, {@link recenter} restarts the location window; once it is warm again
 * the measured level shift (new location − old location) moves the offset and the values
 * remembered since the change are restated at the new level, so a real change does not come back
 * as an "echo" one period later — and a false alarm, whose measured shift is ≈ 0, leaves the
 * memory as it was.
 *
 * Missing samples (null / NaN) keep the time axis aligned and produce no output.
 *
 * @example
 * ```ts
 * const norm = new SliNormalizer({ seasonalPeriod: 0 });
 * for (let i = 0; i < 100; i++) norm.push(200 + (i % 5));
 * norm.push(260)?.z; // 3 (clipped: far above the recent level)
 * ```
 */
export class SliNormalizer {
  private readonly opts: Required<NormalizerOptions>;
  private readonly capacity: number;
  private index_ = 0;
  private offset_ = 0;
  private lastLocation: number | undefined;
  private rebase: { since: number; before: number; restate: boolean } | undefined;
  private history: number[];
  private pending: Array<[number, number]> = [];
  private scaleFifo: Array<[number, number]> = [];
  private readonly scaleSorted = new SortedMultiset();
  /** Scale carried over a {@link recenter} until the new window holds half of `scaleWindow`. */
  private carriedScale: number | undefined;
  private previous: [number, number] | undefined;
  /** Sample index at which the autocorrelation was last estimated, and the estimate. */
  private phi: [number, number] | undefined;

  constructor(options: NormalizerOptions = {}) {
    this.opts = {
      transform: options.transform ?? 'log',
      logFloor: requireFinite(options.logFloor ?? 1e-9, 'logFloor'),
      seasonalPeriod: requireInteger(options.seasonalPeriod ?? 1440, 0, 'seasonalPeriod'),
      seasonalHalfWindow: requireInteger(options.seasonalHalfWindow ?? 240, 0, 'seasonalHalfWindow'),
      fallbackWindow: requireInteger(options.fallbackWindow ?? 120, 2, 'fallbackWindow'),
      minBaselineSamples: requireInteger(options.minBaselineSamples ?? 5, 1, 'minBaselineSamples'),
      scaleWindow: requireInteger(options.scaleWindow ?? 480, 2, 'scaleWindow'),
      scaleLag: requireInteger(options.scaleLag ?? 30, 0, 'scaleLag'),
      minScaleSamples: requireInteger(options.minScaleSamples ?? 30, 2, 'minScaleSamples'),
      minScale: requireFinite(options.minScale ?? 1e-6, 'minScale'),
      clip: requireFinite(options.clip ?? 3, 'clip'),
      historyClip: requireFinite(options.historyClip ?? 6, 'historyClip'),
      maxAutocorrelation: requireFinite(options.maxAutocorrelation ?? 0.8, 'maxAutocorrelation'),
    };
    const o = this.opts;
    if (o.transform !== 'log' && o.transform !== 'identity') throw new RangeError('invalid transform');
    if (o.logFloor <= 0) throw new RangeError('logFloor must be positive');
    if (o.minScale <= 0 || o.clip <= 0 || o.historyClip <= 0) {
      throw new RangeError('minScale, clip and historyClip must be positive');
    }
    if (o.seasonalPeriod > 0 && o.seasonalHalfWindow >= o.seasonalPeriod) {
      throw new RangeError('seasonalHalfWindow must be smaller than seasonalPeriod');
    }
    if (o.minScaleSamples > o.scaleWindow) throw new RangeError('minScaleSamples must not exceed scaleWindow');
    if (o.maxAutocorrelation < 0 || o.maxAutocorrelation >= 1)
      throw new RangeError('maxAutocorrelation must be in [0, 1)');
    this.capacity = Math.max(
      o.fallbackWindow + 2,
      o.seasonalPeriod > 0 ? o.seasonalPeriod + o.seasonalHalfWindow + 1 : 0,
    );
    this.history = new Array<number>(this.capacity).fill(Number.NaN);
  }

  /** The resolved parameters. */
  get options(): Readonly<Required<NormalizerOptions>> {
    return this.opts;
  }

  /** Index the next pushed sample will get. */
  get index(): number {
    return this.index_;
  }

  /** Level offset (transformed units) accumulated by accepted changes. */
  get offset(): number {
    return this.offset_;
  }

  /** The transform applied to raw values. */
  transform(x: number): number {
    return this.opts.transform === 'log' ? Math.log(Math.max(x, this.opts.logFloor)) : x;
  }

  /** Inverse of {@link transform} (for values above the log floor). */
  untransform(y: number): number {
    return this.opts.transform === 'log' ? Math.exp(y) : y;
  }

  /**
   * Feeds one raw value (null or NaN = missing). Returns the normalised sample, or undefined
   * while the baseline or the scale is still warming up, or when the value is missing.
   */
  push(x: number | null): NormalizedSample | undefined {
    if (x !== null && typeof x !== 'number') throw new TypeError('value must be a number or null');
    if (x !== null && !Number.isNaN(x) && !Number.isFinite(x)) throw new RangeError('value must be finite');
    const t = this.index_;
    const o = this.opts;
    this.index_ = t + 1;
    if (x === null || Number.isNaN(x)) {
      this.setHistory(t, Number.NaN);
      return undefined;
    }
    const y = this.transform(x);
    let baseline: number | undefined;
    if (o.seasonalPeriod === 0) baseline = 0;
    else if (t >= o.seasonalPeriod) {
      const c = t - o.seasonalPeriod;
      const h = o.seasonalHalfWindow;
      // Near the start of the history the window keeps its length (shifted right) rather than
      // shrinking to one side: an end-point estimate from 2h+1 samples, not from h+1.
      const lo = Math.max(0, c - h);
      baseline = this.fit(lo, lo + 2 * h, c, h, 2);
    }
    if (baseline === undefined && o.seasonalPeriod > 0) {
      baseline = this.fit(t - o.fallbackWindow, t - 1, t, o.fallbackWindow, 1);
    }
    if (baseline === undefined) {
      this.setHistory(t, y - this.offset_);
      return undefined;
    }
    if (this.rebase !== undefined && this.scaleSorted.size >= o.minScaleSamples) this.completeRebase();
    const d = y - this.offset_;
    const residual = d - baseline;
    let out: NormalizedSample | undefined;
    let remembered = d;
    if (this.scaleSorted.size >= o.minScaleSamples) {
      const location = this.scaleSorted.median();
      this.lastLocation = location;
      if (this.carriedScale !== undefined && this.scaleSorted.size * 2 >= o.scaleWindow) this.carriedScale = undefined;
      const iqr = this.scaleSorted.quantile(0.75) - this.scaleSorted.quantile(0.25);
      const scale = this.carriedScale ?? Math.max(iqr / 1.349, o.minScale);
      const dev = residual - location;
      const bound = o.clip * scale;
      const clipped = Math.min(bound, Math.max(-bound, dev));
      if (this.phi === undefined || t - this.phi[0] >= AUTOCORRELATION_EVERY) {
        this.phi = [t, this.autocorrelation(location, bound)];
      }
      const phi = this.phi[1];
      const prev = this.previous !== undefined && this.previous[0] === t - 1 ? this.previous[1] : undefined;
      const white = prev === undefined || phi === 0 ? clipped : (clipped - phi * prev) / Math.sqrt(1 - phi * phi);
      const z = Math.min(o.clip, Math.max(-o.clip, white / scale));
      this.previous = [t, clipped];
      const keep = o.historyClip * scale;
      remembered = baseline + location + Math.min(keep, Math.max(-keep, dev));
      out = {
        index: t,
        value: x,
        transformed: y,
        baseline,
        residual,
        location,
        scale,
        autocorrelation: phi,
        z,
        expected: this.untransform(this.offset_ + baseline + location),
      };
    }
    this.setHistory(t, remembered);
    this.pending.push([t, residual]);
    if (this.pending.length > o.scaleLag) {
      const moved = this.pending.shift() as [number, number];
      this.scaleFifo.push(moved);
      this.scaleSorted.add(moved[1]);
      if (this.scaleFifo.length > o.scaleWindow)
        this.scaleSorted.remove((this.scaleFifo.shift() as [number, number])[1]);
    }
    return out;
  }

  /**
   * Restarts the location after a change that began at sample `since`: the residuals behind the
   * location are forgotten and re-learnt from the samples that follow (the old location would make
   * the new level look like a slow drift); the scale is carried over until half of `scaleWindow`
   * new residuals are collected. Standardised output resumes after `scaleLag + minScaleSamples`
   * samples. At that point, with `restate`, the measured shift (new − old location) moves the
   * offset and every value remembered since `since` is restated at the new level.
   */
  recenter(since: number = this.index_, restate = true): void {
    if (this.lastLocation !== undefined) {
      this.rebase =
        this.rebase === undefined
          ? { since, before: this.lastLocation, restate }
          : { ...this.rebase, since: Math.min(since, this.rebase.since) };
    }
    if (this.scaleSorted.size >= this.opts.minScaleSamples) {
      const iqr = this.scaleSorted.quantile(0.75) - this.scaleSorted.quantile(0.25);
      this.carriedScale = this.carriedScale ?? Math.max(iqr / 1.349, this.opts.minScale);
    }
    this.pending = [];
    this.scaleFifo = [];
    this.scaleSorted.clear();
    this.previous = undefined;
    this.phi = undefined;
  }

  /** Applies the level shift measured after a {@link recenter} (see there). */
  private completeRebase(): void {
    const r = this.rebase as { since: number; before: number; restate: boolean };
    this.rebase = undefined;
    if (!r.restate) return;
    const shift = this.scaleSorted.median() - r.before;
    this.offset_ += shift;
    for (let i = Math.max(r.since, this.index_ - this.capacity, 0); i < this.index_ - 1; i++) {
      this.setHistory(i, this.getHistory(i) - shift);
    }
    for (const e of this.pending) e[1] -= shift;
    this.scaleSorted.clear();
    for (const e of this.scaleFifo) {
      e[1] -= shift;
      this.scaleSorted.add(e[1]);
    }
  }

  /** JSON-safe snapshot; {@link SliNormalizer.fromJSON} restores an identical normaliser. */
  toJSON(): NormalizerState {
    const n = Math.min(this.index_, this.capacity);
    const history: Array<number | null> = [];
    for (let i = this.index_ - n; i < this.index_; i++) {
      const v = this.getHistory(i);
      history.push(Number.isNaN(v) ? null : v);
    }
    return {
      kind: 'sli-normalizer',
      version: 1,
      options: { ...this.opts },
      index: this.index_,
      offset: this.offset_,
      lastLocation: this.lastLocation ?? null,
      rebase: this.rebase ? { ...this.rebase } : null,
      history,
      pending: this.pending.map(([i, r]) => [i, r]),
      scale: this.scaleFifo.map(([i, r]) => [i, r]),
      carriedScale: this.carriedScale ?? null,
      previous: this.previous ? [this.previous[0], this.previous[1]] : null,
      phi: this.phi ? [this.phi[0], this.phi[1]] : null,
    };
  }

  /** Restores a normaliser from {@link SliNormalizer.toJSON} output. */
  static fromJSON(state: NormalizerState): SliNormalizer {
    if (state?.kind !== 'sli-normalizer' || state.version !== 1) throw new TypeError('not a SliNormalizer state (v1)');
    const s = new SliNormalizer(state.options);
    s.index_ = requireInteger(state.index, 0, 'index');
    s.offset_ = requireFinite(state.offset, 'offset');
    s.lastLocation = state.lastLocation === null ? undefined : requireFinite(state.lastLocation, 'lastLocation');
    s.rebase = state.rebase
      ? {
          since: requireInteger(state.rebase.since, 0, 'since'),
          before: requireFinite(state.rebase.before, 'before'),
          restate: state.rebase.restate === true,
        }
      : undefined;
    if (state.history.length > s.capacity || state.history.length > s.index_) throw new RangeError('history too long');
    const start = s.index_ - state.history.length;
    state.history.forEach((v, k) => {
      s.setHistory(start + k, v === null ? Number.NaN : requireFinite(v, 'history value'));
    });
    s.pending = state.pending.map(([i, r]) => [requireInteger(i, 0, 'index'), requireFinite(r, 'residual')]);
    s.scaleFifo = state.scale.map(([i, r]) => [requireInteger(i, 0, 'index'), requireFinite(r, 'residual')]);
    for (const [, r] of s.scaleFifo) s.scaleSorted.add(r);
    s.carriedScale = state.carriedScale === null ? undefined : requireFinite(state.carriedScale, 'carriedScale');
    s.previous = state.previous
      ? [requireInteger(state.previous[0], 0, 'index'), requireFinite(state.previous[1], 'previous')]
      : undefined;
    s.phi = state.phi ? [requireInteger(state.phi[0], 0, 'index'), requireFinite(state.phi[1], 'phi')] : undefined;
    return s;
  }

  /**
   * Lag-1 autocorrelation of the clipped deviations in the location/scale window (pairs of
   * consecutive samples only), shrunk by one standard error (1/√pairs) and kept in
   * [0, maxAutocorrelation].
   */
  private autocorrelation(location: number, bound: number): number {
    const cap = this.opts.maxAutocorrelation;
    if (cap === 0) return 0;
    let num = 0;
    let den = 0;
    let pairs = 0;
    const w = this.scaleFifo;
    for (let k = 1; k < w.length; k++) {
      const a = w[k - 1] as [number, number];
      const b = w[k] as [number, number];
      if (b[0] !== a[0] + 1) continue;
      const x = Math.min(bound, Math.max(-bound, a[1] - location));
      const y = Math.min(bound, Math.max(-bound, b[1] - location));
      num += x * y;
      den += (x * x + y * y) / 2;
      pairs += 1;
    }
    if (pairs < 2 || den === 0) return 0;
    return Math.min(cap, Math.max(0, num / den - 1 / Math.sqrt(pairs)));
  }

  /**
   * Least-squares polynomial of degree ≤ 2 (uniform weights) through the remembered values in
   * [lo, hi] ∩ [0, t − 1], evaluated at `at`; positions are scaled by `span` for conditioning.
   * Falls back to a lower degree when the design is degenerate; undefined with fewer than
   * `minBaselineSamples` values.
   */
  private fit(lo: number, hi: number, at: number, span: number, degree: 1 | 2): number | undefined {
    const first = Math.max(0, lo, this.index_ - this.capacity);
    const last = Math.min(this.index_ - 2, hi);
    const scale = span > 0 ? span : 1;
    // Values are accumulated relative to the first one: exact for a constant window, better conditioned.
    let ref = Number.NaN;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    for (let i = first; i <= last; i++) {
      const raw = this.getHistory(i);
      if (Number.isNaN(raw)) continue;
      if (Number.isNaN(ref)) ref = raw;
      const v = raw - ref;
      const u = (i - at) / scale;
      const u2 = u * u;
      s0 += 1;
      s1 += u;
      s2 += u2;
      s3 += u2 * u;
      s4 += u2 * u2;
      t0 += v;
      t1 += u * v;
      t2 += u2 * v;
    }
    if (s0 < this.opts.minBaselineSamples) return undefined;
    if (degree === 2) {
      const m0 = s2 * s4 - s3 * s3;
      const m1 = s1 * s4 - s3 * s2;
      const m2 = s1 * s3 - s2 * s2;
      const det = s0 * m0 - s1 * m1 + s2 * m2;
      if (det > 1e-6 * s0 * s0 * s0) return ref + (t0 * m0 - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det;
    }
    const det2 = s0 * s2 - s1 * s1;
    if (det2 > 1e-6 * s0 * s0) return ref + (t0 * s2 - s1 * t1) / det2;
    return ref + t0 / s0;
  }

  private getHistory(i: number): number {
    return this.history[i % this.capacity] as number;
  }

  private setHistory(i: number, v: number): void {
    this.history[i % this.capacity] = v;
  }
}
