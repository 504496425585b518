import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app.js';
import { generateTopology } from '../../src/demo/topology.js';
import { createGraphIndexCache, INGEST_CHUNK, ingestGraph, traverse } from '../../src/slo/graph/store.js';
import { testApp } from '../support/app.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/db.js';
import { expectProblem } from '../support/http.js';

const batch = {
  source: 'otel_service_graph',
  nodes: [
    { service_id: 'gateway', metadata: { team: 'edge', criticality: 'critical', tier: 0 } },
    { service_id: 'checkout', metadata: { team: 'payments', criticality: 'high' } },
    { service_id: 'payment', metadata: { team: 'payments', criticality: 'high' } },
    { service_id: 'stripe', metadata: { service_type: 'external', published_sla: 0.9999 } },
    { service_id: 'inventory', metadata: { team: 'catalog' } },
  ],
  edges: [
    {
      source: 'gateway',
      target: 'checkout',
      attributes: { criticality: 'hard', communication_mode: 'sync', protocol: 'http' },
    },
    { source: 'checkout', target: 'payment', attributes: { criticality: 'hard' } },
    { source: 'payment', target: 'stripe', attributes: { criticality: 'hard', timeout_ms: 3000 } },
    { source: 'checkout', target: 'inventory', attributes: { criticality: 'soft' } },
    { source: 'inventory', target: 'pricing', attributes: { criticality: 'hard' } },
    { source: 'pricing', target: 'inventory', attributes: { criticality: 'hard' } },
  ],
};

describe.each(DRIVERS)('dependency graph on %s', (driver) => {
  let db: TestDatabase;
  let app: App;
  beforeAll(async () => {
    db = await openTestDatabase(driver);
    app = await testApp(db);
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  const ingest = (payload: object) =>
    app.server.inject({ method: 'POST', url: '/api/v1/services/dependencies', payload });

  it('ingests a batch: placeholders for unknown targets, cycles detected and stored', async () => {
    const res = await ingest(batch);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      status: 'completed',
      nodes_received: 5,
      edges_received: 6,
      placeholders_created: ['pricing'],
    });
    expect(body.cycles).toEqual([['inventory', 'pricing']]);
    const alerts = await db.query<{ members: string[] }>(sql`select members from circular_dependency_alerts`);
    expect(alerts.map((a) => a.members)).toEqual([['inventory', 'pricing']]);
  });

  it('rejects a batch with a bad edge, naming its index, and writes nothing', async () => {
    const before = await db.query<{ n: number }>(sql`select count(*)::int as n from service_dependencies`);
    const bad = {
      ...batch,
      edges: [...batch.edges.slice(0, 3), { source: 'a', target: 'b', attributes: { criticality: 'fatal' } }],
    };
    const body = expectProblem(await ingest(bad), 400);
    expect(body.detail).toContain('/edges/3/attributes/criticality');
    const dup = { source: 'manual', nodes: [], edges: [batch.edges[0], batch.edges[1], batch.edges[0]] };
    expect(expectProblem(await ingest(dup), 400).detail).toMatch(
      /\/edges\/2 repeats the edge gateway -> checkout of \/edges\/0/,
    );
    const after = await db.query<{ n: number }>(sql`select count(*)::int as n from service_dependencies`);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('merges sources by priority and reports conflicts', async () => {
    const res = await ingest({
      source: 'manual',
      edges: [{ source: 'checkout', target: 'inventory', attributes: { criticality: 'hard' } }],
    });
    expect(res.json().conflicts).toEqual([
      {
        source: 'checkout',
        target: 'inventory',
        field: 'criticality',
        kept: { source: 'manual', value: 'hard' },
        other: { source: 'otel_service_graph', value: 'soft' },
      },
    ]);
    const effective = await db.query<{ criticality: string; discovery_source: string }>(
      sql`select criticality, discovery_source from effective_dependencies where source_service_id = 'checkout' and target_service_id = 'inventory'`,
    );
    expect(effective).toEqual([{ criticality: 'hard', discovery_source: 'manual' }]);
    // A lower-priority source does not override it.
    const k8s = await ingest({
      source: 'kubernetes',
      edges: [{ source: 'checkout', target: 'inventory', attributes: { criticality: 'soft' } }],
    });
    expect(k8s.json().conflicts[0].kept).toEqual({ source: 'manual', value: 'hard' });
  });

  it('traverses downstream and upstream with a depth limit, cycle-safe', async () => {
    const down = (
      await app.server.inject({ url: '/api/v1/services/gateway/dependencies?direction=downstream&depth=2' })
    ).json();
    expect(down.edges.map((e: { source: string; target: string }) => `${e.source}>${e.target}`).sort()).toEqual([
      'checkout>inventory',
      'checkout>payment',
      'gateway>checkout',
    ]);
    const deep = (
      await app.server.inject({ url: '/api/v1/services/gateway/dependencies?direction=downstream&depth=10' })
    ).json();
    expect(deep.edges.map((e: { target: string }) => e.target)).toEqual(
      expect.arrayContaining(['stripe', 'pricing', 'inventory']),
    );
    const noExt = (
      await app.server.inject({
        url: '/api/v1/services/gateway/dependencies?direction=downstream&depth=10&include_external=false',
      })
    ).json();
    expect(noExt.edges.map((e: { target: string }) => e.target)).not.toContain('stripe');
    const up = (
      await app.server.inject({ url: '/api/v1/services/payment/dependencies?direction=upstream&depth=5' })
    ).json();
    expect(up.edges.map((e: { source: string }) => e.source).sort()).toEqual(['checkout', 'gateway']);
    expectProblem(await app.server.inject({ url: '/api/v1/services/nope/dependencies' }), 404);
    expectProblem(await app.server.inject({ url: '/api/v1/services/gateway/dependencies?depth=11' }), 400);
  });

  it('lists services with filters and a cursor', async () => {
    const payments = (await app.server.inject({ url: '/api/v1/services?team=payments' })).json();
    expect(payments.items.map((s: { id: string }) => s.id)).toEqual(['checkout', 'payment']);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/services?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await app.server.inject({ url })).json() as {
        items: Array<{ id: string }>;
        next_cursor: string | null;
      };
      ids.push(...page.items.map((s) => s.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids).toEqual(['checkout', 'gateway', 'inventory', 'payment', 'pricing', 'stripe']);
  });

  it('the in-memory index agrees with the recursive CTE and reloads when the graph changes', async () => {
    const estate = generateTopology({ services: 300, seed: 11 });
    await ingestGraph(db, estate);
    const cache = createGraphIndexCache(db);
    const index = await cache.get();
    for (const node of estate.nodes.slice(0, 40)) {
      for (const direction of ['downstream', 'upstream'] as const) {
        const viaSql = await traverse(db, { service: node.service_id, direction, depth: 3, includeExternal: true });
        const viaIndex = index.traverse(node.service_id, direction, 3);
        const key = (e: { source: string; target: string; depth: number }) => `${e.source}>${e.target}@${e.depth}`;
        const indexKeys = new Set(viaIndex.map(key));
        // Same edges at the same depth; the index also keeps edges that close a cycle back onto the path.
        for (const e of viaSql) expect(indexKeys.has(key(e)), `${node.service_id} ${direction} ${key(e)}`).toBe(true);
        const sqlKeys = new Set(viaSql.map(key));
        for (const e of viaIndex.filter((x) => !sqlKeys.has(key(x)))) {
          const far = direction === 'downstream' ? e.target : e.source;
          expect(
            viaIndex.some((x) => (direction === 'downstream' ? x.source : x.target) === far && x.depth < e.depth) ||
              far === node.service_id,
          ).toBe(true);
        }
      }
    }
    expect(await cache.get()).toBe(index); // unchanged graph: same index
    await ingestGraph(db, {
      source: 'manual',
      nodes: [],
      edges: [{ source: 'gateway', target: 'search', attributes: { criticality: 'hard' } }],
    });
    const reloaded = await cache.get();
    expect(reloaded).not.toBe(index);
    expect(reloaded.traverse('gateway', 'downstream', 1).map((e) => e.target)).toContain('search');
  });

  it('the index cache sees an ingestion in this process at once on the embedded database, and asks nothing otherwise', async () => {
    // A long throttle: on PostgreSQL other instances' ingestions are seen when it expires.
    const cache = createGraphIndexCache(db, { checkIntervalMs: 3_600_000 });
    const before = await cache.current();
    const query = vi.spyOn(db, 'query');
    try {
      for (let i = 0; i < 5; i++) expect(await cache.current()).toBe(before);
      expect(query).not.toHaveBeenCalled();
      // Straight through the store, not the route (which also calls invalidate()).
      await ingestGraph(db, {
        source: 'manual',
        nodes: [],
        edges: [{ source: 'search', target: 'search-index', attributes: { criticality: 'hard' } }],
      });
      query.mockClear();
      const after = await cache.current();
      if (driver === 'pglite') {
        expect(after.snapshotId).not.toBe(before.snapshotId);
        expect(after.index.outEdges('search').map((e) => e.target)).toContain('search-index');
        query.mockClear();
        expect(await cache.current()).toBe(after);
        expect(query).not.toHaveBeenCalled();
      } else {
        expect(after).toBe(before); // within the throttle, until this instance is told
        expect(query).not.toHaveBeenCalled();
        cache.invalidate();
        expect((await cache.current()).snapshotId).not.toBe(before.snapshotId);
      }
    } finally {
      query.mockRestore();
    }
  });

  it('ingests a batch larger than one statement: every row, placeholder and conflict across chunks', async () => {
    const n = INGEST_CHUNK * 2 + 7;
    const nodes = Array.from({ length: n }, (_, i) => ({ service_id: `chunk-svc-${i}` }));
    // Each node calls the next; every edge target past the last node is a placeholder.
    const edges = nodes.map((node, i) => ({
      source: node.service_id,
      target: i + 1 < n ? `chunk-svc-${i + 1}` : 'chunk-tail',
      attributes: { criticality: 'hard' as const },
    }));
    const first = await ingestGraph(db, { source: 'kubernetes', nodes, edges });
    expect(first).toMatchObject({ nodes_received: n, edges_received: n, placeholders_created: ['chunk-tail'] });
    // A higher-priority source disagrees on edges in every chunk.
    const soft = edges
      .filter((_, i) => i % 1000 === 0)
      .map((e) => ({ ...e, attributes: { criticality: 'soft' as const } }));
    const second = await ingestGraph(db, { source: 'manual', nodes: [], edges: soft });
    expect(second.conflicts).toHaveLength(soft.length);
    expect(second.conflicts.every((c) => c.kept.source === 'manual' && c.kept.value === 'soft')).toBe(true);
    const [counts] = await db.query<{ services: number; deps: number; effective_soft: number }>(sql`
      select (select count(*)::int from services where id like 'chunk-%') as services,
             (select count(*)::int from service_dependencies where source_service_id like 'chunk-%') as deps,
             (select count(*)::int from effective_dependencies where source_service_id like 'chunk-%' and criticality = 'soft') as effective_soft`);
    expect(counts).toEqual({ services: n + 1, deps: n + soft.length, effective_soft: soft.length });
  });

  it('rejects a batch that repeats a service, naming both indexes', async () => {
    const dup = {
      source: 'manual',
      nodes: [{ service_id: 'a1' }, { service_id: 'b1' }, { service_id: 'a1' }],
      edges: [],
    };
    expect(expectProblem(await ingest(dup), 400).detail).toMatch(/\/nodes\/2 repeats the service a1 of \/nodes\/0/);
  });
});
