import { type CompositeInput, compositeAvailabilities } from '../graph/composite-availability.js';

/**
 * Impact analysis (FR-4): what a change of one service's availability does to every service that
 * depends on it. For each upstream service the composite bound of its hard dependency chain (its
 * own availability left out) is computed with the changed service at its current and at its
 * proposed availability, compared with the upstream service's active SLO target, and sorted by
 * the size of the drop. All upstream services are solved over one graph in one pass.
 */
export interface ImpactInput {
  /** Every node's planning availability (0–1): its SLO target, else its observed availability. */
  graph: CompositeInput;
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
  /** Cycles (dependency loops) on this service's path, contracted to their weakest member. */
  cycles?: string[][];
}

export interface ImpactResult {
  impacted_services: ImpactedService[];
  summary: {
    total_impacted: number;
    slos_at_risk: number;
    newly_at_risk: number;
    without_slo: number;
    recommendation: string;
  };
}

const r4 = (x: number) => Number(x.toFixed(4));

export function analyseImpact(input: ImpactInput): ImpactResult {
  const upstream = [...input.upstream.keys()].filter((s) => s !== input.changed);
  const withValue = (value: number): CompositeInput => {
    const nodes = new Map(input.graph.nodes);
    nodes.set(input.changed, { ...nodes.get(input.changed), self: value });
    return { nodes, edges: input.graph.edges };
  };
  const own = (g: CompositeInput, s: string) => {
    const n = g.nodes.get(s);
    return n?.self ?? 1;
  };
  const gCur = withValue(input.current);
  const gNew = withValue(input.proposed);
  const before = compositeAvailabilities(gCur, upstream);
  const after = compositeAvailabilities(gNew, upstream);
  const out: ImpactedService[] = [];
  for (const s of upstream) {
    const b = before.get(s);
    const a = after.get(s);
    if (!b || !a) continue;
    // The bound of the dependency chain: divide the service's own availability back out.
    const selfCur = Math.max(own(gCur, s), 1e-12);
    const cur = (b.availability / selfCur) * 100;
    const proj = (a.availability / selfCur) * 100;
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
    if (atRisk) {
      item.risk_detail = `Composite drops below SLO target (${target}% > ${r4(proj)}%)`;
    } else if (target === undefined) {
      item.risk_detail = 'No active SLO to compare against';
    }
    if (b.cycles.length > 0) item.cycles = b.cycles;
    out.push(item);
  }
  out.sort((x, y) => x.delta - y.delta || x.service_id.localeCompare(y.service_id));
  const atRisk = out.filter((i) => i.slo_at_risk === true);
  const newly = out.filter((i) => i.newly_at_risk);
  const verb = input.proposed < input.current ? 'Reducing' : 'Changing';
  const pct = (x: number) => `${r4(x * 100)}%`;
  return {
    impacted_services: out,
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
