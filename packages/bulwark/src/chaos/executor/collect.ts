import { validSpan } from '../analyzer/structure.js';
/**
 * Collects telemetry from the services behind the executor (`GET /_spans?since=` and
 * `GET /_logs?since=`, the demo mesh's convention) and the fault proxies, and turns one load phase
 * into the analyzer's {@link Sample}. Spans and logs are assigned to a phase by request id: the
 * load generator tags each request `<run>-<phase>-<i>`, and every hop propagates the id.
 */

import type { ErrorLog, Sample, Span } from '../analyzer/types.js';
import { type LogEntry, type RecordedSpan, toAnalyzerSpan } from '../mesh/telemetry.js';
import type { LoadResult } from './load.js';

/** Log levels kept as error logs. */
const ERROR_LEVELS = new Set(['error', 'err', 'fatal', 'critical', 'crit', 'panic', 'alert', 'emerg', 'emergency']);

/** Telemetry gathered for a run, before it is split by phase. */
export interface Telemetry {
  spans: RecordedSpan[];
  logs: LogEntry[];
  warnings: string[];
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return JSON.parse(text) as unknown;
}

function arrayField(value: unknown, field: string): unknown[] {
  if (typeof value !== 'object' || value === null) return [];
  const raw = (value as Record<string, unknown>)[field];
  return Array.isArray(raw) ? raw : [];
}

function isSpan(x: unknown): x is RecordedSpan {
  return validSpan(x) && typeof (x as { duration_ms?: unknown }).duration_ms === 'number';
}

function isLog(x: unknown): x is LogEntry {
  if (typeof x !== 'object' || x === null) return false;
  const l = x as Record<string, unknown>;
  return typeof l.level === 'string' && typeof l.message === 'string';
}

/**
 * Reads spans and logs from every service (failures become warnings, never errors).
 *
 * @param services - service name → base URL of the real service
 * @param since - epoch ms
 * @param timeoutMs - per-request timeout
 */
export async function fetchTelemetry(
  services: Record<string, string>,
  since: number,
  timeoutMs = 5_000,
): Promise<Telemetry> {
  const out: Telemetry = { spans: [], logs: [], warnings: [] };
  await Promise.all(
    Object.entries(services).map(async ([name, base]) => {
      try {
        const body = await getJson(new URL(`/_spans?since=${since}`, base).toString(), timeoutMs);
        out.spans.push(...arrayField(body, 'spans').filter(isSpan));
      } catch (error) {
        out.warnings.push(`spans of ${name} unavailable: ${error instanceof Error ? error.message : String(error)}`);
      }
      try {
        const body = await getJson(new URL(`/_logs?since=${since}`, base).toString(), timeoutMs);
        out.logs.push(
          ...arrayField(body, 'logs')
            .filter(isLog)
            .map((l) => (l.service === undefined ? { ...l, service: name } : l)),
        );
      } catch (error) {
        out.warnings.push(`logs of ${name} unavailable: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  return out;
}

/**
 * Builds one phase's sample: the load result plus the spans and ERROR-level logs of the requests
 * whose id starts with `prefix-`. Logs without a request id are assigned by time to the phase's
 * window.
 *
 * @param load - the phase's load result
 * @param prefix - the phase's request id prefix
 * @param telemetry - everything collected for the run
 * @returns the analyzer's sample
 */
export function phaseSample(load: LoadResult, prefix: string, telemetry: Telemetry): Sample {
  const tag = `${prefix}-`;
  const spans: Span[] = telemetry.spans.filter((s) => s.trace_id.startsWith(tag)).map(toAnalyzerSpan);
  const error_logs: ErrorLog[] = telemetry.logs
    .filter((l) => ERROR_LEVELS.has(l.level.toLowerCase()))
    .filter((l) =>
      typeof l.request_id === 'string'
        ? l.request_id.startsWith(tag)
        : typeof l.ts === 'number' && l.ts >= load.started_at && l.ts <= load.ended_at,
    )
    .map((l) => ({ level: l.level, message: l.message, service: l.service }));
  return {
    requests: load.requests,
    status_counts: { ...load.status_counts },
    latency_ms: { samples: [...load.latencies_ms] },
    error_logs,
    spans,
  };
}
