import { stronglyConnectedComponents } from './scc.js';

/**
 * Composite availability: the best availability a service can reach given what it depends on.
 *
 * - serial hard dependencies multiply: R = R_self × Π R_dep — every hard dependency reachable
 *   through hard edges is counted once, so a dependency shared by two branches (a diamond) is not
 *   counted twice, as the naive per-edge formula does;
 * - a redundancy group (edges with the same `redundancy_group`) is up when any replica is:
 *   R = 1 − Π (1 − R_replica);
 * - soft and degraded dependencies are excluded from the bound but returned as risks;
 * - a cycle is contracted to one supernode whose availability is its weakest member's;
 * - external dependencies use their observed availability when known, else the published SLA
 *   with the pessimistic adjustment (its error rate ×1.1 plus 0.1 point of the remaining budget,
 *   as the TRD's 99.99% -> 99.89% example: 1 − (1 − sla) − 0.001).
 */
export interface NodeAvailability {
  /** Observed availability of the service itself (0–1), excluding its dependencies' effect. */
  self?: number | undefined;
  /** For external dependencies without telemetry. */
  publishedSla?: number | undefined;
  external?: boolean | undefined;
}

export interface DependencyEdge {
  target: string;
  criticality: 'hard' | 'soft' | 'degraded';
  redundancy_group?: string | undefined;
}

export interface CompositeInput {
  nodes: Map<string, NodeAvailability>;
  edges: Map<string, DependencyEdge[]>;
}

export interface CompositeResult {
  service: string;
  /** The composite bound (0–1). */
  availability: number;
  /** Each hard dependency counted in the bound, with its effective availability. */
  hardDependencies: Array<{ service: string; availability: number }>;
  softRisks: Array<{ service: string; criticality: 'soft' | 'degraded' }>;
  /** The hard dependency with the lowest availability. */
  bottleneck: { service: string; availability: number } | undefined;
  cycles: string[][];
}

/** Published SLA -> the availability to plan with when nothing is observed. */
export function pessimisticSla(sla: number): number {
  return Math.max(0, sla - 0.001);
}

export function effectiveAvailability(n: NodeAvailability | undefined): number {
  if (!n) return 1;
  if (n.self !== undefined) return n.self;
  if (n.publishedSla !== undefined) return pessimisticSla(n.publishedSla);
  return 1;
}

export function compositeAvailability(input: CompositeInput, service: string): CompositeResult {
  return compositeAvailabilities(input, [service]).get(service) as CompositeResult;
}

/**
 * Composite availability of many services over one graph: cycles are contracted once and each
 * component is solved once, so impact analysis over thousands of upstream services stays linear
 * in the graph rather than quadratic.
 */
export function compositeAvailabilities(
  input: CompositeInput,
  services: readonly string[],
): Map<string, CompositeResult> {
  const hardSucc = (id: string) =>
    (input.edges.get(id) ?? []).filter((e) => e.criticality === 'hard').map((e) => e.target);
  // Contract cycles among the hard edges into supernodes (weakest member).
  const reachable = new Set<string>();
  for (const s of services) for (const n of collect(s, hardSucc)) reachable.add(n);
  const components = stronglyConnectedComponents(reachable, (n) => hardSucc(n).filter((t) => reachable.has(t)));
  const componentOf = new Map<string, number>();
  components.forEach((c, i) => {
    for (const m of c) componentOf.set(m, i);
  });
  const superAvailability = components.map((c) => Math.min(...c.map((m) => effectiveAvailability(input.nodes.get(m)))));
  const isCycle = (c: string[]) => c.length > 1 || hardSucc(c[0] as string).includes(c[0] as string);

  const memo = new Map<number, { r: number; set: Set<number> }>();
  // R(component) over the set of components it needs (each counted once).
  const solve = (ci: number): { r: number; set: Set<number> } => {
    const cached = memo.get(ci);
    if (cached) return cached;
    const members = components[ci] as string[];
    const serial = new Set<number>([ci]);
    let groupsProduct = 1;
    const groups = new Map<string, number[]>();
    for (const m of members) {
      for (const e of input.edges.get(m) ?? []) {
        if (e.criticality !== 'hard') continue;
        const target = componentOf.get(e.target);
        if (target === undefined || target === ci) continue;
        if (e.redundancy_group) {
          const g = groups.get(e.redundancy_group) ?? [];
          g.push(target);
          groups.set(e.redundancy_group, g);
        } else {
          for (const s of solve(target).set) serial.add(s);
        }
      }
    }
    for (const replicas of groups.values()) {
      const unique = [...new Set(replicas)];
      groupsProduct *= 1 - unique.reduce((acc, t) => acc * (1 - solve(t).r), 1);
    }
    let r = groupsProduct;
    for (const s of serial) r *= superAvailability[s] as number;
    const result = { r, set: serial };
    memo.set(ci, result);
    return result;
  };

  const out = new Map<string, CompositeResult>();
  for (const service of services) {
    const root = componentOf.get(service) as number;
    const solved = solve(root);
    const hardDependencies = [...solved.set]
      .filter((c) => c !== root)
      .flatMap((c) =>
        (components[c] as string[]).map((m) => ({ service: m, availability: superAvailability[c] as number })),
      );
    const own = collect(service, hardSucc);
    const softRisks: CompositeResult['softRisks'] = [];
    for (const m of own) {
      for (const e of input.edges.get(m) ?? []) {
        if (e.criticality !== 'hard' && !softRisks.some((s) => s.service === e.target))
          softRisks.push({ service: e.target, criticality: e.criticality });
      }
    }
    const bottleneck = hardDependencies.reduce<CompositeResult['bottleneck']>(
      (b, d) => (!b || d.availability < b.availability ? d : b),
      undefined,
    );
    const cycles = [...new Set([...own].map((m) => componentOf.get(m) as number))]
      .map((c) => components[c] as string[])
      .filter(isCycle);
    out.set(service, { service, availability: solved.r, hardDependencies, softRisks, bottleneck, cycles });
  }
  return out;
}

/**
 * Share of a target's error budget a dependency consumes: (1 − R_dep) / (1 − target).
 * Above 0.3 the TRD calls it a high dependency risk.
 */
export function errorBudgetShare(dependencyAvailability: number, target: number): number {
  return target >= 1 ? Number.POSITIVE_INFINITY : (1 - dependencyAvailability) / (1 - target);
}

/** The target is unachievable when the composite bound is below it; hint with the 10× rule. */
export function achievability(bound: number, target: number): { achievable: boolean; message?: string } {
  if (bound >= target) return { achievable: true };
  const nines = (x: number) => `${(x * 100).toFixed(4).replace(/0+$/, '').replace(/\.$/, '')}%`;
  const needed = 1 - (1 - target) / 10;
  return {
    achievable: false,
    message: `The desired target of ${nines(target)} is unachievable: the composite availability bound is ${nines(bound)} given the current dependency chain. To achieve it, each critical dependency must be at least ${nines(needed)} (the 10x rule).`,
  };
}

function collect(start: string, succ: (id: string) => string[]): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const t of succ(queue.pop() as string)) {
      if (!seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  return seen;
}
