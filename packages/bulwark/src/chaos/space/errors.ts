import { BulwarkError } from '../../errors.js';

/** One problem found in a fault space file (or in a point mapped against it). */
export interface FaultSpaceIssue {
  /** Where, e.g. `dimensions[3].low` or `constraints[1]`; `''` is the document root. */
  path: string;
  /** 1-based line in the source text, when it can be located. */
  line?: number;
  message: string;
}

/**
 * A fault space that cannot be used, with every problem found. A `BulwarkError` with code
 * `validation_failed` (HTTP 400); the issues are also exposed as the `issues` extension member.
 */
export class FaultSpaceError extends BulwarkError {
  /** Every problem found, in document order where possible. */
  readonly issues: readonly FaultSpaceIssue[];

  /**
   * @param issues - the problems (at least one)
   * @param summary - what failed, prefixed to the message
   */
  constructor(issues: readonly FaultSpaceIssue[], summary = 'invalid fault space') {
    const lines = issues.map(
      (i) => `${i.path === '' ? '(root)' : i.path}${i.line === undefined ? '' : ` (line ${i.line})`}: ${i.message}`,
    );
    super('validation_failed', `${summary}: ${lines.join('; ')}`, { extensions: { issues } });
    this.name = 'FaultSpaceError';
    this.issues = issues;
  }
}
