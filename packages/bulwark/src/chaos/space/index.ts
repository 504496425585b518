/** Fault spaces: parse a declared fault space, search it, and map points to executor plans. */

export { FaultSpaceError, type FaultSpaceIssue } from './errors.js';
export {
  type CompiledExpression,
  type CompileOptions,
  compileExpression,
  ExpressionError,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  type NameLookup,
} from './expression.js';
export { formatPath, MAX_FAULT_SPACE_LENGTH, parseFaultSpace } from './parse.js';
export { type FaultPlan, faultDimensionName, toFaultPlans } from './plan.js';
export type { DimensionSpec, FaultSpaceFile } from './schema.js';
export {
  type DeclaredDimension,
  FAULT_TYPES,
  type FaultMatch,
  type FaultSpace,
  type FaultType,
  PLAN_FALLBACKS,
  PLAN_FIELDS,
  type PlanDefaults,
  type PlanField,
  type SpaceConstraint,
} from './types.js';
