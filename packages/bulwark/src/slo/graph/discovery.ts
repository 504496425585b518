import type { Database } from '../../db/types.js';
import { BulwarkError } from '../../errors.js';
import { SERVICE_ID_PATTERN } from '../../service-id.js';
import type { TelemetrySource } from '../../telemetry/types.js';
import { type IngestResult, ingestGraph } from './store.js';

/**
 * Dependency discovery from OpenTelemetry service-graph metrics
 * (`traces_service_graph_request_total{client, server}` from the collector's servicegraph
 * connector or Tempo's metrics generator): every client -> server pair with traffic over the
 * window becomes an `otel_service_graph` edge (sync; criticality left to higher-priority sources,
 * defaulting to hard), ingested like any other batch.
 */
export interface DiscoveryOptions {
  lookbackMinutes: number;
  /** Ignore pairs below this request rate (noise from one-off calls). */
  minRps: number;
  now?: Date;
}

export interface DiscoveryResult extends IngestResult {
  discovered: Array<{ source: string; target: string; rps: number; error_rate: number }>;
}

export async function discoverDependencies(
  db: Database,
  telemetry: TelemetrySource | undefined,
  o: DiscoveryOptions,
): Promise<DiscoveryResult> {
  if (!telemetry) {
    throw new BulwarkError('dependency_unavailable', 'no telemetry source is configured: set PROMETHEUS_URL');
  }
  const end = o.now ?? new Date();
  const edges = (await telemetry.discoverEdges({ start: new Date(end.getTime() - o.lookbackMinutes * 60_000), end }))
    .filter((e) => e.rps >= o.minRps && e.source !== e.target)
    .sort((a, b) => a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  const usable = edges.filter((e) => SERVICE_ID_PATTERN.test(e.source) && SERVICE_ID_PATTERN.test(e.target));
  const result = await ingestGraph(db, {
    source: 'otel_service_graph',
    timestamp: end,
    nodes: [],
    edges: usable.map((e) => ({ source: e.source, target: e.target, attributes: { communication_mode: 'sync' } })),
  });
  return {
    ...result,
    discovered: usable.map((e) => ({
      source: e.source,
      target: e.target,
      rps: Number(e.rps.toFixed(4)),
      error_rate: Number(e.errorRate.toFixed(6)),
    })),
  };
}
