/**
 * Server memory with 5,000 services loaded: `bulwark serve` in its own process, the 5,000 / 50,000
 * estate ingested over HTTP, 100 recommendations served from synthetic telemetry, then the
 * server's VmRSS (and its peak, VmHWM) from /proc. On PostgreSQL (DATABASE_URL) the database is
 * another process; without it the embedded PGlite instance lives inside the server, measured in
 * two configurations: its data directory on disk (the default, `BULWARK_DATA_DIR`; here a fresh
 * temporary directory) and ':memory:' (everything, data files included, in the server's memory).
 * Run: npx tsx bench/slo-rss.bench.ts     (add DATABASE_URL for the PostgreSQL row;
 *      BENCH_DIST=1 after `npm run build` for the built server, as deployed)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@bulwark/resilience';
import { generateTopology } from '../packages/bulwark/src/demo/topology.js';
import { freePort } from '../packages/bulwark/test/support/prometheus.js';
import { spawnBulwark } from '../packages/bulwark/test/support/spawn.js';

const built = process.env.BENCH_DIST === '1';
const pg = process.env.DATABASE_URL;

function estate() {
  const t = generateTopology({ services: 5000, seed: 2 });
  const rand = seededRandom(3);
  const ids = t.nodes.map((n) => n.service_id);
  const seen = new Set(t.edges.map((e) => `${e.source}>${e.target}`));
  while (t.edges.length < 50_000) {
    const i = Math.floor(rand() * (ids.length - 1));
    const j = i + 1 + Math.floor(rand() * Math.min(200, ids.length - i - 1));
    const key = `${ids[i]}>${ids[j]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    t.edges.push({ source: ids[i] as string, target: ids[j] as string, attributes: { criticality: 'hard' } });
  }
  return t;
}

/** VmRSS, VmHWM (peak), RssAnon and RssFile of a process, MiB. */
function memory(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

const mib = (n: number) => n.toFixed(0);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function measure(label: string, dataDir: string, body: string, ids: string[]) {
  const port = await freePort();
  const schema = `bench_rss_${process.pid}`;
  const args = ['serve', '--port', String(port)];
  const env: Record<string, string> = {
    BULWARK_AUTH: 'disabled',
    BULWARK_RATE_LIMIT: 'off',
    BULWARK_TELEMETRY: 'synthetic',
    BULWARK_SLO_JOBS: 'off',
    BULWARK_DATA_DIR: dataDir,
    BULWARK_BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
    BULWARK_DB_SCHEMA: pg ? schema : 'public',
    LOG_LEVEL: 'silent',
  };
  const child: ChildProcess = built
    ? spawn(process.execPath, ['packages/bulwark/dist/main.js', ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawnBulwark(args, { env });
  const pid = child.pid as number;
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/api/v1/health`)).ok) break;
      } catch {}
      if (i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const idle = memory(pid);
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/services/dependencies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (!res.ok) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
    const ingestMs = performance.now() - t0;
    const ingested = memory(pid);
    const rand = seededRandom(3);
    for (let i = 0; i < 100; i++) {
      const id = ids[Math.floor(rand() * ids.length)] as string;
      const r = await fetch(`${base}/api/v1/services/${id}/slo-recommendations`);
      if (!r.ok) throw new Error(`recommendation failed: ${r.status}`);
      await r.arrayBuffer();
    }
    const served = memory(pid);
    console.log(
      `${label}${built ? ' (built)' : ' (tsx)'}: server RSS with 5,000 services / 50,000 edges loaded and 100 recommendations served: ${mib(served.rss)} MiB (target < 512 MiB; ratio ${(served.rss / 512).toFixed(2)}); idle ${mib(idle.rss)}, after ingestion ${mib(ingested.rss)} (ingestion ${(ingestMs / 1000).toFixed(1)} s), peak ${mib(served.peak)}; at the end anonymous ${mib(served.anon)} + file-backed ${mib(served.file)} MiB; load ${load()}`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (pg) {
      const { default: pgLib } = await import('pg');
      const c = new pgLib.Client({ connectionString: pg });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  }
}

const t = estate();
const body = JSON.stringify(t);
const ids = t.nodes.map((n) => n.service_id);
if (pg) {
  await measure('postgres', ':memory:', body, ids);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-rss-'));
  try {
    await measure('pglite, data directory on disk (default)', join(dir, 'data'), body, ids);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await measure("pglite, ':memory:'", ':memory:', body, ids);
}
