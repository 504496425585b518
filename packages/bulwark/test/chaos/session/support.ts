import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Observation, Sample } from '../../../src/chaos/analyzer/types.js';

/** A small fault space over the demo mesh: service × fault type × delay × percentage. */
export const MESH_SPACE = `name: mesh-small
target: { entry: http://127.0.0.1:8080/checkout, services: [checkout, payment, inventory, cache, fraud] }
dimensions:
  - { name: service, type: categorical, values: [checkout, payment, inventory, cache, fraud] }
  - { name: fault, type: categorical, values: [abort, delay] }
  - { name: delay_ms, type: integer, low: 50, high: 2000, log: true, when: { fault: delay } }
  - { name: percentage, type: real, low: 20, high: 100 }
defaults: { duration_s: 60 }
`;

export const MESH_LOAD = { rps: 20, path: '/checkout', method: 'POST', duration_s: 1, baseline_s: 1, recovery_s: 1 };

export function sample(requests: number, errors: number, p99 = 20): Sample {
  const status_counts: Record<string, number> = { '200': requests - errors };
  if (errors > 0) status_counts['503'] = errors;
  return { requests, status_counts, latency_ms: { p50: p99 / 2, p95: p99 * 0.9, p99, max: p99 } };
}

/** What the fake executor answers to `POST /runs` (a function of the request) or an HTTP status. */
export type FakeBehaviour = (request: { plans: unknown[]; duration_s: number }) => Observation | number;

export interface FakeExecutor {
  url: string;
  runs: number;
  behaviour: FakeBehaviour;
  close(): Promise<void>;
}

/** A deterministic executor: canned observations, no load, no mesh. */
export async function startFakeExecutor(behaviour: FakeBehaviour): Promise<FakeExecutor> {
  const fake: FakeExecutor = { url: '', runs: 0, behaviour, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', entry: 'gateway', busy: false, services: {} }));
        return;
      }
      fake.runs++;
      const out = fake.behaviour(JSON.parse(body) as { plans: unknown[]; duration_s: number });
      if (typeof out === 'number') {
        res.writeHead(out, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'fake', detail: `fake status ${out}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ run_id: `r${fake.runs}`, observation: out, warnings: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` returns a value or the deadline passes. */
export async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
