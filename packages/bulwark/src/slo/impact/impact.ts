import type { DependencyEdge } from '../graph/composite-availability.js';
import { stronglyConnectedComponents } from '../graph/scc.js';

/**
 * Impact analysis (FR-4): what a change of one service's availability does to every service that
 * depends on it.
 *
 * Planning availabilities (SLO targets, else observed) are end-to-end: a service's number already
 * includes what its own dependencies cost it. So a service's dependency bound is the product over
 * its *direct* hard dependencies of their effective availability (redundancy groups as
 * 1 − Π(1 − R)), and a service's effective availability is the lower of its planning value and
 * its bound. Multiplying every transitive dependency instead would count each one again at every
 * level. A change propagates upward only as far as it pushes some service's bound below its own
 * planning value, which is exactly when that service's SLO is at risk. Dependency cycles are
 * broken at the first revisited member (its planning value is used) and reported.
 */
export interface ImpactInput {
  /** Planning availability (0–1) per service; absent = unknown (its bound is used). */
  values: ReadonlyMap<string, number>;
  /** Outgoing edges per service, read lazily (only services on some upstream's path are visited). */
  edges: EdgeLookup;
  changed: string;
  /** 0–1. */
  current: number;
  proposed: number;
  /** Upstream services with their hop distance from the changed service. */
  upstream: ReadonlyMap<string, number>;
  /** Active SLO availability targets (percent). */
  targets: ReadonlyMap<string, number>;
}

export interface ImpactedService {
  service_id: string;
  relationship: 'upstream' | 'upstream (transitive)';
  depth: number;
  current_composite_availability: number;
  projected_composite_availability: number;
  delta: number;
  current_slo_target: number | null;
  slo_at_risk: boolean | null;
  /** At risk only because of this change (fine before it). */
  newly_at_risk: boolean;
  risk_detail?: string;
  /** Dependency cycles this service is part of. */
  cycles?: string[][];
}

export interface ImpactResult {
  impacted_services: ImpactedService[];
  /** Services on the evaluated paths with no planning availability (their bound stood in). */
  unknown_availability_services: number;
  summary: {
    total_impacted: number;
    slos_at_risk: number;
    newly_at_risk: number;
    without_slo: number;
    recommendation: string;
  };
}

const r4 = (x: number) => Number(x.toFixed(4));

/** Anything that answers a service's outgoing edges (a Map, or a view over the graph index). */
export interface EdgeLookup {
  get(service: string): readonly DependencyEdge[] | undefined;
}

/** Dependency bound (0–1) of every service reachable in `edges`, with `changed` at `value`. */
export function dependencyBounds(
  values: ReadonlyMap<string, number>,
  edges: EdgeLookup,
  changed: string | undefined,
  value: number | undefined,
): { bound: (service: string) => number; effective: (service: string) => number; visited: () => string[] } {
  const eff = new Map<string, number>();
  const bounds = new Map<string, number>();
  const onStack = new Set<string>();
  const planning = (s: string) => (s === changed && value !== undefined ? value : values.get(s));
  const bound = (s: string): number => {
    const cached = bounds.get(s);
    if (cached !== undefined) return cached;
    onStack.add(s);
    let r = 1;
    const groups = new Map<string, number>();
    for (const e of edges.get(s) ?? []) {
      if (e.criticality !== 'hard' || e.target === s) continue;
      const a = effective(e.target);
      if (e.redundancy_group) groups.set(e.redundancy_group, (groups.get(e.redundancy_group) ?? 1) * (1 - a));
      else r *= a;
    }
    for (const allDown of groups.values()) r *= 1 - allDown;
    onStack.delete(s);
    bounds.set(s, r);
    return r;
  };
  const effective = (s: string): number => {
    const cached = eff.get(s);
    if (cached !== undefined) return cached;
    const p = planning(s);
    if (onStack.has(s)) return p ?? 1; // a cycle: break it at the revisited member
    const b = bound(s);
    const v = p === undefined ? b : Math.min(p, b);
    eff.set(s, v);
    return v;
  };
  return { bound, effective, visited: () => [...bounds.keys()] };
}

export function analyseImpact(input: ImpactInput): ImpactResult {
  const upstream = [...input.upstream.keys()].filter((s) => s !== input.changed);
  const before = dependencyBounds(input.values, input.edges, input.changed, input.current);
  const after = dependencyBounds(input.values, input.edges, input.changed, input.proposed);
  const hardSucc = (n: string) =>
    (input.edges.get(n) ?? []).filter((e) => e.criticality === 'hard').map((e) => e.target);
  const cycles = stronglyConnectedComponents([input.changed, ...upstream], hardSucc).filter(
    (c) => c.length > 1 || hardSucc(c[0] as string).includes(c[0] as string),
  );
  const cycleOf = new Map<string, string[]>();
  for (const c of cycles) for (const m of c) cycleOf.set(m, [...c].sort());

  const out: ImpactedService[] = [];
  for (const s of upstream) {
    const cur = before.bound(s) * 100;
    const proj = after.bound(s) * 100;
    const target = input.targets.get(s);
    const depth = input.upstream.get(s) ?? 1;
    const atRisk = target === undefined ? null : proj < target - 1e-9;
    const item: ImpactedService = {
      service_id: s,
      relationship: depth <= 1 ? 'upstream' : 'upstream (transitive)',
      depth,
      current_composite_availability: r4(cur),
      projected_composite_availability: r4(proj),
      delta: r4(proj - cur),
      current_slo_target: target ?? null,
      slo_at_risk: atRisk,
      newly_at_risk: atRisk === true && cur >= (target as number) - 1e-9,
    };
    if (atRisk) item.risk_detail = `Composite drops below SLO target (${target}% > ${r4(proj)}%)`;
    else if (target === undefined) item.risk_detail = 'No active SLO to compare against';
    const cycle = cycleOf.get(s);
    if (cycle) item.cycles = [cycle];
    out.push(item);
  }
  out.sort((x, y) => x.delta - y.delta || x.service_id.localeCompare(y.service_id));
  const atRisk = out.filter((i) => i.slo_at_risk === true);
  const newly = out.filter((i) => i.newly_at_risk);
  const verb = input.proposed < input.current ? 'Reducing' : 'Changing';
  const pct = (x: number) => `${r4(x * 100)}%`;
  const unknown = after.visited().filter((v) => v !== input.changed && !input.values.has(v)).length;
  return {
    impacted_services: out,
    unknown_availability_services: unknown,
    summary: {
      total_impacted: out.length,
      slos_at_risk: atRisk.length,
      newly_at_risk: newly.length,
      without_slo: out.filter((i) => i.slo_at_risk === null).length,
      recommendation:
        atRisk.length === 0
          ? `${verb} ${input.changed} to ${pct(input.proposed)} keeps every upstream SLO within its dependency bound (${out.length} upstream service(s) checked).`
          : `${verb} ${input.changed} to ${pct(input.proposed)} puts ${atRisk.length} upstream service(s) at risk of SLO breach${newly.length > 0 ? ` (${newly.length} newly)` : ''}: ${atRisk
              .slice(0, 5)
              .map((i) => i.service_id)
              .join(', ')}${atRisk.length > 5 ? ', …' : ''}.`,
    },
  };
}
