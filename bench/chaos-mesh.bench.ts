/**
 * Chaos search on the demo mesh, through the built-in executor: trials until a plan of severity
 * ≥ 9 is found (≥ 8 is too easy: any delay that lifts p99 past 5× the baseline scores 8), Bulwark's optimizer against random search, the same 10 initial plans for both
 * (evaluated once and shared). Every trial is a real run: 0.5 s baseline, 1 s under the fault at
 * 20 rps, then analysed. Space: 7 services × abort | delay | both × abort status × delay 10–2000 ms
 * (log) × percentage 1–100.
 * Run: npx tsx bench/chaos-mesh.bench.ts      (BENCH_SEEDS=8 BENCH_TRIALS=25)
 */
import { analyzeObservation } from '../packages/bulwark/src/chaos/analyzer/index.js';
import { ExecutorClient, startMeshWithExecutor } from '../packages/bulwark/src/chaos/executor/index.js';
import { Optimizer } from '../packages/bulwark/src/chaos/optimizer/index.js';
import { Prng } from '../packages/bulwark/src/chaos/optimizer/prng.js';
import { EncodedSpace } from '../packages/bulwark/src/chaos/optimizer/space.js';
import type { Point } from '../packages/bulwark/src/chaos/optimizer/types.js';
import { parseFaultSpace, toFaultPlans } from '../packages/bulwark/src/chaos/space/index.js';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 8);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 25);
const THRESHOLD = Number(process.env.BENCH_THRESHOLD ?? 9);
const SPACE = parseFaultSpace(`name: mesh
target: { entry: http://127.0.0.1/checkout, services: [gateway, checkout, cache, inventory, warehouse, payment, fraud] }
dimensions:
  - { name: service, type: categorical, values: [gateway, checkout, cache, inventory, warehouse, payment, fraud] }
  - { name: fault, type: categorical, values: [abort, delay, both] }
  - { name: abort_status, type: categorical, values: [500, 503], when: { fault: [abort, both] } }
  - { name: delay_ms, type: integer, low: 10, high: 2000, log: true, when: { fault: [delay, both] } }
  - { name: percentage, type: real, low: 1, high: 100 }
defaults: { duration_s: 60 }
`);

const running = await startMeshWithExecutor({ seed: 1 });
const client = new ExecutorClient({ baseUrl: running.executor.url });

async function evaluate(point: Point): Promise<number> {
  const res = await client.run({
    plans: toFaultPlans(point, SPACE),
    duration_s: 1,
    baseline_s: 0.5,
    recovery_s: 0,
    load: { rps: 20, path: running.mesh.entryPath, method: 'POST' },
  } as never);
  return analyzeObservation(res.observation).severity;
}

const firstHit = (xs: number[]) => {
  const i = xs.findIndex((s) => s >= THRESHOLD);
  return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

const results: { bulwark: number[]; random: number[] } = { bulwark: [], random: [] };
const bests: { bulwark: number[]; random: number[] } = { bulwark: [], random: [] };
const started = performance.now();
try {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const opt = new Optimizer({ space: SPACE.searchSpace, seed, nInitial: 10 });
    const encoded = new EncodedSpace(SPACE.searchSpace);
    const rng = new Prng(seed * 7919);
    const shared: number[] = [];
    const bulwark: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const p = opt.ask();
      const s = await evaluate(p);
      opt.tell(p, s);
      bulwark.push(s);
      if (t < 10) shared.push(s);
    }
    // Random search: the same 10 initial plans (and severities), then uniform samples.
    const random = [...shared];
    for (let t = 10; t < TRIALS; t++) random.push(await evaluate(encoded.sample(rng)));
    results.bulwark.push(firstHit(bulwark));
    results.random.push(firstHit(random));
    bests.bulwark.push(Math.max(...bulwark));
    bests.random.push(Math.max(...random));
    console.log(
      `seed ${seed}: first severity >= ${THRESHOLD} at trial ${firstHit(bulwark)} (bulwark) / ${firstHit(random)} (random); best ${Math.max(...bulwark).toFixed(1)} / ${Math.max(...random).toFixed(1)}`,
    );
  }
} finally {
  await running.stop();
}
const solved = (xs: number[]) => xs.filter(Number.isFinite).length;
const higher = bests.bulwark.filter((b, i) => b > (bests.random[i] as number)).length;
const lower = bests.bulwark.filter((b, i) => b < (bests.random[i] as number)).length;
console.log(
  `best severity in ${TRIALS} trials: median bulwark ${median(bests.bulwark).toFixed(2)}, random ${median(bests.random).toFixed(2)}; bulwark higher in ${higher} seeds, lower in ${lower}`,
);
console.log(
  `\ndemo mesh, ${SEEDS} seeds, ${TRIALS} trials: median trials to severity >= ${THRESHOLD}: bulwark ${median(results.bulwark)} (${solved(results.bulwark)}/${SEEDS} found), random ${median(results.random)} (${solved(results.random)}/${SEEDS}); target: median <= 25 (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
