/** Typed errors of the chaos optimizer, so callers can tell "search is over" from a bug. */

/**
 * Thrown by `Optimizer.ask()` when no point remains that is feasible and neither observed nor pending
 * (e.g. a small all-categorical space has been fully explored).
 */
export class SpaceExhaustedError extends Error {
  /** Creates the error with a message describing what was exhausted. */
  constructor(message: string) {
    super(message);
    this.name = 'SpaceExhaustedError';
  }
}

/**
 * Thrown when rejection sampling finds no feasible point within its attempt budget: the space's
 * `feasible` predicate is most likely unsatisfiable (or satisfied by a vanishingly small region).
 */
export class InfeasibleSpaceError extends Error {
  /** Creates the error with a message naming the attempt budget. */
  constructor(message: string) {
    super(message);
    this.name = 'InfeasibleSpaceError';
  }
}
