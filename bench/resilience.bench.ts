/**
 * Per-call overhead of a retry + circuit breaker + timeout wrap around a resolved promise, and of
 * a failing call, for @bulwark/resilience, cockatiel 3.2.1 and opossum 9.0.0 in the same run;
 * plus heap growth over 10^6 calls. Overhead = time per call through the policies minus the bare
 * call. Run: npx tsx bench/resilience.bench.ts   (or: npm run bench -- resilience)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CircuitBreaker as BwBreaker,
  consecutiveFailures,
  retry as bwRetry,
  timeout as bwTimeout,
  wrap as bwWrap,
} from '@bulwark/resilience';
import * as cockatiel from 'cockatiel';
import Opossum from 'opossum';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = Number(process.env.BENCH_CALLS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Call = () => Promise<unknown>;

async function timePerCall(call: Call, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    try {
      await call();
    } catch {
      // failing-path benchmark
    }
  }
  return Number(process.hrtime.bigint() - start) / n; // ns per call
}

async function median(call: Call): Promise<number> {
  await timePerCall(call, Math.min(N, 20_000)); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) samples.push(await timePerCall(call, N));
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

const ok = () => Promise.resolve(1);
const boom = new Error('boom');
const fail = () => Promise.reject(boom);

function bulwark(fn: () => Promise<unknown>): Call {
  const policy = bwWrap(
    bwRetry({ maxAttempts: 3 }),
    new BwBreaker({ policy: consecutiveFailures(Number.MAX_SAFE_INTEGER) }),
    bwTimeout(1000),
  );
  return () => policy.execute(fn);
}

function bulwarkFailing(fn: () => Promise<unknown>): Call {
  // Permanent failures: the retry gives up at once, as cockatiel's does with maxAttempts 0.
  const policy = bwWrap(
    bwRetry({ maxAttempts: 1 }),
    new BwBreaker({ policy: consecutiveFailures(Number.MAX_SAFE_INTEGER) }),
    bwTimeout(1000),
  );
  return () => policy.execute(fn);
}

function bulwarkNoRetry(fn: () => Promise<unknown>): Call {
  // opossum's policy set: breaker + timeout, no retry (for the like-for-like line under the table).
  const policy = bwWrap(new BwBreaker({ policy: consecutiveFailures(Number.MAX_SAFE_INTEGER) }), bwTimeout(1000));
  return () => policy.execute(fn);
}

function cockatielCall(fn: () => Promise<unknown>, attempts: number): Call {
  const policy = cockatiel.wrap(
    cockatiel.retry(cockatiel.handleAll, { maxAttempts: attempts }),
    cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: 30_000,
      breaker: new cockatiel.ConsecutiveBreaker(Number.MAX_SAFE_INTEGER),
    }),
    cockatiel.timeout(1000, cockatiel.TimeoutStrategy.Cooperative),
  );
  return () => policy.execute(fn);
}

function opossumCall(fn: () => Promise<unknown>): Call {
  // opossum has no retry; its breaker includes the timeout.
  const breaker = new Opossum(fn, {
    timeout: 1000,
    errorThresholdPercentage: 100,
    volumeThreshold: Number.MAX_SAFE_INTEGER,
  });
  breaker.on('failure', () => {});
  return () => breaker.fire();
}

async function heapGrowth(call: Call, calls = 1_000_000): Promise<number> {
  await timePerCall(call, 50_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  await timePerCall(call, calls);
  gc();
  return process.memoryUsage().heapUsed - before;
}

const fmt = (ns: number) => `${(ns / 1000).toFixed(3)} µs`;

async function main() {
  console.log(`node ${process.version}, ${N} calls x ${ROUNDS} rounds (median), overhead = policy - bare call\n`);
  const bareOk = await median(ok);
  const bareFail = await median(fail);

  const rows: Array<{ name: string; success: number; failure: number }> = [];
  const measure = async (name: string, success: Call, failure: Call) => {
    const row = { name, success: (await median(success)) - bareOk, failure: (await median(failure)) - bareFail };
    console.error(`measured ${name}: success ${fmt(row.success)}, failure ${fmt(row.failure)}`);
    rows.push(row);
  };
  await measure('@bulwark/resilience', bulwark(ok), bulwarkFailing(fail));
  await measure('cockatiel 3.2.1', cockatielCall(ok, 3), cockatielCall(fail, 0));
  // opossum's failure path gets slower with every failure a breaker has seen (47 µs/call after
  // 1,000 failures, 139 µs after 4,000 here), so it is measured on fresh breakers of 2,000 calls.
  const opFailure: number[] = [];
  for (let r = 0; r < ROUNDS; r++) opFailure.push(await timePerCall(opossumCall(fail), 2_000));
  opFailure.sort((a, b) => a - b);
  const opRow = {
    name: 'opossum 9.0.0',
    success: (await median(opossumCall(ok))) - bareOk,
    failure: (opFailure[Math.floor(ROUNDS / 2)] as number) - bareFail,
  };
  console.error(
    `measured ${opRow.name}: success ${fmt(opRow.success)}, failure ${fmt(opRow.failure)} (2,000-call breakers)`,
  );
  rows.push(opRow);

  const fastestSuccess = Math.min(...rows.slice(1).map((r) => r.success));
  const fastestFailure = Math.min(...rows.slice(1).map((r) => r.failure));
  console.log('| library | success overhead | failing-call overhead |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.success)} | ${fmt(r.failure)} |`);
  const bw = rows[0] as { success: number; failure: number };
  console.log(
    `\nratio Bulwark / faster of the two anchors: success ${(bw.success / fastestSuccess).toFixed(2)}x, failure ${(bw.failure / fastestFailure).toFixed(2)}x (target <= 1.00x)`,
  );

  const like = {
    success: (await median(bulwarkNoRetry(ok))) - bareOk,
    failure: (await median(bulwarkNoRetry(fail))) - bareFail,
  };
  console.log(
    `like-for-like with opossum (breaker + timeout, no retry): Bulwark success ${fmt(like.success)}, failure ${fmt(like.failure)}`,
  );

  const growth = await heapGrowth(bulwark(ok));
  console.log(`heap growth over 10^6 successful calls through the Bulwark wrap: ${(growth / 1024).toFixed(0)} KiB`);
}

await main();
