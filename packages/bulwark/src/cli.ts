import { Command, InvalidArgumentError } from 'commander';
import { generateTopology } from './demo/topology.js';
import { ingestGraph } from './slo/graph/store.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { migrate, openDatabase } from './db/index.js';
import { registerApiKeyCommands } from './auth/cli.js';
import { registerChaosCommands } from './chaos/cli.js';
import { registerDemoMeshCommand } from './chaos/mesh/index.js';
import { startServer } from './serve.js';
import { registerSloCommands } from './slo/cli.js';
import { registerTaskCommands } from './tasks/cli.js';
import { VERSION } from './version.js';

/** Parse a TCP port option, or fail with commander's usage error. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('must be an integer between 0 and 65535');
  }
  return n;
}

/** Configuration from the environment, with CLI overrides; exits 2 with one line when invalid. */
export function configFromEnv(overrides: Record<string, string | undefined> = {}): Config {
  try {
    const env = { ...process.env };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`bulwark: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function buildProgram(): Command {
  const program = new Command('bulwark')
    .description('Bulwark: dependency-aware SLOs, chaos search, task execution and resilience for microservices')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('serve')
    .description('start the HTTP API server (embedded PGlite unless DATABASE_URL is set)')
    .option('-p, --port <port>', 'port to listen on (env PORT, default 8000)', parsePort)
    .option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
    .option('-w, --workers <n>', 'task workers to run inside the server (env BULWARK_EMBEDDED_WORKERS)')
    .action(async (opts: { port?: number; host?: string; workers?: string }) => {
      const config = configFromEnv({
        PORT: opts.port === undefined ? undefined : String(opts.port),
        HOST: opts.host,
        BULWARK_EMBEDDED_WORKERS: opts.workers,
      });
      await startServer(config);
    });

  const demo = program
    .command('demo')
    .description('start the server on a throwaway embedded database with a generated service estate loaded')
    .option('-p, --port <port>', 'port to listen on', parsePort, 8000)
    .option(
      '--services <n>',
      'services in the generated estate (50-5000)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 50 || n > 5000)
          throw new InvalidArgumentError('must be an integer between 50 and 5000');
        return n;
      },
      500,
    )
    .option('--seed <n>', 'random seed of the estate', (v: string) => Number(v), 42)
    .action(async (opts: { port: number; services: number; seed: number }) => {
      const config = configFromEnv({
        PORT: String(opts.port),
        BULWARK_DATA_DIR: process.env.BULWARK_DATA_DIR ?? ':memory:',
        BULWARK_AUTH: process.env.BULWARK_AUTH ?? 'disabled',
        BULWARK_EMBEDDED_WORKERS: process.env.BULWARK_EMBEDDED_WORKERS ?? '1',
        DATABASE_URL: process.env.DATABASE_URL ?? '',
        BULWARK_TELEMETRY: process.env.BULWARK_TELEMETRY ?? (process.env.PROMETHEUS_URL ? 'prometheus' : 'synthetic'),
        // The demo's terminal is for its banner and warnings, not a JSON line per request.
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      });
      const server = await startServer(config);
      const estate = generateTopology({ services: opts.services, seed: opts.seed });
      const result = await ingestGraph(server.app.db, estate);
      process.stdout.write(
        [
          '',
          `Bulwark demo: ${estate.nodes.length} services, ${estate.edges.length} dependencies, ${result.cycles.length} dependency cycle(s) loaded`,
          `  API docs      ${server.url}/docs`,
          `  services      curl -s '${server.url}/api/v1/services?limit=5'`,
          `  dependencies  curl -s '${server.url}/api/v1/services/${estate.nodes[0]?.service_id}/dependencies?direction=downstream&depth=2'`,
          `  SLOs          curl -s '${server.url}/api/v1/services/${estate.nodes[0]?.service_id}/slo-recommendations'`,
          `  impact        curl -s -XPOST ${server.url}/api/v1/slos/impact-analysis -H 'content-type: application/json' -d '{"service_id":"${estate.nodes.find((n) => n.service_id.includes('db'))?.service_id ?? estate.nodes[1]?.service_id}","proposed_change":{"sli_type":"availability","current_target":99.95,"proposed_target":99.5}}'`,
          `  a task        curl -s -XPOST ${server.url}/api/v1/tasks -H 'content-type: application/json' -d '{"kind":"noop"}'`,
          config.auth.enabled
            ? ''
            : '  (authentication is off: loopback only; set BULWARK_AUTH=enabled and create keys with `bulwark apikey create`)',
          '',
        ].join('\n'),
      );
    });

  registerDemoMeshCommand(demo);

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const config = configFromEnv();
      const db = await openDatabase(config, { migrate: false });
      try {
        const report = await migrate(db);
        process.stdout.write(
          report.applied.length > 0
            ? `applied ${report.applied.length} migration(s): ${report.applied.join(', ')}\n`
            : `database is up to date (${report.alreadyApplied} migration(s) already applied)\n`,
        );
      } finally {
        await db.close();
      }
    });

  registerTaskCommands(program, () => configFromEnv());
  registerSloCommands(program);
  registerApiKeyCommands(program, () => configFromEnv());
  registerChaosCommands(program);

  return program;
}
