/**
 * Chaos executor: fault-injecting proxies, an open-loop load generator, the built-in executor API
 * that returns the analyzer's observation, and a resilient client for any executor.
 */

export { DEFAULT_EXECUTOR_PORT, parseServiceList, registerChaosExecutorCommand } from './cli.js';
export {
  ExecutorCircuitOpenError,
  ExecutorClient,
  type ExecutorClientOptions,
  ExecutorError,
  type ExecutorErrorCode,
  ExecutorHttpError,
} from './client.js';
export { fetchTelemetry, phaseSample, type Telemetry } from './collect.js';
export { driveLoad, type LoadOptions, type LoadResult, TRANSPORT_ERROR_KEY } from './load.js';
export { EXAMPLE_RUN_REQUEST, EXECUTOR_OPENAPI } from './openapi.js';
export {
  CLIENT_CLOSED_STATUS,
  endToEndHeaders,
  FAULT_HEADER,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  startFaultProxy,
} from './proxy.js';
export { decideFault, type FaultDecision, type InstalledRule, isActive, matchesRequest, ruleWindow } from './rules.js';
export {
  type ExecutorHealth,
  faultPlanSchema,
  type LoadSpec,
  parseRunRequest,
  RUN_LIMITS,
  type RunRequest,
  type RunResponse,
  runRequestSchema,
  type ServiceHealth,
} from './schema.js';
export { type Executor, type ExecutorOptions, PROBLEM_JSON, type ProblemDetails, startExecutor } from './server.js';
export { type MeshWithExecutor, type MeshWithExecutorOptions, startMeshWithExecutor } from './with-mesh.js';
