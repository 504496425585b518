/**
 * Fault spaces: what an SRE declares about a target system so that the optimizer can search it.
 *
 * Glossary
 * - fault space: the parsed file — target, dimensions, constraints, blast radius, steady state.
 * - declared dimension: a dimension as written in the file; with `faults: N` each one expands to N
 *   search dimensions (`x_1 … x_N`, see `faultDimensionName` in plan.ts).
 * - plan field: a dimension name the executor understands (`service`, `fault`, `abort_status`,
 *   `delay_ms`, `percentage`, `start_delay_s`, `duration_s`, `method`, `path_prefix`).
 * - constraint: a boolean expression over numeric dimensions; all must hold for a point to be
 *   feasible. A constraint referencing an inactive (null) dimension is satisfied.
 * - blast radius: a safety cap on the share of traffic affected (`max_percentage`).
 */

import type { SteadyStateLimits } from '../analyzer/types.js';
import type { CategoryValue, SearchSpace } from '../optimizer/types.js';

/** What the executor can inject. */
export type FaultType = 'abort' | 'delay' | 'both';

/** The fault types, in declaration order. */
export const FAULT_TYPES: readonly FaultType[] = ['abort', 'delay', 'both'];

/** Dimension names that map to fault-plan fields; other names are rejected. */
export const PLAN_FIELDS = [
  'service',
  'fault',
  'abort_status',
  'delay_ms',
  'percentage',
  'start_delay_s',
  'duration_s',
  'method',
  'path_prefix',
] as const;

/** A dimension name that maps to a fault-plan field. */
export type PlanField = (typeof PLAN_FIELDS)[number];

/**
 * Values used for a numeric plan field that has neither an active dimension nor a file default.
 * `percentage` is further capped by the blast radius.
 */
export const PLAN_FALLBACKS = {
  abort_status: 503,
  delay_ms: 100,
  percentage: 100,
  start_delay_s: 0,
  duration_s: 30,
} as const satisfies Record<string, number>;

/** Request matcher: which requests to the target service the fault applies to. */
export interface FaultMatch {
  method?: string;
  path_prefix?: string;
  headers?: Record<string, string>;
}

/** Fixed plan values for fields that are not searched (the file's `defaults`). */
export interface PlanDefaults {
  service?: string;
  fault?: FaultType;
  abort_status?: number;
  delay_ms?: number;
  percentage?: number;
  start_delay_s?: number;
  duration_s?: number;
}

/** A dimension as declared in the file (before multi-fault expansion). */
export interface DeclaredDimension {
  name: PlanField;
  kind: 'categorical' | 'integer' | 'real';
  /** Categorical only. */
  values?: readonly CategoryValue[];
  /** Numeric only; inclusive. */
  low?: number;
  high?: number;
  log?: boolean;
  /** Active only when the earlier categorical dimension `dimension` takes one of `in`. */
  when?: { dimension: string; in: readonly CategoryValue[] };
}

/** A compiled constraint (one per fault when it refers to declared names in a multi-fault space). */
export interface SpaceConstraint {
  /** The expression as written, plus ` [fault k]` for a per-fault instance. */
  label: string;
  /** Search-dimension names it reads. */
  references: readonly string[];
  /** Evaluates on a point; `true` when any referenced dimension is null or missing. */
  test(point: Readonly<Record<string, CategoryValue | null>>): boolean;
}

/** A parsed, validated fault space. */
export interface FaultSpace {
  name: string;
  description?: string;
  target: { entry: string; services: readonly string[] };
  /** Number of faults injected together (1 unless the file says `faults: N`). */
  faults: number;
  /** Dimensions as declared (not expanded). */
  dimensions: readonly DeclaredDimension[];
  constraints: readonly SpaceConstraint[];
  blastRadius?: { maxPercentage: number };
  steadyState?: SteadyStateLimits;
  /** Static request matcher applied to every plan (dimensions `method`/`path_prefix` override it). */
  match: FaultMatch;
  defaults: PlanDefaults;
  /** What the optimizer searches: expanded dimensions and the compiled feasibility predicate. */
  searchSpace: SearchSpace & { feasible: NonNullable<SearchSpace['feasible']> };
}
