import { Adwin, type AdwinOptions, type AdwinState } from './adwin.js';
import { KsWindowDetector, type KsWindowOptions, type KsWindowState } from './ks.js';
import { type NormalizedSample, type NormalizerOptions, type NormalizerState, SliNormalizer } from './normalize.js';
import { PageHinkley, type PageHinkleyOptions, type PageHinkleyState } from './page-hinkley.js';
import { type DriftDirection, requireInteger } from './types.js';

/**
 * The detectors the voter runs.
 *
 * @example
 * ```ts
 * const names: DetectorName[] = ['pageHinkley', 'adwin', 'ks'];
 * ```
 */
export type DetectorName = 'pageHinkley' | 'adwin' | 'ks';

const DETECTORS: readonly DetectorName[] = ['pageHinkley', 'adwin', 'ks'];

/**
 * Parameters of {@link DriftVoter}. Anything left out takes the value in {@link DRIFT_VOTER_DEFAULTS}.
 *
 * @example
 * ```ts
 * const opts: DriftVoterOptions = { normalizer: { transform: 'identity' }, agreementWindow: 20 };
 * ```
 */
export interface DriftVoterOptions {
  normalizer?: NormalizerOptions;
  pageHinkley?: PageHinkleyOptions;
  adwin?: AdwinOptions;
  ks?: KsWindowOptions;
  /** Detectors that must agree on a direction. Default 2 (of 3). */
  minVotes?: number;
  /** Detections count as agreeing when they fired within the last this many samples. */
  agreementWindow?: number;
  /**
   * After a drift, restate the samples remembered since its onset at the measured new level, so
   * they do not echo in next period's baseline (see {@link SliNormalizer.recenter}). Default true.
   */
  rebase?: boolean;
  /** The change onset is searched among the last this many samples. */
  onsetWindow?: number;
  /** Minimum samples after the estimated onset. Default 5. */
  minOnsetSamples?: number;
}

/**
 * {@link DriftVoterOptions} with every field resolved.
 *
 * @example
 * ```ts
 * const resolved: ResolvedDriftVoterOptions = new DriftVoter().options;
 * ```
 */
export interface ResolvedDriftVoterOptions {
  normalizer: Required<NormalizerOptions>;
  pageHinkley: Required<PageHinkleyOptions>;
  adwin: Required<AdwinOptions>;
  ks: Required<KsWindowOptions>;
  minVotes: number;
  agreementWindow: number;
  rebase: boolean;
  onsetWindow: number;
  minOnsetSamples: number;
}

/**
 * Defaults of the voter, tuned on synthetic per-minute p99 latency (bench/drift.bench.ts, tuning
 * seeds separate from the reported ones: lognormal noise with CV 10–15%, daily cycle ±30%,
 * single-minute spikes) for a +20% step detected within 30 minutes in ≥ 95% of runs with at most
 * 1% of no-drift days raising an alarm. The detectors see standardised residuals (σ units), so
 * their thresholds are in σ: Page-Hinkley is a CUSUM with allowance 0.7σ and threshold 9σ
 * (alpha = 1: river's forgetting factor erodes the allowance on long streams), ADWIN checks every
 * sample at δ = 0.002, KS compares the last 20 samples with the 240 before them at α = 3·10⁻⁴.
 * Alone, ADWIN and KS alarm on several percent of quiet days; the vote keeps that below 1%.
 *
 * @example
 * ```ts
 * const voter = new DriftVoter({ ...DRIFT_VOTER_DEFAULTS, agreementWindow: 15 });
 * ```
 */
export const DRIFT_VOTER_DEFAULTS: Readonly<{
  pageHinkley: Required<PageHinkleyOptions>;
  adwin: Required<AdwinOptions>;
  ks: Required<KsWindowOptions>;
  minVotes: number;
  agreementWindow: number;
  rebase: boolean;
  onsetWindow: number;
  minOnsetSamples: number;
}> = {
  pageHinkley: { minInstances: 30, delta: 0.7, threshold: 9, alpha: 1, mode: 'both' },
  adwin: { delta: 0.002, clock: 1, maxBuckets: 5, minWindowLength: 5, gracePeriod: 10 },
  ks: { referenceSize: 240, recentSize: 20, alpha: 3e-4, minReferenceSize: 60, reference: 'sliding' },
  minVotes: 2,
  agreementWindow: 30,
  rebase: true,
  onsetWindow: 60,
  minOnsetSamples: 5,
};

/**
 * Size of an accepted drift.
 *
 * @example
 * ```ts
 * const m: DriftMagnitude = { referenceMean: 200, recentMean: 240, absolute: 40, relative: 0.2, shift: 0.18 };
 * ```
 */
export interface DriftMagnitude {
  /** Mean the reference model expected over the samples since the onset (seasonally adjusted, raw units). */
  referenceMean: number;
  /** Observed mean over the samples since the onset (raw units). */
  recentMean: number;
  /** recentMean − referenceMean. */
  absolute: number;
  /** absolute / |referenceMean|; null when the reference mean is 0. */
  relative: number | null;
  /** Mean residual shift in transformed units (log ratio for the `log` transform). */
  shift: number;
}

/**
 * A drift accepted by the vote.
 *
 * @example
 * ```ts
 * const events: DriftEvent[] = detectDrift(series);
 * for (const e of events) console.log(e.index, e.direction, e.detectors, e.magnitude.relative);
 * ```
 */
export interface DriftEvent {
  /** Index of the sample at which the vote passed. */
  index: number;
  direction: DriftDirection;
  /** The detectors that agreed (fired in `direction` within the agreement window). */
  detectors: DetectorName[];
  /** Sample index at which each agreeing detector fired. */
  firedAt: Partial<Record<DetectorName, number>>;
  /** Estimated first sample of the change (maximum-likelihood mean-shift split of the recent residuals). */
  onsetIndex: number;
  magnitude: DriftMagnitude;
}

/**
 * Serialised {@link DriftVoter}.
 *
 * @example
 * ```ts
 * const state: DriftVoterState = new DriftVoter().toJSON();
 * const copy = DriftVoter.fromJSON(JSON.parse(JSON.stringify(state)));
 * ```
 */
export interface DriftVoterState {
  kind: 'drift-voter';
  version: 1;
  options: ResolvedDriftVoterOptions;
  normalizer: NormalizerState;
  pageHinkley: PageHinkleyState;
  adwin: AdwinState;
  ks: KsWindowState;
  fired: Record<DetectorName, [number, DriftDirection] | null>;
  /** Recent normalised samples as [index, value, transformed, residual]. */
  recent: Array<[number, number, number, number]>;
}

interface RecentSample {
  index: number;
  value: number;
  transformed: number;
  residual: number;
}

/**
 * Runs Page-Hinkley, ADWIN and a windowed KS test on one SLI stream (e.g. p99 latency or error
 * ratio per minute) and reports a drift when at least `minVotes` of them fired in the same
 * direction within the last `agreementWindow` samples.
 *
 * The detectors do not see the raw values but the standardised, seasonally adjusted residuals of
 * {@link SliNormalizer}: a daily cycle is part of the baseline (the same time one period earlier),
 * so it is not drift. After a drift the detectors restart and the level is re-learnt.
 *
 * @example
 * ```ts
 * const voter = new DriftVoter({ normalizer: { seasonalPeriod: 0 } });
 * for (const x of p99PerMinute) {
 *   const event = voter.update(x);
 *   if (event) console.log(`${event.direction} drift at ${event.index}: ${event.magnitude.relative}`);
 * }
 * ```
 */
export class DriftVoter {
  private readonly opts: ResolvedDriftVoterOptions;
  private normalizer: SliNormalizer;
  private ph: PageHinkley;
  private adwin: Adwin;
  private ks: KsWindowDetector;
  private fired: Record<DetectorName, [number, DriftDirection] | null> = { pageHinkley: null, adwin: null, ks: null };
  private recent: RecentSample[] = [];
  private lastFired_: Array<[DetectorName, DriftDirection]> = [];
  private lastSample_: NormalizedSample | undefined;

  constructor(options: DriftVoterOptions = {}) {
    const d = DRIFT_VOTER_DEFAULTS;
    this.normalizer = new SliNormalizer(options.normalizer ?? {});
    this.ph = new PageHinkley({ ...d.pageHinkley, ...options.pageHinkley });
    this.adwin = new Adwin({ ...d.adwin, ...options.adwin });
    this.ks = new KsWindowDetector({ ...d.ks, ...options.ks });
    this.opts = {
      normalizer: { ...this.normalizer.options },
      pageHinkley: { ...this.ph.options },
      adwin: { ...this.adwin.options },
      ks: { ...this.ks.options },
      minVotes: requireInteger(options.minVotes ?? d.minVotes, 1, 'minVotes'),
      agreementWindow: requireInteger(options.agreementWindow ?? d.agreementWindow, 1, 'agreementWindow'),
      rebase: options.rebase ?? d.rebase,
      onsetWindow: requireInteger(options.onsetWindow ?? d.onsetWindow, 1, 'onsetWindow'),
      minOnsetSamples: requireInteger(options.minOnsetSamples ?? d.minOnsetSamples, 1, 'minOnsetSamples'),
    };
    if (this.opts.minVotes > DETECTORS.length) throw new RangeError(`minVotes must be at most ${DETECTORS.length}`);
  }

  /** The resolved parameters. */
  get options(): Readonly<ResolvedDriftVoterOptions> {
    return this.opts;
  }

  /** Index the next sample will get. */
  get index(): number {
    return this.normalizer.index;
  }

  /** Detectors that fired at the last update, with their direction (whether or not the vote passed). */
  get lastFired(): ReadonlyArray<readonly [DetectorName, DriftDirection]> {
    return this.lastFired_;
  }

  /** The normalised form of the last sample (undefined while warming up or when it was missing). */
  get lastSample(): NormalizedSample | undefined {
    return this.lastSample_;
  }

  /** Feeds one sample (null or NaN = missing); returns the drift accepted at this sample, if any. */
  update(x: number | null): DriftEvent | undefined {
    const s = this.normalizer.push(x);
    this.lastSample_ = s;
    this.lastFired_ = [];
    if (!s) return undefined;
    this.recent.push({ index: s.index, value: s.value, transformed: s.transformed, residual: s.residual });
    while ((this.recent[0] as RecentSample).index <= s.index - this.opts.onsetWindow) this.recent.shift();
    const outcomes: Array<[DetectorName, boolean, DriftDirection | undefined]> = [
      ['pageHinkley', this.ph.update(s.z), this.ph.direction],
      ['adwin', this.adwin.update(s.z), this.adwin.direction],
      ['ks', this.ks.update(s.z), this.ks.direction],
    ];
    for (const [name, hit, dir] of outcomes) {
      if (hit && dir) {
        this.fired[name] = [s.index, dir];
        this.lastFired_.push([name, dir]);
      }
    }
    if (this.lastFired_.length === 0) return undefined;
    const since = s.index - this.opts.agreementWindow + 1;
    for (const direction of ['up', 'down'] as const) {
      const agreeing = DETECTORS.filter((n) => {
        const f = this.fired[n];
        return f !== null && f[0] >= since && f[1] === direction;
      });
      if (agreeing.length >= this.opts.minVotes) return this.accept(s, direction, agreeing);
    }
    return undefined;
  }

  /** Restarts the detectors and forgets pending votes (keeps the baseline history). */
  resetDetectors(): void {
    this.ph.reset();
    this.adwin.reset();
    this.ks.reset();
    this.fired = { pageHinkley: null, adwin: null, ks: null };
  }

  /** JSON-safe snapshot; {@link DriftVoter.fromJSON} restores a voter with identical future outputs. */
  toJSON(): DriftVoterState {
    return {
      kind: 'drift-voter',
      version: 1,
      options: structuredClone(this.opts),
      normalizer: this.normalizer.toJSON(),
      pageHinkley: this.ph.toJSON(),
      adwin: this.adwin.toJSON(),
      ks: this.ks.toJSON(),
      fired: {
        pageHinkley: this.fired.pageHinkley ? [...this.fired.pageHinkley] : null,
        adwin: this.fired.adwin ? [...this.fired.adwin] : null,
        ks: this.fired.ks ? [...this.fired.ks] : null,
      },
      recent: this.recent.map((r) => [r.index, r.value, r.transformed, r.residual]),
    };
  }

  /** Restores a voter from {@link DriftVoter.toJSON} output. */
  static fromJSON(state: DriftVoterState): DriftVoter {
    if (state?.kind !== 'drift-voter' || state.version !== 1) throw new TypeError('not a DriftVoter state (v1)');
    const v = new DriftVoter(state.options);
    v.normalizer = SliNormalizer.fromJSON(state.normalizer);
    v.ph = PageHinkley.fromJSON(state.pageHinkley);
    v.adwin = Adwin.fromJSON(state.adwin);
    v.ks = KsWindowDetector.fromJSON(state.ks);
    for (const n of DETECTORS) {
      const f = state.fired[n];
      v.fired[n] = f ? [requireInteger(f[0], 0, 'fired index'), f[1]] : null;
    }
    v.recent = state.recent.map(([index, value, transformed, residual]) => ({ index, value, transformed, residual }));
    return v;
  }

  private accept(s: NormalizedSample, direction: DriftDirection, agreeing: DetectorName[]): DriftEvent {
    const firedAt: Partial<Record<DetectorName, number>> = {};
    for (const n of agreeing) firedAt[n] = (this.fired[n] as [number, DriftDirection])[0];
    const { onset, shift } = this.estimateOnset(s.location, direction);
    let observed = 0;
    let expected = 0;
    let count = 0;
    for (const r of this.recent) {
      if (r.index < onset) continue;
      observed += r.value;
      expected += this.normalizer.untransform(r.transformed - r.residual + s.location);
      count += 1;
    }
    const recentMean = observed / count;
    const referenceMean = expected / count;
    const absolute = recentMean - referenceMean;
    const event: DriftEvent = {
      index: s.index,
      direction,
      detectors: agreeing,
      firedAt,
      onsetIndex: onset,
      magnitude: {
        referenceMean,
        recentMean,
        absolute,
        relative: referenceMean === 0 ? null : absolute / Math.abs(referenceMean),
        shift,
      },
    };
    this.resetDetectors();
    this.normalizer.recenter(onset, this.opts.rebase);
    this.recent = [];
    return event;
  }

  /**
   * Maximum-likelihood split for a mean shift with known pre-change mean `location`: the start k
   * (with at least `minOnsetSamples` samples after it) maximising (Σ_{j≥k} (r_j − location))² / n_k
   * among the splits whose shift has the voted sign.
   */
  private estimateOnset(location: number, direction: DriftDirection): { onset: number; shift: number } {
    const sign = direction === 'up' ? 1 : -1;
    let sum = 0;
    let n = 0;
    let best = -1;
    let onset = (this.recent[this.recent.length - 1] as RecentSample).index;
    let shift = 0;
    for (let k = this.recent.length - 1; k >= 0; k--) {
      const r = this.recent[k] as RecentSample;
      sum += r.residual - location;
      n += 1;
      const score = (sum * sum) / n;
      const admissible = n >= Math.min(this.opts.minOnsetSamples, this.recent.length) && sum * sign > 0;
      if (admissible && score > best) {
        best = score;
        onset = r.index;
        shift = sum / n;
      }
    }
    if (best < 0) {
      // No split in the voted direction: fall back to the whole recent window.
      onset = (this.recent[0] as RecentSample).index;
      shift = sum / Math.max(1, n);
    }
    return { onset, shift };
  }
}

/**
 * Runs a fresh {@link DriftVoter} over a whole series and returns every accepted drift.
 *
 * @example
 * ```ts
 * const series = [...Array(600)].map((_, i) => (i < 400 ? 200 : 260) * (1 + 0.1 * Math.sin(i * 1.7)));
 * const events = detectDrift(series, { normalizer: { seasonalPeriod: 0 } });
 * // one 'up' event shortly after index 400, magnitude.relative ≈ 0.3
 * ```
 */
export function detectDrift(series: ReadonlyArray<number | null>, options: DriftVoterOptions = {}): DriftEvent[] {
  const voter = new DriftVoter(options);
  const events: DriftEvent[] = [];
  for (const x of series) {
    const e = voter.update(x);
    if (e) events.push(e);
  }
  return events;
}
