/**
 * `chaos executor`: start the built-in executor, either in front of the demo mesh (`--mesh`) or in
 * front of existing services (`--services name=url,...`), and print its URLs.
 */

import { type Command, InvalidArgumentError } from 'commander';
import { parsePortOption, parseSeedOption } from '../mesh/cli.js';
import { EXAMPLE_RUN_REQUEST } from './openapi.js';
import { startExecutor } from './server.js';
import { startMeshWithExecutor } from './with-mesh.js';

/** Default executor API port. */
export const DEFAULT_EXECUTOR_PORT = 8090;

/** Hooks for embedding and tests. */
export interface ChaosExecutorCommandHooks {
  /** Where to print (default process.stdout). */
  out?: NodeJS.WritableStream;
  /** Called once everything is up, with a function that stops it (and detaches signal handlers). */
  onReady?: (handle: { url: string; entryUrl: string; stop: () => Promise<void> }) => void;
  /** Stop on SIGINT / SIGTERM (default true). */
  handleSignals?: boolean;
}

/**
 * Parses `name=url,name=url` into a service map.
 *
 * @param value - the option value
 * @returns name → URL
 * @throws InvalidArgumentError on an empty list, a malformed pair, a duplicate or a non-http URL
 */
export function parseServiceList(value: string): Record<string, string> {
  const services: Record<string, string> = {};
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq).trim() : '';
    const url = eq > 0 ? pair.slice(eq + 1).trim() : '';
    if (name === '' || url === '') throw new InvalidArgumentError(`expected name=url, got '${pair}'`);
    if (Object.hasOwn(services, name)) throw new InvalidArgumentError(`service '${name}' listed twice`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidArgumentError(`'${url}' is not a URL`);
    }
    if (parsed.protocol !== 'http:') throw new InvalidArgumentError(`'${url}' must be an http:// URL`);
    services[name] = url;
  }
  if (Object.keys(services).length === 0) throw new InvalidArgumentError('list at least one name=url');
  return services;
}

interface ExecutorCommandOptions {
  mesh?: boolean;
  port: number;
  host: string;
  services?: Record<string, string>;
  entry?: string;
  entryPath: string;
  seed: number;
}

/**
 * Adds `chaos executor` to the program (reusing an existing `chaos` command):
 * `chaos executor --mesh [--port N]` or `chaos executor --services name=url,... [--entry name]`.
 *
 * @param program - the root command
 * @param hooks - output stream, readiness callback, signal handling
 * @returns the new `executor` subcommand
 */
export function registerChaosExecutorCommand(program: Command, hooks: ChaosExecutorCommandHooks = {}): Command {
  const chaos =
    program.commands.find((c) => c.name() === 'chaos') ?? program.command('chaos').description('chaos search');
  return chaos
    .command('executor')
    .description('start the built-in chaos executor (fault proxies + load + observation API)')
    .option('--mesh', 'also start the demo mesh and put the executor in front of it')
    .option('--services <list>', 'services to put fault proxies in front of: name=url,name=url', parseServiceList)
    .option('--entry <name>', 'entry service where load is driven (default: gateway with --mesh, else the first)')
    .option('--entry-path <path>', 'path of the entry request printed in the example', '/checkout')
    .option('-p, --port <port>', 'executor API port', parsePortOption, DEFAULT_EXECUTOR_PORT)
    .option('--host <host>', 'bind address of the executor and proxies', '127.0.0.1')
    .option('--seed <n>', 'seed of the proxies (and the mesh)', parseSeedOption, 1)
    .action(async (opts: ExecutorCommandOptions, command: Command) => {
      const out = hooks.out ?? process.stdout;
      let url: string;
      let entryUrl: string;
      let proxies: Record<string, string>;
      let targets: Record<string, string>;
      let close: () => Promise<void>;
      if (opts.mesh) {
        if (opts.services) command.error('use either --mesh or --services, not both', { exitCode: 2 });
        const lab = await startMeshWithExecutor({ port: opts.port, host: opts.host, seed: opts.seed });
        url = lab.executor.url;
        entryUrl = lab.entryUrl;
        proxies = lab.executor.proxyUrls;
        targets = lab.mesh.services;
        close = lab.stop;
      } else {
        if (!opts.services) {
          command.error('give --mesh, or --services name=url,... of the services to put proxies in front of', {
            exitCode: 2,
          });
        }
        const services = opts.services as Record<string, string>;
        const entry = opts.entry ?? Object.keys(services)[0] ?? '';
        if (!Object.hasOwn(services, entry)) command.error(`--entry '${entry}' is not in --services`, { exitCode: 2 });
        const executor = await startExecutor({ services, entry, port: opts.port, host: opts.host, seed: opts.seed });
        url = executor.url;
        entryUrl = new URL(opts.entryPath, executor.proxyUrls[entry]).toString();
        proxies = executor.proxyUrls;
        targets = services;
        close = executor.close;
      }
      const onSignal = (): void => {
        void stop().then(() => process.exit(0));
      };
      const stop = async (): Promise<void> => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await close();
      };
      if (hooks.handleSignals ?? true) {
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }
      const width = Math.max(...Object.keys(proxies).map((s) => s.length));
      const example = JSON.stringify({ ...EXAMPLE_RUN_REQUEST, duration_s: 5, baseline_s: 2, recovery_s: 2 });
      out.write(
        [
          '',
          `Bulwark chaos executor  ${url}`,
          `  entry     ${entryUrl}`,
          `  API       ${url}/openapi.json`,
          '  services  (fault proxy → service)',
          ...Object.keys(proxies).map((s) => `    ${s.padEnd(width)}  ${proxies[s]} → ${targets[s]}`),
          `  try       curl -s -XPOST ${url}/runs -H 'content-type: application/json' -d '${example}'`,
          '',
        ].join('\n'),
      );
      hooks.onReady?.({ url, entryUrl, stop });
    });
}
