/**
 * SLO engine graph benchmarks (the recommendation and load parts come with the recommender):
 * - ingest 1,000 services / 10,000 edges in one batch (target < 1 s; TRD 30 s);
 * - 3-hop downstream traversal on 5,000 services / 50,000 edges, p95 over 200 random services
 *   (target < 10 ms; TRD 100 ms).
 * On the embedded database always, and on PostgreSQL when DATABASE_URL is set.
 * Run: npx tsx bench/slo.bench.ts   (or npm run bench -- slo)
 */
import { seededRandom } from '@bulwark/resilience';
import { migrate } from '../packages/bulwark/src/db/migrate.js';
import { openPglite } from '../packages/bulwark/src/db/pglite.js';
import { openPostgres } from '../packages/bulwark/src/db/postgres.js';
import type { Database } from '../packages/bulwark/src/db/types.js';
import { generateTopology } from '../packages/bulwark/src/demo/topology.js';
import {
  createGraphIndexCache,
  ingestGraph,
  traverse,
  type IngestRequest,
} from '../packages/bulwark/src/slo/graph/store.js';

/** The generated estate, densified with extra downward edges to the requested edge count. */
function estate(services: number, edges: number, seed: number): IngestRequest {
  const t = generateTopology({ services, seed });
  const rand = seededRandom(seed + 1);
  const ids = t.nodes.map((n) => n.service_id);
  const seen = new Set(t.edges.map((e) => `${e.source}>${e.target}`));
  while (t.edges.length < edges) {
    const i = Math.floor(rand() * (ids.length - 1));
    const j = i + 1 + Math.floor(rand() * Math.min(200, ids.length - i - 1));
    const key = `${ids[i]}>${ids[j]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    t.edges.push({
      source: ids[i] as string,
      target: ids[j] as string,
      attributes: { criticality: rand() < 0.8 ? 'hard' : 'soft' },
    });
  }
  return t;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function run(label: string, open: () => Promise<{ db: Database; cleanup: () => Promise<void> }>) {
  {
    const { db, cleanup } = await open();
    const batch = estate(1000, 10_000, 1);
    const t0 = performance.now();
    await ingestGraph(db, batch);
    const ms = performance.now() - t0;
    console.log(
      `${label}: ingest 1,000 services / ${batch.edges.length} edges: ${ms.toFixed(0)} ms (target < 1,000 ms; ratio ${(ms / 1000).toFixed(2)})`,
    );
    await cleanup();
  }
  {
    const { db, cleanup } = await open();
    const batch = estate(5000, 50_000, 2);
    const t0 = performance.now();
    await ingestGraph(db, batch);
    console.log(
      `${label}: ingest 5,000 services / ${batch.edges.length} edges: ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const rand = seededRandom(3);
    const samples: number[] = [];
    for (let i = 0; i < 220; i++) {
      const service = batch.nodes[Math.floor(rand() * batch.nodes.length * 0.5)]?.service_id as string;
      const s = performance.now();
      await traverse(db, { service, direction: 'downstream', depth: 3, includeExternal: true });
      if (i >= 20) samples.push(performance.now() - s);
    }
    const p50 = percentile(samples, 50);
    const p95 = percentile(samples, 95);
    console.log(
      `${label}: 3-hop traversal, recursive CTE: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (target p95 < 10 ms; ratio ${(p95 / 10).toFixed(2)})`,
    );
    // The API's path: the in-memory index (version check + hash walks).
    const cache = createGraphIndexCache(db);
    const b0 = performance.now();
    await cache.get();
    const buildMs = performance.now() - b0;
    const indexed: number[] = [];
    for (let i = 0; i < 220; i++) {
      const service = batch.nodes[Math.floor(rand() * batch.nodes.length * 0.5)]?.service_id as string;
      const s = performance.now();
      (await cache.get()).traverse(service, 'downstream', 3);
      if (i >= 20) indexed.push(performance.now() - s);
    }
    const ip95 = percentile(indexed, 95);
    console.log(
      `${label}: 3-hop traversal, in-memory index (incl. version check): p50 ${percentile(indexed, 50).toFixed(2)} ms, p95 ${ip95.toFixed(2)} ms (target < 10 ms; ratio ${(ip95 / 10).toFixed(2)}); index build ${buildMs.toFixed(0)} ms`,
    );
    await cleanup();
  }
}

console.log(`slo graph benchmark: node ${process.version}\n`);
await run('pglite', async () => {
  const db = await openPglite(':memory:');
  await migrate(db);
  return { db, cleanup: () => db.close() };
});
if (process.env.DATABASE_URL) {
  let n = 0;
  await run('postgres', async () => {
    const namespace = `bench_slo_${process.pid}_${n++}`;
    const db = await openPostgres({ url: process.env.DATABASE_URL as string, namespace });
    await migrate(db);
    return {
      db,
      cleanup: async () => {
        await db.script(`drop schema ${namespace} cascade`);
        await db.close();
      },
    };
  });
}
