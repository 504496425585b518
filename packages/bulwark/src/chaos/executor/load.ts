/**
 * Open-loop load generator: sends requests at a fixed rate regardless of how fast responses come
 * back (request i is due at start + i / rps; a late timer sends at once, it never skips), each with
 * a per-request timeout. Responses are counted by HTTP status; transport errors and timeouts count
 * as `"error"`. Latency is measured from send to the end of the response body (to the failure for
 * errors).
 */

import { createHttpClient, type HttpCallOptions } from '../mesh/http-client.js';
import { REQUEST_ID_HEADER } from '../mesh/telemetry.js';

/** Options of {@link driveLoad}. */
export interface LoadOptions {
  /** Absolute URL to call. */
  url: string;
  method: string;
  /** Requests per second (> 0). */
  rps: number;
  /** Seconds to send for (> 0); total requests = round(rps × durationS), at least 1. */
  durationS: number;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /** Request ids are `<prefix>-<i>`, so the request's spans and logs can be found later. */
  requestIdPrefix: string;
  headers?: Record<string, string>;
  /** JSON body (sent with `content-type: application/json`). */
  body?: unknown;
  /** Stops sending new requests (requests in flight still complete). */
  signal?: AbortSignal;
}

/** What one load phase observed. */
export interface LoadResult {
  requests: number;
  /** By HTTP status, plus `"error"` for transport errors and timeouts. */
  status_counts: Record<string, number>;
  /** One latency per request (ms), in completion order. */
  latencies_ms: number[];
  /** Epoch milliseconds. */
  started_at: number;
  ended_at: number;
}

/** Status key for transport errors and timeouts. */
export const TRANSPORT_ERROR_KEY = 'error';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Drives load and waits for every request to finish.
 *
 * @param options - target, rate, duration, timeout, request-id prefix
 * @returns counts and latencies
 */
export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  if (!(options.rps > 0) || !(options.durationS > 0)) throw new RangeError('rps and durationS must be > 0');
  const total = Math.max(1, Math.round(options.rps * options.durationS));
  const interval = 1000 / options.rps;
  const status_counts: Record<string, number> = {};
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  const bodyText = options.body === undefined ? undefined : JSON.stringify(options.body);
  const url = new URL(options.url);
  const client = createHttpClient();

  const one = async (i: number): Promise<void> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    headers[REQUEST_ID_HEADER] = `${options.requestIdPrefix}-${i}`;
    const init: HttpCallOptions = { method: options.method, headers, signal: AbortSignal.timeout(options.timeoutMs) };
    if (bodyText !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = bodyText;
    }
    const t0 = performance.now();
    let key: string;
    try {
      const res = await client.request(url, init);
      key = String(res.status);
    } catch {
      key = TRANSPORT_ERROR_KEY;
    }
    latencies.push(performance.now() - t0);
    status_counts[key] = (status_counts[key] ?? 0) + 1;
  };

  const startedAt = Date.now();
  const t0 = performance.now();
  for (let i = 0; i < total; i += 1) {
    if (options.signal?.aborted) break;
    const due = t0 + i * interval;
    const ahead = due - performance.now();
    if (ahead > 0) await wait(ahead);
    pending.push(one(i));
  }
  await Promise.all(pending);
  client.destroy();
  return {
    requests: pending.length,
    status_counts,
    latencies_ms: latencies,
    started_at: startedAt,
    ended_at: Date.now(),
  };
}
