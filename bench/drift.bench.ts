/**
 * SLI drift detection benchmark: Page-Hinkley, ADWIN and windowed KS, alone and as a 2-of-3 vote
 * (packages/bulwark/src/slo/drift), on synthetic per-minute p99 latency streams.
 *
 * Streams (seeded mulberry32; every run draws its own noise level, phase and — stress only — autocorrelation):
 *   p99 = 200 ms × pattern(t) × exp(e_t): lognormal noise, e_t Gaussian with a coefficient of
 *   variation ~ U[10%, 15%] per run, independent across minutes — except the two stress streams,
 *   where e_t is AR(1) with φ ~ U[0, 0.3] (same marginal CV; not a target, shown for honesty).
 *   (a) step      24 h baseline, then ×1.2 for 6 h                      onset = minute 1440
 *   (b) gradual   24 h baseline, then +20% linearly over 2 h, held 4 h    onset = minute 1440
 *   (c) seasonal  7 days of a ±30% daily sine (random phase)              no drift
 *   (d) flat      7 days stationary                                       no drift
 *   (e) spikes    7 days stationary, single-minute spikes ×2–×5 (p = 1/240 per minute)  no drift
 *   (f) seasonal step: 2 days of (c), then ×1.2 for 6 h (extra check)  onset = minute 2880
 *
 * Definitions:
 *   detection  = first 'up' alarm at or after the onset (before the end of the run);
 *   delay      = minutes of changed data seen when it fires (alarm index − onset + 1);
 *   pre-onset FA = share of drift runs with an alarm before the onset;
 *   FA/day     = alarms per simulated day on the no-drift streams;
 *   runs w/ FA = share of (7-day) no-drift runs with at least one alarm;
 *   days w/ FA = share of simulated days (run × day) with at least one alarm.
 * Targets: (a) vote ≥ 95% detected within 30 minutes; (c)(d)(e) vote days w/ FA ≤ 1% (the false-alarm
 * rate is the share of no-drift days with at least one alarm; the share of week-long runs is printed too).
 * Seasonality: the detectors consume standardised residuals against a seasonal baseline (a local
 * quadratic fit to the same phase one day earlier, ±4 h) — see SliNormalizer.
 * Single detectors run on the same normalised input as the vote (own normaliser, never recentred).
 * Tuning used --seeds tune; the table in the docs is --seeds report (disjoint seeds).
 *
 * Run: node --conditions=source --import tsx bench/drift.bench.ts [--runs 200] [--seeds report|tune]
 *        [--only a,c] [--params '{"pageHinkley":{"threshold":9}}']
 */
import {
  Adwin,
  type DetectorName,
  DriftVoter,
  type DriftVoterOptions,
  KsWindowDetector,
  PageHinkley,
  SliNormalizer,
} from '../packages/bulwark/src/slo/drift/index.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

const DAY = 1440;

interface Scenario {
  key: string;
  label: string;
  minutes: number;
  onset?: number;
  /** Upper bound of the AR(1) coefficient of the log-noise (drawn uniformly from [0, phiMax]). */
  phiMax?: number;
  pattern: (t: number, rand: () => number, phase: number) => number;
}

const SCENARIOS: Scenario[] = [
  { key: 'a', label: '(a) +20% step', minutes: DAY + 360, onset: DAY, pattern: (t) => (t >= DAY ? 1.2 : 1) },
  {
    key: 'b',
    label: '(b) +20% over 2 h',
    minutes: DAY + 360,
    onset: DAY,
    pattern: (t) => 1 + 0.2 * Math.min(1, Math.max(0, (t - DAY + 1) / 120)),
  },
  {
    key: 'c',
    label: '(c) seasonal ±30%',
    minutes: 7 * DAY,
    pattern: (t, _r, phase) => 1 + 0.3 * Math.sin((2 * Math.PI * t) / DAY + phase),
  },
  { key: 'd', label: '(d) stationary', minutes: 7 * DAY, pattern: () => 1 },
  {
    key: 'e',
    label: '(e) spikes',
    minutes: 7 * DAY,
    pattern: (_t, rand) => (rand() < 1 / 240 ? 2 + 3 * rand() : 1),
  },
  {
    key: 'f',
    label: '(f) seasonal + step',
    minutes: 2 * DAY + 360,
    onset: 2 * DAY,
    pattern: (t, _r, phase) => (1 + 0.3 * Math.sin((2 * Math.PI * t) / DAY + phase)) * (t >= 2 * DAY ? 1.2 : 1),
  },
  // Stress: autocorrelated noise (not a target; thresholds are calibrated for independent noise).
  {
    key: 'A',
    label: '(a) AR(1)<=0.3',
    minutes: DAY + 360,
    onset: DAY,
    phiMax: 0.3,
    pattern: (t) => (t >= DAY ? 1.2 : 1),
  },
  {
    key: 'C',
    label: '(c) AR(1)<=0.3',
    minutes: 7 * DAY,
    phiMax: 0.3,
    pattern: (t, _r, phase) => 1 + 0.3 * Math.sin((2 * Math.PI * t) / DAY + phase),
  },
];

function generate(s: Scenario, seed: number): number[] {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const cv = 0.1 + 0.05 * rand();
  const phi = (s.phiMax ?? 0) * rand();
  const phase = 2 * Math.PI * rand();
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  const innovation = sigma * Math.sqrt(1 - phi * phi);
  let e = sigma * normal();
  const out: number[] = [];
  for (let t = 0; t < s.minutes; t++) {
    e = phi * e + innovation * normal();
    out.push(200 * s.pattern(t, rand, phase) * Math.exp(e));
  }
  return out;
}

type Name = DetectorName | 'vote';
const NAMES: Name[] = ['pageHinkley', 'adwin', 'ks', 'vote'];

/** Alarm indices ('up' | 'down') of each detector alone and of the vote on one series. */
function alarms(series: number[], options: DriftVoterOptions): Record<Name, Array<[number, 'up' | 'down']>> {
  const voter = new DriftVoter(options);
  const o = voter.options;
  const norm = new SliNormalizer(o.normalizer);
  const ph = new PageHinkley(o.pageHinkley);
  const adwin = new Adwin(o.adwin);
  const ks = new KsWindowDetector(o.ks);
  const out: Record<Name, Array<[number, 'up' | 'down']>> = { pageHinkley: [], adwin: [], ks: [], vote: [] };
  for (const x of series) {
    const e = voter.update(x);
    if (e) out.vote.push([e.index, e.direction]);
    const s = norm.push(x);
    if (!s) continue;
    if (ph.update(s.z) && ph.direction) out.pageHinkley.push([s.index, ph.direction]);
    if (adwin.update(s.z) && adwin.direction) out.adwin.push([s.index, adwin.direction]);
    if (ks.update(s.z) && ks.direction) out.ks.push([s.index, ks.direction]);
  }
  return out;
}

function quantile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] as number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number, d = 0) => (Number.isNaN(x) ? '—' : x.toFixed(d));
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

function main(): void {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = Number(arg('runs') ?? 200);
  const seedSet = arg('seeds') ?? 'report';
  const only = arg('only')?.split(',');
  const options = JSON.parse(arg('params') ?? '{}') as DriftVoterOptions;
  const seedBase = seedSet === 'tune' ? 1_000_000 : 7_000_000;
  const voterOptions = new DriftVoter(options).options;
  console.log(`drift bench: ${runs} runs per stream, ${seedSet} seeds (base ${seedBase})`);
  console.log(`voter: ${JSON.stringify(voterOptions)}`);
  const t0 = performance.now();
  let samples = 0;

  const driftRows: string[] = [];
  const quietRows: string[] = [];
  let stepWithin30: number | undefined;
  let worstQuietDays = 0;
  for (const [si, s] of SCENARIOS.entries()) {
    if (only && !only.includes(s.key)) continue;
    const delays: Record<Name, number[]> = { pageHinkley: [], adwin: [], ks: [], vote: [] };
    const pre: Record<Name, number> = { pageHinkley: 0, adwin: 0, ks: 0, vote: 0 };
    const total: Record<Name, number> = { pageHinkley: 0, adwin: 0, ks: 0, vote: 0 };
    const runsWith: Record<Name, number> = { pageHinkley: 0, adwin: 0, ks: 0, vote: 0 };
    const daysWith: Record<Name, number> = { pageHinkley: 0, adwin: 0, ks: 0, vote: 0 };
    const days = s.minutes / DAY;
    for (let r = 0; r < runs; r++) {
      const series = generate(s, seedBase + si * 100_000 + r);
      samples += series.length;
      const found = alarms(series, options);
      for (const n of NAMES) {
        const list = found[n];
        if (s.onset !== undefined) {
          const onset = s.onset;
          if (list.some(([i]) => i < onset)) pre[n] += 1;
          const hit = list.find(([i, d]) => i >= onset && d === 'up');
          if (hit) delays[n].push(hit[0] - onset + 1);
        } else {
          total[n] += list.length;
          if (list.length > 0) runsWith[n] += 1;
          daysWith[n] += new Set(list.map(([i]) => Math.floor(i / DAY))).size;
        }
      }
    }
    for (const n of NAMES) {
      if (s.onset !== undefined) {
        const d = delays[n];
        const within30 = d.filter((x) => x <= 30).length;
        if (s.key === 'a' && n === 'vote') stepWithin30 = within30 / runs;
        driftRows.push(
          `${pad(s.label, 22)}${pad(n, 13)}${lpad(pct(d.length / runs), 9)}${lpad(pct(within30 / runs), 10)}` +
            `${lpad(num(quantile(d, 0.5)), 8)}${lpad(num(quantile(d, 0.9)), 8)}${lpad(pct(pre[n] / runs), 10)}`,
        );
      } else {
        if (n === 'vote' && !s.phiMax) worstQuietDays = Math.max(worstQuietDays, daysWith[n] / (runs * days));
        quietRows.push(
          `${pad(s.label, 22)}${pad(n, 13)}${lpad(num(total[n] / (runs * days), 4), 9)}` +
            `${lpad(pct(runsWith[n] / runs), 11)}${lpad(pct(daysWith[n] / (runs * days)), 11)}`,
        );
      }
    }
  }
  if (driftRows.length > 0) {
    console.log('\nDrift streams: detection (first up-alarm after onset), delay in minutes of changed data');
    console.log(
      `${pad('stream', 22)}${pad('detector', 13)}${lpad('detected', 9)}${lpad('<=30 min', 10)}` +
        `${lpad('median', 8)}${lpad('p90', 8)}${lpad('pre-FA', 10)}`,
    );
    for (const r of driftRows) console.log(r);
  }
  if (quietRows.length > 0) {
    console.log('\nNo-drift streams (7 days each): false alarms');
    console.log(
      `${pad('stream', 22)}${pad('detector', 13)}${lpad('FA/day', 9)}${lpad('runs w/ FA', 11)}${lpad('days w/ FA', 11)}`,
    );
    for (const r of quietRows) console.log(r);
  }
  if (stepWithin30 !== undefined) {
    console.log(`\ntarget (a) vote detects +20% step within 30 min in >= 95% of runs: ${pct(stepWithin30)}`);
  }
  if (quietRows.length > 0) {
    console.log(`target (c)(d)(e) vote share of days with a false alarm <= 1%: worst ${pct(worstQuietDays)}`);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`\n${samples.toLocaleString('en')} samples in ${secs.toFixed(1)} s`);
}

main();
