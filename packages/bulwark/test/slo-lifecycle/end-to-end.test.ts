import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { runDriftWatch } from '../../src/slo/drift-watch/job.js';
import { SyntheticSource } from '../../src/telemetry/synthetic.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { GeneratedLatency } from '../support/latency.js';
import { prometheusAvailable } from '../support/prometheus.js';

/**
 * The SLO lifecycle end to end: ingest → recommend → accept → impact analysis → alert rules
 * (promtool) → drift (p99 steps +30% on the accepted service) → the recommendation is stale and the
 * next request regenerates it → the history shows the accept and the drift.
 */
const MIN = 60_000;
const now = new Date(Math.floor(Date.now() / MIN) * MIN);

describe.each(DRIVERS)('SLO lifecycle end to end on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  let dir: string;
  const telemetry = new GeneratedLatency(
    new Map([['checkout', now.getTime() - 90 * MIN]]),
    new SyntheticSource({ seed: 3 }),
  );
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db, {}, { telemetry });
    dir = mkdtempSync(join(tmpdir(), 'bulwark-e2e-'));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    app.server.inject({ method, url, ...(payload ? { payload } : {}) });

  it('runs the whole chain', async () => {
    // ingest
    const ingest = await call('POST', '/api/v1/services/dependencies', {
      source: 'manual',
      nodes: [{ service_id: 'gateway' }, { service_id: 'checkout' }, { service_id: 'payment' }],
      edges: [
        { source: 'gateway', target: 'checkout', attributes: { criticality: 'hard' } },
        { source: 'checkout', target: 'payment', attributes: { criticality: 'hard' } },
      ],
    });
    expect(ingest.statusCode, ingest.body).toBe(200);

    // recommend
    const rec = await call('GET', '/api/v1/services/checkout/slo-recommendations');
    expect(rec.statusCode, rec.body).toBe(200);
    const recs = rec.json() as {
      recommendations: Array<{
        recommendation_id: string;
        sli_type: string;
        tiers: Record<string, { target?: number }>;
      }>;
    };
    const avail = recs.recommendations.find((r) => r.sli_type === 'availability');
    const balanced = avail?.tiers.balanced?.target as number;

    // accept
    const accept = await call('POST', '/api/v1/services/checkout/slos', {
      action: 'accept',
      recommendation_id: avail?.recommendation_id,
      selected_tier: 'balanced',
    });
    expect(accept.statusCode, accept.body).toBeLessThan(300);

    // impact: payment down to 99% drops checkout's bound below its new SLO
    const impact = await call('POST', '/api/v1/slos/impact-analysis', {
      service_id: 'payment',
      proposed_change: { sli_type: 'availability', current_target: 99.99, proposed_target: 99 },
    });
    expect(impact.statusCode, impact.body).toBe(200);
    const affected = (
      impact.json() as { impacted_services: Array<{ service_id: string; slo_at_risk: boolean | null }> }
    ).impacted_services;
    expect(affected.find((s) => s.service_id === 'checkout')?.slo_at_risk).toBe(balanced > 99);

    // alerts
    const rules = await call('GET', '/api/v1/services/checkout/slos/alerts?min_events_per_hour=10');
    expect(rules.statusCode, rules.body).toBe(200);
    if (prometheusAvailable()) {
      const file = join(dir, 'rules.yml');
      writeFileSync(file, rules.body);
      const { stdout } = await promisify(execFile)('/usr/bin/promtool', ['check', 'rules', file]);
      expect(stdout).toMatch(/SUCCESS/);
    }

    // drift
    const drift = await runDriftWatch(db, telemetry, { now });
    expect(drift.events.map((e) => e.service_id)).toEqual(['checkout']);

    const events = (await call('GET', '/api/v1/services/checkout/drift-events')).json() as {
      items: Array<{ direction: string; stale_recommendations: string[] }>;
    };
    expect(events.items).toHaveLength(1);
    expect(events.items[0]?.direction).toBe('up');
    expect(events.items[0]?.stale_recommendations.length).toBeGreaterThan(0);

    // the stale recommendation is regenerated on the next request
    const again = await call('GET', '/api/v1/services/checkout/slo-recommendations?sli_type=availability');
    const fresh = again.json() as { cached: boolean; recommendations: Array<{ recommendation_id: string }> };
    expect(fresh.cached).toBe(false);
    expect(fresh.recommendations[0]?.recommendation_id).not.toBe(avail?.recommendation_id);

    // history: accept, then the drift
    const history = (await call('GET', '/api/v1/services/checkout/slo-history')).json() as {
      items: Array<{ action: string; actor: string }>;
    };
    expect(history.items.map((h) => h.action)).toEqual(['drift_triggered', 'accept']);
  });
});
