export {
  type Condition,
  ConditionError,
  evaluateCondition,
  FIELD_VALUES,
  FIELDS,
  parseCondition,
} from './condition.js';
export { autoApprovalRoutes } from './routes.js';
export {
  type AutoApproval,
  type AutoApproved,
  createAutoApproval,
  type DryRun,
  type Skipped,
  type SkipReason,
} from './service.js';
export type { AutoApprovalRule } from './store.js';
