import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveLoad, TRANSPORT_ERROR_KEY } from '../../../src/chaos/executor/load.js';
import { closeServer } from '../../../src/chaos/mesh/service.js';

let server: Server;
let url: string;
const ids: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    ids.push(String(req.headers['x-request-id']));
    const path = req.url ?? '/';
    if (path.startsWith('/hang')) return; // never answers
    res.writeHead(path.startsWith('/fail') ? 503 : 200);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => closeServer(server));

describe('open-loop load generator', () => {
  it('sends rps × duration requests tagged with the prefix, counting statuses and latencies', async () => {
    ids.length = 0;
    const r = await driveLoad({
      url: `${url}/ok`,
      method: 'GET',
      rps: 40,
      durationS: 0.5,
      timeoutMs: 1000,
      requestIdPrefix: 'p1',
    });
    expect(r.requests).toBe(20);
    expect(r.status_counts).toEqual({ '200': 20 });
    expect(r.latencies_ms).toHaveLength(20);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `p1-${i}`)));
  });

  it('counts HTTP errors by status, and timeouts and transport errors as "error"', async () => {
    const failing = await driveLoad({
      url: `${url}/fail`,
      method: 'POST',
      rps: 20,
      durationS: 0.25,
      timeoutMs: 1000,
      requestIdPrefix: 'f',
      body: { a: 1 },
    });
    expect(failing.status_counts).toEqual({ '503': 5 });
    const hanging = await driveLoad({
      url: `${url}/hang`,
      method: 'GET',
      rps: 20,
      durationS: 0.2,
      timeoutMs: 50,
      requestIdPrefix: 'h',
    });
    expect(hanging.status_counts).toEqual({ [TRANSPORT_ERROR_KEY]: 4 });
    const refused = await driveLoad({
      url: 'http://127.0.0.1:1/',
      method: 'GET',
      rps: 20,
      durationS: 0.1,
      timeoutMs: 500,
      requestIdPrefix: 'r',
    });
    expect(refused.status_counts).toEqual({ [TRANSPORT_ERROR_KEY]: 2 });
  });

  it('does not wait for slow responses before sending the next request (open loop)', async () => {
    ids.length = 0;
    const r = await driveLoad({
      url: `${url}/hang`,
      method: 'GET',
      rps: 50,
      durationS: 0.2,
      timeoutMs: 400,
      requestIdPrefix: 'o',
    });
    // Every request was sent although none was ever answered.
    expect(ids).toHaveLength(10);
    expect(r.requests).toBe(10);
  });
});
