import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { App } from '../../src/app.js';
import { parseOpenSlo } from '../../src/slo/alerts/openslo.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';
import { prometheusAvailable, startBackfilledPrometheus } from '../support/prometheus.js';

const run = promisify(execFile);

describe.each(DRIVERS)('SLO alert rules and OpenSLO import over the API on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  let dir: string;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db);
    dir = mkdtempSync(join(tmpdir(), 'bulwark-alerts-'));
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/dependencies',
      payload: {
        source: 'manual',
        nodes: [{ service_id: 'checkout' }, { service_id: 'search' }, { service_id: 'orders' }],
        edges: [],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const slo = await app.server.inject({
      method: 'POST',
      url: '/api/v1/services/checkout/slos',
      payload: {
        action: 'manual',
        modifications: { availability_target: 99.9, latency_p99_target_ms: 300 },
        rationale: 'agreed with the product owner',
      },
    });
    expect(slo.statusCode, slo.body).toBeLessThan(300);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const alerts = (service: string, query = '') =>
    app.server.inject({ method: 'GET', url: `/api/v1/services/${service}/slos/alerts${query}` });

  it.runIf(prometheusAvailable())('serves Prometheus rules for the active SLO that promtool accepts', async () => {
    for (const query of ['', '?period=28d&min_events_per_hour=60']) {
      const res = await alerts('checkout', query);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/yaml/);
      const file = join(dir, `rules${query.length}.yml`);
      writeFileSync(file, res.body);
      const { stdout } = await run('/usr/bin/promtool', ['check', 'rules', file]);
      expect(stdout).toMatch(/SUCCESS/);
      const names = (parse(res.body) as { groups: Array<{ rules: Array<{ record?: string; alert?: string }> }> }).groups
        .flatMap((g) => g.rules)
        .map((r) => r.record ?? r.alert);
      expect(names).toEqual(expect.arrayContaining(['slo:sli_error:ratio_rate5m', 'slo:error_budget:ratio']));
    }
  });

  it('exports OpenSLO that parses back to the same objectives, and a Sloth spec', async () => {
    const res = await alerts('checkout', '?format=openslo');
    expect(res.statusCode, res.body).toBe(200);
    const defs = parseOpenSlo(res.body);
    expect(defs[0]?.service).toBe('checkout');
    expect(defs[0]?.objectives.map((o) => o.target).sort()).toEqual([99, 99.9]);
    const sloth = await alerts('checkout', '?format=sloth');
    expect(sloth.body).toMatch(/version: "?prometheus\/v1"?/);
  });

  it('imports OpenSLO as manual SLOs, all or nothing', async () => {
    const exported = (await alerts('checkout', '?format=openslo')).body;
    const forSearch = exported.replaceAll('checkout', 'search');
    const ok = await app.server.inject({ method: 'POST', url: '/api/v1/slos/import', payload: { openslo: forSearch } });
    expect(ok.statusCode, ok.body).toBe(200);
    const active = (await app.server.inject({ method: 'GET', url: '/api/v1/services/search/slos' })).json() as {
      active: { targets: Record<string, number>; source: string };
    };
    expect(active.active).toMatchObject({ source: 'manual', targets: { availability: 99.9, latency_p99_ms: 300 } });

    // One unknown service in the batch: nothing is written.
    const mixed = `${exported.replaceAll('checkout', 'orders')}\n---\n${exported.replaceAll('checkout', 'nope')}`;
    const bad = expectProblem(
      await app.server.inject({ method: 'POST', url: '/api/v1/slos/import', payload: { openslo: mixed } }),
      404,
    );
    expect(String(bad.detail)).toMatch(/nope.*nothing was imported/);
    const orders = (await app.server.inject({ method: 'GET', url: '/api/v1/services/orders/slos' })).json() as {
      active: unknown;
    };
    expect(orders.active).toBeNull();
    expectProblem(
      await app.server.inject({ method: 'POST', url: '/api/v1/slos/import', payload: { openslo: 'kind: [' } }),
      400,
    );
  });

  it('answers 404 with a next step when the service has no active SLO', async () => {
    const p = expectProblem(await alerts('orders'), 404);
    expect(String(p.detail)).toMatch(/accept a recommendation/);
  });
});

/**
 * The generated rules loaded into a real Prometheus over backfilled data: three hours of traffic
 * ending now, the last 40 minutes at 20% errors. The fast-burn page alert must fire.
 */
describe.runIf(prometheusAvailable())('generated burn-rate rules in a real Prometheus', () => {
  it('fires the page alert on an injected outage', async () => {
    const db = await openTestDatabase('pglite');
    const app = await testApp(db);
    try {
      await app.server.inject({
        method: 'POST',
        url: '/api/v1/services/dependencies',
        payload: { source: 'manual', nodes: [{ service_id: 'checkout' }], edges: [] },
      });
      await app.server.inject({
        method: 'POST',
        url: '/api/v1/services/checkout/slos',
        payload: { action: 'manual', modifications: { availability_target: 99.9 }, rationale: 'test' },
      });
      const rules = (await app.server.inject({ method: 'GET', url: '/api/v1/services/checkout/slos/alerts' })).body;
      const now = Math.floor(Date.now() / 1000);
      const lines = ['# TYPE http_requests counter'];
      for (const code of ['200', '500']) {
        let v = 0;
        for (let t = now - 3 * 3600; t <= now; t += 15) {
          lines.push(`http_requests_total{service="checkout",code="${code}"} ${v} ${t}`);
          const outage = t >= now - 40 * 60;
          const errors = outage ? 20 : 0;
          v += code === '500' ? errors : 100 - errors;
        }
      }
      const prom = await startBackfilledPrometheus(`${lines.join('\n')}\n# EOF\n`, { rules });
      try {
        let firing: Array<{ labels: Record<string, string>; state: string }> = [];
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const res = (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as {
            data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
          };
          firing = res.data.alerts.filter((a) => a.state === 'firing');
          if (firing.some((a) => /page/i.test(JSON.stringify(a.labels)))) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        expect(firing.some((a) => /page/i.test(JSON.stringify(a.labels)))).toBe(true);
      } finally {
        await prom.stop();
      }
    } finally {
      await app.close();
      await db.close();
    }
  }, 120_000);
});
