import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCheckpointCorruptError } from '../errors.js';
import { CheckpointManager, canonicalJson } from './checkpoint.js';
import { FileCheckpointStore } from './file-store.js';
import { MemoryCheckpointStore } from './memory-store.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ckpt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const newest = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ckpt'))
    .sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1]))[0] as string;

describe('checkpoints', () => {
  it('round-trips state and keeps N generations', async () => {
    const dir = tempDir();
    const m = new CheckpointManager<{ step: number }>({
      storage: new FileCheckpointStore({ dir, generations: 2 }),
      schemaVersion: 1,
    });
    for (let step = 1; step <= 4; step++) await m.save('job', { step });
    expect((await m.load('job'))?.state).toEqual({ step: 4 });
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.ckpt'))
        .sort(),
    ).toEqual(['job.3.ckpt', 'job.4.ckpt']);
    expect(await m.load('other')).toBeUndefined();
  });

  it('a corrupted byte falls back to the previous good generation', async () => {
    const dir = tempDir();
    const m = new CheckpointManager<{ step: number }>({ storage: new FileCheckpointStore({ dir }), schemaVersion: 1 });
    await m.save('job', { step: 1 });
    await m.save('job', { step: 2 });
    const file = join(dir, newest(dir));
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"step":2', '"step":3')); // still valid JSON, wrong checksum
    const loaded = await m.load('job');
    expect(loaded?.state).toEqual({ step: 1 });
    expect(loaded?.generation).toBe(1);
    expect(loaded?.skipped[0]?.reason).toMatch(/checksum/);
  });

  it('a truncated file falls back too; all generations bad is an error, never a silent default', async () => {
    const dir = tempDir();
    const m = new CheckpointManager<{ step: number }>({ storage: new FileCheckpointStore({ dir }), schemaVersion: 1 });
    await m.save('job', { step: 1 });
    await m.save('job', { step: 2 });
    truncateSync(join(dir, newest(dir)), 10);
    expect((await m.load('job'))?.state).toEqual({ step: 1 });
    for (const f of readdirSync(dir)) truncateSync(join(dir, f), 5);
    await expect(m.load('job')).rejects.toSatisfy(isCheckpointCorruptError);
  });

  it('migrates old schema versions and refuses newer ones', async () => {
    const storage = new MemoryCheckpointStore();
    const v1 = new CheckpointManager<{ trials: number }>({ storage, schemaVersion: 1 });
    await v1.save('s', { trials: 5 });
    const v2 = new CheckpointManager<{ trials: number; best: number | null }>({
      storage,
      schemaVersion: 2,
      migrations: { 1: (s) => ({ ...(s as object), best: null }) },
    });
    expect((await v2.load('s'))?.state).toEqual({ trials: 5, best: null });
    await v2.save('s', { trials: 6, best: 1 });
    // Old code skips the generation it cannot understand and says why.
    const downgraded = await v1.load('s');
    expect(downgraded?.state).toEqual({ trials: 5 });
    expect(downgraded?.skipped[0]?.reason).toMatch(/newer than this code understands/);
    await expect(new CheckpointManager({ storage, schemaVersion: 3 }).load('s')).rejects.toSatisfy(
      isCheckpointCorruptError,
    );
  });

  it('checksums canonical JSON: key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 2 } })).toBe(
      '{"a":{"c":2,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('a writer killed mid-write leaves the last durable state loadable', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./fixtures/writer.ts', import.meta.url).pathname, dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let lastAcked = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = [...d.toString().matchAll(/saved (\d+)/g)].pop();
        if (m) lastAcked = Number(m[1]);
        if (lastAcked >= 15) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const m = new CheckpointManager<{ seq: number; payload: string }>({
      storage: new FileCheckpointStore({ dir }),
      schemaVersion: 1,
    });
    const loaded = await m.load('job');
    expect(loaded).toBeDefined();
    // Everything acknowledged is durable; a save in flight may or may not have landed, but whole.
    expect(loaded?.state.seq).toBeGreaterThanOrEqual(lastAcked);
    expect(loaded?.state.payload.length).toBe(200_000 + ((loaded?.state.seq ?? 0) % 7) * 10_000);
  }, 30_000);
});
