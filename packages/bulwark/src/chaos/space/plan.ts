/**
 * The executor's fault-plan shape (wire format, hence snake_case) and the mapping from an
 * optimizer point to plans.
 *
 * Multi-fault convention: a space with `faults: N` (N ≥ 2) declares its dimensions once; each
 * declared dimension `x` becomes N search dimensions `x_1 … x_N`, one per injected fault, and a
 * point maps to N plans, plan k reading `x_k`. With `faults: 1` (the default) names are not
 * suffixed. See {@link faultDimensionName}.
 */

import type { CategoryValue, Point } from '../optimizer/types.js';
import { FaultSpaceError, type FaultSpaceIssue } from './errors.js';
import {
  FAULT_TYPES,
  type FaultMatch,
  type FaultSpace,
  type FaultType,
  PLAN_FALLBACKS,
  type PlanDefaults,
} from './types.js';

export type { FaultMatch } from './types.js';

/** One fault the executor injects. */
export interface FaultPlan {
  target_service: string;
  match?: FaultMatch;
  fault: {
    type: FaultType;
    /** Present iff `type` is `abort` or `both`. */
    abort_status?: number;
    /** Present iff `type` is `delay` or `both`. */
    delay_ms?: number;
  };
  /** Share of matching requests affected, in [0, 100]. */
  percentage: number;
  start_delay_s: number;
  duration_s: number;
}

/**
 * The search-dimension name of declared dimension `name` for fault `index` (1-based).
 *
 * @param name - the dimension as declared in the fault space file
 * @param index - 1-based fault index
 * @param faults - number of faults in the space
 * @returns `name` when `faults` is 1, otherwise `name_<index>`
 * @example
 * faultDimensionName('delay_ms', 2, 2); // 'delay_ms_2'
 */
export function faultDimensionName(name: string, index: number, faults: number): string {
  return faults === 1 ? name : `${name}_${index}`;
}

function pointValue(point: Point, name: string): CategoryValue | null {
  return Object.hasOwn(point, name) ? (point[name] ?? null) : null;
}

/**
 * Maps one optimizer point to the executor's fault plans (one plan per fault of the space).
 *
 * Each plan field comes from the dimension of the same name (`service` → `target_service`,
 * `fault` → `fault.type`, `abort_status`, `delay_ms`, `percentage`, `start_delay_s`,
 * `duration_s`, `method` / `path_prefix` → `match`), else from the file's `defaults`, else from
 * {@link PLAN_FALLBACKS}. An inactive (`null`) dimension falls back the same way. `abort_status`
 * is set only for abort faults and `delay_ms` only for delay faults; both are rounded to integers.
 * The percentage is clamped to [0, 100] and to the blast-radius cap, as a second line of defence
 * behind the feasibility constraint.
 *
 * @param point - one assignment of the space's search dimensions
 * @param space - the parsed fault space
 * @returns `space.faults` plans, in fault order
 * @throws FaultSpaceError when the point lacks a service or fault type, or holds a value of the
 *   wrong type (paths look like `point.service_1`)
 */
export function toFaultPlans(point: Point, space: FaultSpace): FaultPlan[] {
  const declared = new Set<string>(space.dimensions.map((d) => d.name));
  const issues: FaultSpaceIssue[] = [];
  const plans: FaultPlan[] = [];

  for (let k = 1; k <= space.faults; k += 1) {
    const field = (name: string): { value: CategoryValue | null; path: string } => {
      const dim = faultDimensionName(name, k, space.faults);
      if (declared.has(name)) {
        const value = pointValue(point, dim);
        if (value !== null) return { value, path: `point.${dim}` };
      }
      const fallback = Object.hasOwn(space.defaults, name) ? space.defaults[name as keyof PlanDefaults] : undefined;
      if (fallback !== undefined) return { value: fallback, path: `defaults.${name}` };
      return { value: null, path: declared.has(name) ? `point.${dim}` : `defaults.${name}` };
    };
    const numberField = (name: keyof typeof PLAN_FALLBACKS): number => {
      const { value, path } = field(name);
      if (value === null) return PLAN_FALLBACKS[name];
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : Number.NaN;
      if (!Number.isFinite(n)) {
        issues.push({ path, message: `${name} must be a finite number, got ${JSON.stringify(value)}` });
        return PLAN_FALLBACKS[name];
      }
      return n;
    };

    const service = field('service');
    if (typeof service.value !== 'string' || service.value === '') {
      issues.push({
        path: service.path,
        message:
          service.value === null ? 'no target service for this fault' : 'target service must be a non-empty string',
      });
    }
    const fault = field('fault');
    if (!FAULT_TYPES.includes(fault.value as FaultType)) {
      issues.push({
        path: fault.path,
        message: `fault type must be one of ${FAULT_TYPES.join(', ')}, got ${JSON.stringify(fault.value)}`,
      });
    }
    const type = fault.value as FaultType;
    const plan: FaultPlan = {
      target_service: String(service.value),
      fault: { type },
      percentage: 0,
      start_delay_s: numberField('start_delay_s'),
      duration_s: numberField('duration_s'),
    };
    if (type === 'abort' || type === 'both') plan.fault.abort_status = Math.round(numberField('abort_status'));
    if (type === 'delay' || type === 'both') plan.fault.delay_ms = Math.max(0, Math.round(numberField('delay_ms')));
    const cap = space.blastRadius?.maxPercentage ?? 100;
    plan.percentage = Math.min(Math.max(numberField('percentage'), 0), cap, 100);

    const match: FaultMatch = { ...space.match };
    if (space.match.headers) match.headers = { ...space.match.headers };
    for (const key of ['method', 'path_prefix'] as const) {
      const { value } = field(key);
      if (typeof value === 'string') match[key] = value;
    }
    if (Object.keys(match).length > 0) plan.match = match;
    plans.push(plan);
  }

  if (issues.length > 0) throw new FaultSpaceError(issues, 'point does not map to a fault plan');
  return plans;
}
