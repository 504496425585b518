import { type App, createApp, type CreateAppOptions } from './app.js';
import type { Config } from './config.js';

export interface RunningServer {
  app: App;
  url: string;
  /** Stop accepting, drain in-flight requests (up to the grace period), close the database. */
  shutdown(reason: string): Promise<void>;
}

/** Start the HTTP server and install SIGTERM/SIGINT handlers that shut it down gracefully. */
export async function startServer(
  config: Config,
  options: CreateAppOptions & { installSignalHandlers?: boolean } = {},
): Promise<RunningServer> {
  const app = await createApp(config, options);
  const log = app.server.log;
  if (!config.auth.enabled) {
    log.warn(
      'AUTHENTICATION IS DISABLED (BULWARK_AUTH=disabled): every request is treated as sre_admin; allowed only on loopback',
    );
  }
  const url = await app.server.listen({ port: config.port, host: config.host });
  log.info({ url, database: app.db.driver }, 'bulwark server listening');

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      log.info({ reason, grace_ms: config.shutdownGraceMs }, 'shutting down: draining in-flight requests');
      const timer = setTimeout(() => {
        log.error(
          { grace_ms: config.shutdownGraceMs },
          'shutdown grace period exceeded; exiting with requests in flight',
        );
        process.exit(1);
      }, config.shutdownGraceMs);
      timer.unref();
      // Keep-alive connections that finish their last request during the drain would otherwise
      // hold close() open until the grace period; close them as soon as they turn idle.
      const sweep = setInterval(() => app.server.server.closeIdleConnections(), 100);
      sweep.unref();
      try {
        await app.close();
        log.info('shutdown complete');
      } finally {
        clearInterval(sweep);
        clearTimeout(timer);
      }
    })();
    return shuttingDown;
  };

  if (options.installSignalHandlers ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        shutdown(signal).then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, url, shutdown };
}
