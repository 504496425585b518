/**
 * Chaos search: the search space as the optimizer sees it.
 *
 * Glossary
 * - dimension: one knob of a fault plan (target service, fault type, delay ms, percentage …).
 * - point: one assignment of a value to every dimension; a conditional dimension whose condition
 *   does not hold is `null` (e.g. `delay_ms` when the fault type is `abort`).
 * - feasible: a point that satisfies the space's constraints (a predicate compiled from the fault
 *   space file, e.g. `percentage <= 50`).
 * - severity: the analyzer's score of one trial in [0, 10]; the optimizer maximises it.
 */

export type CategoryValue = string | number | boolean;

/** A dimension is active only when another (categorical) dimension takes one of `in`. */
export interface ActiveWhen {
  dimension: string;
  in: readonly CategoryValue[];
}

export interface CategoricalDimension {
  kind: 'categorical';
  name: string;
  values: readonly CategoryValue[];
  activeWhen?: ActiveWhen;
}

export interface IntegerDimension {
  kind: 'integer';
  name: string;
  /** Inclusive bounds. */
  low: number;
  high: number;
  /** Sample log-uniformly (low must be > 0). */
  log?: boolean;
  activeWhen?: ActiveWhen;
}

export interface RealDimension {
  kind: 'real';
  name: string;
  low: number;
  high: number;
  log?: boolean;
  activeWhen?: ActiveWhen;
}

export type Dimension = CategoricalDimension | IntegerDimension | RealDimension;

/** One assignment; inactive conditional dimensions are null. */
export type Point = Record<string, CategoryValue | null>;

/** Feasibility predicate; points for which it returns false are never proposed. */
export type Feasibility = (point: Point) => boolean;

export interface SearchSpace {
  dimensions: readonly Dimension[];
  feasible?: Feasibility;
}

/** At most this many dimensions in a space (spec). */
export const MAX_DIMENSIONS = 20;
