import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root (tests spawn processes from there). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const MAIN_TS = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * Node arguments that run TypeScript sources directly: `--conditions=source` makes
 * `@bulwark/resilience` resolve to its src/ (no build needed in tests).
 */
export const TS_NODE_ARGS = ['--conditions=source', '--import', 'tsx'];

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Run a TypeScript file (e.g. a fixture) in a child Node process. */
export function spawnTs(file: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [...TS_NODE_ARGS, file, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Run the `bulwark` CLI from source in a child process. */
export function spawnBulwark(args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawnTs(MAIN_TS, args, options);
}

/** Collect a child's output and wait for it to exit. */
export function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Resolve with the first stdout/stderr line matching `pattern` (rejects after `timeoutMs`). */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${buffer}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const m = buffer.match(pattern);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining: a child writing to a full pipe blocks (stdout to a pipe is synchronous on Linux).
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(m[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`process exited before output matching ${pattern}:\n${buffer}`));
    });
  });
}
