import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointCorruptError, isCheckpointCorruptError } from '../errors.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointEnvelope,
  CheckpointManager,
  type CheckpointStorage,
  canonicalJson,
  parseEnvelope,
} from './checkpoint.js';
import { FileCheckpointStore } from './file-store.js';
import { MemoryCheckpointStore } from './memory-store.js';
import { sha256Hex } from './sha256.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ckpt-details-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An envelope as `save` writes it, for hand-made generations. */
function envelope(state: unknown, schemaVersion = 1): string {
  return JSON.stringify({
    format: CHECKPOINT_FORMAT,
    schemaVersion,
    savedAt: '2024-01-01T00:00:00.000Z',
    checksum: sha256Hex(canonicalJson(state)),
    state,
  });
}

class ListStorage implements CheckpointStorage {
  written: Array<[string, string]> = [];
  constructor(public generations: string[] = []) {}
  async write(key: string, serialized: string): Promise<void> {
    this.written.push([key, serialized]);
  }
  async readGenerations(): Promise<string[]> {
    return this.generations;
  }
}

describe('canonicalJson and sha256', () => {
  it('sorts keys at every level, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: [3, { y: undefined, x: 1 }], a: undefined, c: null })).toBe('{"b":[3,{"x":1}],"c":null}');
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson('s')).toBe('"s"');
  });

  it('leaves objects that are not plain (dates, class instances) to JSON', () => {
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    expect(canonicalJson({ d: new Date(0), p: new Point(2, 1) })).toBe(
      '{"d":"1970-01-01T00:00:00.000Z","p":{"y":2,"x":1}}',
    );
  });

  it('hashes with SHA-256 (FIPS 180-2 test vector)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('CheckpointManager.save', () => {
  it('writes a versioned, checksummed envelope of the canonical state', async () => {
    const storage = new ListStorage();
    const m = new CheckpointManager({ storage, schemaVersion: 3, now: () => new Date('2024-05-06T07:08:09Z') });
    const env = await m.save('job-1', { b: 2, a: 1, gone: undefined });
    const expected: CheckpointEnvelope = {
      format: 'bulwark-checkpoint/1',
      schemaVersion: 3,
      savedAt: '2024-05-06T07:08:09.000Z',
      checksum: sha256Hex('{"a":1,"b":2}'),
      state: { a: 1, b: 2 },
    };
    expect(env).toEqual(expected);
    expect(storage.written).toEqual([['job-1', JSON.stringify(expected)]]);
  });

  it('stamps the current time by default', async () => {
    const storage = new ListStorage();
    const before = Date.now();
    const env = await new CheckpointManager({ storage, schemaVersion: 1 }).save('k', 1);
    expect(Date.parse(env.savedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(env.savedAt)).toBeLessThanOrEqual(Date.now());
  });
});

describe('CheckpointManager.load', () => {
  it('returns the newest good generation with what it skipped and why', async () => {
    const storage = new ListStorage([
      '{"trunc',
      JSON.stringify({ format: 'other' }),
      envelope({ n: 7 }),
      envelope({ n: 6 }),
    ]);
    const loaded = await new CheckpointManager({ storage, schemaVersion: 1 }).load('k');
    expect(loaded).toEqual({
      state: { n: 7 },
      schemaVersion: 1,
      savedAt: '2024-01-01T00:00:00.000Z',
      generation: 2,
      skipped: [
        { generation: 0, reason: 'not valid JSON (truncated or corrupted)' },
        { generation: 1, reason: 'not a checkpoint envelope' },
      ],
    });
  });

  it('names every generation and reason when none is good', async () => {
    const storage = new ListStorage(['', 'null']);
    const err = await new CheckpointManager({ storage, schemaVersion: 1 }).load('job').catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(isCheckpointCorruptError(err)).toBe(true);
    expect((err as Error).message).toBe(
      "no valid checkpoint for 'job': generation 0: not valid JSON (truncated or corrupted); generation 1: not a checkpoint envelope",
    );
  });

  it('runs the migrations in order from the stored version, then validates', async () => {
    const storage = new ListStorage([envelope({ v: [1] }, 1)]);
    const m = new CheckpointManager<{ v: number[] }>({
      storage,
      schemaVersion: 3,
      migrations: {
        1: (s) => ({ v: [...(s as { v: number[] }).v, 2] }),
        2: (s) => ({ v: [...(s as { v: number[] }).v, 3] }),
      },
      validate: (s) => {
        if (!Array.isArray((s as { v?: unknown }).v)) throw new Error('bad shape');
        return s as { v: number[] };
      },
    });
    expect(await m.load('k')).toMatchObject({ state: { v: [1, 2, 3] }, schemaVersion: 1, generation: 0 });
  });

  it('skips generations it cannot migrate or validate, saying why', async () => {
    const storage = new ListStorage([
      envelope({ a: 1 }, 4),
      envelope({ a: 2 }, 1),
      envelope({ bad: true }, 2),
      envelope({ a: 3 }, 2),
    ]);
    const m = new CheckpointManager({
      storage,
      schemaVersion: 2,
      migrations: {},
      validate: (s) => {
        if ((s as { bad?: boolean }).bad) throw 'flagged bad';
        return s;
      },
    });
    const loaded = await m.load('k');
    expect(loaded?.state).toEqual({ a: 3 });
    expect(loaded?.skipped).toEqual([
      { generation: 0, reason: 'schema version 4 is newer than this code understands (2)' },
      { generation: 1, reason: 'no migration from schema version 1 to 2' },
      { generation: 2, reason: 'flagged bad' },
    ]);
    const none = new CheckpointManager({ storage: new ListStorage([envelope({ a: 1 }, 1)]), schemaVersion: 2 });
    await expect(none.load('k')).rejects.toThrow('no migration from schema version 1 to 2');
  });
});

describe('parseEnvelope', () => {
  it('checks format, schema version and checksum', () => {
    const good = JSON.parse(envelope({ x: 1 })) as CheckpointEnvelope;
    expect(parseEnvelope(JSON.stringify(good))).toEqual(good);
    expect(() => parseEnvelope(JSON.stringify({ ...good, schemaVersion: 1.5 }))).toThrow('missing schema version');
    expect(() => parseEnvelope(JSON.stringify({ ...good, schemaVersion: undefined }))).toThrow(
      'missing schema version',
    );
    expect(() => parseEnvelope(JSON.stringify({ ...good, state: { x: 2 } }))).toThrow('checksum mismatch');
    expect(() => parseEnvelope(JSON.stringify({ ...good, format: 'bulwark-checkpoint/2' }))).toThrow(
      'not a checkpoint envelope',
    );
    expect(() => parseEnvelope('0')).toThrow('not a checkpoint envelope');
    expect(() => parseEnvelope('{')).toThrow('not valid JSON (truncated or corrupted)');
  });
});

describe('MemoryCheckpointStore', () => {
  it('keeps the newest 3 generations by default, newest first, and hands out copies', async () => {
    const s = new MemoryCheckpointStore();
    for (const v of ['1', '2', '3', '4']) await s.write('k', v);
    const gens = await s.readGenerations('k');
    expect(gens).toEqual(['4', '3', '2']);
    gens.pop();
    expect(await s.readGenerations('k')).toEqual(['4', '3', '2']);
    expect(await s.readGenerations('other')).toEqual([]);
    const one = new MemoryCheckpointStore(1);
    await one.write('k', 'a');
    await one.write('k', 'b');
    expect(await one.readGenerations('k')).toEqual(['b']);
    await s.remove('k');
    expect(await s.readGenerations('k')).toEqual([]);
  });
});

describe('FileCheckpointStore', () => {
  it.each(['', '.hidden', 'a/b', 'a b', 'x'.repeat(202)])('refuses the key %j', async (key) => {
    const s = new FileCheckpointStore({ dir: tempDir() });
    await expect(s.write(key, 'x')).rejects.toThrow(
      new RangeError(`checkpoint key '${key}' must be letters, digits, '.', '_' or '-'`),
    );
  });

  it('accepts keys of letters, digits, dots, dashes and underscores up to 201 characters', async () => {
    const dir = tempDir();
    const s = new FileCheckpointStore({ dir });
    for (const key of ['a', 'A-9_b.c', '_x', '-y', 'x'.repeat(201)]) {
      await s.write(key, `v:${key}`);
      expect(await s.readGenerations(key)).toEqual([`v:${key}`]);
    }
  });

  it('numbers generations upward, keeps 3 by default (at least 1), reads newest first', async () => {
    const dir = tempDir();
    const s = new FileCheckpointStore({ dir });
    for (const v of ['a', 'b', 'c', 'd']) await s.write('job', v);
    expect(readdirSync(dir).sort()).toEqual(['job.2.ckpt', 'job.3.ckpt', 'job.4.ckpt']);
    expect(await s.readGenerations('job')).toEqual(['d', 'c', 'b']);
    const dir1 = tempDir();
    const single = new FileCheckpointStore({ dir: dir1, generations: 0 });
    await single.write('job', 'a');
    await single.write('job', 'b');
    expect(readdirSync(dir1)).toEqual(['job.2.ckpt']);
  });

  it('ignores files that are not generations of the key, and reads unreadable ones as empty', async () => {
    const dir = tempDir();
    const s = new FileCheckpointStore({ dir });
    writeFileSync(join(dir, 'job.7.ckpt'), 'seven');
    writeFileSync(join(dir, 'job.x.ckpt'), 'junk');
    writeFileSync(join(dir, 'job.-1.ckpt'), 'negative');
    writeFileSync(join(dir, 'job.1.5.ckpt'), 'fraction');
    writeFileSync(join(dir, 'job.8.tmp'), 'temp');
    writeFileSync(join(dir, 'jobs.9.ckpt'), 'other key');
    writeFileSync(join(dir, 'xjob.10.ckpt'), 'other key');
    mkdirSync(join(dir, 'job.9.ckpt')); // a directory cannot be read as a file
    expect(await s.readGenerations('job')).toEqual(['', 'seven']);
    await s.write('job', 'ten');
    expect(await s.readGenerations('job')).toEqual(['ten', '', 'seven']);
  });

  it('creates its directory on write; a missing directory has no generations', async () => {
    const dir = join(tempDir(), 'nested', 'deeper');
    const s = new FileCheckpointStore({ dir });
    expect(await s.readGenerations('job')).toEqual([]);
    await s.remove('job');
    await s.write('job', 'v');
    expect(await s.readGenerations('job')).toEqual(['v']);
    await s.remove('job');
    expect(await s.readGenerations('job')).toEqual([]);
  });

  it('reports a directory it cannot list', async () => {
    const base = tempDir();
    const file = join(base, 'not-a-dir');
    writeFileSync(file, 'x');
    const s = new FileCheckpointStore({ dir: file });
    await expect(s.readGenerations('job')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('leaves no temporary files behind', async () => {
    const dir = tempDir();
    const s = new FileCheckpointStore({ dir, generations: 2 });
    for (let i = 0; i < 5; i++) await s.write('job', String(i));
    expect(readdirSync(dir).sort()).toEqual(['job.4.ckpt', 'job.5.ckpt']);
  });
});
