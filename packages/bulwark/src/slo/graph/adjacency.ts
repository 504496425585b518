/**
 * In-memory adjacency index of the effective dependency graph: traversals become hash lookups
 * (the recursive CTE re-walks every path in SQL). Built from the effective edges; the store
 * rebuilds it when the graph version changes.
 */
export interface IndexedEdge {
  source: string;
  target: string;
  criticality: string;
  discovery_source: string;
  confidence: number;
  last_observed_at: Date;
  redundancy_group?: string | null;
}

export interface TraversedEdge {
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

const STALE_MS = 7 * 24 * 3600 * 1000;

export class AdjacencyIndex {
  private readonly out = new Map<string, IndexedEdge[]>();
  private readonly in = new Map<string, IndexedEdge[]>();

  constructor(
    edges: IndexedEdge[],
    private readonly serviceType: Map<string, string>,
  ) {
    for (const e of edges) {
      const o = this.out.get(e.source) ?? [];
      o.push(e);
      this.out.set(e.source, o);
      const i = this.in.get(e.target) ?? [];
      i.push(e);
      this.in.set(e.target, i);
    }
  }

  has(service: string): boolean {
    return this.serviceType.has(service);
  }

  /** The service's effective outgoing edges. */
  outEdges(service: string): readonly IndexedEdge[] {
    return this.out.get(service) ?? [];
  }

  /** The service's effective incoming edges. */
  inEdges(service: string): readonly IndexedEdge[] {
    return this.in.get(service) ?? [];
  }

  serviceTypeOf(service: string): string | undefined {
    return this.serviceType.get(service);
  }

  /** Every service reachable from `service` in a direction (excluding itself unless on a cycle). */
  reachable(service: string, direction: 'downstream' | 'upstream', maxDepth = 10): Map<string, number> {
    const adj = direction === 'downstream' ? this.out : this.in;
    const depth = new Map<string, number>();
    let frontier = [service];
    for (let d = 1; d <= maxDepth && frontier.length > 0; d++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const e of adj.get(node) ?? []) {
          const far = direction === 'downstream' ? e.target : e.source;
          if (!depth.has(far)) {
            depth.set(far, d);
            next.push(far);
          }
        }
      }
      frontier = next;
    }
    return depth;
  }

  /**
   * Every edge reachable within `depth` hops, each once with the smallest depth it is reached at
   * (breadth-first, so cycles terminate).
   */
  traverse(service: string, direction: 'downstream' | 'upstream', depth: number, now = Date.now()): TraversedEdge[] {
    const adj = direction === 'downstream' ? this.out : this.in;
    const result: TraversedEdge[] = [];
    const seenEdges = new Set<IndexedEdge>();
    let frontier = [service];
    const visited = new Set([service]);
    for (let d = 1; d <= depth && frontier.length > 0; d++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const e of adj.get(node) ?? []) {
          if (seenEdges.has(e)) continue;
          seenEdges.add(e);
          const far = direction === 'downstream' ? e.target : e.source;
          result.push({
            source: e.source,
            target: e.target,
            depth: d,
            direction,
            criticality: e.criticality,
            discovery_source: e.discovery_source,
            confidence: e.confidence,
            is_stale: now - e.last_observed_at.getTime() > STALE_MS,
            target_type: this.serviceType.get(far) ?? 'internal',
          });
          if (!visited.has(far)) {
            visited.add(far);
            next.push(far);
          }
        }
      }
      frontier = next;
    }
    return result;
  }
}
