/**
 * Server memory with 5,000 services loaded: `bulwark serve` in its own process (tsx, TypeScript
 * sources), the 5,000 / 50,000 estate ingested over HTTP, 100 recommendations served from
 * synthetic telemetry, then the server's VmRSS from /proc. On PostgreSQL (DATABASE_URL) the database
 * is another process; without it the embedded PGlite heap is inside the server.
 * Run: npx tsx bench/slo-rss.bench.ts     (add DATABASE_URL for the PostgreSQL row)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { seededRandom } from '@bulwark/resilience';
import { generateTopology } from '../packages/bulwark/src/demo/topology.js';
import { freePort } from '../packages/bulwark/test/support/prometheus.js';
import { spawnBulwark } from '../packages/bulwark/test/support/spawn.js';

const port = await freePort();
const schema = `bench_rss_${process.pid}`;
// BENCH_DIST=1: the built server (`npm run build`), as deployed; default: TypeScript sources via tsx.
const args = ['serve', '--port', String(port)];
const env: Record<string, string> = {
  BULWARK_AUTH: 'disabled',
  BULWARK_RATE_LIMIT: 'off',
  BULWARK_TELEMETRY: 'synthetic',
  BULWARK_SLO_JOBS: 'off',
  BULWARK_DATA_DIR: ':memory:',
  BULWARK_BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
  BULWARK_DB_SCHEMA: process.env.DATABASE_URL ? schema : 'public',
  LOG_LEVEL: 'silent',
};
const child =
  process.env.BENCH_DIST === '1'
    ? spawn(process.execPath, ['packages/bulwark/dist/main.js', ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawnBulwark(args, { env });
const base = `http://127.0.0.1:${port}`;
const rss = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {}
    if (i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`idle server: ${rss().toFixed(0)} MiB`);
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
  const res = await fetch(`${base}/api/v1/services/dependencies`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(t),
  });
  if (!res.ok) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
  for (let i = 0; i < 100; i++) {
    const id = ids[Math.floor(rand() * ids.length)] as string;
    const r = await fetch(`${base}/api/v1/services/${id}/slo-recommendations`);
    if (!r.ok) throw new Error(`recommendation failed: ${r.status}`);
    await r.arrayBuffer();
  }
  console.log(
    `${process.env.DATABASE_URL ? 'postgres' : 'pglite'}${process.env.BENCH_DIST === '1' ? ' (built)' : ' (tsx)'}: server RSS with 5,000 services / 50,000 edges loaded and 100 recommendations served: ${rss().toFixed(0)} MiB (target < 512 MiB)`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  if (process.env.DATABASE_URL) {
    const pg = await import('pg');
    const c = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  }
}
