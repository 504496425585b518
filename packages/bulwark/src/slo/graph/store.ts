import { type SQL, sql } from 'drizzle-orm';
import type { Database, Queryable } from '../../db/types.js';
import { BulwarkError } from '../../errors.js';
import { AdjacencyIndex, type IndexedEdge } from './adjacency.js';
import { cycles as cyclesOf, stronglyConnectedComponents } from './scc.js';

export const DISCOVERY_SOURCES = ['manual', 'service_mesh', 'otel_service_graph', 'kubernetes'] as const;
export type DiscoverySource = (typeof DISCOVERY_SOURCES)[number];
const PRIORITY: Record<DiscoverySource, number> = { manual: 0, service_mesh: 1, otel_service_graph: 2, kubernetes: 3 };

export interface IngestNode {
  service_id: string;
  metadata?:
    | {
        team?: string | undefined;
        criticality?: 'low' | 'medium' | 'high' | 'critical' | undefined;
        tier?: number | undefined;
        namespace?: string | undefined;
        service_type?: 'internal' | 'external' | undefined;
        published_sla?: number | undefined;
        [k: string]: unknown;
      }
    | undefined;
}

export interface IngestEdge {
  source: string;
  target: string;
  attributes?:
    | {
        communication_mode?: 'sync' | 'async' | undefined;
        criticality?: 'hard' | 'soft' | 'degraded' | undefined;
        protocol?: string | undefined;
        timeout_ms?: number | undefined;
        retry_config?: Record<string, unknown> | undefined;
        redundancy_group?: string | undefined;
      }
    | undefined;
}

export interface IngestRequest {
  source: DiscoverySource;
  timestamp?: Date | undefined;
  nodes: IngestNode[];
  edges: IngestEdge[];
}

export interface IngestResult {
  ingestion_id: string;
  status: 'completed';
  nodes_received: number;
  edges_received: number;
  placeholders_created: string[];
  conflicts: Array<{
    source: string;
    target: string;
    field: 'criticality';
    kept: { source: DiscoverySource; value: string };
    other: { source: DiscoverySource; value: string };
  }>;
  cycles: string[][];
}

/**
 * Ingest a batch in one transaction: upsert nodes, create placeholders for unknown edge
 * endpoints, upsert edges for this discovery source, report conflicts with other sources (the
 * higher-priority one wins: manual > service_mesh > otel_service_graph > kubernetes), then run
 * Tarjan over the effective graph and record cycles. Large batches are written in statements of
 * INGEST_CHUNK rows (still one transaction): on the embedded database one statement's JSON
 * parameter and intermediate results live in its WebAssembly heap, which never shrinks.
 */
export async function ingestGraph(db: Database, req: IngestRequest): Promise<IngestResult> {
  const firstNode = new Map<string, number>();
  req.nodes.forEach((n, i) => {
    const first = firstNode.get(n.service_id);
    if (first !== undefined) {
      throw new BulwarkError(
        'validation_failed',
        `body field /nodes/${i} repeats the service ${n.service_id} of /nodes/${first}; send each service once`,
      );
    }
    firstNode.set(n.service_id, i);
  });
  // Index of each edge in the batch by source and target: rejects repeats here, finds this batch's
  // side of a conflict below.
  const edgeAt = new Map<string, number>();
  req.edges.forEach((e, i) => {
    const key = `${e.source}\u0000${e.target}`;
    const first = edgeAt.get(key);
    if (first !== undefined) {
      throw new BulwarkError(
        'validation_failed',
        `body field /edges/${i} repeats the edge ${e.source} -> ${e.target} of /edges/${first}; send each edge once`,
      );
    }
    edgeAt.set(key, i);
  });
  const observedAt = req.timestamp ?? new Date();
  const result = await db.transaction(async (tx) => {
    const nodeIds = new Set(req.nodes.map((n) => n.service_id));
    for (const part of chunks(req.nodes)) {
      await tx.query(sql`
        insert into services (id, team, criticality, tier, namespace, service_type, published_sla, metadata, placeholder, discovered_by, last_seen)
        select n->>'service_id', n->'metadata'->>'team', n->'metadata'->>'criticality', (n->'metadata'->>'tier')::int,
               n->'metadata'->>'namespace', coalesce(n->'metadata'->>'service_type', 'internal'),
               (n->'metadata'->>'published_sla')::float8, coalesce(n->'metadata', '{}'::jsonb), false, ${req.source}, ${observedAt}
        from jsonb_array_elements(${JSON.stringify(part)}::jsonb) as n
        on conflict (id) do update set
          team = coalesce(excluded.team, services.team),
          criticality = coalesce(excluded.criticality, services.criticality),
          tier = coalesce(excluded.tier, services.tier),
          namespace = coalesce(excluded.namespace, services.namespace),
          service_type = excluded.service_type,
          published_sla = coalesce(excluded.published_sla, services.published_sla),
          metadata = services.metadata || excluded.metadata,
          placeholder = false,
          last_seen = excluded.last_seen`);
    }
    const endpoints = [...new Set(req.edges.flatMap((e) => [e.source, e.target]))].filter((id) => !nodeIds.has(id));
    const placeholders: Array<{ id: string }> = [];
    for (const part of chunks(endpoints)) {
      placeholders.push(
        ...(await tx.query<{ id: string }>(sql`
          insert into services (id, placeholder, discovered_by)
          select x, true, ${req.source} from jsonb_array_elements_text(${JSON.stringify(part)}::jsonb) as x
          on conflict (id) do nothing
          returning id`)),
      );
    }
    for (const part of chunks(req.edges)) {
      await tx.query(sql`
        insert into service_dependencies (source_service_id, target_service_id, discovery_source, communication_mode, criticality,
                                          protocol, timeout_ms, retry_config, redundancy_group, last_observed_at)
        select e->>'source', e->>'target', ${req.source}, e->'attributes'->>'communication_mode',
               coalesce(e->'attributes'->>'criticality', 'hard'), e->'attributes'->>'protocol',
               (e->'attributes'->>'timeout_ms')::int, e->'attributes'->'retry_config', e->'attributes'->>'redundancy_group', ${observedAt}
        from jsonb_array_elements(${JSON.stringify(part)}::jsonb) as e
        on conflict (source_service_id, target_service_id, discovery_source) do update set
          communication_mode = excluded.communication_mode, criticality = excluded.criticality, protocol = excluded.protocol,
          timeout_ms = excluded.timeout_ms, retry_config = excluded.retry_config, redundancy_group = excluded.redundancy_group,
          last_observed_at = excluded.last_observed_at`);
    }
    for (const part of chunks(req.edges)) await refreshEffective(tx, part);
    const others: Array<{
      source_service_id: string;
      target_service_id: string;
      discovery_source: DiscoverySource;
      criticality: string;
    }> = [];
    for (const part of chunks(req.edges)) {
      others.push(
        ...(await tx.query<(typeof others)[number]>(sql`
          select d.source_service_id, d.target_service_id, d.discovery_source, d.criticality
          from service_dependencies d
          join jsonb_array_elements(${JSON.stringify(part)}::jsonb) as e
            on d.source_service_id = e->>'source' and d.target_service_id = e->>'target'
          where d.discovery_source <> ${req.source}`)),
      );
    }
    const conflicts: IngestResult['conflicts'] = [];
    for (const o of others) {
      const at = edgeAt.get(`${o.source_service_id}\u0000${o.target_service_id}`);
      const mine = at === undefined ? undefined : req.edges[at];
      const value = mine?.attributes?.criticality ?? 'hard';
      if (value === o.criticality) continue;
      const mineWins = PRIORITY[req.source] < PRIORITY[o.discovery_source];
      conflicts.push({
        source: o.source_service_id,
        target: o.target_service_id,
        field: 'criticality',
        kept: mineWins ? { source: req.source, value } : { source: o.discovery_source, value: o.criticality },
        other: mineWins ? { source: o.discovery_source, value: o.criticality } : { source: req.source, value },
      });
    }
    const cycles = await detectCycles(tx);
    await tx.query(sql`update graph_state set version = version + 1, snapshot_id = gen_random_uuid() where id = 1`);
    const id = await tx.query<{ id: string }>(sql`select gen_random_uuid()::text as id`);
    return {
      ingestion_id: (id[0] as { id: string }).id,
      status: 'completed' as const,
      nodes_received: req.nodes.length,
      edges_received: req.edges.length,
      placeholders_created: placeholders.map((p) => p.id),
      conflicts,
      cycles,
    };
  });
  // Committed: graph caches on this handle see the change at once (see createGraphIndexCache).
  localIngestions.set(db, ingestionsThrough(db) + 1);
  return result;
}

/**
 * Graph ingestions committed through each database handle in this process. The embedded database
 * is opened by one process only, so there this count changes exactly when the graph does.
 */
const localIngestions = new WeakMap<Database, number>();
const ingestionsThrough = (db: Database) => localIngestions.get(db) ?? 0;

/** Rows per ingestion statement (see ingestGraph). */
export const INGEST_CHUNK = 2_000;

function chunks<T>(items: T[], size = INGEST_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Recompute the effective row of each (source, target) pair the batch touched. */
async function refreshEffective(q: Queryable, edges: IngestEdge[]): Promise<void> {
  const pairs = JSON.stringify(edges.map((e) => ({ s: e.source, t: e.target })));
  await q.query(sql`
    insert into effective_dependencies (source_service_id, target_service_id, discovery_source, communication_mode, criticality,
                                        protocol, timeout_ms, retry_config, redundancy_group, confidence, last_observed_at)
    select distinct on (d.source_service_id, d.target_service_id)
      d.source_service_id, d.target_service_id, d.discovery_source, d.communication_mode, d.criticality, d.protocol, d.timeout_ms,
      d.retry_config, d.redundancy_group, d.confidence, d.last_observed_at
    from service_dependencies d
    join jsonb_array_elements(${pairs}::jsonb) as p on d.source_service_id = p->>'s' and d.target_service_id = p->>'t'
    order by d.source_service_id, d.target_service_id,
      case d.discovery_source when 'manual' then 0 when 'service_mesh' then 1 when 'otel_service_graph' then 2 else 3 end
    on conflict (source_service_id, target_service_id) do update set
      discovery_source = excluded.discovery_source, communication_mode = excluded.communication_mode,
      criticality = excluded.criticality, protocol = excluded.protocol, timeout_ms = excluded.timeout_ms,
      retry_config = excluded.retry_config, redundancy_group = excluded.redundancy_group,
      confidence = excluded.confidence, last_observed_at = excluded.last_observed_at`);
}

/** Tarjan over the effective graph; every cycle is recorded (or refreshed) as an alert. */
export async function detectCycles(q: Queryable): Promise<string[][]> {
  const edges = await q.query<{ s: string; t: string }>(
    sql`select source_service_id as s, target_service_id as t from effective_dependencies`,
  );
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    const list = adj.get(e.s) ?? [];
    list.push(e.t);
    adj.set(e.s, list);
    if (!adj.has(e.t)) adj.set(e.t, []);
  }
  const succ = (n: string) => adj.get(n) ?? [];
  const found = cyclesOf(stronglyConnectedComponents(adj.keys(), succ), succ).map((c) => [...c].sort());
  for (const members of found) {
    await q.query(sql`
      insert into circular_dependency_alerts (cycle_key, members) values (${members.join(' -> ')}, ${JSON.stringify(members)}::jsonb)
      on conflict (cycle_key) do update set last_detected_at = now()`);
  }
  return found;
}

export interface ServiceRow {
  id: string;
  team: string | null;
  criticality: string | null;
  tier: number | null;
  namespace: string | null;
  service_type: string;
  placeholder: boolean;
  discovered_by: string;
  last_seen: Date;
}

export async function listServices(
  q: Queryable,
  f: { team?: string | undefined; criticality?: string | undefined; after?: string | undefined; limit: number },
): Promise<ServiceRow[]> {
  const parts: SQL[] = [sql`true`];
  if (f.team) parts.push(sql`team = ${f.team}`);
  if (f.criticality) parts.push(sql`criticality = ${f.criticality}`);
  if (f.after) parts.push(sql`id > ${f.after}`);
  return q.query<ServiceRow>(sql`
    select id, team, criticality, tier, namespace, service_type, placeholder, discovered_by, last_seen
    from services where ${sql.join(parts, sql` and `)} order by id limit ${f.limit}`);
}

export interface DependencyRow {
  source: string;
  target: string;
  depth: number;
  direction: 'downstream' | 'upstream';
  criticality: string;
  discovery_source: string;
  confidence: number;
  is_stale: boolean;
  target_type: string;
}

/** Breadth-limited traversal over effective edges with a recursive CTE (depth <= 10, cycle-safe). */
export async function traverse(
  q: Queryable,
  o: { service: string; direction: 'upstream' | 'downstream'; depth: number; includeExternal: boolean },
): Promise<DependencyRow[]> {
  const down = o.direction === 'downstream';
  const rows = await q.query<DependencyRow>(sql`
    with recursive walk(source, target, depth, path) as (
      select d.source_service_id, d.target_service_id, 1, array[${o.service}::text, ${down ? sql`d.target_service_id` : sql`d.source_service_id`}]
      from effective_dependencies d where ${down ? sql`d.source_service_id` : sql`d.target_service_id`} = ${o.service}
      union all
      select d.source_service_id, d.target_service_id, w.depth + 1, w.path || ${down ? sql`d.target_service_id` : sql`d.source_service_id`}
      from walk w join effective_dependencies d on ${down ? sql`d.source_service_id = w.target` : sql`d.target_service_id = w.source`}
      where w.depth < ${o.depth} and not (${down ? sql`d.target_service_id` : sql`d.source_service_id`} = any(w.path))
    )
    select distinct on (w.source, w.target) w.source, w.target, w.depth, ${o.direction}::text as direction,
      d.criticality, d.discovery_source, d.confidence, d.last_observed_at < now() - interval '7 days' as is_stale,
      s.service_type as target_type
    from walk w
    join effective_dependencies d on d.source_service_id = w.source and d.target_service_id = w.target
    join services s on s.id = ${down ? sql`w.target` : sql`w.source`}
    order by w.source, w.target, w.depth`);
  return o.includeExternal ? rows : rows.filter((r) => r.target_type !== 'external');
}

/**
 * One in-memory adjacency index per server, rebuilt when the graph version in the database
 * changes, so every instance answers from the same graph. On PostgreSQL any instance's ingestion
 * bumps the version, which is checked at most every `checkIntervalMs` (and at once after
 * `invalidate()`). On the embedded database no other process can write, so the count of this
 * process's committed ingestions is exact: an unchanged count needs no query, and a changed one
 * is seen at once.
 */
export function createGraphIndexCache(db: Database, options: { checkIntervalMs?: number } = {}) {
  type Snapshot = { version: string; snapshotId: string; index: AdjacencyIndex; ingestions: number };
  const interval = options.checkIntervalMs ?? 0;
  const exclusive = db.driver === 'pglite';
  let checkedAt = 0;
  let cached: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;
  const load = async (version: string, snapshotId: string, ingestions: number): Promise<Snapshot> => {
    const [edges, services] = await Promise.all([
      db.query<IndexedEdge & { source_service_id: string; target_service_id: string }>(sql`
        select source_service_id as source, target_service_id as target, criticality, discovery_source, confidence, last_observed_at, redundancy_group
        from effective_dependencies`),
      db.query<{ id: string; service_type: string }>(sql`select id, service_type from services`),
    ]);
    // Rows arrive with their own copy of every string and timestamp; one copy each keeps the index
    // of a 50,000-edge graph several MiB smaller (nothing mutates them).
    const strings = new Map<string, string>();
    const intern = <T extends string | null | undefined>(v: T): T => {
      if (typeof v !== 'string') return v;
      const have = strings.get(v);
      if (have !== undefined) return have as T;
      strings.set(v, v);
      return v;
    };
    const dates = new Map<number, Date>();
    for (const e of edges) {
      e.source = intern(e.source);
      e.target = intern(e.target);
      e.criticality = intern(e.criticality);
      e.discovery_source = intern(e.discovery_source);
      if (e.redundancy_group) e.redundancy_group = intern(e.redundancy_group);
      if (!(e.last_observed_at instanceof Date)) continue;
      const d = dates.get(e.last_observed_at.getTime());
      if (d) e.last_observed_at = d;
      else dates.set(e.last_observed_at.getTime(), e.last_observed_at);
    }
    return {
      version,
      snapshotId,
      index: new AdjacencyIndex(edges, new Map(services.map((r) => [intern(r.id), intern(r.service_type)]))),
      ingestions,
    };
  };
  const current = async (): Promise<Snapshot> => {
    if (cached) {
      if (exclusive && cached.ingestions === ingestionsThrough(db)) return cached;
      if (!exclusive && interval > 0 && Date.now() - checkedAt < interval) return cached;
    }
    // Read before the version: an ingestion committing meanwhile leaves the count ahead of the
    // snapshot, so the next call checks again (never the other way round).
    const ingestions = ingestionsThrough(db);
    checkedAt = Date.now();
    const rows = await db.query<{ version: string; snapshot_id: string }>(
      sql`select version::text as version, snapshot_id::text as snapshot_id from graph_state where id = 1`,
    );
    const version = rows[0]?.version ?? '0';
    if (cached?.version === version) {
      cached.ingestions = Math.max(cached.ingestions, ingestions);
      return cached;
    }
    loading ??= load(version, rows[0]?.snapshot_id ?? '', ingestions).finally(() => {
      loading = undefined;
    });
    cached = await loading;
    return cached;
  };
  return {
    /** The index of the current graph version (reloaded when any instance ingested). */
    async get(): Promise<AdjacencyIndex> {
      return (await current()).index;
    },
    /** The index with the graph version and snapshot id it was built from. */
    current,
    /** Forget the last version check (call after ingesting in this process). */
    invalidate(): void {
      checkedAt = 0;
    },
  };
}

export type GraphIndexCache = ReturnType<typeof createGraphIndexCache>;
