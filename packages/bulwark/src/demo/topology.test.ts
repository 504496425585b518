import { describe, expect, it } from 'vitest';
import { cycles, stronglyConnectedComponents } from '../slo/graph/scc.js';
import { generateTopology } from './topology.js';

describe('demo topology', () => {
  it.each([50, 500, 5000])('generates %i services with consistent edges and a few cycles', (services) => {
    const t = generateTopology({ services, seed: 7 });
    expect(t.nodes).toHaveLength(services);
    const ids = new Set(t.nodes.map((n) => n.service_id));
    expect(ids.size).toBe(services);
    for (const e of t.edges) {
      expect(ids.has(e.source)).toBe(true);
      expect(ids.has(e.target)).toBe(true);
    }
    expect(new Set(t.edges.map((e) => `${e.source}>${e.target}`)).size).toBe(t.edges.length);
    const adj = new Map<string, string[]>();
    for (const e of t.edges) adj.set(e.source, [...(adj.get(e.source) ?? []), e.target]);
    const succ = (x: string) => adj.get(x) ?? [];
    expect(cycles(stronglyConnectedComponents(ids, succ), succ).length).toBeGreaterThan(0);
    expect(t.edges.some((e) => e.attributes?.redundancy_group)).toBe(true);
    expect(t.nodes.some((n) => n.metadata?.service_type === 'external')).toBe(true);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateTopology({ services: 300, seed: 1 })).toEqual(generateTopology({ services: 300, seed: 1 }));
    expect(generateTopology({ services: 300, seed: 1 }).edges).not.toEqual(
      generateTopology({ services: 300, seed: 2 }).edges,
    );
  });
});
