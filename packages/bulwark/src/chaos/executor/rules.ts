/**
 * Fault rules: when does an installed {@link FaultPlan} apply to a request, and what does it do?
 *
 * A plan installed at time T is active during [T + start_delay_s, T + start_delay_s + duration_s).
 * It matches a request when every given matcher holds: `method` (case-insensitive; `*` or absent
 * matches any), `path_prefix` (prefix of the path without the query string) and `headers` (each
 * named header present with exactly that value; names case-insensitive). Each active matching rule
 * then fires with probability `percentage` / 100 (one draw from the seeded source per rule, in
 * installation order); the first rule that fires decides the fault. Pure, apart from the random
 * source.
 */

import type { RandomSource } from '@bulwark/resilience';
import type { FaultMatch, FaultPlan } from '../space/plan.js';
import { PLAN_FALLBACKS } from '../space/types.js';

/** A plan with the time it was installed. */
export interface InstalledRule {
  plan: FaultPlan;
  /** Epoch milliseconds. */
  installedAt: number;
}

/** The request attributes rules look at. */
export interface RuleRequest {
  method: string;
  /** Path, optionally with a query string (ignored for matching). */
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
}

/** The fault to apply to one request. */
export interface FaultDecision {
  /** Index of the deciding rule in the installed list. */
  rule: number;
  type: FaultPlan['fault']['type'];
  /** Delay before forwarding (delay / both), else 0. */
  delayMs: number;
  /** Status to answer without forwarding (abort / both), else undefined. */
  abortStatus?: number;
}

/**
 * The window in which a rule is active.
 *
 * @param rule - an installed rule
 * @returns `[start, end)` in epoch milliseconds
 */
export function ruleWindow(rule: InstalledRule): { start: number; end: number } {
  const startDelay = Math.max(0, Number.isFinite(rule.plan.start_delay_s) ? rule.plan.start_delay_s : 0);
  const duration = Number.isFinite(rule.plan.duration_s) ? Math.max(0, rule.plan.duration_s) : Number.POSITIVE_INFINITY;
  const start = rule.installedAt + startDelay * 1000;
  return { start, end: start + duration * 1000 };
}

/**
 * Whether a rule is active at `now`.
 *
 * @param rule - an installed rule
 * @param now - epoch milliseconds
 */
export function isActive(rule: InstalledRule, now: number): boolean {
  const { start, end } = ruleWindow(rule);
  return now >= start && now < end;
}

/**
 * Whether a request satisfies a matcher (see the module header).
 *
 * @param match - the plan's matcher (absent: everything matches)
 * @param request - the request
 */
export function matchesRequest(match: FaultMatch | undefined, request: RuleRequest): boolean {
  if (!match) return true;
  if (
    match.method !== undefined &&
    match.method !== '*' &&
    match.method.toUpperCase() !== request.method.toUpperCase()
  ) {
    return false;
  }
  if (match.path_prefix !== undefined) {
    const q = request.path.indexOf('?');
    const path = q >= 0 ? request.path.slice(0, q) : request.path;
    if (!path.startsWith(match.path_prefix)) return false;
  }
  for (const [name, want] of Object.entries(match.headers ?? {})) {
    const raw = request.headers[name.toLowerCase()];
    const got = Array.isArray(raw) ? raw.join(', ') : raw;
    if (got !== want) return false;
  }
  return true;
}

/**
 * Decides the fault for one request.
 *
 * @param rules - installed rules, in installation order
 * @param request - the request
 * @param now - epoch milliseconds
 * @param random - uniform source in [0, 1), drawn once per active matching rule
 * @returns the decision, or `undefined` when no rule fires
 */
export function decideFault(
  rules: readonly InstalledRule[],
  request: RuleRequest,
  now: number,
  random: RandomSource,
): FaultDecision | undefined {
  for (const [index, rule] of rules.entries()) {
    if (!isActive(rule, now) || !matchesRequest(rule.plan.match, request)) continue;
    const percentage = Math.min(100, Math.max(0, rule.plan.percentage));
    if (!(random() * 100 < percentage)) continue;
    const { type } = rule.plan.fault;
    const decision: FaultDecision = {
      rule: index,
      type,
      delayMs: type === 'abort' ? 0 : Math.max(0, rule.plan.fault.delay_ms ?? PLAN_FALLBACKS.delay_ms),
    };
    if (type !== 'delay') decision.abortStatus = rule.plan.fault.abort_status ?? PLAN_FALLBACKS.abort_status;
    return decision;
  }
  return undefined;
}
