/** Demo mesh: a small loopback microservice system with realistic fragility, for chaos search. */

export { registerDemoMeshCommand } from './cli.js';
export {
  CATALOGUE,
  type DemoMesh,
  type DemoMeshOptions,
  MESH_SERVICES,
  MESH_TIMINGS,
  type MeshServiceName,
  startDemoMesh,
  type UpstreamOverrides,
} from './demo-mesh.js';
export {
  closeServer,
  expectOk,
  HttpStatusError,
  type RunningService,
  type ServiceOptions,
  startService,
} from './service.js';
export {
  type LogEntry,
  PARENT_SPAN_HEADER,
  REQUEST_ID_HEADER,
  type RecordedSpan,
  RingBuffer,
  toAnalyzerSpan,
} from './telemetry.js';
