/**
 * SLO alerting (FR-10): Prometheus multi-window multi-burn-rate rules with Sloth-compatible names,
 * OpenSLO v1 / v2alpha1 export and v1 import, Sloth spec export and spec validation. Pure core.
 *
 * @example
 * ```ts
 * import { fromActiveSlo, generatePrometheusRules, toYaml } from './slo/alerts/index.js';
 * const yaml = toYaml(generatePrometheusRules(fromActiveSlo(active, 'checkout', { minEventsPerHour: 60 })));
 * ```
 */
export {
  BURN_RATE_WINDOW_SPECS,
  type BurnRateWindow,
  type BurnRateWindowSpec,
  type BurnSeverity,
  burnRateFactor,
  burnRateWindows,
  durationMinutes,
  sliWindows,
} from './burn-rate.js';
export { type FromActiveSloOptions, fromActiveSlo } from './from-active-slo.js';
export {
  BULWARK_ANNOTATIONS,
  checkOpenSlo,
  OPENSLO_V1,
  OPENSLO_V2ALPHA1,
  type OpenSloCheckResult,
  type OpenSloDocument,
  type OpenSloExportOptions,
  type OpenSloMetadata,
  openSloToYaml,
  parseOpenSlo,
  toOpenSloV1,
  toOpenSloV1Yaml,
  toOpenSloV2alpha1,
  toOpenSloV2alpha1Yaml,
} from './openslo.js';
export {
  burnRateAlertName,
  type GeneratedRules,
  type GenerateOptions,
  generatePrometheusRules,
  noDataAlertName,
  type PrometheusRule,
  type PrometheusRuleFile,
  type PrometheusRuleGroup,
  SLI_ERROR_METRIC_PREFIX,
  SLOTH_META_METRICS,
  toYaml,
} from './prometheus-rules.js';
export { promqlString } from './promql.js';
export { leMatcher, type ResolvedSli, resolveSli, type SliOptions, snapToBucket } from './sli.js';
export {
  SLOTH_SPEC_VERSION,
  type SlothAlert,
  type SlothExportOptions,
  type SlothSlo,
  type SlothSpec,
  toSlothSpec,
  toSlothYaml,
  validateSpec,
} from './sloth.js';
export {
  type AvailabilitySli,
  assertValidSloDefinition,
  DEFAULT_QUERIES,
  type DefinitionIssue,
  type LatencySli,
  PERIOD_HOURS,
  type QueryConfig,
  type SliSpec,
  type SloDefinition,
  type SloObjective,
  type SloPeriod,
  validateSloDefinition,
} from './types.js';
export { describeProblem, type SpecProblem } from './yaml-source.js';
