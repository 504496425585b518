import { describe, expect, it } from 'vitest';
import { spawnTs, waitForExit, waitForOutput } from './support/spawn.js';

const FIXTURE = new URL('./fixtures/slow-server.ts', import.meta.url).pathname;

describe('graceful shutdown', () => {
  it('SIGTERM during a slow request lets it finish, refuses new work, and exits 0', async () => {
    const child = spawnTs(FIXTURE, [], {
      env: {
        BULWARK_DATA_DIR: ':memory:',
        BULWARK_AUTH: 'disabled',
        BULWARK_RATE_LIMIT: 'off',
        LOG_LEVEL: 'info',
        DATABASE_URL: '',
      },
    });
    const exited = waitForExit(child);
    const line = await waitForOutput(child, /LISTENING (http:\/\/\S+)/, 60_000);
    const url = line.split(' ')[1] as string;

    const slow = fetch(`${url}/test/slow?ms=1500`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await new Promise((r) => setTimeout(r, 300)); // the request is in flight
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    // A new connection during the drain is refused (listener closed) or answered 503.
    const during = await fetch(`${url}/api/v1/health`).then(
      (r) => r.status,
      () => 'refused' as const,
    );
    expect([503, 'refused']).toContain(during);

    const result = await slow;
    expect(result).toEqual({ status: 200, body: { slept_ms: 1500 } });
    const exit = await exited;
    expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    expect(exit.stdout).toContain('shutdown complete');
  }, 90_000);
});
