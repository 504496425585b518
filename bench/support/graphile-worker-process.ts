// A graphile-worker process for bench/queue.bench.ts: one no-op task, given concurrency and schema.
import { Logger, run } from 'graphile-worker';

const [connectionString, schema, concurrency] = process.argv.slice(2) as [string, string, string];
const runner = await run({
  connectionString,
  schema,
  concurrency: Number(concurrency),
  noHandleSignals: false,
  pollInterval: 2000,
  logger: new Logger(() => () => {}), // per-job logging would dominate a no-op benchmark
  taskList: { noop: async () => {} },
});
process.stdout.write('READY\n');
await runner.promise;
