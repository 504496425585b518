/**
 * Benchmark functions for the chaos optimizer, as search spaces plus an objective to MAXIMISE
 * ("severity" = -f for the usual minimisation problems). `fMin` is the known minimum of f (re-checked
 * numerically by the bench), so the simple regret after k calls is (min f over those calls) - fMin.
 *
 * - Branin (2 reals): x1 ∈ [-5, 10], x2 ∈ [0, 15]; min 0.397887 at (-π, 12.275), (π, 2.275), (9.42478, 2.475).
 * - Hartmann-6 (6 reals in [0, 1]): min -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
 * - CoCaBO Func2C and Func3C (Ru et al., "Bayesian optimisation over multiple continuous and categorical
 *   inputs", ICML 2020; definitions as in the authors' syntheticFunctions.py): two continuous inputs in
 *   [-1, 1] that are doubled (X = 2x ∈ [-2, 2]²) and categorical inputs choosing which scaled classic
 *   functions are summed:
 *     rosenbrock(X) = (100 (X2 - X1²)² + (X1 - 1)²) / 300
 *     sixhump(X)    = ((4 - 2.1 X1² + X1⁴/3) X1² + X1 X2 + (-4 + 4 X2²) X2²) / 10
 *     beale(X)      = ((1.5 - X1 + X1 X2)² + (2.25 - X1 + X1 X2²)² + (2.625 - X1 + X1 X2³)²) / 50
 *   Func2C(h1 ∈ 0..2, h2 ∈ 0..4): [rosenbrock, sixhump, beale][h1] + (h2 = 0 ? rosenbrock : h2 = 1 ? sixhump : beale)
 *   Func3C(h1, h2, h3 ∈ 0..3): Func2C(h1, h2) + (h3 = 0 ? 5·sixhump : h3 = 1 ? 2·rosenbrock : h3·beale)
 *   (the published code also adds 1e-6·uniform noise, omitted here so runs are deterministic).
 *   Only sixhump can be negative (min -1.0316285/10 at X = (±0.0898, ∓0.7126)), so the minima are
 *   2·sixhump* = -0.2063257 (h = (1, 1)) and 7·sixhump* = -0.7221399 (h = (1, 1, 0)); the bench
 *   re-checks both numerically before running.
 */
import type { Point, SearchSpace } from '../packages/bulwark/src/chaos/optimizer/index.js';

/** A benchmark: space, objective to maximise, and the minimum of the underlying f (= -max severity). */
export interface BenchFunction {
  name: string;
  space: SearchSpace;
  /** Severity to maximise (= -f). */
  severity: (p: Point) => number;
  /** Known minimum of f. */
  fMin: number;
  /** Regret at or below which a run counts as "solved" (calls-to-threshold). */
  threshold: number;
}

const num = (p: Point, k: string): number => p[k] as number;

/** Branin–Hoo. */
export function branin(x1: number, x2: number): number {
  const a = 1;
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const r = 6;
  const s = 10;
  const t = 1 / (8 * Math.PI);
  return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]^6. */
export function hartmann6(x: readonly number[]): number {
  let outer = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) {
      const a = (H_A[i] as number[])[j] as number;
      const p = (H_P[i] as number[])[j] as number;
      inner += a * ((x[j] as number) - p) ** 2;
    }
    outer += (H_ALPHA[i] as number) * Math.exp(-inner);
  }
  return -outer;
}

function rosenbrock(x1: number, x2: number): number {
  return (100 * (x2 - x1 * x1) ** 2 + (x1 - 1) ** 2) / 300;
}
function sixhump(x1: number, x2: number): number {
  return ((4 - 2.1 * x1 * x1 + x1 ** 4 / 3) * x1 * x1 + x1 * x2 + (-4 + 4 * x2 * x2) * x2 * x2) / 10;
}
function beale(x1: number, x2: number): number {
  return ((1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2 * x2) ** 2 + (2.625 - x1 + x1 * x2 ** 3) ** 2) / 50;
}

/** CoCaBO Func2C with h1 ∈ 0..2, h2 ∈ 0..4 and x ∈ [-1, 1]². */
export function func2C(h1: number, h2: number, x1: number, x2: number): number {
  const X1 = 2 * x1;
  const X2 = 2 * x2;
  const first = [rosenbrock, sixhump, beale][h1] as typeof rosenbrock;
  const second = h2 === 0 ? rosenbrock : h2 === 1 ? sixhump : beale;
  return first(X1, X2) + second(X1, X2);
}

/** CoCaBO Func3C with h1 ∈ 0..2, h2 ∈ 0..4, h3 ∈ 0..3 and x ∈ [-1, 1]². */
export function func3C(h1: number, h2: number, h3: number, x1: number, x2: number): number {
  const X1 = 2 * x1;
  const X2 = 2 * x2;
  const third = h3 === 0 ? 5 * sixhump(X1, X2) : h3 === 1 ? 2 * rosenbrock(X1, X2) : h3 * beale(X1, X2);
  return func2C(h1, h2, x1, x2) + third;
}

const SIXHUMP_MIN = -1.0316284534898774 / 10;

/** The four benchmark problems. */
export const BENCH_FUNCTIONS: readonly BenchFunction[] = [
  {
    name: 'Branin',
    space: {
      dimensions: [
        { kind: 'real', name: 'x1', low: -5, high: 10 },
        { kind: 'real', name: 'x2', low: 0, high: 15 },
      ],
    },
    severity: (p) => -branin(num(p, 'x1'), num(p, 'x2')),
    fMin: 0.39788735772973816,
    threshold: 0.1,
  },
  {
    name: 'Hartmann6',
    space: {
      dimensions: Array.from({ length: 6 }, (_, i) => ({ kind: 'real' as const, name: `x${i + 1}`, low: 0, high: 1 })),
    },
    severity: (p) => -hartmann6([1, 2, 3, 4, 5, 6].map((i) => num(p, `x${i}`))),
    fMin: -3.322368011415515,
    threshold: 0.5,
  },
  {
    name: 'Func2C',
    space: {
      dimensions: [
        { kind: 'categorical', name: 'h1', values: [0, 1, 2] },
        { kind: 'categorical', name: 'h2', values: [0, 1, 2, 3, 4] },
        { kind: 'real', name: 'x1', low: -1, high: 1 },
        { kind: 'real', name: 'x2', low: -1, high: 1 },
      ],
    },
    severity: (p) => -func2C(num(p, 'h1'), num(p, 'h2'), num(p, 'x1'), num(p, 'x2')),
    fMin: 2 * SIXHUMP_MIN,
    threshold: 0.02,
  },
  {
    name: 'Func3C',
    space: {
      dimensions: [
        { kind: 'categorical', name: 'h1', values: [0, 1, 2] },
        { kind: 'categorical', name: 'h2', values: [0, 1, 2, 3, 4] },
        { kind: 'categorical', name: 'h3', values: [0, 1, 2, 3] },
        { kind: 'real', name: 'x1', low: -1, high: 1 },
        { kind: 'real', name: 'x2', low: -1, high: 1 },
      ],
    },
    severity: (p) => -func3C(num(p, 'h1'), num(p, 'h2'), num(p, 'h3'), num(p, 'x1'), num(p, 'x2')),
    fMin: 7 * SIXHUMP_MIN,
    threshold: 0.05,
  },
];
