/**
 * A small Gaussian-process regressor for the optimizer's first model-based asks, where a handful of
 * observations carry too little information for a random forest: Matérn-5/2 kernel with one
 * lengthscale per column (ARD) on encoded rows, constant mean and signal variance estimated in closed
 * form (generalised least squares / profile likelihood), lengthscales by maximum a posteriori under a
 * log-normal prior (L-BFGS on the log-lengthscales with the analytic gradient, three starts,
 * deterministic).
 *
 * Column kinds: numeric columns (encoded in [0, 1]) contribute ((a − b) / ℓ)²; categorical columns
 * contribute 1/ℓ² when the categories differ (Hamming distance, a change of category costs as much as a
 * move across a numeric range); an inactive conditional column ({@link INACTIVE}) matches another
 * inactive one and costs 1/ℓ² against an active value.
 */
import { INACTIVE } from './space.js';

/** Options of {@link GaussianProcess}. */
export interface GpOptions {
  /** Per column: 0 numeric, > 0 categorical (the number of categories). */
  categories: ArrayLike<number>;
  /**
   * Median of the log-normal prior of every lengthscale (default 0.5 · sqrt(d / 6): half the mean
   * distance between two uniform points of the d-dimensional unit cube).
   */
  priorMedian?: number | undefined;
  /** Standard deviation of the log-lengthscale prior (default 1). */
  priorSd?: number;
  /** Nugget added to the kernel's diagonal, relative to the signal variance (default 1e-6). */
  nugget?: number;
  /** L-BFGS iterations per start of the lengthscale fit (default 60; three starts). */
  iterations?: number;
}

/**
 * Default median of the lengthscale prior for `d` columns: 0.5·sqrt(d / 6), half the mean distance
 * between two uniform points of the d-dimensional unit cube.
 */
export function defaultLengthscaleMedian(d: number): number {
  return 0.5 * Math.sqrt(d / 6);
}

const LOG_LS_MIN = Math.log(0.01);
const LOG_LS_MAX = Math.log(100);
const SQRT5 = Math.sqrt(5);

/** Matérn 5/2 correlation at squared scaled distance r2. */
function matern52(r2: number): number {
  const r = SQRT5 * Math.sqrt(r2);
  return (1 + r + (r * r) / 3) * Math.exp(-r);
}

/** In-place Cholesky factor (lower, row-major) of the n × n matrix `A`; false if not positive definite. */
function cholesky(A: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (A[i * n + k] as number) * (A[j * n + k] as number);
      if (i === j) {
        if (!(s > 0)) return false;
        A[i * n + i] = Math.sqrt(s);
      } else {
        A[i * n + j] = s / (A[j * n + j] as number);
      }
    }
  }
  return true;
}

/** K⁻¹ (full, row-major) from the lower Cholesky factor L of K. */
function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  // Linv: inverse of the lower-triangular L.
  const Li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    Li[i * n + i] = 1 / (L[i * n + i] as number);
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= (L[i * n + k] as number) * (Li[k * n + j] as number);
      Li[i * n + j] = s / (L[i * n + i] as number);
    }
  }
  const W = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let k = a; k < n; k++) s += (Li[k * n + a] as number) * (Li[k * n + b] as number);
      W[a * n + b] = s;
      W[b * n + a] = s;
    }
  }
  return W;
}

/** Solves L z = b (forward substitution) into `out`. */
function forward(L: Float64Array, b: ArrayLike<number>, n: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (L[i * n + k] as number) * (out[k] as number);
    out[i] = s / (L[i * n + i] as number);
  }
  return out;
}

/** Solves Lᵀ x = z (back substitution) into `out`. */
function backward(L: Float64Array, z: ArrayLike<number>, n: number, out: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < n; k++) s -= (L[k * n + i] as number) * (out[k] as number);
    out[i] = s / (L[i * n + i] as number);
  }
  return out;
}

/**
 * Minimises `fg` (value and gradient) over the box [lo, hi]^p with limited-memory BFGS (`memory`
 * pairs), steps projected onto the box and Armijo backtracking. Deterministic; stops after
 * `iterations` iterations, when the projected gradient vanishes or when a step no longer decreases f.
 */
export function minimizeBox(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: ArrayLike<number>,
  lo: number,
  hi: number,
  iterations: number,
  memory = 6,
): { x: Float64Array; value: number } {
  const p = x0.length;
  const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
  let x = Float64Array.from(x0, clamp);
  let g = new Float64Array(p);
  let f = fg(x, g);
  if (!Number.isFinite(f)) return { x, value: f };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(p);
  const alphaK = new Float64Array(memory);
  for (let it = 0; it < iterations; it++) {
    // Two-loop recursion: dir = -H g.
    for (let j = 0; j < p; j++) dir[j] = -(g[j] as number);
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let j = 0; j < p; j++) a += (S[k]?.[j] as number) * (dir[j] as number);
      a *= rho[k] as number;
      alphaK[k] = a;
      for (let j = 0; j < p; j++) dir[j] = (dir[j] as number) - a * (Y[k]?.[j] as number);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      let yy = 0;
      for (let j = 0; j < p; j++) yy += (Y[last]?.[j] as number) ** 2;
      const gamma = 1 / ((rho[last] as number) * yy);
      for (let j = 0; j < p; j++) dir[j] = (dir[j] as number) * gamma;
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let j = 0; j < p; j++) b += (Y[k]?.[j] as number) * (dir[j] as number);
      b *= rho[k] as number;
      for (let j = 0; j < p; j++) dir[j] = (dir[j] as number) + ((alphaK[k] as number) - b) * (S[k]?.[j] as number);
    }
    // Coordinates at a bound with the direction pointing out are frozen.
    let slope = 0;
    for (let j = 0; j < p; j++) {
      const xj = x[j] as number;
      if ((xj <= lo && (dir[j] as number) < 0) || (xj >= hi && (dir[j] as number) > 0)) dir[j] = 0;
      slope += (dir[j] as number) * (g[j] as number);
    }
    if (!(slope < 0)) {
      if (S.length === 0) break;
      // Not a descent direction: restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      it--;
      continue;
    }
    let step = 1;
    if (S.length === 0) {
      let norm = 0;
      for (let j = 0; j < p; j++) norm = Math.max(norm, Math.abs(dir[j] as number));
      step = Math.min(1, 1 / norm);
    }
    let xn = new Float64Array(p);
    let gn = new Float64Array(p);
    let fn = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let ls = 0; ls < 30; ls++) {
      for (let j = 0; j < p; j++) xn[j] = clamp((x[j] as number) + step * (dir[j] as number));
      fn = fg(xn, gn);
      let dec = 0;
      for (let j = 0; j < p; j++) dec += (g[j] as number) * ((xn[j] as number) - (x[j] as number));
      if (Number.isFinite(fn) && fn <= f + 1e-4 * dec) {
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) break;
    const sVec = new Float64Array(p);
    const yVec = new Float64Array(p);
    let sy = 0;
    for (let j = 0; j < p; j++) {
      sVec[j] = (xn[j] as number) - (x[j] as number);
      yVec[j] = (gn[j] as number) - (g[j] as number);
      sy += (sVec[j] as number) * (yVec[j] as number);
    }
    const df = f - fn;
    [x, xn] = [xn, x];
    [g, gn] = [gn, g];
    f = fn;
    if (sy > 1e-12) {
      if (S.length === memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(sVec);
      Y.push(yVec);
      rho.push(1 / sy);
    }
    let pg = 0;
    for (let j = 0; j < p; j++) {
      const xj = x[j] as number;
      const gj = g[j] as number;
      if ((xj <= lo && gj > 0) || (xj >= hi && gj < 0)) continue;
      pg = Math.max(pg, Math.abs(gj));
    }
    if (pg < 1e-6 || df < 1e-10 * Math.max(1, Math.abs(f))) break;
  }
  return { x, value: f };
}

/** Gaussian-process regression on encoded rows (see the module comment). */
export class GaussianProcess {
  private readonly cats: Int32Array;
  private readonly priorMedian: number | undefined;
  private readonly priorSd: number;
  private readonly nugget: number;
  private readonly iterations: number;
  private X = new Float64Array(0);
  private y = new Float64Array(0);
  private n = 0;
  private d = 0;
  /** Per pair a > b (index a(a−1)/2 + b) and column: the unscaled squared distance. */
  private D = new Float64Array(0);
  private L = new Float64Array(0);
  private alpha = new Float64Array(0);
  private invSq = new Float64Array(0);
  private mean = 0;
  private variance = 1;
  private jitter = 0;
  /** The fitted lengthscales (one per column). */
  lengthscales = new Float64Array(0);

  constructor(options: GpOptions) {
    this.cats = Int32Array.from(options.categories);
    this.priorMedian = options.priorMedian;
    this.priorSd = options.priorSd ?? 1;
    this.nugget = options.nugget ?? 1e-6;
    this.iterations = options.iterations ?? 60;
  }

  /** Unscaled squared distance of column j between a and b: (a − b)², or 1 for a categorical / activity mismatch. */
  private colDist(j: number, a: number, b: number): number {
    if (a === b) return 0;
    if ((this.cats[j] as number) > 0 || a === INACTIVE || b === INACTIVE) return 1;
    return (a - b) * (a - b);
  }

  /**
   * Negative log posterior of the log-lengthscales `theta` (profile likelihood: constant mean by
   * generalised least squares and signal variance in closed form, + the log-normal prior), and its
   * gradient into `grad` when given. +∞ when the kernel matrix cannot be factored. With `commit`, keeps
   * the factorisation for {@link predict}.
   */
  private evaluate(theta: Float64Array, y: Float64Array, grad: Float64Array | undefined, commit: boolean): number {
    const { n, d, D } = this;
    const invSq = new Float64Array(d);
    for (let j = 0; j < d; j++) invSq[j] = Math.exp(-2 * (theta[j] as number));
    const K = new Float64Array(n * n);
    const R = new Float64Array((n * (n - 1)) / 2);
    for (let a = 0, pair = 0; a < n; a++) {
      K[a * n + a] = 1 + this.nugget + this.jitter;
      for (let b = 0; b < a; b++, pair++) {
        let r2 = 0;
        const off = pair * d;
        for (let j = 0; j < d; j++) r2 += (D[off + j] as number) * (invSq[j] as number);
        R[pair] = Math.sqrt(5 * r2);
        K[a * n + b] = matern52(r2);
      }
    }
    if (!cholesky(K, n)) return Number.POSITIVE_INFINITY;
    const tmp = new Float64Array(n);
    const ki1 = backward(K, forward(K, new Float64Array(n).fill(1), n, tmp), n, new Float64Array(n));
    const kiy = backward(K, forward(K, y, n, tmp), n, new Float64Array(n));
    let s1 = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s1 += ki1[i] as number;
      sy += kiy[i] as number;
    }
    const mean = sy / s1;
    const alpha = new Float64Array(n);
    let q = 0;
    for (let i = 0; i < n; i++) {
      alpha[i] = (kiy[i] as number) - mean * (ki1[i] as number);
      q += ((y[i] as number) - mean) * (alpha[i] as number);
    }
    q = Math.max(q, 1e-12 * n);
    const variance = q / n;
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += Math.log(K[i * n + i] as number);
    let nlp = 0.5 * n * Math.log(variance) + logDet;
    const mu0 = Math.log(this.priorMedian ?? defaultLengthscaleMedian(d));
    const sd2 = this.priorSd * this.priorSd;
    for (let j = 0; j < d; j++) {
      const z = (theta[j] as number) - mu0;
      nlp += (0.5 * z * z) / sd2;
    }
    if (grad !== undefined) {
      // d nlp / d theta_j = ½ tr(K⁻¹ dK_j) − (n / 2q) αᵀ dK_j α + prior; dK_j[a,b] =
      // (5/3)(1 + √5 r) e^{−√5 r} · D_j[a,b] / ℓ_j² for the Matérn 5/2 kernel (zero on the diagonal).
      const W = inverseFromCholesky(K, n);
      const c = n / q;
      grad.fill(0);
      for (let a = 0, pair = 0; a < n; a++) {
        for (let b = 0; b < a; b++, pair++) {
          const r = R[pair] as number;
          const dk = (5 / 3) * (1 + r) * Math.exp(-r);
          // Both (a, b) and (b, a) terms: factor 2 × ½.
          const w = dk * ((W[a * n + b] as number) - c * (alpha[a] as number) * (alpha[b] as number));
          if (w === 0) continue;
          const off = pair * d;
          for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + w * (D[off + j] as number);
        }
      }
      for (let j = 0; j < d; j++)
        grad[j] = (grad[j] as number) * (invSq[j] as number) + ((theta[j] as number) - mu0) / sd2;
    }
    if (commit) {
      this.L = K;
      this.alpha = alpha;
      this.invSq = invSq;
      this.mean = mean;
      this.variance = variance;
      this.lengthscales = Float64Array.from(theta, Math.exp);
    }
    return nlp;
  }

  /** Fits the GP to the `rows × cols` row-major `X` and targets `y`. */
  fit(X: Float64Array, rows: number, cols: number, y: ArrayLike<number>): this {
    const n = rows;
    const d = cols;
    this.X = X.slice(0, n * d);
    this.n = n;
    this.d = d;
    this.D = new Float64Array(((n * (n - 1)) / 2) * d);
    for (let a = 0, pair = 0; a < n; a++)
      for (let b = 0; b < a; b++, pair++)
        for (let j = 0; j < d; j++)
          this.D[pair * d + j] = this.colDist(j, this.X[a * d + j] as number, this.X[b * d + j] as number);
    const yy = Float64Array.from({ length: n }, (_, i) => y[i] as number);
    this.y = yy;
    const mu0 = Math.log(this.priorMedian ?? defaultLengthscaleMedian(d));
    for (this.jitter = 0; ; this.jitter = this.jitter === 0 ? 1e-6 : this.jitter * 100) {
      let best: { x: Float64Array; value: number } | undefined;
      for (const shift of [0, Math.log(0.4), Math.log(2.5)]) {
        const r = minimizeBox(
          (t, g) => this.evaluate(t, yy, g, false),
          new Float64Array(d).fill(mu0 + shift),
          LOG_LS_MIN,
          LOG_LS_MAX,
          this.iterations,
        );
        if (best === undefined || r.value < best.value) best = r;
      }
      if (best !== undefined && Number.isFinite(best.value)) {
        this.evaluate(best.x, yy, undefined, true);
        return this;
      }
      if (this.jitter >= 1) throw new Error('Gaussian process: the kernel matrix cannot be factored');
    }
  }

  /**
   * The fit's objective at log-lengthscales `theta` (the data of the last {@link fit}): negative log
   * posterior up to a constant, with its gradient written into `grad` when given.
   */
  negativeLogPosterior(theta: ArrayLike<number>, grad?: Float64Array): number {
    const y = Float64Array.from({ length: this.n }, (_, i) => this.y[i] as number);
    return this.evaluate(Float64Array.from(theta), y, grad, false);
  }

  /** Posterior mean and standard deviation at the `rows` rows of `X` (row-major, `cols` as fitted). */
  predict(
    X: ArrayLike<number>,
    rows: number,
    out: { mean: Float64Array; std: Float64Array } = {
      mean: new Float64Array(rows),
      std: new Float64Array(rows),
    },
  ): { mean: Float64Array; std: Float64Array } {
    const { n, d } = this;
    const k = new Float64Array(n);
    const v = new Float64Array(n);
    const L = this.L;
    const invSq = this.invSq;
    for (let r = 0; r < rows; r++) {
      let m = this.mean;
      for (let i = 0; i < n; i++) {
        let r2 = 0;
        for (let j = 0; j < d; j++)
          r2 += this.colDist(j, X[r * d + j] as number, this.X[i * d + j] as number) * (invSq[j] as number);
        const c = matern52(r2);
        k[i] = c;
        m += c * (this.alpha[i] as number);
      }
      let q = 0;
      for (let i = 0; i < n; i++) {
        let s = k[i] as number;
        for (let j = 0; j < i; j++) s -= (L[i * n + j] as number) * (v[j] as number);
        const z = s / (L[i * n + i] as number);
        v[i] = z;
        q += z * z;
      }
      out.mean[r] = m;
      out.std[r] = Math.sqrt(this.variance * Math.max(1 + this.nugget + this.jitter - q, 1e-12));
    }
    return out;
  }
}
