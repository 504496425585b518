import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeObservation } from '../../../src/chaos/analyzer/index.js';
import type { Sample } from '../../../src/chaos/analyzer/types.js';
import { ExecutorClient } from '../../../src/chaos/executor/client.js';
import type { RunRequest } from '../../../src/chaos/executor/schema.js';
import { type MeshWithExecutor, startMeshWithExecutor } from '../../../src/chaos/executor/with-mesh.js';
import { MESH_SERVICES } from '../../../src/chaos/mesh/demo-mesh.js';

let lab: MeshWithExecutor;
let client: ExecutorClient;

beforeAll(async () => {
  lab = await startMeshWithExecutor({ seed: 4 });
  client = new ExecutorClient({ baseUrl: lab.executor.url, runTimeoutMarginMs: 20_000 });
});
afterAll(() => lab.stop());

const load = { rps: 25, path: '/checkout', method: 'POST' };

function request(plans: RunRequest['plans']): RunRequest {
  return { plans, duration_s: 2, baseline_s: 2, recovery_s: 1, load };
}

async function post(path: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${lab.executor.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

function expectProblem(
  res: { status: number; contentType: string | null; body: Record<string, unknown> },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:bulwark:problem:/) });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
}

function expectSampleShape(sample: Sample | undefined, requests: number) {
  expect(sample).toBeDefined();
  if (!sample) return;
  expect(sample.requests).toBe(requests);
  expect(Object.values(sample.status_counts).reduce((a, b) => a + b, 0)).toBe(requests);
  expect(sample.latency_ms).toEqual({ samples: expect.any(Array) });
  expect((sample.latency_ms as { samples: number[] }).samples).toHaveLength(requests);
  expect(sample.spans?.length).toBeGreaterThan(requests);
  for (const span of sample.spans ?? []) {
    expect(
      Object.keys(span).every((k) =>
        ['trace_id', 'span_id', 'parent_id', 'service', 'operation', 'status', 'duration_ms'].includes(k),
      ),
    ).toBe(true);
  }
  expect(Array.isArray(sample.error_logs)).toBe(true);
}

describe('executor API', () => {
  it('GET /health lists every service with its proxy', async () => {
    const health = await client.health();
    expect(health.status).toBe('ok');
    expect(Object.keys(health.services).sort()).toEqual([...MESH_SERVICES].sort());
    expect(health.services.payment).toEqual({
      target: lab.mesh.services.payment,
      proxy: lab.executor.proxyUrls.payment,
      up: true,
    });
  });

  it('GET /openapi.json serves the OpenAPI 3.0 document', async () => {
    const res = await fetch(`${lab.executor.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.0\./);
    expect(Object.keys(doc.paths)).toContain('/runs');
  });

  it('answers bad input with RFC 7807 problems', async () => {
    const bad = await post('/runs', JSON.stringify({ plans: [], duration_s: -1, load }));
    expectProblem(bad, 400);
    expect(bad.body.detail).toMatch(/duration_s/);
    expectProblem(await post('/runs', '{"plans": ['), 400);
    const unknown = await post(
      '/runs',
      JSON.stringify({ ...request([]), plans: [{ target_service: 'db', fault: { type: 'abort' }, percentage: 5 }] }),
    );
    expectProblem(unknown, 400);
    expect(unknown.body.detail).toMatch(/unknown service 'db'/);
    expectProblem(await post('/runs', 'plans=1', 'application/x-www-form-urlencoded'), 415);
    expectProblem(await post('/runs', 'plans', 'text/plain'), 400);
    const missing = await fetch(`${lab.executor.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('rejects a second run while one is in progress with 409', async () => {
    const first = lab.executor.run({ plans: [], duration_s: 0.5, load: { ...load, rps: 10 } });
    try {
      expectProblem(await post('/runs', JSON.stringify({ plans: [], duration_s: 0.5, load })), 409);
    } finally {
      await first;
    }
  });

  it('scores the 504 plan (payment delay 600 ms, 100 %) high', async () => {
    const res = await client.run(
      request([
        {
          target_service: 'payment',
          fault: { type: 'delay', delay_ms: 600 },
          percentage: 100,
          start_delay_s: 0,
          duration_s: 60,
        },
      ]),
    );
    const { observation } = res;
    expectSampleShape(observation.baseline, 50);
    expectSampleShape(observation.during, 50);
    expectSampleShape(observation.recovery, 25);
    expect(observation.during.status_counts['504'] ?? 0).toBeGreaterThanOrEqual(40);
    expect(observation.during.error_logs?.some((l) => l.service === 'gateway' && l.level === 'ERROR')).toBe(true);
    const analysis = analyzeObservation(observation);
    expect(analysis.severity, analysis.evidence.join('\n')).toBeGreaterThanOrEqual(7);
  });

  // Latency noise on a loaded host can dominate this low score; retry once before calling it a regression.
  it('scores the masked plan (cache abort, 100 %) low', { retry: 1 }, async () => {
    const res = await client.run(
      request([
        {
          target_service: 'cache',
          fault: { type: 'abort', abort_status: 503 },
          percentage: 100,
          start_delay_s: 0,
          duration_s: 60,
        },
      ]),
    );
    const analysis = analyzeObservation(res.observation);
    expect(analysis.severity, analysis.evidence.join('\n')).toBeLessThanOrEqual(3);
    expect(analysis.components.bug.score).toBeLessThan(3);
  });
});
