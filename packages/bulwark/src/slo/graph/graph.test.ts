import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  achievability,
  compositeAvailability,
  type DependencyEdge,
  errorBudgetShare,
  type NodeAvailability,
  pessimisticSla,
} from './composite-availability.js';
import { stronglyConnectedComponents } from './scc.js';

const graphArb = fc
  .integer({ min: 1, max: 9 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: n * 3 }),
    ),
  );

function reaches(adj: Map<string, string[]>, from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length) {
    const n = queue.pop() as string;
    if (n === to) return true;
    for (const m of adj.get(n) ?? []) {
      if (!seen.has(m)) {
        seen.add(m);
        queue.push(m);
      }
    }
  }
  return false;
}

describe('strongly connected components', () => {
  it('agree with a brute force on random small graphs', () => {
    fc.assert(
      fc.property(graphArb, ([n, pairs]) => {
        const nodes = Array.from({ length: n }, (_, i) => `s${i}`);
        const adj = new Map(nodes.map((x) => [x, [] as string[]]));
        for (const [a, b] of pairs) adj.get(`s${a}`)?.push(`s${b}`);
        const comps = stronglyConnectedComponents(nodes, (x) => adj.get(x) ?? []);
        const compOf = new Map<string, number>();
        comps.forEach((c, i) => {
          for (const m of c) compOf.set(m, i);
        });
        expect(compOf.size).toBe(n); // a partition
        for (const a of nodes) {
          for (const b of nodes) {
            const same = compOf.get(a) === compOf.get(b);
            expect(same).toBe(reaches(adj, a, b) && reaches(adj, b, a));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('handles a 5,000-node chain without overflowing the stack', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => `n${i}`);
    const comps = stronglyConnectedComponents(nodes, (x) => {
      const i = Number(x.slice(1));
      return i + 1 < 5000 ? [`n${i + 1}`] : ['n0']; // one big cycle
    });
    expect(comps).toHaveLength(1);
    expect(comps[0]).toHaveLength(5000);
  });
});

const avail = fc.double({ min: 0.9, max: 1, noNaN: true });

function build(nodes: Record<string, number>, edges: Record<string, DependencyEdge[]>) {
  return {
    nodes: new Map<string, NodeAvailability>(Object.entries(nodes).map(([k, v]) => [k, { self: v }])),
    edges: new Map(Object.entries(edges)),
  };
}

describe('composite availability', () => {
  it('equals the product on a chain and never exceeds the weakest hard dependency', () => {
    fc.assert(
      fc.property(fc.array(avail, { minLength: 1, maxLength: 8 }), (rs) => {
        const nodes = Object.fromEntries(rs.map((r, i) => [`s${i}`, r]));
        const edges = Object.fromEntries(
          rs.slice(0, -1).map((_, i) => [`s${i}`, [{ target: `s${i + 1}`, criticality: 'hard' as const }]]),
        );
        const result = compositeAvailability(build(nodes, edges), 's0');
        const product = rs.reduce((a, b) => a * b, 1);
        expect(result.availability).toBeCloseTo(product, 12);
        for (const r of rs) expect(result.availability).toBeLessThanOrEqual(r + 1e-12);
      }),
    );
  });

  it('counts a shared dependency once (diamond), where the per-edge formula would count it twice', () => {
    const g = build(
      { api: 1, a: 1, b: 1, db: 0.99 },
      {
        api: [
          { target: 'a', criticality: 'hard' },
          { target: 'b', criticality: 'hard' },
        ],
        a: [{ target: 'db', criticality: 'hard' }],
        b: [{ target: 'db', criticality: 'hard' }],
      },
    );
    expect(compositeAvailability(g, 'api').availability).toBeCloseTo(0.99, 12);
  });

  it('adding a redundant replica never lowers the bound', () => {
    fc.assert(
      fc.property(avail, fc.array(avail, { minLength: 1, maxLength: 4 }), avail, (self, replicas, extra) => {
        const edges = (n: number) => ({
          svc: Array.from({ length: n }, (_, i) => ({
            target: `r${i}`,
            criticality: 'hard' as const,
            redundancy_group: 'db',
          })),
        });
        const nodes = { svc: self, ...Object.fromEntries([...replicas, extra].map((r, i) => [`r${i}`, r])) };
        const before = compositeAvailability(build(nodes, edges(replicas.length)), 'svc').availability;
        const after = compositeAvailability(build(nodes, edges(replicas.length + 1)), 'svc').availability;
        expect(after).toBeGreaterThanOrEqual(before - 1e-12);
        const expected = self * (1 - [...replicas, extra].reduce((a, r) => a * (1 - r), 1));
        expect(after).toBeCloseTo(expected, 12);
      }),
    );
  });

  it('excludes soft and degraded dependencies from the bound but reports them as risks', () => {
    const g = build(
      { web: 0.999, search: 0.9, recs: 0.8 },
      {
        web: [
          { target: 'search', criticality: 'soft' },
          { target: 'recs', criticality: 'degraded' },
        ],
      },
    );
    const r = compositeAvailability(g, 'web');
    expect(r.availability).toBeCloseTo(0.999, 12);
    expect(r.softRisks).toEqual([
      { service: 'search', criticality: 'soft' },
      { service: 'recs', criticality: 'degraded' },
    ]);
  });

  it('contracts a cycle to its weakest member and reports it', () => {
    const g = build(
      { a: 1, b: 0.999, c: 0.99, d: 0.995 },
      {
        a: [{ target: 'b', criticality: 'hard' }],
        b: [{ target: 'c', criticality: 'hard' }],
        c: [
          { target: 'b', criticality: 'hard' },
          { target: 'd', criticality: 'hard' },
        ],
      },
    );
    const r = compositeAvailability(g, 'a');
    expect(r.cycles.map((c) => [...c].sort())).toEqual([['b', 'c']]);
    expect(r.availability).toBeCloseTo(1 * 0.99 * 0.995, 12);
    expect(r.bottleneck?.availability).toBe(0.99);
  });

  it('uses the pessimistic published SLA for an unobserved external dependency', () => {
    expect(pessimisticSla(0.9999)).toBeCloseTo(0.9989, 12);
    const g = {
      nodes: new Map<string, NodeAvailability>([
        ['checkout', { self: 1 }],
        ['stripe', { external: true, publishedSla: 0.9999 }],
      ]),
      edges: new Map([['checkout', [{ target: 'stripe', criticality: 'hard' as const }]]]),
    };
    expect(compositeAvailability(g, 'checkout').availability).toBeCloseTo(0.9989, 12);
  });

  it('error-budget share and unachievable targets with the 10x hint', () => {
    expect(errorBudgetShare(0.9995, 0.999)).toBeCloseTo(0.5, 9);
    expect(achievability(0.997, 0.999)).toMatchObject({
      achievable: false,
      message: expect.stringMatching(/99\.99% \(the 10x rule\)/),
    });
    expect(achievability(0.9995, 0.999)).toEqual({ achievable: true });
  });
});
