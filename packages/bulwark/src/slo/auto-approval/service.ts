import { isUniqueViolation } from '../../db/errors.js';
import type { Database } from '../../db/types.js';
import { BulwarkError, isBulwarkError, notFound } from '../../errors.js';
import type { DecisionResult, SloLifecycle } from '../lifecycle/service.js';
import type { TierName } from '../lifecycle/types.js';
import {
  type Condition,
  ConditionError,
  evaluateCondition,
  type Facts,
  fieldsOf,
  parseCondition,
} from './condition.js';
import {
  type AutoApprovalRule,
  type Candidate,
  deleteRule,
  getRule,
  insertRule,
  listCandidates,
  listRules,
  updateRule,
} from './store.js';

/**
 * Auto-approval (FR-11): enabled rules accept a tier of matching recommendations on the owner's
 * behalf, through the SLO lifecycle (`decide` with action `auto_approve`, actor
 * `system:auto-approval:<rule name>`), so every approval is an ordinary audited decision.
 *
 * Which recommendations are considered: the newest active, unexpired one per (service, SLI type).
 * Rules are tried in name order; the first rule that matches and passes the guards approves.
 *
 * Guards: a recommendation is never auto-approved when
 * - it is stale (drift or a large SLI change marked it; it is regenerated on the next request);
 * - a human or rule already decided on it (accept, modify, reject or auto_approve in the audit log),
 *   so a rejection is final and re-runs are idempotent;
 * - the service's active SLO was set by a human: a manual SLO, or a modified recommendation
 *   (deliberately tuned targets are not overwritten by automation);
 * - the rule's tier is missing from the recommendation (rule-specific: the next rule may apply);
 * - its confidence is low (every cold start is low confidence), unless the rule's condition
 *   mentions `confidence`, i.e. its author decided about confidence explicitly (rule-specific).
 */

export type SkipReason =
  | 'stale'
  | 'already_decided'
  | 'manual_slo'
  | 'modified_slo'
  | 'no_such_tier'
  | 'low_confidence'
  | 'decision_refused';

/** Reasons that depend on the recommendation only: no other rule can approve it either. */
const FINAL: ReadonlySet<SkipReason> = new Set(['stale', 'already_decided', 'manual_slo', 'modified_slo']);

export interface AutoApproved {
  recommendation_id: string;
  service_id: string;
  sli_type: 'availability' | 'latency';
  rule: string;
  tier: TierName;
  result: DecisionResult;
}

export interface Skipped {
  recommendation_id: string;
  service_id: string;
  sli_type: 'availability' | 'latency';
  /** The first rule whose condition matched. */
  rule: string;
  reason: SkipReason;
  detail: string;
}

export interface DryRunMatch {
  recommendation_id: string;
  service_id: string;
  sli_type: 'availability' | 'latency';
  tier: TierName;
  target: number | null;
  facts: Facts;
}

export interface DryRun {
  rule: AutoApprovalRule;
  /** Active, unexpired recommendations the rule was evaluated against. */
  evaluated: number;
  would_approve: DryRunMatch[];
  /** Recommendations the condition matches but a guard keeps from approval. */
  skipped: Skipped[];
}

export interface RuleInput {
  name: string;
  condition: string;
  tier?: TierName | undefined;
  enabled?: boolean | undefined;
}

export interface AutoApproval {
  /**
   * Apply the enabled rules to these recommendations (ids that are not active, unexpired and the
   * newest of their service and SLI type are ignored). Returns the approvals made.
   */
  evaluate(recommendationIds: readonly string[]): Promise<AutoApproved[]>;
  /** Apply the enabled rules to every active recommendation now. */
  run(): Promise<{ evaluated: number; approved: AutoApproved[]; skipped: Skipped[] }>;
  /** What one rule (enabled or not) would approve now, without writing anything. */
  dryRun(ruleId: string): Promise<DryRun>;
  listRules(): Promise<AutoApprovalRule[]>;
  getRule(id: string): Promise<AutoApprovalRule>;
  createRule(input: RuleInput, actor: string): Promise<AutoApprovalRule>;
  updateRule(id: string, patch: Partial<RuleInput>, actor: string): Promise<AutoApprovalRule>;
  deleteRule(id: string): Promise<void>;
}

/** Parse a condition for writing; a bad one is a 400 naming the field and the column. */
export function validateCondition(src: string): Condition {
  try {
    return parseCondition(src);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    throw new BulwarkError('validation_failed', `body field /condition: ${err.message}`, {
      extensions: {
        column: err.column,
        errors: [{ pointer: '/condition', in: 'body', detail: err.message, column: err.column }],
      },
    });
  }
}

/** The facts a condition sees for one recommendation at one tier. */
export function factsOf(c: Candidate, tier: TierName): { facts: Facts; target: number | undefined } {
  const facts: Facts = {
    service_id: c.service_id,
    tier,
    sli_type: c.sli_type,
    confidence: c.confidence,
    lookback_days: c.lookback_days,
    cold_start: c.cold_start,
  };
  if (c.team !== null) facts.team = c.team;
  if (c.criticality !== null) facts.criticality = c.criticality;
  if (c.service_tier !== null) facts.service_tier = c.service_tier;
  if (c.data_completeness !== null) facts.data_completeness = c.data_completeness;
  const t = c.tiers[tier];
  let target: number | undefined;
  if (t && typeof t === 'object') {
    const o = t as Record<string, unknown>;
    const value = c.sli_type === 'availability' ? o.target : o.target_ms;
    if (typeof value === 'number' && Number.isFinite(value)) target = value;
    if (typeof o.estimated_breach_probability === 'number') facts.breach_probability = o.estimated_breach_probability;
  }
  if (target !== undefined) facts.target = target;
  return { facts, target };
}

interface CompiledRule {
  rule: AutoApprovalRule;
  condition: Condition;
  mentionsConfidence: boolean;
}

type Verdict =
  | { kind: 'no_match' }
  | { kind: 'skip'; reason: SkipReason; detail: string }
  | { kind: 'approve'; facts: Facts; target: number | undefined };

function judge(c: Candidate, r: CompiledRule): Verdict {
  const { facts, target } = factsOf(c, r.rule.tier);
  if (!evaluateCondition(r.condition, facts)) return { kind: 'no_match' };
  const skip = (reason: SkipReason, detail: string): Verdict => ({ kind: 'skip', reason, detail });
  if (c.stale) return skip('stale', 'the recommendation is stale; it is regenerated on the next request');
  if (c.decided) return skip('already_decided', 'the recommendation was already accepted, modified or rejected');
  if (c.active_source === 'manual') return skip('manual_slo', 'the service has a manual SLO');
  if (c.active_source === 'recommendation_modified') {
    return skip('modified_slo', 'the service has an SLO with targets a human modified');
  }
  if (target === undefined) return skip('no_such_tier', `the recommendation has no '${r.rule.tier}' tier`);
  if (c.confidence === 'low' && !r.mentionsConfidence) {
    return skip(
      'low_confidence',
      `${c.cold_start ? 'cold start, ' : ''}low confidence: only a rule whose condition mentions confidence approves it`,
    );
  }
  return { kind: 'approve', facts, target };
}

function compile(rules: AutoApprovalRule[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const rule of rules) {
    try {
      const condition = parseCondition(rule.condition);
      out.push({ rule, condition, mentionsConfidence: fieldsOf(condition).has('confidence') });
    } catch (err) {
      // Validated on write; a rule the current grammar rejects never approves anything.
      if (!(err instanceof ConditionError)) throw err;
    }
  }
  return out;
}

const REFUSED = new Set(['conflict', 'not_found', 'validation_failed']);

export function createAutoApproval(deps: { db: Database; lifecycle: SloLifecycle; clock?: () => Date }): AutoApproval {
  const { db, lifecycle } = deps;
  const clock = deps.clock ?? (() => new Date());
  // Runs in this process are serialised, so two overlapping runs never approve one recommendation twice.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  async function apply(ids: readonly string[] | undefined) {
    const rules = compile(await listRules(db, { enabledOnly: true }));
    const candidates = rules.length === 0 ? [] : await listCandidates(db, { now: clock(), ...(ids ? { ids } : {}) });
    const approved: AutoApproved[] = [];
    const skipped: Skipped[] = [];
    for (const c of candidates) {
      const base = { recommendation_id: c.id, service_id: c.service_id, sli_type: c.sli_type };
      let firstSkip: Skipped | undefined;
      for (const r of rules) {
        const v = judge(c, r);
        if (v.kind === 'no_match') continue;
        if (v.kind === 'skip') {
          firstSkip ??= { ...base, rule: r.rule.name, reason: v.reason, detail: v.detail };
          if (FINAL.has(v.reason)) break;
          continue;
        }
        firstSkip = undefined;
        try {
          const result = await lifecycle.decide(
            c.service_id,
            {
              action: 'auto_approve',
              recommendation_id: c.id,
              selected_tier: r.rule.tier,
              rationale: `auto-approved by rule '${r.rule.name}' (${r.rule.tier} tier): ${r.rule.condition}`,
            },
            `system:auto-approval:${r.rule.name}`,
          );
          approved.push({ ...base, rule: r.rule.name, tier: r.rule.tier, result });
        } catch (err) {
          // The recommendation changed under us (superseded, expired, service removed): skip it.
          if (!isBulwarkError(err) || !REFUSED.has(err.code)) throw err;
          firstSkip = { ...base, rule: r.rule.name, reason: 'decision_refused', detail: err.message };
        }
        break;
      }
      if (firstSkip) skipped.push(firstSkip);
    }
    return { evaluated: candidates.length, approved, skipped };
  }

  const requireRule = async (id: string) => {
    const rule = await getRule(db, id);
    if (!rule) throw notFound('auto-approval rule', id);
    return rule;
  };
  const nameTaken = (name: string) =>
    new BulwarkError('conflict', `an auto-approval rule named '${name}' already exists; choose another name`);

  return {
    evaluate: (ids) => serialised(async () => (await apply(ids)).approved),
    run: () => serialised(() => apply(undefined)),

    async dryRun(ruleId) {
      const rule = await requireRule(ruleId);
      const [compiled] = compile([rule]);
      const candidates = compiled ? await listCandidates(db, { now: clock() }) : [];
      const out: DryRun = { rule, evaluated: candidates.length, would_approve: [], skipped: [] };
      if (!compiled) return out;
      for (const c of candidates) {
        const v = judge(c, compiled);
        const base = { recommendation_id: c.id, service_id: c.service_id, sli_type: c.sli_type };
        if (v.kind === 'approve') {
          out.would_approve.push({ ...base, tier: rule.tier, target: v.target ?? null, facts: v.facts });
        } else if (v.kind === 'skip') {
          out.skipped.push({ ...base, rule: rule.name, reason: v.reason, detail: v.detail });
        }
      }
      return out;
    },

    listRules: () => listRules(db),
    getRule: requireRule,

    async createRule(input, actor) {
      const parsed = validateCondition(input.condition);
      try {
        return await insertRule(db, {
          name: input.name,
          condition: input.condition,
          parsed,
          tier: input.tier ?? 'balanced',
          enabled: input.enabled ?? true,
          actor,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name);
        throw err;
      }
    },

    async updateRule(id, patch, actor) {
      const parsed = patch.condition === undefined ? undefined : validateCondition(patch.condition);
      try {
        const row = await updateRule(db, id, { ...patch, parsed }, actor);
        if (!row) throw notFound('auto-approval rule', id);
        return row;
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(patch.name ?? '');
        throw err;
      }
    },

    async deleteRule(id) {
      if (!(await deleteRule(db, id))) throw notFound('auto-approval rule', id);
    },
  };
}
