import { type DriftDirection, requireFinite, requireInteger } from './types.js';

/**
 * Parameters of {@link Adwin}. Defaults follow Bifet & Gavaldà (2007) / MOA / river.
 *
 * @example
 * ```ts
 * const opts: AdwinOptions = { delta: 0.002, clock: 32 };
 * ```
 */
export interface AdwinOptions {
  /** Confidence: the bound on the false-cut probability per check. Default 0.002. */
  delta?: number;
  /** Check for a cut every `clock` samples. Default 32. */
  clock?: number;
  /** Buckets of each size kept before two are merged (the `M` of ADWIN2). Default 5. */
  maxBuckets?: number;
  /** Minimum length of each sub-window of a cut. Default 5. */
  minWindowLength?: number;
  /** No check until the window holds more than this many samples. Default 10. */
  gracePeriod?: number;
}

/**
 * Serialised {@link Adwin}. `rows[i]` holds the buckets of size 2^i, oldest first, as
 * `[total, varianceSum]` pairs.
 *
 * @example
 * ```ts
 * const state: AdwinState = new Adwin().toJSON();
 * const copy = Adwin.fromJSON(JSON.parse(JSON.stringify(state)));
 * ```
 */
export interface AdwinState {
  kind: 'adwin';
  version: 1;
  options: Required<AdwinOptions>;
  rows: Array<Array<[number, number]>>;
  width: number;
  total: number;
  varianceSum: number;
  tick: number;
  detections: number;
  detected: boolean;
  direction: DriftDirection | null;
}

interface Row {
  totals: number[];
  variances: number[];
}

/**
 * ADWIN2 — ADaptive WINdowing with an exponential histogram (Bifet & Gavaldà, "Learning from
 * time-changing data with adaptive windowing", SDM 2007). Keeps a window of recent values
 * compressed into buckets of sizes 1, 2, 4, … (at most `maxBuckets` per size). Every `clock`
 * samples it tries each bucket boundary as a cut W = W₀·W₁ and drops the oldest bucket while some
 * cut has |μ̂₀ − μ̂₁| > ε_cut, with (as in MOA / river)
 *
 *   ε_cut = √(2·m·σ²_W·δ') + (2/3)·δ'·m,  δ' = ln(2·ln|W| / δ),
 *   m = 1/(|W₀| − minLen + 1) + 1/(|W₁| − minLen + 1).
 *
 * A detection shrinks the window (it does not empty it), so `estimation` follows the new mean.
 * Unlike river's cut loop, every bucket boundary is evaluated (as in MOA).
 *
 * @example
 * ```ts
 * const adwin = new Adwin();
 * for (let i = 0; i < 1000; i++) adwin.update(0.2);
 * let at = -1;
 * for (let i = 0; i < 200 && at < 0; i++) if (adwin.update(0.8)) at = i;
 * // at < 64, adwin.direction === 'up', adwin.width < 1000
 * ```
 */
export class Adwin {
  private readonly opts: Required<AdwinOptions>;
  private rows: Row[] = [{ totals: [], variances: [] }];
  private width_ = 0;
  private total_ = 0;
  private varianceSum = 0;
  private tick = 0;
  private detections_ = 0;
  private detected = false;
  private direction_: DriftDirection | undefined;

  constructor(options: AdwinOptions = {}) {
    this.opts = {
      delta: requireFinite(options.delta ?? 0.002, 'delta'),
      clock: requireInteger(options.clock ?? 32, 1, 'clock'),
      maxBuckets: requireInteger(options.maxBuckets ?? 5, 2, 'maxBuckets'),
      minWindowLength: requireInteger(options.minWindowLength ?? 5, 1, 'minWindowLength'),
      gracePeriod: requireInteger(options.gracePeriod ?? 10, 0, 'gracePeriod'),
    };
    if (this.opts.delta <= 0 || this.opts.delta >= 1) throw new RangeError('delta must be in (0, 1)');
  }

  /** The resolved parameters. */
  get options(): Readonly<Required<AdwinOptions>> {
    return this.opts;
  }

  /** Number of samples in the current window. */
  get width(): number {
    return this.width_;
  }

  /** Sum of the samples in the window. */
  get total(): number {
    return this.total_;
  }

  /** Mean of the window (0 when empty). */
  get estimation(): number {
    return this.width_ === 0 ? 0 : this.total_ / this.width_;
  }

  /**
   * Population variance of the window (0 when empty). Note: river's `variance` property is the
   * unnormalised sum of squared deviations, i.e. `variance * width` here.
   */
  get variance(): number {
    return this.width_ === 0 ? 0 : Math.max(0, this.varianceSum) / this.width_;
  }

  /** Detections since construction or the last reset. */
  get detections(): number {
    return this.detections_;
  }

  /** Number of buckets in the histogram (memory is O(maxBuckets · log width)). */
  get bucketCount(): number {
    let n = 0;
    for (const r of this.rows) n += r.totals.length;
    return n;
  }

  /** Whether the last update reported a change. */
  get driftDetected(): boolean {
    return this.detected;
  }

  /** Direction of the change reported by the last update (newer sub-window vs older one). */
  get direction(): DriftDirection | undefined {
    return this.direction_;
  }

  /** Feeds one value; true when the window was cut (a change was detected) at this value. */
  update(x: number): boolean {
    requireFinite(x, 'x');
    this.insert(x);
    this.detected = this.detectChange();
    if (this.detected) this.detections_ += 1;
    else this.direction_ = undefined;
    return this.detected;
  }

  /** Empties the window (keeps the parameters). */
  reset(): void {
    this.rows = [{ totals: [], variances: [] }];
    this.width_ = 0;
    this.total_ = 0;
    this.varianceSum = 0;
    this.tick = 0;
    this.detections_ = 0;
    this.detected = false;
    this.direction_ = undefined;
  }

  /** JSON-safe snapshot; {@link Adwin.fromJSON} restores an identical detector. */
  toJSON(): AdwinState {
    return {
      kind: 'adwin',
      version: 1,
      options: { ...this.opts },
      rows: this.rows.map((r) => r.totals.map((t, k) => [t, r.variances[k] as number] as [number, number])),
      width: this.width_,
      total: this.total_,
      varianceSum: this.varianceSum,
      tick: this.tick,
      detections: this.detections_,
      detected: this.detected,
      direction: this.direction_ ?? null,
    };
  }

  /** Restores a detector from {@link Adwin.toJSON} output. */
  static fromJSON(state: AdwinState): Adwin {
    if (state?.kind !== 'adwin' || state.version !== 1) throw new TypeError('not an ADWIN state (v1)');
    const a = new Adwin(state.options);
    a.rows = state.rows.map((r) => ({
      totals: r.map(([t]) => requireFinite(t, 'bucket total')),
      variances: r.map(([, v]) => requireFinite(v, 'bucket variance')),
    }));
    if (a.rows.length === 0) a.rows.push({ totals: [], variances: [] });
    a.width_ = requireInteger(state.width, 0, 'width');
    a.total_ = requireFinite(state.total, 'total');
    a.varianceSum = requireFinite(state.varianceSum, 'varianceSum');
    a.tick = requireInteger(state.tick, 0, 'tick');
    a.detections_ = requireInteger(state.detections, 0, 'detections');
    a.detected = state.detected === true;
    a.direction_ = state.direction ?? undefined;
    let width = 0;
    a.rows.forEach((r, i) => {
      width += r.totals.length * 2 ** i;
    });
    if (width !== a.width_) throw new RangeError(`buckets hold ${width} samples but width is ${a.width_}`);
    return a;
  }

  private insert(x: number): void {
    const head = this.rows[0] as Row;
    head.totals.push(x);
    head.variances.push(0);
    this.width_ += 1;
    if (this.width_ > 1) {
      const d = x - this.total_ / (this.width_ - 1);
      this.varianceSum += ((this.width_ - 1) * d * d) / this.width_;
    }
    this.total_ += x;
    this.compress();
  }

  /** Merges the two oldest buckets of every row holding more than `maxBuckets`. */
  private compress(): void {
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i] as Row;
      if (row.totals.length <= this.opts.maxBuckets) break;
      if (i + 1 === this.rows.length) this.rows.push({ totals: [], variances: [] });
      const next = this.rows[i + 1] as Row;
      const size = 2 ** i;
      const t0 = row.totals[0] as number;
      const t1 = row.totals[1] as number;
      const d = t0 / size - t1 / size;
      next.totals.push(t0 + t1);
      next.variances.push(
        (row.variances[0] as number) + (row.variances[1] as number) + (size * size * d * d) / (2 * size),
      );
      row.totals.splice(0, 2);
      row.variances.splice(0, 2);
    }
  }

  /** Drops the oldest bucket; returns its size. */
  private deleteOldest(): number {
    const last = this.rows.length - 1;
    const row = this.rows[last] as Row;
    const n = 2 ** last;
    const u = row.totals[0] as number;
    const v = row.variances[0] as number;
    this.width_ -= n;
    this.total_ -= u;
    if (this.width_ > 0) {
      const d = u / n - this.total_ / this.width_;
      this.varianceSum -= v + (n * this.width_ * d * d) / (n + this.width_);
    } else {
      this.varianceSum = 0;
      this.total_ = 0;
    }
    row.totals.shift();
    row.variances.shift();
    while (this.rows.length > 1 && (this.rows[this.rows.length - 1] as Row).totals.length === 0) this.rows.pop();
    return n;
  }

  private detectChange(): boolean {
    this.tick += 1;
    if (this.tick % this.opts.clock !== 0 || this.width_ <= this.opts.gracePeriod) return false;
    const minLen = this.opts.minWindowLength;
    let change = false;
    let reduce = true;
    while (reduce) {
      reduce = false;
      let exit = false;
      let n0 = 0;
      let n1 = this.width_;
      let u0 = 0;
      let u1 = this.total_;
      const dd = Math.log((2 * Math.log(this.width_)) / this.opts.delta);
      const variance = this.variance;
      for (let i = this.rows.length - 1; i >= 0 && !exit; i--) {
        const row = this.rows[i] as Row;
        const size = 2 ** i;
        for (let k = 0; k < row.totals.length; k++) {
          const u2 = row.totals[k] as number;
          n0 += size;
          n1 -= size;
          u0 += u2;
          u1 -= u2;
          if (i === 0 && k === row.totals.length - 1) {
            exit = true;
            break;
          }
          if (n0 >= minLen && n1 >= minLen && this.cut(n0, n1, u0 / n0 - u1 / n1, dd, variance)) {
            if (!change) this.direction_ = u1 / n1 > u0 / n0 ? 'up' : 'down';
            change = true;
            reduce = true;
            if (this.width_ > 0) {
              this.deleteOldest();
              exit = true;
              break;
            }
          }
        }
      }
    }
    return change;
  }

  /** ε_cut test; `dd` = ln(2·ln|W|/δ) and `variance` = σ²_W of the current window. */
  private cut(n0: number, n1: number, deltaMean: number, dd: number, variance: number): boolean {
    const minLen = this.opts.minWindowLength;
    const m = 1 / (n0 - minLen + 1) + 1 / (n1 - minLen + 1);
    const epsilon = Math.sqrt(2 * m * variance * dd) + (2 / 3) * dd * m;
    return Math.abs(deltaMean) > epsilon;
  }
}
