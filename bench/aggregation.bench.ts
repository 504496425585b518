/**
 * Hourly SLI aggregation for 5,000 services against a real Prometheus (the TRD's floor: 5,000
 * services within 30 minutes). Backfills 48 h of hourly counters for 5,000 services with promtool,
 * starts Prometheus on a free port, runs `runAggregation` (two `sum by (service)` queries per window
 * for all services, one transaction of 75,000 rows) on the embedded database and, with
 * DATABASE_URL, on PostgreSQL, and prints the duration and rate.
 * Run: npx tsx bench/aggregation.bench.ts      (BENCH_SERVICES=5000)
 */
import { migrate } from '../packages/bulwark/src/db/migrate.js';
import { openPglite } from '../packages/bulwark/src/db/pglite.js';
import { openPostgres } from '../packages/bulwark/src/db/postgres.js';
import type { Database } from '../packages/bulwark/src/db/types.js';
import { runAggregation } from '../packages/bulwark/src/slo/aggregation/job.js';
import { ingestGraph } from '../packages/bulwark/src/slo/graph/store.js';
import { PrometheusSource } from '../packages/bulwark/src/telemetry/prometheus.js';
import { startBackfilledPrometheus } from '../packages/bulwark/test/support/prometheus.js';

const N = Number(process.env.BENCH_SERVICES ?? 5000);
const HOUR = 3600;
const end = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
const services = Array.from({ length: N }, (_, i) => `svc-${i}`);

const lines = ['# TYPE http_requests counter'];
for (const s of services) {
  for (const code of ['200', '500']) {
    let v = 0;
    for (let t = end - 48 * HOUR; t <= end; t += HOUR) {
      lines.push(`http_requests_total{service="${s}",code="${code}"} ${v} ${t}`);
      v += code === '500' ? 3 : 3600;
    }
  }
}
const t0 = performance.now();
const prom = await startBackfilledPrometheus(`${lines.join('\n')}\n# EOF\n`);
console.log(`backfill + start of Prometheus with ${N} services: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

async function measure(label: string, db: Database) {
  await migrate(db);
  await ingestGraph(db, { source: 'manual', nodes: services.map((service_id) => ({ service_id })), edges: [] });
  const source = new PrometheusSource({ baseUrl: prom.url, retries: 0, timeoutMs: 60_000 });
  const r = await runAggregation(db, source, { now: new Date(end * 1000) });
  console.log(
    `${label}: aggregated ${r.services} services (${r.rows} rows) in ${(r.duration_ms / 1000).toFixed(2)} s = ${(r.services / (r.duration_ms / 1000)).toFixed(0)} services/s (floor: 5,000 in 1,800 s = 2.8 services/s)`,
  );
}

try {
  const pglite = await openPglite(':memory:');
  await measure('pglite', pglite);
  await pglite.close();
  if (process.env.DATABASE_URL) {
    const namespace = `bench_agg_${process.pid}`;
    const pg = await openPostgres({ url: process.env.DATABASE_URL, namespace });
    try {
      await measure('postgres', pg);
    } finally {
      await pg.script(`drop schema ${namespace} cascade`);
      await pg.close();
    }
  }
} finally {
  await prom.stop();
}
