/**
 * Chaos optimizer benchmark.
 *
 * 1. Regret: Branin, Hartmann-6, CoCaBO Func2C and Func3C (bench/chaos-functions.ts). For every seed
 *    the same 10 random initial points are told to every method, then each method spends the rest of
 *    the budget:
 *    - bulwark:    Optimizer defaults (a Gaussian process for the model-based asks while fewer than 50
 *                  observations exist, then extra trees with single-observation leaves, no bootstrap, EI
 *                  on normal-score targets; local search, trust region, category-exploration asks);
 *    - skopt-like: the ablation closest to scikit-optimize Optimizer(base_estimator="RF", acq_func="EI"):
 *                  CART forest (min_samples_leaf 3, bootstrap), raw targets, 10,000 uniform candidates
 *                  all scored by the whole forest, no GP phase, no local search, no trust region, no
 *                  category asks;
 *    - random:     uniform random search.
 *    Printed: median [IQR] of simple regret after 10/20/50/100 calls, median calls to reach the
 *    function's regret threshold (">N" when most seeds never do) and the fraction of seeds that do.
 * 2. Speed: refit + one ask at 200 observations × 20 dimensions (100 trees, 10,000 candidates);
 *    target < 50 ms. Wall and process-CPU time are both reported (CPU time is robust to a busy machine).
 *
 * Run: node --conditions=source --import tsx bench/chaos.bench.ts
 * Env: BENCH_SEEDS (default 20), BENCH_SEED_OFFSET (default 0: seeds 1..20; 100 = the held-out seeds
 *      101..120), BENCH_CALLS (default 100), BENCH_FUNCTIONS (comma list), BENCH_METHODS (comma list),
 *      BENCH_OPTIONS (JSON of extra Optimizer options for the bulwark row, for ablations),
 *      BENCH_WORKERS (default: available parallelism, max 4), BENCH_SKIP_REGRET=1 / BENCH_SKIP_TIMING=1.
 * Runs are spread over worker threads (each run is deterministic, so the table does not depend on it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { lineChart } from './support/svg.js';
import {
  EncodedSpace,
  initialPoints,
  mixSeed,
  Optimizer,
  type OptimizerOptions,
  type Point,
  Prng,
  RandomForest,
} from '../packages/bulwark/src/chaos/optimizer/index.js';
import { BENCH_FUNCTIONS, type BenchFunction, branin, func2C, func3C, hartmann6 } from './chaos-functions.js';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 20);
/** Seeds run are SEED_OFFSET + 1 .. SEED_OFFSET + SEEDS (a held-out set: BENCH_SEED_OFFSET=100). */
const SEED_OFFSET = Number(process.env.BENCH_SEED_OFFSET ?? 0);
const CALLS = Number(process.env.BENCH_CALLS ?? 100);
const N_INITIAL = 10;
const CHECKPOINTS = [10, 20, 50, 100].filter((c) => c <= CALLS);
const ONLY = process.env.BENCH_FUNCTIONS?.split(',');
const ONLY_METHODS = process.env.BENCH_METHODS?.split(',');
/** Extra Optimizer options for the bulwark row, as JSON (ablations: BENCH_OPTIONS='{"localSearch":false}'). */
const EXTRA: Partial<OptimizerOptions> = JSON.parse(process.env.BENCH_OPTIONS ?? '{}');

type Method = 'bulwark' | 'skopt-like' | 'random';
const METHODS: Array<{ name: Method; options: Partial<OptimizerOptions> }> = [
  { name: 'bulwark', options: EXTRA },
  {
    name: 'skopt-like',
    // scikit-optimize's RF: CART, min_samples_leaf 3, bootstrap; EI on raw targets over 10,000 uniform
    // candidates, every one scored by every tree; none of bulwark's additions (no GP phase either).
    options: {
      outputTransform: 'none',
      localSearch: false,
      trustRegion: false,
      splitter: 'best',
      minSamplesLeaf: 3,
      bootstrap: true,
      categoryEvery: 0,
      prescreen: false,
      gpUntil: 0,
    },
  },
  { name: 'random', options: {} },
];
/** The methods run (BENCH_METHODS=bulwark for quick ablations; the shared initial points do not change). */
const ACTIVE_METHODS = METHODS.filter((m) => !ONLY_METHODS || ONLY_METHODS.includes(m.name));

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] as number;
  const b = s[hi] as number;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return pos - lo < 0.5 ? a : b;
  return a + (b - a) * (pos - lo);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? x.toFixed(3) : x.toExponential(1);
}

/** Best-so-far regret after each call of one run. */
function runOnce(bf: BenchFunction, method: (typeof METHODS)[number], seed: number): number[] {
  const initial = initialPoints(new EncodedSpace(bf.space), 'random', N_INITIAL, new Prng(mixSeed(seed, 77)));
  const curve: number[] = [];
  let best = Number.NEGATIVE_INFINITY;
  const record = (p: Point): number => {
    const s = bf.severity(p);
    best = Math.max(best, s);
    curve.push(-best - bf.fMin);
    return s;
  };
  if (method.name === 'random') {
    for (const p of initial) record(p);
    const space = new EncodedSpace(bf.space);
    const rng = new Prng(mixSeed(seed, 78));
    while (curve.length < CALLS) record(space.sample(rng));
    return curve;
  }
  const o = new Optimizer({ space: bf.space, seed, nInitial: N_INITIAL, ...method.options });
  for (const p of initial) o.tell(p, record(p));
  while (curve.length < CALLS) {
    const p = o.ask();
    o.tell(p, record(p));
  }
  return curve;
}

/** Numerical check of the documented minima (catches a wrong constant or a wrong formula). */
function checkMinima(): void {
  const check = (name: string, found: number, documented: number) => {
    const ok = Math.abs(found - documented) < 1e-4;
    console.log(
      `  ${name}: documented min ${documented.toFixed(6)}, numerical ${found.toFixed(6)} ${ok ? 'ok' : 'MISMATCH'}`,
    );
    if (!ok) process.exitCode = 1;
  };
  const fm = (n: string) => (BENCH_FUNCTIONS.find((b) => b.name === n) as BenchFunction).fMin;
  check('Branin at (pi, 2.275)', branin(Math.PI, 2.275), fm('Branin'));
  check(
    'Hartmann6 at its argmin',
    hartmann6([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]),
    fm('Hartmann6'),
  );
  // Func2C / Func3C: grid over every category combination, then a pattern search from the best cell.
  const gridMin = (f: (x1: number, x2: number) => number) => {
    let best = Number.POSITIVE_INFINITY;
    let bx = 0;
    let by = 0;
    for (let i = 0; i <= 200; i++)
      for (let j = 0; j <= 200; j++) {
        const v = f(-1 + i / 100, -1 + j / 100);
        if (v < best) [best, bx, by] = [v, -1 + i / 100, -1 + j / 100];
      }
    for (let step = 0.01; step > 1e-9; step /= 2) {
      let moved = true;
      while (moved) {
        moved = false;
        for (const [dx, dy] of [
          [step, 0],
          [-step, 0],
          [0, step],
          [0, -step],
        ] as const) {
          const x = Math.min(1, Math.max(-1, bx + dx));
          const y = Math.min(1, Math.max(-1, by + dy));
          const v = f(x, y);
          if (v < best) [best, bx, by, moved] = [v, x, y, true];
        }
      }
    }
    return best;
  };
  let m2 = Number.POSITIVE_INFINITY;
  let m3 = Number.POSITIVE_INFINITY;
  for (let h1 = 0; h1 < 3; h1++)
    for (let h2 = 0; h2 < 5; h2++) {
      m2 = Math.min(
        m2,
        gridMin((x, y) => func2C(h1, h2, x, y)),
      );
      for (let h3 = 0; h3 < 4; h3++)
        m3 = Math.min(
          m3,
          gridMin((x, y) => func3C(h1, h2, h3, x, y)),
        );
    }
  check('Func2C (grid + pattern search)', m2, fm('Func2C'));
  check('Func3C (grid + pattern search)', m3, fm('Func3C'));
}

interface Task {
  fn: string;
  method: Method;
  seed: number;
}

/** Runs every (function, method, seed) on a pool of worker threads; returns the curves by task key. */
async function runAll(tasks: Task[]): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>();
  const nWorkers = Math.max(
    1,
    Math.min(Number(process.env.BENCH_WORKERS ?? Math.min(4, availableParallelism())), tasks.length),
  );
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: nWorkers }, async () => {
      // Workers do not inherit the tsx loader hooks: register them in the worker, then load this file.
      const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
      const worker = new Worker(boot, { eval: true, workerData: { role: 'runner' } });
      try {
        for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
          const t = task;
          const curve = await new Promise<number[]>((resolve, reject) => {
            const onMessage = (c: number[]) => {
              worker.off('error', onError);
              resolve(c);
            };
            const onError = (e: Error) => {
              worker.off('message', onMessage);
              reject(e);
            };
            worker.once('message', onMessage);
            worker.once('error', onError);
            worker.postMessage(t);
          });
          results.set(`${t.fn}/${t.method}/${t.seed}`, curve);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results;
}

async function regretBench(): Promise<void> {
  console.log(
    `\nSimple regret, ${SEEDS} seeds (${SEED_OFFSET + 1}..${SEED_OFFSET + SEEDS}), ${CALLS} calls, ${N_INITIAL} shared random initial points`,
  );
  checkMinima();
  const fns = BENCH_FUNCTIONS.filter((bf) => !ONLY || ONLY.includes(bf.name));
  const tasks: Task[] = [];
  // Longest first (model-based runs), so the pool ends together.
  for (const method of ACTIVE_METHODS)
    for (const bf of fns)
      for (let seed = SEED_OFFSET + 1; seed <= SEED_OFFSET + SEEDS; seed++)
        tasks.push({ fn: bf.name, method: method.name, seed });
  const t0 = performance.now();
  const results = await runAll(tasks.filter((t) => t.method !== 'random'));
  for (const t of tasks.filter((x) => x.method === 'random')) {
    const bf = fns.find((f) => f.name === t.fn) as BenchFunction;
    results.set(`${t.fn}/${t.method}/${t.seed}`, runOnce(bf, METHODS[2] as (typeof METHODS)[number], t.seed));
  }
  console.log(`  ${tasks.length} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const header = [
    'function',
    'method',
    ...CHECKPOINTS.map((c) => `regret@${c} median [IQR]`),
    'calls to thr (median)',
    'solved',
  ];
  const rows: string[][] = [];
  for (const bf of fns) {
    for (const method of ACTIVE_METHODS) {
      const curves = Array.from(
        { length: SEEDS },
        (_, i) => results.get(`${bf.name}/${method.name}/${SEED_OFFSET + i + 1}`) as number[],
      );
      const cells = CHECKPOINTS.map((c) => {
        const r = curves.map((cv) => cv[c - 1] as number);
        return `${fmt(quantile(r, 0.5))} [${fmt(quantile(r, 0.25))}, ${fmt(quantile(r, 0.75))}]`;
      });
      const hits = curves.map((cv) => {
        const i = cv.findIndex((r) => r <= bf.threshold);
        return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
      });
      const med = quantile(hits, 0.5);
      const solved = hits.filter(Number.isFinite).length;
      rows.push([
        bf.name,
        method.name,
        ...cells,
        `${Number.isFinite(med) ? String(Math.round(med)) : `>${CALLS}`} (thr ${bf.threshold})`,
        `${solved}/${SEEDS}`,
      ]);
    }
  }
  // Median best-so-far regret per call, one SVG per function (docs/img/, or BENCH_PLOTS_DIR).
  const plots = process.env.BENCH_PLOTS_DIR ?? 'docs/img';
  mkdirSync(plots, { recursive: true });
  const colors: Record<string, string> = { bulwark: '#1f77b4', 'skopt-like': '#ff7f0e', random: '#7f7f7f' };
  for (const bf of fns) {
    const series = ACTIVE_METHODS.map((method) => {
      const curves = Array.from(
        { length: SEEDS },
        (_, i) => results.get(`${bf.name}/${method.name}/${SEED_OFFSET + i + 1}`) as number[],
      );
      return {
        name: method.name,
        color: colors[method.name] ?? 'black',
        values: Array.from({ length: CALLS }, (_, c) =>
          quantile(
            curves.map((cv) => cv[c] as number),
            0.5,
          ),
        ),
      };
    });
    const file = join(plots, `chaos-regret-${bf.name.toLowerCase()}.svg`);
    writeFileSync(
      file,
      lineChart({
        title: `${bf.name}: median simple regret over ${SEEDS} seeds`,
        xLabel: 'calls',
        yLabel: 'regret (log)',
        series,
        logY: true,
      }),
    );
    console.log(`  plot: ${file}`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function timingBench(): void {
  const dims: OptimizerOptions['space']['dimensions'] = [
    ...Array.from({ length: 14 }, (_, i) => ({ kind: 'real' as const, name: `r${i}`, low: 0, high: 1 })),
    ...Array.from({ length: 3 }, (_, i) => ({
      kind: 'integer' as const,
      name: `i${i}`,
      low: 1,
      high: 1000,
      log: true,
    })),
    ...Array.from({ length: 3 }, (_, i) => ({
      kind: 'categorical' as const,
      name: `c${i}`,
      values: ['a', 'b', 'c', 'd', 'e'],
    })),
  ];
  const severity = (p: Point) => {
    let s = 0;
    for (let i = 0; i < 14; i++) s += Math.sin(3 * (p[`r${i}`] as number));
    return Math.max(0, Math.min(10, 3 + s / 2 + (p.c0 === 'b' ? 2 : 0) + Math.log10(p.i0 as number)));
  };
  const o = new Optimizer({ space: { dimensions: dims }, seed: 1 });
  const rng = new Prng(5);
  for (let k = 0; k < 200; k++) {
    const p = o.space.sample(rng);
    o.tell(p, severity(p));
  }
  const state = o.toJSON();
  const reps = 25;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps + 3; r++) {
    const clone = Optimizer.fromJSON(state); // untimed: every timed ask refits on exactly 200 observations
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    clone.ask();
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    if (r >= 3) {
      wall.push(t1 - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  // Components on the same data.
  const X = new Float64Array(200 * 20);
  const y = new Float64Array(200);
  state.observations.forEach((ob, i) => {
    X.set(o.space.encode(ob.point), i * 20);
    y[i] = ob.severity;
  });
  const cand = new Float64Array(10_000 * 20);
  for (let i = 0; i < 10_000; i++) o.space.sampleEncoded(rng, cand, i * 20);
  const fitT: number[] = [];
  const predT: number[] = [];
  const screenT: number[] = [];
  const cfg = o.config;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const f = new RandomForest({
      seed: r,
      categories: o.space.categories,
      minSamplesLeaf: cfg.minSamplesLeaf,
      bootstrap: cfg.bootstrap,
      splitter: cfg.splitter,
    }).fit({ data: X, rows: 200, cols: 20 }, y);
    const t1 = performance.now();
    f.predict({ data: cand, rows: 10_000, cols: 20 });
    const t2 = performance.now();
    // What an ask does: 10,000 rows with an eighth of the trees, then 8% of them with all trees.
    f.predict({ data: cand, rows: 10_000, cols: 20 }, undefined, Math.ceil(cfg.nTrees / 8));
    f.predict({ data: cand, rows: 800, cols: 20 });
    screenT.push(performance.now() - t2);
    predT.push(t2 - t1);
    fitT.push(t1 - t0);
  }
  console.log(`\nRefit + ask at 200 observations × 20 dimensions (100 trees, 10,000 candidates), ${reps} asks:`);
  console.log(
    `  wall: median ${fmt(quantile(wall, 0.5))} ms, p95 ${fmt(quantile(wall, 0.95))} ms, min ${fmt(Math.min(...wall))} ms`,
  );
  console.log(
    `  cpu:  median ${fmt(quantile(cpu, 0.5))} ms, p95 ${fmt(quantile(cpu, 0.95))} ms (target < 50 ms: ${quantile(cpu, 0.5) < 50 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `  components (wall median, the optimizer's forest settings): forest fit ${fmt(quantile(fitT, 0.5))} ms, predict 10,000 with every tree ${fmt(quantile(predT, 0.5))} ms, screened predict ${fmt(quantile(screenT, 0.5))} ms`,
  );
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'runner') {
  // Worker: run the tasks the main thread sends, one at a time.
  parentPort?.on('message', (t: Task) => {
    const bf = BENCH_FUNCTIONS.find((f) => f.name === t.fn) as BenchFunction;
    const method = METHODS.find((m) => m.name === t.method) as (typeof METHODS)[number];
    parentPort?.postMessage(runOnce(bf, method, t.seed));
  });
} else {
  const t0 = performance.now();
  if (process.env.BENCH_SKIP_TIMING !== '1') timingBench();
  if (process.env.BENCH_SKIP_REGRET !== '1') await regretBench();
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
