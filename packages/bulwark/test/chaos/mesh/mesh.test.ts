import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveLoad, type LoadResult } from '../../../src/chaos/executor/load.js';
import { type MeshWithExecutor, startMeshWithExecutor } from '../../../src/chaos/executor/with-mesh.js';
import { type DemoMesh, MESH_SERVICES, startDemoMesh } from '../../../src/chaos/mesh/demo-mesh.js';
import { createHttpClient } from '../../../src/chaos/mesh/http-client.js';
import type { LogEntry, RecordedSpan } from '../../../src/chaos/mesh/telemetry.js';
import type { FaultPlan } from '../../../src/chaos/space/plan.js';

const client = createHttpClient();
afterAll(() => client.destroy());

async function spansOf(services: Record<string, string>, since = 0): Promise<RecordedSpan[]> {
  const all = await Promise.all(
    Object.values(services).map(async (url) => {
      const res = await client.request(`${url}/_spans?since=${since}`);
      return (JSON.parse(res.body) as { spans: RecordedSpan[] }).spans;
    }),
  );
  return all.flat();
}

async function logsOf(services: Record<string, string>, since = 0): Promise<LogEntry[]> {
  const all = await Promise.all(
    Object.values(services).map(async (url) => {
      const res = await client.request(`${url}/_logs?since=${since}`);
      return (JSON.parse(res.body) as { logs: LogEntry[] }).logs;
    }),
  );
  return all.flat();
}

/** Groups spans by trace and checks each trace is one tree. Returns the root of each trace. */
function treesOf(spans: RecordedSpan[]): Map<string, { root: RecordedSpan; children: Map<string, RecordedSpan[]> }> {
  const byTrace = new Map<string, RecordedSpan[]>();
  for (const s of spans) byTrace.set(s.trace_id, [...(byTrace.get(s.trace_id) ?? []), s]);
  const out = new Map<string, { root: RecordedSpan; children: Map<string, RecordedSpan[]> }>();
  for (const [trace, list] of byTrace) {
    const ids = new Set(list.map((s) => s.span_id));
    const roots = list.filter((s) => s.parent_id === undefined || !ids.has(s.parent_id));
    expect(roots, `trace ${trace} has one root`).toHaveLength(1);
    const children = new Map<string, RecordedSpan[]>();
    for (const s of list)
      if (s.parent_id !== undefined) children.set(s.parent_id, [...(children.get(s.parent_id) ?? []), s]);
    out.set(trace, { root: roots[0] as RecordedSpan, children });
  }
  return out;
}

const rate = (r: LoadResult, pred: (status: string) => boolean): number =>
  Object.entries(r.status_counts).reduce((n, [k, v]) => n + (pred(k) ? v : 0), 0) / r.requests;
const is5xx = (k: string) => k === 'error' || k.startsWith('5');

describe('demo mesh (direct)', () => {
  let mesh: DemoMesh;
  beforeAll(async () => {
    mesh = await startDemoMesh({ seed: 5 });
  });
  afterAll(() => mesh.stop());

  it('serves checkouts and records one span tree per request id, rooted at the gateway', async () => {
    const since = Date.now();
    for (const sku of ['sku-1', 'sku-19']) {
      const res = await client.request(`${mesh.entry}/checkout?sku=${sku}`, {
        method: 'POST',
        headers: { 'x-request-id': `direct-${sku}` },
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ order: `direct-${sku}`, sku });
    }
    const trees = treesOf(await spansOf(mesh.services, since));
    for (const trace of ['direct-sku-1', 'direct-sku-19']) {
      const tree = trees.get(trace);
      expect(tree?.root).toMatchObject({ service: 'gateway', operation: 'POST /checkout', status: 200 });
    }
    const services = (trace: string) => {
      const tree = trees.get(trace);
      const names = new Set<string>();
      const walk = (s: RecordedSpan) => {
        names.add(s.service);
        for (const c of tree?.children.get(s.span_id) ?? []) walk(c);
      };
      if (tree) walk(tree.root);
      return names;
    };
    // sku-1 is cached; sku-19 is not and falls back to inventory's stock lookup.
    expect(services('direct-sku-1')).toEqual(new Set(MESH_SERVICES));
    const miss = [...(trees.get('direct-sku-19')?.children.values() ?? [])].flat();
    expect(
      miss
        .filter((s) => s.service === 'inventory')
        .map((s) => s.operation)
        .sort(),
    ).toEqual(['GET /stock/:sku', 'POST /reserve']);
  });

  it('filters spans and logs by since', async () => {
    const future = Date.now() + 60_000;
    expect(await spansOf(mesh.services, future)).toEqual([]);
    expect(await logsOf(mesh.services, future)).toEqual([]);
  });
});

describe('demo mesh behind fault proxies', () => {
  let lab: MeshWithExecutor;
  beforeAll(async () => {
    lab = await startMeshWithExecutor({ seed: 9 });
    // Warm connections and JIT before measuring.
    await driveLoad({
      url: lab.entryUrl,
      method: 'POST',
      rps: 20,
      durationS: 0.5,
      timeoutMs: 3000,
      requestIdPrefix: 'warm',
    });
  });
  afterAll(() => lab.stop());

  const plan = (target: string, fault: FaultPlan['fault'], percentage = 100): FaultPlan => ({
    target_service: target,
    fault,
    percentage,
    start_delay_s: 0,
    duration_s: 60,
  });

  async function under(plans: FaultPlan[], tag: string, durationS = 1.5): Promise<LoadResult> {
    for (const p of Object.values(lab.executor.proxies)) p.install(plans);
    try {
      return await driveLoad({
        url: lab.entryUrl,
        method: 'POST',
        rps: 20,
        durationS,
        timeoutMs: 3000,
        requestIdPrefix: tag,
      });
    } finally {
      for (const p of Object.values(lab.executor.proxies)) p.clear();
    }
  }

  it('routes every service-to-service call through the proxies', async () => {
    const before = Object.fromEntries(Object.entries(lab.executor.proxies).map(([n, p]) => [n, p.stats().requests]));
    const res = await client.request(`${lab.entryUrl}?sku=sku-2`, { method: 'POST' });
    expect(res.status).toBe(200);
    for (const name of MESH_SERVICES) {
      expect(lab.executor.proxies[name]?.stats().requests, name).toBeGreaterThan(before[name] ?? 0);
    }
  });

  it('timeout shorter than the retry budget: payment delay 600 ms at 100 % turns most checkouts into 504', async () => {
    const r = await under([plan('payment', { type: 'delay', delay_ms: 600 })], 'pay600');
    expect(rate(r, (k) => k === '504')).toBeGreaterThanOrEqual(0.8);
  });

  it('the same payment delay below the attempt timeout (150 ms) only slows checkouts down', async () => {
    const r = await under([plan('payment', { type: 'delay', delay_ms: 150 })], 'pay150');
    expect(rate(r, (k) => k === '200')).toBeGreaterThanOrEqual(0.8);
  });

  it('cache failure is masked by the inventory fallback: abort 100 % on cache gives ~no errors', async () => {
    const since = Date.now();
    const r = await under([plan('cache', { type: 'abort', abort_status: 503 })], 'cacheabort');
    expect(rate(r, is5xx)).toBeLessThanOrEqual(0.1);
    const logs = (await logsOf(lab.mesh.services, since)).filter((l) => l.request_id?.startsWith('cacheabort-'));
    expect(logs.some((l) => l.level === 'WARN' && /falling back to inventory/.test(l.message))).toBe(true);
    // Every successful checkout looked the stock up in inventory.
    const spans = (await spansOf(lab.mesh.services, since)).filter((s) => s.trace_id.startsWith('cacheabort-'));
    const ok = r.status_counts['200'] ?? 0;
    expect(
      spans.filter((s) => s.service === 'inventory' && s.operation === 'GET /stock/:sku').length,
    ).toBeGreaterThanOrEqual(ok);
  });

  it('cache delay is not masked (no timeout on the cache call): 1.2 s delay gives 504s', async () => {
    const r = await under([plan('cache', { type: 'delay', delay_ms: 1200 })], 'cachedelay', 1);
    expect(rate(r, (k) => k === '504')).toBeGreaterThanOrEqual(0.8);
  });

  it('retry storm: aborts on warehouse amplify its traffic by ~1/(1−p) and errors rise steeply with p', async () => {
    const attempts = async (p: number, tag: string) => {
      const inv = lab.executor.proxies.inventory?.stats().forwarded ?? 0;
      const wh = lab.executor.proxies.warehouse?.stats().requests ?? 0;
      const r = await under([plan('warehouse', { type: 'abort', abort_status: 503 }, p * 100)], tag);
      const invCalls = (lab.executor.proxies.inventory?.stats().forwarded ?? 0) - inv;
      const whCalls = (lab.executor.proxies.warehouse?.stats().requests ?? 0) - wh;
      return { r, amplification: whCalls / invCalls };
    };
    const low = await attempts(0.2, 'storm20');
    const mid = await attempts(0.6, 'storm60');
    const high = await attempts(0.9, 'storm90');
    // Expected 1/(1−p) truncated at 5 attempts: 1.25, 2.42, 4.1.
    expect(low.amplification).toBeLessThan(1.6);
    expect(mid.amplification).toBeGreaterThan(low.amplification);
    expect(high.amplification).toBeGreaterThan(Math.max(3, mid.amplification));
    expect(rate(low.r, is5xx)).toBeLessThanOrEqual(0.1);
    // p⁵ = 0.59 per inventory call; every order makes at least one.
    expect(rate(high.r, is5xx)).toBeGreaterThanOrEqual(0.4);
  });

  it('records payment retries as repeated children of the checkout span', async () => {
    const since = Date.now();
    const res = await client.request(`${lab.entryUrl}?sku=sku-3`, {
      method: 'POST',
      headers: { 'x-request-id': 'retry-trace' },
    });
    expect(res.status).toBe(200);
    for (const p of Object.values(lab.executor.proxies))
      p.install([plan('payment', { type: 'abort', abort_status: 503 })]);
    let failed: number;
    try {
      failed = (
        await client.request(`${lab.entryUrl}?sku=sku-3`, {
          method: 'POST',
          headers: { 'x-request-id': 'retry-trace-2' },
        })
      ).status;
    } finally {
      for (const p of Object.values(lab.executor.proxies)) p.clear();
    }
    expect(failed).toBe(502);
    const spans = [
      ...(await spansOf(lab.mesh.services, since)),
      ...Object.values(lab.executor.proxies).flatMap((p) => p.spans(since)),
    ].filter((s) => s.trace_id === 'retry-trace-2');
    const tree = treesOf(spans).get('retry-trace-2');
    expect(tree?.root).toMatchObject({ service: 'gateway', operation: 'proxy' });
    const checkout = spans.find((s) => s.service === 'checkout' && s.operation === 'POST /orders');
    const paymentCalls = (tree?.children.get(checkout?.span_id ?? '') ?? []).filter((s) => s.service === 'payment');
    expect(paymentCalls).toHaveLength(3);
    expect(paymentCalls.every((s) => s.operation === 'proxy' && s.status === 503)).toBe(true);
  });
});
