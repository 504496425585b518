import type { Database } from '../../db/types.js';
import { BulwarkError } from '../../errors.js';
import { decide } from './decide.js';
import {
  appendAudit,
  getActiveSlo,
  getRecommendationForDecision,
  listAudit,
  lockService,
  saveActiveSlo,
  serviceExists,
} from './store.js';
import type { ActiveSlo, DecisionRequest } from './types.js';

export interface DecisionResult {
  slo_id: string | null;
  service_id: string;
  status: 'active' | 'unchanged';
  action: DecisionRequest['action'];
  targets: ActiveSlo['targets'] | null;
  source: ActiveSlo['source'] | null;
  recommendation_id: string | null;
  selected_tier: string | null;
  modification_delta: Record<string, string> | null;
  activated_at: string | null;
  activated_by: string | null;
  audit_id: string;
}

export interface SloLifecycle {
  decide(serviceId: string, request: DecisionRequest, actor: string): Promise<DecisionResult>;
  active(serviceId: string): Promise<ActiveSlo | undefined>;
  history(serviceId: string, page: { limit: number; cursor?: string | undefined }): ReturnType<typeof listAudit>;
}

export function createSloLifecycle(deps: { db: Database; clock?: () => Date }): SloLifecycle {
  const clock = deps.clock ?? (() => new Date());
  const { db } = deps;
  const requireService = async (serviceId: string) => {
    if (!(await serviceExists(db, serviceId))) {
      throw new BulwarkError(
        'not_found',
        `service '${serviceId}' does not exist; ingest it with POST /api/v1/services/dependencies`,
      );
    }
  };
  return {
    async decide(serviceId, request, actor) {
      // One transaction: the active SLO is replaced together with its audit entry, or not at all.
      return db.transaction(async (tx) => {
        if (!(await serviceExists(tx, serviceId))) {
          throw new BulwarkError(
            'not_found',
            `service '${serviceId}' does not exist; ingest it with POST /api/v1/services/dependencies`,
          );
        }
        await lockService(tx, serviceId);
        const now = clock();
        const current = await getActiveSlo(tx, serviceId);
        const recommendation = request.recommendation_id
          ? await getRecommendationForDecision(tx, request.recommendation_id)
          : undefined;
        const decision = decide({ request, actor, serviceId, current, recommendation, now });
        const saved = decision.next ? await saveActiveSlo(tx, decision.next, now) : undefined;
        const auditId = await appendAudit(tx, {
          service_id: serviceId,
          action: decision.audit.action,
          actor,
          recommendation_id: decision.audit.recommendation_id,
          previous_slo: current,
          new_slo: saved ?? current,
          selected_tier: decision.audit.selected_tier,
          rationale: decision.audit.rationale,
          modification_delta: decision.modification_delta,
          timestamp: now,
        });
        const shown = saved ?? current;
        return {
          slo_id: shown?.id ?? null,
          service_id: serviceId,
          status: saved ? 'active' : 'unchanged',
          action: request.action,
          targets: shown?.targets ?? null,
          source: shown?.source ?? null,
          recommendation_id: saved ? saved.recommendation_id : decision.audit.recommendation_id,
          selected_tier: saved ? saved.selected_tier : decision.audit.selected_tier,
          modification_delta: decision.modification_delta,
          activated_at: shown ? shown.activated_at.toISOString() : null,
          activated_by: shown?.activated_by ?? null,
          audit_id: auditId,
        };
      });
    },
    async active(serviceId) {
      await requireService(serviceId);
      return getActiveSlo(db, serviceId);
    },
    async history(serviceId, page) {
      await requireService(serviceId);
      return listAudit(db, serviceId, page);
    },
  };
}
