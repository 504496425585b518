import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExecutorCircuitOpenError,
  ExecutorClient,
  ExecutorError,
  ExecutorHttpError,
} from '../../../src/chaos/executor/client.js';
import type { RunRequest } from '../../../src/chaos/executor/schema.js';
import { closeServer } from '../../../src/chaos/mesh/service.js';

type Responder = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

/** A fake executor answering with `respond`; counts hits. */
async function fake(respond: Responder): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    req.resume();
    req.on('end', () => respond(req, res, hits));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
};
const health = { status: 'ok', services: {} };
const problem = (status: number, detail: string) => ({ type: 'urn:x', title: 't', status, detail });
const observation = { during: { requests: 1, status_counts: { '200': 1 } } };
const runRequest: RunRequest = { plans: [], duration_s: 0.01, load: { rps: 1, path: '/', method: 'GET' } };

describe('ExecutorClient', () => {
  it('retries transient 503s with backoff and then succeeds', async () => {
    const server = await fake((_req, res, hit) =>
      hit <= 2 ? json(res, 503, problem(503, 'busy'), 'application/problem+json') : json(res, 200, health),
    );
    const client = new ExecutorClient({ baseUrl: server.url, backoffInitialMs: 5, maxAttempts: 3 });
    await expect(client.health()).resolves.toMatchObject({ status: 'ok' });
    expect(server.hits()).toBe(3);
  });

  it('does not retry a 400, and reports the problem detail', async () => {
    const server = await fake((_req, res) =>
      json(res, 400, problem(400, 'duration_s: too small'), 'application/problem+json'),
    );
    const client = new ExecutorClient({ baseUrl: server.url, backoffInitialMs: 5, failureThreshold: 2 });
    const error = await client.run(runRequest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorHttpError);
    expect(error).toMatchObject({ code: 'rejected', status: 400, problem: { detail: 'duration_s: too small' } });
    expect(server.hits()).toBe(1);
    // Client errors do not count against the executor's health.
    await client.run(runRequest).catch(() => undefined);
    await client.run(runRequest).catch(() => undefined);
    expect(client.circuitState).toBe('closed');
  });

  it('opens the circuit after N consecutive failures and then fails fast without calling', async () => {
    const server = await fake((_req, res) => json(res, 503, problem(503, 'down')));
    const client = new ExecutorClient({
      baseUrl: server.url,
      maxAttempts: 1,
      failureThreshold: 3,
      openDurationMs: 60_000,
    });
    for (let i = 0; i < 3; i += 1) {
      await expect(client.health()).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    }
    expect(client.circuitState).toBe('open');
    const error = await client.run(runRequest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorCircuitOpenError);
    expect(error).toMatchObject({ code: 'circuit_open' });
    expect((error as ExecutorCircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    expect(server.hits()).toBe(3);
  });

  it('opens the circuit within a retry loop and stops retrying', async () => {
    const server = await fake((_req, res) => json(res, 502, {}));
    const client = new ExecutorClient({
      baseUrl: server.url,
      maxAttempts: 5,
      backoffInitialMs: 1,
      failureThreshold: 2,
    });
    await expect(client.health()).rejects.toBeInstanceOf(ExecutorCircuitOpenError);
    expect(server.hits()).toBe(2);
  });

  it('bounds a run by its own length plus the margin, and does not re-run it after a timeout', async () => {
    const server = await fake(() => undefined); // never answers
    const client = new ExecutorClient({ baseUrl: server.url, runTimeoutMarginMs: 500, backoffInitialMs: 1 });
    await expect(client.run(runRequest)).rejects.toMatchObject({ code: 'timeout' });
    expect(server.hits()).toBe(1);
  });

  it('retries network failures, then reports the executor unavailable', async () => {
    const client = new ExecutorClient({ baseUrl: 'http://127.0.0.1:1', maxAttempts: 2, backoffInitialMs: 1 });
    const error = await client.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect(error).toMatchObject({ code: 'unavailable' });
  });

  it('returns the run response and rejects a response that breaks the contract', async () => {
    let body: unknown = { run_id: 'r1', observation, warnings: [] };
    const server = await fake((req, res) => (req.method === 'POST' ? json(res, 200, body) : json(res, 404, {})));
    const client = new ExecutorClient({ baseUrl: `${server.url}/`, maxAttempts: 2, backoffInitialMs: 1 });
    await expect(client.run(runRequest)).resolves.toEqual({ run_id: 'r1', observation, warnings: [] });
    body = { observation: { baseline: {} } };
    await expect(client.run(runRequest)).rejects.toMatchObject({ code: 'invalid_response' });
  });
});
