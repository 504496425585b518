import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/types.js';
import { BulwarkError, notFound } from '../../errors.js';
import type { DependencyEdge } from '../graph/composite-availability.js';
import type { GraphIndexCache } from '../graph/store.js';
import { observedAvailabilities } from '../recommend/store.js';
import { analyseImpact, type ImpactResult } from './impact.js';

/**
 * Impact analysis adapter. Planning availability of every service: its active SLO target, else
 * the availability observed by its latest recommendation, else unknown (counted; its own
 * dependency bound stands in for it).
 * No telemetry call is made, so the analysis works while Prometheus is down.
 */
export interface ImpactRequest {
  service_id: string;
  proposed_change: { sli_type: 'availability'; current_target?: number | undefined; proposed_target: number };
}

export interface ImpactResponse extends ImpactResult {
  analysis_id: string;
  service_id: string;
  proposed_change: ImpactRequest['proposed_change'] & { current_target: number | null };
  graph_snapshot_id: string;
}

export function createImpactService(o: { db: Database; graph: GraphIndexCache }) {
  return {
    async analyse(req: ImpactRequest): Promise<ImpactResponse> {
      const snap = await o.graph.current();
      const index = snap.index;
      if (!index.has(req.service_id)) {
        const rows = await o.db.query(sql`select id from services where id = ${req.service_id}`);
        if (rows.length === 0) throw notFound('service', req.service_id);
      }
      const [targetsRows, observed] = await Promise.all([
        o.db.query<{ service_id: string; availability_target: number | null }>(
          sql`select service_id, availability_target from active_slos where availability_target is not null`,
        ),
        observedAvailabilities(o.db),
      ]);
      const targets = new Map(targetsRows.map((r) => [r.service_id, r.availability_target as number]));
      const upstream = index.reachable(req.service_id, 'upstream', 10);
      const values = new Map<string, number>();
      for (const [id, v] of observed) values.set(id, v / 100);
      for (const [id, v] of targets) values.set(id, v / 100);
      const edgeCache = new Map<string, DependencyEdge[]>();
      const edges = {
        get(id: string): DependencyEdge[] {
          let e = edgeCache.get(id);
          if (!e) {
            e = index.outEdges(id).map((x) => ({
              target: x.target,
              criticality: x.criticality as DependencyEdge['criticality'],
              redundancy_group: x.redundancy_group ?? undefined,
            }));
            edgeCache.set(id, e);
          }
          return e;
        },
      };
      const currentPct =
        req.proposed_change.current_target ?? targets.get(req.service_id) ?? observed.get(req.service_id);
      if (currentPct === undefined) {
        throw new BulwarkError(
          'validation_failed',
          `${req.service_id} has no active SLO and no observed availability yet: pass proposed_change.current_target`,
        );
      }
      const result = analyseImpact({
        values,
        edges,
        changed: req.service_id,
        current: currentPct / 100,
        proposed: req.proposed_change.proposed_target / 100,
        upstream,
        targets,
      });
      return {
        analysis_id: randomUUID(),
        service_id: req.service_id,
        proposed_change: { ...req.proposed_change, current_target: currentPct },
        graph_snapshot_id: snap.snapshotId,
        ...result,
      };
    },
  };
}

export type ImpactService = ReturnType<typeof createImpactService>;
