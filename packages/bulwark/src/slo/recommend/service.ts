import { createEstatePrior, type EstatePriorSource, listServiceIds } from './estate-prior-service.js';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/types.js';
import { BulwarkError, notFound } from '../../errors.js';
import type { TelemetrySource, TimeRange } from '../../telemetry/types.js';
import type { CompositeInput, DependencyEdge, NodeAvailability } from '../graph/composite-availability.js';
import type { GraphIndexCache } from '../graph/store.js';
import { archetypeOf } from './archetypes.js';
import { MIN_HISTORY_DAYS, type RecommendOutput, recommend } from './recommend.js';
import { findCached, findLatest, inList, type StoredRecommendation, saveRecommendations } from './store.js';

/**
 * Recommendation adapter: fetches history and the dependency graph, runs the pure pipeline,
 * stores the result (24 h cache keyed by graph snapshot and lookback) and serves the last stored
 * result marked `stale` when telemetry is unavailable.
 */
export type SliSelector = 'availability' | 'latency' | 'all';

export interface RecommendationQuery {
  sliType: SliSelector;
  lookbackDays: number;
  forceRegenerate: boolean;
}

export interface RecommendationResponse {
  service_id: string;
  generated_at: string;
  lookback_window: { start: string; end: string };
  data_quality: StoredRecommendation['data_quality'];
  confidence: 'high' | 'medium' | 'low';
  cold_start: boolean;
  recommendations: Array<{
    recommendation_id: string;
    sli_type: 'availability' | 'latency';
    metric: string;
    status: string;
    expires_at: string;
    tiers: Record<string, unknown>;
    explanation: Record<string, unknown>;
  }>;
  provenance: {
    dependency_graph_snapshot_id: string | null;
    telemetry_source: string;
    lookback_days: number;
    lookback_window_start: string;
    lookback_window_end: string;
    data_completeness: number;
  };
  cached: boolean;
  stale: boolean;
  stale_reason?: string;
}

export interface RecommendationServiceOptions {
  db: Database;
  graph: GraphIndexCache;
  telemetry: TelemetrySource | undefined;
  now?: () => Date;
  periodDays?: number;
  cacheTtlMs?: number;
  /** How long a dependency's measured availability is reused (default 10 minutes). */
  dependencyTtlMs?: number;
  /** How long an assembled response is served from memory (default 30 s; 0 disables). */
  memoryTtlMs?: number;
  /**
   * Called with the ids of newly stored recommendations (auto-approval). A failure is reported in
   * the response's warnings, never fails the request.
   */
  onGenerated?: (recommendationIds: string[]) => Promise<void>;
  /**
   * The estate prior over a lookback: incident sizes and rates, deploy steps (see
   * estate-prior-service.ts). Default: built from `telemetry` over every described service and the
   * graph's hard edges; `false`: none (each service on its own history).
   */
  estatePrior?: EstatePriorSource | false;
}

const DAY = 86_400_000;

export function createRecommendationService(o: RecommendationServiceOptions) {
  const now = o.now ?? (() => new Date());
  const cacheTtl = o.cacheTtlMs ?? DAY;
  const estatePrior =
    o.estatePrior ??
    (o.telemetry
      ? createEstatePrior({
          telemetry: o.telemetry,
          listServices: () => listServiceIds(o.db),
          hardDependencies: async () => {
            const { index } = await o.graph.current();
            return (id) => index.outEdges(id).flatMap((e) => (e.criticality === 'hard' ? [e.target] : []));
          },
        })
      : false);
  const depTtl = o.dependencyTtlMs ?? 600_000;
  const depCache = new Map<string, { at: number; value: Promise<number | undefined> }>();
  const inflight = new Map<string, Promise<RecommendationResponse>>();
  // Assembled responses, reused for up to `memoryTtl` while the graph snapshot is unchanged, so a
  // cached recommendation costs no database round trip (stale marks in the database are seen once
  // the entry expires).
  const memoryTtl = o.memoryTtlMs ?? 30_000;
  const memory = new Map<
    string,
    { at: number; snapshotId: string; response: RecommendationResponse; generatedAt: number; body?: Buffer }
  >();
  let sweptAt = Date.now();
  const remember = (key: string, snapshotId: string, response: RecommendationResponse) => {
    const at = Date.now();
    // Expired entries are never served again: drop them (at most once per TTL) so the map holds
    // only recent answers, not one per service ever asked for.
    if (at - sweptAt >= memoryTtl) {
      sweptAt = at;
      for (const [k, v] of memory) if (at - v.at >= memoryTtl) memory.delete(k);
    }
    if (memory.size > 10_000) memory.clear();
    memory.set(key, { at, snapshotId, response, generatedAt: Date.parse(response.generated_at) });
  };
  const fresh = async (key: string, q: RecommendationQuery) => {
    if (q.forceRegenerate || memoryTtl <= 0) return undefined;
    const hit = memory.get(key);
    if (!hit || Date.now() - hit.at >= memoryTtl) return undefined;
    // On the embedded database this check is exact and needs no query (see createGraphIndexCache).
    if (hit.snapshotId !== (await o.graph.current()).snapshotId) return undefined;
    if (now().getTime() - hit.generatedAt >= cacheTtl) return undefined;
    return hit;
  };

  const requireTelemetry = (): TelemetrySource => {
    if (!o.telemetry) {
      throw new BulwarkError(
        'dependency_unavailable',
        'no telemetry source is configured: set PROMETHEUS_URL (or BULWARK_TELEMETRY=synthetic for demo data)',
      );
    }
    return o.telemetry;
  };

  /** Observed availability (0–1) of a dependency over the range, cached briefly. */
  const dependencyAvailability = (service: string, range: TimeRange, lookbackDays: number) => {
    const key = `${service}|${lookbackDays}|${Math.floor(range.end.getTime() / 3_600_000)}`;
    const hit = depCache.get(key);
    if (hit && Date.now() - hit.at < depTtl) return hit.value;
    const value = requireTelemetry()
      .availabilitySeries(service, range, 86_400)
      .then((points) => {
        const total = points.reduce((s, p) => s + p.total, 0);
        const good = points.reduce((s, p) => s + p.good, 0);
        return total > 0 ? good / total : undefined;
      });
    value.catch(() => depCache.delete(key));
    depCache.set(key, { at: Date.now(), value });
    if (depCache.size > 50_000) depCache.clear();
    return value;
  };

  async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) {
          const i = next++;
          out[i] = await fn(items[i] as T);
        }
      }),
    );
    return out;
  }

  /**
   * The dependency graph the bound is computed over. Observed availabilities are end-to-end (a
   * dependency's number already includes what its own dependencies cost it), so a measured
   * dependency is a leaf: expanding it would count its dependencies again. Dependencies without
   * telemetry are expanded into their own dependencies (or use their published SLA).
   */
  async function dependencyGraph(service: string, range: TimeRange, lookbackDays: number) {
    const snap = await o.graph.current();
    const index = snap.index;
    const nodes = new Map<string, NodeAvailability>();
    const edges = new Map<string, DependencyEdge[]>();
    const toEdges = (id: string) =>
      index.outEdges(id).map((e) => ({
        target: e.target,
        criticality: e.criticality as DependencyEdge['criticality'],
        redundancy_group: e.redundancy_group ?? undefined,
      }));
    edges.set(service, toEdges(service));
    let frontier = [...new Set(index.outEdges(service).map((e) => e.target))].filter((t) => t !== service);
    const seen = new Set<string>([service]);
    let unmeasured = 0;
    for (let depth = 1; depth <= 10 && frontier.length > 0; depth++) {
      frontier = frontier.filter((id) => !seen.has(id));
      for (const id of frontier) seen.add(id);
      if (frontier.length === 0) break;
      const meta = await o.db.query<{ id: string; service_type: string; published_sla: number | null }>(
        sql`select id, service_type, published_sla from services where id in (${inList(frontier)})`,
      );
      const metaOf = new Map(meta.map((m) => [m.id, m]));
      const measured = await mapLimit(frontier, 8, (id) => dependencyAvailability(id, range, lookbackDays));
      const next: string[] = [];
      frontier.forEach((id, i) => {
        const m = metaOf.get(id);
        const self = measured[i];
        const external = m?.service_type === 'external';
        if (self !== undefined) {
          nodes.set(id, { self, external });
        } else if (m?.published_sla != null) {
          nodes.set(id, { publishedSla: m.published_sla, external });
        } else {
          // Unmeasured: its own dependencies stand in for it.
          unmeasured++;
          nodes.set(id, { external });
          edges.set(id, toEdges(id));
          for (const e of index.outEdges(id)) next.push(e.target);
        }
      });
      frontier = next;
    }
    const graph: CompositeInput = { nodes, edges };
    return { graph, snapshotId: snap.snapshotId, unmeasured };
  }

  async function compute(service: string, row: ServiceMeta, q: RecommendationQuery): Promise<RecommendationResponse> {
    const telemetry = requireTelemetry();
    const sliTypes = q.sliType === 'all' ? (['availability', 'latency'] as const) : ([q.sliType] as const);
    const end = new Date(Math.floor(now().getTime() / 3_600_000) * 3_600_000);
    let lookbackDays = q.lookbackDays;
    let range = { start: new Date(end.getTime() - lookbackDays * DAY), end };
    const fetch = (r: TimeRange) =>
      Promise.all([
        telemetry.availabilitySeries(service, r, 3600),
        sliTypes.includes('latency' as never) ? telemetry.latencySeries(service, r, 3600) : Promise.resolve([]),
      ]);
    let [availability, latency] = await fetch(range);
    // Cold start (TRD FR-2): under 30 days of data, extend the lookback to what exists, up to 90 days.
    const daysWithData = new Set(availability.map((p) => Math.floor(p.start.getTime() / DAY))).size;
    if (daysWithData < MIN_HISTORY_DAYS && lookbackDays < 90) {
      lookbackDays = 90;
      range = { start: new Date(end.getTime() - 90 * DAY), end };
      [availability, latency] = await fetch(range);
      const first = availability[0]?.start;
      if (first && first.getTime() > range.start.getTime()) {
        range = { start: new Date(Math.floor(first.getTime() / DAY) * DAY), end };
      }
    }
    const deps = await dependencyGraph(
      service,
      { start: new Date(end.getTime() - q.lookbackDays * DAY), end },
      q.lookbackDays,
    );
    const estate = sliTypes.includes('availability' as never) && estatePrior ? await estatePrior(range) : undefined;
    const output: RecommendOutput = recommend({
      service,
      archetype: archetypeOf(row),
      range,
      availability,
      latency,
      graph: deps.graph,
      sliTypes,
      ...(estate ? { estate } : {}),
      ...(o.periodDays !== undefined ? { periodDays: o.periodDays } : {}),
    });
    if (deps.unmeasured > 0) {
      for (const r of output.recommendations) {
        r.explanation.warnings.push(
          `${deps.unmeasured} dependenc${deps.unmeasured === 1 ? 'y has' : 'ies have'} no telemetry and no published SLA; their own dependencies stand in for them in the composite bound`,
        );
      }
    }
    const generatedAt = now();
    const stored = await o.db.transaction((tx) =>
      saveRecommendations(
        tx,
        output.recommendations.map((r) => ({
          service_id: service,
          sli_type: r.sli_type,
          tiers: r.tiers as unknown as Record<string, unknown>,
          explanation: { metric: r.metric, ...r.explanation } as Record<string, unknown>,
          data_quality: output.data_quality,
          lookback_window_start: range.start,
          lookback_window_end: range.end,
          lookback_days: q.lookbackDays,
          dependency_graph_snapshot_id: deps.snapshotId || null,
          telemetry_source: telemetry.kind,
          confidence: output.confidence,
          cold_start: output.cold_start,
          generated_at: generatedAt,
          expires_at: new Date(generatedAt.getTime() + DAY),
        })),
      ),
    );
    const response = respond(service, stored, { cached: false, stale: false });
    if (o.onGenerated) {
      try {
        await o.onGenerated(stored.map((r) => r.id));
      } catch (err) {
        for (const r of response.recommendations) {
          const w = (r.explanation.warnings as string[] | undefined) ?? [];
          w.push(`auto-approval failed: ${err instanceof Error ? err.message : String(err)}`);
          r.explanation.warnings = w;
        }
      }
    }
    return response;
  }

  interface ServiceMeta {
    id: string;
    service_type: string;
    metadata: Record<string, unknown> | null;
  }

  return {
    /**
     * The cached answer as UTF-8 JSON when one is fresh in memory (the hot path under load: no
     * database round trip, no re-serialisation and no re-encoding), else undefined.
     */
    async cachedJson(service: string, q: RecommendationQuery): Promise<Buffer | undefined> {
      const hit = await fresh(`${service}|${q.sliType}|${q.lookbackDays}`, q);
      if (!hit) return undefined;
      hit.body ??= Buffer.from(JSON.stringify({ ...hit.response, cached: true }), 'utf8');
      return hit.body;
    },
    /** Forget a service's in-memory responses (after drift or an aggregate marked it stale). */
    invalidate(service: string): void {
      for (const key of memory.keys()) if (key.startsWith(`${service}|`)) memory.delete(key);
    },
    async get(service: string, q: RecommendationQuery): Promise<RecommendationResponse> {
      const key = `${service}|${q.sliType}|${q.lookbackDays}`;
      const hit = await fresh(key, q);
      if (hit) return { ...hit.response, cached: true };
      const rows = await o.db.query<ServiceMeta>(
        sql`select id, service_type, metadata from services where id = ${service}`,
      );
      const row = rows[0];
      if (!row) throw notFound('service', service);
      const sliTypes = q.sliType === 'all' ? ['availability', 'latency'] : [q.sliType];
      if (!q.forceRegenerate) {
        const snap = await o.graph.current();
        const cached = await findCached(o.db, {
          service,
          sliTypes,
          lookbackDays: q.lookbackDays,
          snapshotId: snap.snapshotId,
          notBefore: new Date(now().getTime() - cacheTtl),
        });
        const types = new Set(cached.map((c) => c.sli_type));
        // Latency may legitimately be absent (no latency data): one fresh availability row suffices.
        if (types.has('availability') || (q.sliType === 'latency' && types.has('latency'))) {
          const response = respond(service, cached, { cached: true, stale: false });
          if (memoryTtl > 0 && !response.stale) remember(key, snap.snapshotId, response);
          return response;
        }
      }
      let pending = inflight.get(key);
      if (!pending) {
        pending = compute(service, row, q)
          .catch(async (err) => {
            if (!(err instanceof BulwarkError) || err.code !== 'dependency_unavailable') throw err;
            const latest = await findLatest(o.db, { service, sliTypes });
            if (latest.length === 0) throw err;
            return respond(service, latest, { cached: true, stale: true, reason: err.message });
          })
          .then((response) => {
            if (!response.stale && memoryTtl > 0) {
              remember(key, response.provenance.dependency_graph_snapshot_id ?? '', response);
            }
            return response;
          })
          .finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
  };
}

export type RecommendationService = ReturnType<typeof createRecommendationService>;

function respond(
  service: string,
  rows: StoredRecommendation[],
  o: { cached: boolean; stale: boolean; reason?: string },
): RecommendationResponse {
  // One row per SLI type: the newest.
  const bySli = new Map<string, StoredRecommendation>();
  for (const r of rows) {
    const have = bySli.get(r.sli_type);
    if (!have || have.generated_at < r.generated_at) bySli.set(r.sli_type, r);
  }
  const list = [...bySli.values()].sort((a, b) => a.sli_type.localeCompare(b.sli_type));
  const first = list[0] as StoredRecommendation;
  const stale = o.stale || list.some((r) => r.stale);
  return {
    service_id: service,
    generated_at: first.generated_at.toISOString(),
    lookback_window: { start: first.lookback_window_start.toISOString(), end: first.lookback_window_end.toISOString() },
    data_quality: first.data_quality,
    confidence: first.confidence,
    cold_start: first.cold_start,
    recommendations: list.map((r) => {
      const { metric, ...explanation } = r.explanation as { metric?: string } & Record<string, unknown>;
      return {
        recommendation_id: r.id,
        sli_type: r.sli_type,
        metric: metric ?? (r.sli_type === 'availability' ? 'error_rate' : 'p99_response_time_ms'),
        status: r.status,
        expires_at: r.expires_at.toISOString(),
        tiers: r.tiers,
        explanation,
      };
    }),
    provenance: {
      dependency_graph_snapshot_id: first.dependency_graph_snapshot_id,
      telemetry_source: first.telemetry_source,
      lookback_days: first.lookback_days,
      lookback_window_start: first.lookback_window_start.toISOString(),
      lookback_window_end: first.lookback_window_end.toISOString(),
      data_completeness: first.data_quality.data_completeness,
    },
    cached: o.cached,
    stale,
    ...(stale
      ? {
          stale_reason: o.reason ?? 'marked stale (drift or a large SLI change); regenerate with force_regenerate=true',
        }
      : {}),
  };
}
