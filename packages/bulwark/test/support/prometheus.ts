import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A real Prometheus for integration tests: OpenMetrics text is backfilled with
 * `promtool tsdb create-blocks-from openmetrics`, then Prometheus serves it on a free loopback port.
 * Without the Debian package the tests skip loudly — unless BULWARK_REQUIRE_PROMETHEUS=1 (CI),
 * where a missing Prometheus is a failure.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

export function prometheusAvailable(): boolean {
  const ok = existsSync(PROMETHEUS) && existsSync(PROMTOOL);
  if (!ok) {
    if (process.env.BULWARK_REQUIRE_PROMETHEUS === '1')
      throw new Error('prometheus/promtool are required (BULWARK_REQUIRE_PROMETHEUS=1) but not installed');
    console.warn(
      '\n*** prometheus/promtool not installed (apt-get install prometheus): Prometheus integration tests are SKIPPED ***\n',
    );
  }
  return ok;
}

/** A loopback port nobody listens on right now (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

export async function startBackfilledPrometheus(
  openMetrics: string,
  options: { rules?: string } = {},
): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-prom-'));
  const input = join(dir, 'data.om');
  const data = join(dir, 'data');
  writeFileSync(input, openMetrics.endsWith('# EOF\n') ? openMetrics : `${openMetrics}# EOF\n`);
  await promisify(execFile)(
    PROMTOOL,
    ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=768h', input, data],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const config = join(dir, 'prometheus.yml');
  if (options.rules !== undefined) writeFileSync(join(dir, 'rules.yml'), options.rules);
  writeFileSync(
    config,
    options.rules !== undefined
      ? `global:\n  scrape_interval: 15s\n  evaluation_interval: 1s\nrule_files:\n  - ${join(dir, 'rules.yml')}\n`
      : 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n',
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=3650d',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`Prometheus did not become ready within 30 s (exit ${child.exitCode}): ${stderr.slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
