import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_HEADER, type FaultProxy, startFaultProxy } from '../../../src/chaos/executor/proxy.js';
import { createHttpClient } from '../../../src/chaos/mesh/http-client.js';
import { closeServer } from '../../../src/chaos/mesh/service.js';
import type { FaultPlan } from '../../../src/chaos/space/plan.js';

interface Echo {
  method: string;
  url: string;
  body: string;
  headers: IncomingHttpHeaders;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Echo[] = [];
const proxies: FaultProxy[] = [];
const client = createHttpClient();

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      };
      seen.push(echo);
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.writeHead(status, { 'content-type': 'application/json', 'x-upstream': 'yes', 'proxy-authenticate': 'Basic' });
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  seen.length = 0;
});

afterAll(async () => {
  client.destroy();
  await closeServer(upstream);
});

async function proxy(options: { seed?: number; now?: () => number; service?: string } = {}): Promise<FaultProxy> {
  const p = await startFaultProxy({
    target: upstreamUrl,
    service: options.service ?? 'payment',
    seed: options.seed ?? 7,
    ...(options.now ? { now: options.now } : {}),
  });
  proxies.push(p);
  return p;
}

function plan(fault: FaultPlan['fault'], extra: Partial<FaultPlan> = {}): FaultPlan {
  return { target_service: 'payment', fault, percentage: 100, start_delay_s: 0, duration_s: 60, ...extra };
}

describe('fault proxy: forwarding', () => {
  it('forwards method, path, query, body and status, and passes response headers back', async () => {
    const p = await proxy();
    const res = await client.request(`${p.url}/orders/42?status=201&x=1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-custom': 'abc' },
      body: '{"hello":"world"}',
    });
    expect(res.status).toBe(201);
    expect(res.headers['x-upstream']).toBe('yes');
    const echo = JSON.parse(res.body) as Echo;
    expect(echo).toMatchObject({ method: 'PUT', url: '/orders/42?status=201&x=1', body: '{"hello":"world"}' });
    expect(echo.headers['x-custom']).toBe('abc');
    expect(echo.headers['content-type']).toBe('application/json');
    expect(p.stats()).toMatchObject({ requests: 1, forwarded: 1, aborted: 0 });
  });

  it('streams a large body both ways unchanged', async () => {
    const p = await proxy();
    const big = 'x'.repeat(300_000);
    const res = await client.request(`${p.url}/upload`, { method: 'POST', body: big });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as Echo).body).toBe(big);
  });

  it('drops hop-by-hop headers, including those named in Connection', async () => {
    const p = await proxy();
    const res = await client.request(`${p.url}/h`, {
      headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret', te: 'trailers', 'x-end': 'kept' },
    });
    const echo = JSON.parse(res.body) as Echo;
    expect(echo.headers['x-hop']).toBeUndefined();
    expect(echo.headers.te).toBeUndefined();
    expect(echo.headers['x-end']).toBe('kept');
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers['proxy-authenticate']).toBeUndefined();
  });

  it('adds an x-request-id when missing, keeps an existing one, and records a span that parents the callee', async () => {
    const p = await proxy({ service: 'payment' });
    const first = JSON.parse((await client.request(`${p.url}/a`)).body) as Echo;
    expect(first.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const second = JSON.parse(
      (await client.request(`${p.url}/b`, { headers: { 'x-request-id': 'req-1', 'x-bulwark-span': 'caller-span' } }))
        .body,
    ) as Echo;
    expect(second.headers['x-request-id']).toBe('req-1');
    const spans = p.spans();
    const span = spans.find((s) => s.trace_id === 'req-1');
    expect(span).toMatchObject({ service: 'payment', operation: 'proxy', status: 200, parent_id: 'caller-span' });
    expect(second.headers['x-bulwark-span']).toBe(span?.span_id);
    expect(span?.attributes).toMatchObject({ fault: 'none', method: 'GET', path: '/b' });
  });

  it('answers 502 when the target is down', async () => {
    const dead = await startFaultProxy({ target: 'http://127.0.0.1:1', service: 'payment' });
    proxies.push(dead);
    const res = await client.request(`${dead.url}/x`);
    expect(res.status).toBe(502);
    expect(dead.stats().upstreamErrors).toBe(1);
  });
});

describe('fault proxy: faults', () => {
  it('aborts with the given status without forwarding, and records the fault on the span', async () => {
    const p = await proxy();
    expect(p.install([plan({ type: 'abort', abort_status: 503 })])).toBe(1);
    const res = await client.request(`${p.url}/charge`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-request-id': 'r-abort' },
    });
    expect(res.status).toBe(503);
    expect(res.headers[FAULT_HEADER]).toBe('abort');
    expect(seen).toHaveLength(0);
    const span = p.spans().find((s) => s.trace_id === 'r-abort');
    expect(span).toMatchObject({ status: 503, attributes: { fault: 'abort', fault_abort_status: 503 } });
  });

  it('ignores plans for other services', async () => {
    const p = await proxy({ service: 'payment' });
    expect(p.install([{ ...plan({ type: 'abort', abort_status: 500 }), target_service: 'fraud' }])).toBe(0);
    expect((await client.request(`${p.url}/x`)).status).toBe(200);
  });

  it('aborts about `percentage` of matching requests, reproducibly for a seed', async () => {
    const outcomes = async (seed: number): Promise<number[]> => {
      const p = await proxy({ seed });
      p.install([plan({ type: 'abort', abort_status: 500 }, { percentage: 30 })]);
      const statuses: number[] = [];
      for (let i = 0; i < 400; i += 1) statuses.push((await client.request(`${p.url}/r${i}`)).status);
      return statuses;
    };
    const a = await outcomes(11);
    const aborted = a.filter((s) => s === 500).length;
    // Binomial(400, 0.3): mean 120, sd ≈ 9.2; ±4 sd.
    expect(aborted).toBeGreaterThan(120 - 37);
    expect(aborted).toBeLessThan(120 + 37);
    expect(a.filter((s) => s !== 500 && s !== 200)).toEqual([]);
    expect(await outcomes(11)).toEqual(a);
  });

  it('delays matching requests by at least delay_ms before forwarding', async () => {
    const p = await proxy();
    p.install([plan({ type: 'delay', delay_ms: 150 })]);
    const t0 = performance.now();
    const res = await client.request(`${p.url}/slow`, { headers: { 'x-request-id': 'r-delay' } });
    const elapsed = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(149);
    expect(seen).toHaveLength(1);
    const span = p.spans().find((s) => s.trace_id === 'r-delay');
    expect(span?.duration_ms).toBeGreaterThanOrEqual(149);
    expect(span?.attributes).toMatchObject({ fault: 'delay', fault_delay_ms: 150 });
  });

  it('with type both, delays and then aborts', async () => {
    const p = await proxy();
    p.install([plan({ type: 'both', delay_ms: 80, abort_status: 429 })]);
    const t0 = performance.now();
    const res = await client.request(`${p.url}/x`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(79);
    expect(res.status).toBe(429);
    expect(seen).toHaveLength(0);
  });

  it('applies path-prefix, method and header matchers only to matching requests', async () => {
    const p = await proxy();
    p.install([
      plan({ type: 'abort', abort_status: 503 }, { match: { path_prefix: '/charge' } }),
      plan({ type: 'abort', abort_status: 500 }, { match: { method: 'delete' } }),
      plan({ type: 'abort', abort_status: 418 }, { match: { headers: { 'X-Tenant': 'beta' } } }),
    ]);
    expect((await client.request(`${p.url}/charge/1?x=2`)).status).toBe(503);
    expect((await client.request(`${p.url}/refund`)).status).toBe(200);
    expect((await client.request(`${p.url}/x?path=/charge`)).status).toBe(200);
    expect((await client.request(`${p.url}/refund`, { method: 'DELETE' })).status).toBe(500);
    expect((await client.request(`${p.url}/refund`, { headers: { 'x-tenant': 'beta' } })).status).toBe(418);
    expect((await client.request(`${p.url}/refund`, { headers: { 'x-tenant': 'alpha' } })).status).toBe(200);
    expect(seen.map((e) => e.url)).toEqual(['/refund', '/x?path=/charge', '/refund']);
  });

  it('honours start delay and duration, and clear() removes every rule', async () => {
    let now = 1_000_000;
    const p = await proxy({ now: () => now });
    p.install([plan({ type: 'abort', abort_status: 503 }, { start_delay_s: 2, duration_s: 3 })]);
    expect((await client.request(`${p.url}/x`)).status).toBe(200); // before the window
    now += 2_000;
    expect((await client.request(`${p.url}/x`)).status).toBe(503); // window opens
    now += 2_999;
    expect((await client.request(`${p.url}/x`)).status).toBe(503);
    now += 1;
    expect((await client.request(`${p.url}/x`)).status).toBe(200); // expired
    now = 1_000_000;
    p.install([plan({ type: 'abort', abort_status: 503 })]);
    expect((await client.request(`${p.url}/x`)).status).toBe(503);
    p.clear();
    expect(p.rules()).toEqual([]);
    expect((await client.request(`${p.url}/x`)).status).toBe(200);
  });

  it('does not forward a delayed request whose client has gone away', async () => {
    const p = await proxy();
    p.install([plan({ type: 'delay', delay_ms: 300 })]);
    await expect(client.request(`${p.url}/gone`, { signal: AbortSignal.timeout(30) })).rejects.toThrow();
    // Wait for the would-be forward time, then check the upstream never saw it.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen).toHaveLength(0);
    expect(p.stats().clientClosed).toBe(1);
    expect(p.spans()[0]?.status).toBe(499);
  });
});
