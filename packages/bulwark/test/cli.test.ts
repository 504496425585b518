import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { table } from '../src/cli-api.js';
import { VERSION } from '../src/version.js';
import { spawnBulwark, waitForExit, waitForOutput } from './support/spawn.js';

const baseEnv = { DATABASE_URL: '', LOG_LEVEL: 'silent' };

describe('bulwark CLI', () => {
  it('prints its version', async () => {
    const r = await waitForExit(spawnBulwark(['--version'], { env: baseEnv }));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('exits non-zero with a clear message on a bad argument', async () => {
    const r = await waitForExit(spawnBulwark(['serve', '--port', 'eighty'], { env: baseEnv }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/port.*must be an integer/i);
  });

  it('exits 2 with one line naming a bad environment variable', async () => {
    const r = await waitForExit(spawnBulwark(['migrate'], { env: { ...baseEnv, PORT: 'abc' } }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/PORT/);
  });

  it('migrates an embedded database and is idempotent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    try {
      const env = { ...baseEnv, BULWARK_DATA_DIR: join(dir, 'data') };
      const first = await waitForExit(spawnBulwark(['migrate'], { env }));
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/applied \d+ migration/);
      const second = await waitForExit(spawnBulwark(['migrate'], { env }));
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/up to date/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('shows help for every command', async () => {
    const r = await waitForExit(spawnBulwark(['--help'], { env: baseEnv }));
    expect(r.code).toBe(0);
    const commands = [...r.stdout.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['serve', 'migrate']));
    for (const c of commands) {
      const h = await waitForExit(spawnBulwark([c as string, '--help'], { env: baseEnv }));
      expect(h.code, `${c} --help`).toBe(0);
      expect(h.stdout).toContain(`Usage: bulwark ${c}`);
    }
  }, 120_000);

  it('demo serves a generated estate on a throwaway embedded database', async () => {
    const child = spawnBulwark(['demo', '--port', '0', '--services', '60'], {
      env: { ...baseEnv, BULWARK_DATA_DIR: undefined },
    });
    const exited = waitForExit(child);
    const line = await waitForOutput(child, /API docs +(http:\/\/\S+)\/docs/, 60_000);
    const base = (/(http:\/\/\S+)\/docs/.exec(line) as RegExpExecArray)[1] as string;
    const page = (await (await fetch(`${base}/api/v1/services?limit=5`)).json()) as {
      items: unknown[];
      next_cursor: string | null;
    };
    expect(page.items).toHaveLength(5);
    expect(page.next_cursor).not.toBeNull();

    // Recommendations are served at once from synthetic telemetry, and the slo CLI reads them.
    const rec = await fetch(`${base}/api/v1/services/edge-gateway-0/slo-recommendations`);
    expect(rec.status).toBe(200);
    const cliEnv = { ...baseEnv, BULWARK_URL: base };
    const table = await waitForExit(spawnBulwark(['slo', 'recommend', 'edge-gateway-0'], { env: cliEnv }));
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/AVAILABILITY/);
    expect(table.stdout).toMatch(/^balanced\s+\d+(\.\d+)?\s/m);
    // The interval is printed at the precision targets are set at.
    expect(table.stdout).toMatch(/^balanced\s.*\s\d+\.\d{2,3} – \d+\.\d{2,3}$/m);
    expect(table.stdout).toMatch(/cached/);

    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    try {
      const file = join(dir, 'graph.yaml');
      writeFileSync(
        file,
        'nodes:\n  - service_id: cli-a\n  - service_id: cli-b\nedges:\n  - source: cli-a\n    target: cli-b\n    attributes: { criticality: hard }\n',
      );
      const imported = await waitForExit(spawnBulwark(['slo', 'graph', 'import', file], { env: cliEnv }));
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toMatch(/ingested 2 node\(s\), 1 edge\(s\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const impact = await waitForExit(
      spawnBulwark(['slo', 'impact', 'cli-b', '--current', '99.9', '--target', '99'], { env: cliEnv }),
    );
    expect(impact.code, impact.stderr).toBe(0);
    expect(impact.stdout).toMatch(/^cli-a\s+upstream\s/m);
    const unknown = await waitForExit(spawnBulwark(['slo', 'recommend', 'no-such-service'], { env: cliEnv }));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/404.*no-such-service/);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  }, 90_000);
});

describe('table()', () => {
  it('right-aligns numeric columns, formatted numbers included, and left-aligns the rest', () => {
    const out = table(
      ['tier', 'budget', 'prob'],
      [
        ['balanced', '146.9', '0.9%'],
        ['aggressive', '1080.0', '12.0%'],
        ['x', null, '-'],
      ],
    ).split('\n');
    expect(out[0]).toBe('tier        budget  prob');
    expect(out[2]).toBe('balanced     146.9  0.9%');
    expect(out[3]).toBe('aggressive  1080.0  12.0%');
    expect(out[4]).toBe('x                -  -');
  });
});
