/**
 * The demo mesh behind the built-in executor, wired so that every service-to-service call goes
 * through the fault proxies: the mesh starts first with a resolver that looks proxies up lazily,
 * then the executor starts one proxy per mesh service and fills the resolver's table.
 */

import { type DemoMesh, type MeshServiceName, startDemoMesh } from '../mesh/demo-mesh.js';
import { type Executor, type ExecutorOptions, startExecutor } from './server.js';

/** Options of {@link startMeshWithExecutor}. */
export interface MeshWithExecutorOptions {
  /** Mesh seed (simulated work, SKU choice) and base of the proxies' seeds (default 1). */
  seed?: number;
  /** Mesh services on `basePort + i` (default: free ports). */
  basePort?: number;
  /** Executor API port (default 0: a free port). */
  port?: number;
  /** Proxies on `proxyBasePort + i` (default: free ports). */
  proxyBasePort?: number;
  host?: string;
  /** Passed to the executor. */
  settleMs?: number;
}

/** The running pair. */
export interface MeshWithExecutor {
  mesh: DemoMesh;
  executor: Executor;
  /** The entry (gateway) through its fault proxy: where load must go for gateway faults to apply. */
  entryUrl: string;
  /** Stops the executor (and its proxies), then the mesh. */
  stop(): Promise<void>;
}

/**
 * Starts the demo mesh and the executor in front of it.
 *
 * @param options - seed, ports, bind address
 * @returns mesh, executor, the proxied entry URL and `stop()`
 * @example
 * const lab = await startMeshWithExecutor();
 * const res = await lab.executor.run({ plans: [], duration_s: 1, load: { rps: 20, path: '/checkout', method: 'POST' } });
 * await lab.stop();
 */
export async function startMeshWithExecutor(options: MeshWithExecutorOptions = {}): Promise<MeshWithExecutor> {
  const routes = new Map<string, string>();
  const seed = options.seed ?? 1;
  const mesh = await startDemoMesh({
    seed,
    upstreams: (name: MeshServiceName) => routes.get(name),
    ...(options.basePort === undefined ? {} : { basePort: options.basePort }),
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  let executor: Executor;
  try {
    const executorOptions: ExecutorOptions = { services: mesh.services, entry: mesh.entryService, seed };
    if (options.port !== undefined) executorOptions.port = options.port;
    if (options.proxyBasePort !== undefined) executorOptions.proxyBasePort = options.proxyBasePort;
    if (options.host !== undefined) executorOptions.host = options.host;
    if (options.settleMs !== undefined) executorOptions.settleMs = options.settleMs;
    executor = await startExecutor(executorOptions);
  } catch (error) {
    await mesh.stop();
    throw error;
  }
  for (const [name, url] of Object.entries(executor.proxyUrls)) routes.set(name, url);
  const entryProxy = executor.proxyUrls[mesh.entryService] as string;
  let stopped: Promise<void> | undefined;
  return {
    mesh,
    executor,
    entryUrl: new URL(mesh.entryPath, entryProxy).toString(),
    stop: () => {
      stopped ??= (async () => {
        await executor.close();
        await mesh.stop();
      })();
      return stopped;
    },
  };
}
