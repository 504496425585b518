/**
 * `demo mesh`: start the demo mesh on loopback and print its services.
 */

import { type Command, InvalidArgumentError } from 'commander';
import { MESH_SERVICES, startDemoMesh } from './demo-mesh.js';

/** Hooks for embedding and tests. */
export interface DemoMeshCommandHooks {
  /** Where to print (default process.stdout). */
  out?: NodeJS.WritableStream;
  /** Called once the mesh is up, with a function that stops it (and detaches signal handlers). */
  onReady?: (handle: { entry: string; services: Record<string, string>; stop: () => Promise<void> }) => void;
  /** Stop on SIGINT / SIGTERM (default true). */
  handleSignals?: boolean;
}

/** Parses a port option (0–65535), or fails with commander's usage error. */
export function parsePortOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be an integer between 0 and 65535');
  return n;
}

/** Parses an integer seed option. */
export function parseSeedOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

/**
 * Adds `mesh` to an existing `demo` command: `demo mesh [--seed N] [--base-port N]`.
 *
 * @param demo - the `demo` command
 * @param hooks - output stream, readiness callback, signal handling
 * @returns the new `mesh` subcommand
 */
export function registerDemoMeshCommand(demo: Command, hooks: DemoMeshCommandHooks = {}): Command {
  return demo
    .command('mesh')
    .description(`start the demo microservice mesh on loopback (${MESH_SERVICES.join(', ')}) for chaos experiments`)
    .option('--seed <n>', 'seed of simulated work times and SKU choice', parseSeedOption, 1)
    .option('--base-port <port>', 'service i listens on base-port + i (default: free ports)', parsePortOption)
    .action(async (opts: { seed: number; basePort?: number }) => {
      const out = hooks.out ?? process.stdout;
      const mesh = await startDemoMesh({
        seed: opts.seed,
        ...(opts.basePort === undefined ? {} : { basePort: opts.basePort }),
      });
      const onSignal = (): void => {
        void stop().then(() => process.exit(0));
      };
      const stop = async (): Promise<void> => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await mesh.stop();
      };
      if (hooks.handleSignals ?? true) {
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }
      const width = Math.max(...MESH_SERVICES.map((s) => s.length));
      out.write(
        [
          '',
          `Bulwark demo mesh (seed ${opts.seed}): ${MESH_SERVICES.length} services`,
          ...MESH_SERVICES.map((s) => `  ${s.padEnd(width)}  ${mesh.services[s]}`),
          `  entry  curl -s -XPOST ${mesh.entry}${mesh.entryPath}`,
          '  (put fault proxies in front with `bulwark chaos executor --mesh`)',
          '',
        ].join('\n'),
      );
      hooks.onReady?.({ entry: mesh.entry, services: mesh.services, stop });
    });
}
