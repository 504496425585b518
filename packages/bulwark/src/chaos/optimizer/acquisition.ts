/**
 * Acquisition functions for MAXIMISATION (the optimizer maximises severity), after scikit-optimize's
 * `gaussian_ei` / `gaussian_pi` / `gaussian_lcb` with the sign flipped:
 * - EI(x) = E[max(0, f(x) - best - xi)] = imp·Φ(z) + σ·φ(z), imp = μ - best - xi, z = imp / σ;
 * - PI(x) = P(f(x) > best + xi) = Φ(z);
 * - 'LCB' (the skopt name, kept for parity) is the upper confidence bound μ + κσ when maximising.
 *
 * erf / erfc are computed to ~1e-15: a positive-term series for |x| < 2.5 and a continued fraction
 * for the tail.
 */

/** The acquisition function names (skopt's names). */
export type AcquisitionKind = 'EI' | 'PI' | 'LCB';

/** Parameters of {@link acquisitionValues}. */
export interface AcquisitionParams {
  /** Improvement margin for EI / PI (default 0.01). */
  xi?: number;
  /** Exploration weight for the confidence bound (default 1.96). */
  kappa?: number;
}

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SERIES_LIMIT = 2.5;

/** erf for |x| < SERIES_LIMIT: (2/√π)·e^{-x²}·Σ (2x²)^n x / (1·3···(2n+1)), all terms positive. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * erfc for x >= SERIES_LIMIT: e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated
 * backwards with enough terms for double precision at that x (fewer terms further in the tail).
 */
function erfcContinuedFraction(x: number): number {
  if (x > 27.3) return 0;
  const terms = x < 3 ? 40 : x < 4 ? 30 : x < 5 ? 20 : x < 7 ? 15 : 10;
  let t = x;
  for (let k = terms; k >= 1; k--) t = x + k / 2 / t;
  return Math.exp(-x * x) / SQRT_PI / t;
}

/** The error function erf(x) = (2/√π)∫₀ˣ e^{-t²} dt (absolute error < 1e-15). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= SERIES_LIMIT) return 1 - erfcContinuedFraction(x);
  if (x <= -SERIES_LIMIT) return erfcContinuedFraction(-x) - 1;
  return erfSeries(x);
}

/** The complementary error function 1 - erf(x), accurate in relative terms in the upper tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= SERIES_LIMIT) return erfcContinuedFraction(x);
  if (x <= -SERIES_LIMIT) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** Standard normal distribution function Φ(z) = erfc(-z/√2)/2 (relative accuracy kept in the lower tail). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/**
 * Standard normal quantile Φ⁻¹(p) for p in (0, 1): safeguarded Newton iterations on
 * {@link normalCdf} from a logistic starting guess, to ~1e-12.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  if (p > 0.5) return -normalQuantile(1 - p);
  let z = Math.log(p / (1 - p)) / 1.702;
  let lo = -40;
  let hi = 0;
  for (let i = 0; i < 100; i++) {
    const f = normalCdf(z) - p;
    if (f > 0) hi = z;
    else lo = z;
    const pdf = normalPdf(z);
    let next = pdf > 0 ? z - f / pdf : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - z) <= 1e-12 * Math.max(1, Math.abs(z))) return next;
    z = next;
  }
  return z;
}

/**
 * Normal scores of `values`: Φ⁻¹((rank - 1/2) / n), tied values sharing their average rank. A
 * monotone, outlier-proof rescaling of targets (Gaussian-copula style) before fitting the surrogate.
 */
export function normalScores(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number) || a - b,
  );
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    const z = normalQuantile((rank - 0.5) / n);
    for (let k = i; k <= j; k++) out[order[k] as number] = z;
    i = j + 1;
  }
  return out;
}

/**
 * Expected improvement over `best + xi` for maximisation. With σ = 0 it is max(0, μ - best - xi).
 * Never negative.
 */
export function expectedImprovement(mu: number, sigma: number, best: number, xi = 0.01): number {
  const imp = mu - best - xi;
  if (!(sigma > 0)) return Math.max(imp, 0);
  const z = imp / sigma;
  return Math.max(imp * normalCdf(z) + sigma * normalPdf(z), 0);
}

/** Probability of improving on `best + xi` (maximisation). With σ = 0 it is 1 if μ > best + xi, else 0. */
export function probabilityOfImprovement(mu: number, sigma: number, best: number, xi = 0.01): number {
  const imp = mu - best - xi;
  if (!(sigma > 0)) return imp > 0 ? 1 : 0;
  return normalCdf(imp / sigma);
}

/** Upper confidence bound μ + κσ (skopt's LCB mirrored for maximisation). */
export function upperConfidenceBound(mu: number, sigma: number, kappa = 1.96): number {
  return mu + kappa * sigma;
}

/**
 * Scores many candidates at once: writes the acquisition `kind` of (mean[i], std[i]) into `out`
 * (allocated when omitted) for i < `count` (default: all) and returns it. Larger is better.
 */
export function acquisitionValues(
  kind: AcquisitionKind,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
  best: number,
  params: AcquisitionParams = {},
  out?: Float64Array,
  count = mean.length,
): Float64Array {
  const xi = params.xi ?? 0.01;
  const kappa = params.kappa ?? 1.96;
  const res = out ?? new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const mu = mean[i] as number;
    const sigma = std[i] as number;
    switch (kind) {
      case 'EI':
        res[i] = expectedImprovement(mu, sigma, best, xi);
        break;
      case 'PI':
        res[i] = probabilityOfImprovement(mu, sigma, best, xi);
        break;
      case 'LCB':
        res[i] = upperConfidenceBound(mu, sigma, kappa);
        break;
      default:
        throw new Error(`unknown acquisition '${String(kind)}'`);
    }
  }
  return res;
}

/** The Yeo–Johnson power transform of `y` with parameter `lambda` (monotone increasing in y). */
export function yeoJohnson(y: number, lambda: number): number {
  if (y >= 0) return Math.abs(lambda) < 1e-9 ? Math.log1p(y) : ((y + 1) ** lambda - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-9 ? -Math.log1p(-y) : -((1 - y) ** (2 - lambda) - 1) / (2 - lambda);
}

/** Standardises `ys[0..n)` in place to mean 0 and standard deviation 1 (sd 0: centred only). */
function standardise(ys: Float64Array, n: number): { mean: number; sd: number } {
  let m = 0;
  for (let i = 0; i < n; i++) m += ys[i] as number;
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += ((ys[i] as number) - m) ** 2;
  const sd = Math.sqrt(v / n) || 1;
  for (let i = 0; i < n; i++) ys[i] = ((ys[i] as number) - m) / sd;
  return { mean: m, sd };
}

/**
 * A power-transform output warping (as in HEBO): the values are standardised, Yeo–Johnson-transformed
 * with λ ∈ [−2, 4] maximising the Gaussian log-likelihood (golden-section search; λ = 1 is the
 * identity), and standardised again. Returns the monotone map fitted on `values`, which can also be
 * applied to other values (e.g. constant-liar targets). Skewed or heavy-tailed targets become closer
 * to Gaussian while, unlike normal scores, the spacing of the values — the shape of a peak — is kept
 * where the data are already Gaussian. Invariant to affine rescaling of `values`.
 */
export function fitPowerTransform(values: ArrayLike<number>): (y: number) => number {
  const n = values.length;
  if (n === 0) return (y) => y;
  const z = Float64Array.from({ length: n }, (_, i) => values[i] as number);
  const first = standardise(z, n);
  let jac = 0;
  for (let i = 0; i < n; i++) jac += Math.sign(z[i] as number) * Math.log1p(Math.abs(z[i] as number));
  const t = new Float64Array(n);
  const logLik = (lambda: number): number => {
    let m = 0;
    for (let i = 0; i < n; i++) {
      t[i] = yeoJohnson(z[i] as number, lambda);
      m += t[i] as number;
    }
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += ((t[i] as number) - m) ** 2;
    return -0.5 * n * Math.log(Math.max(v / n, 1e-300)) + (lambda - 1) * jac;
  };
  let a = -2;
  let b = 4;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = logLik(c);
  let fd = logLik(d);
  for (let it = 0; it < 60; it++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = logLik(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = logLik(d);
    }
  }
  const lambda = (a + b) / 2;
  for (let i = 0; i < n; i++) t[i] = yeoJohnson(z[i] as number, lambda);
  const second = standardise(t, n);
  return (y) => (yeoJohnson((y - first.mean) / first.sd, lambda) - second.mean) / second.sd;
}
