import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointStorage } from './checkpoint.js';

/**
 * Checkpoints as files: `<key>.<generation>.ckpt`, newest = highest number. A write goes to a
 * temporary file, is fsynced, renamed into place, and the directory is fsynced too (so the
 * rename itself survives a power cut — the step write-file-atomic skips). Older generations
 * beyond `generations` are deleted only after the new one is durable.
 *
 * @example
 * const storage = new FileCheckpointStore({ dir: '/var/lib/myjob/checkpoints', generations: 3 });
 */
export class FileCheckpointStore implements CheckpointStorage {
  private readonly dir: string;
  private readonly keep: number;

  constructor(options: { dir: string; generations?: number }) {
    this.dir = options.dir;
    this.keep = Math.max(1, options.generations ?? 3);
  }

  private static safeKey(key: string): string {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/.test(key)) {
      throw new RangeError(`checkpoint key '${key}' must be letters, digits, '.', '_' or '-'`);
    }
    return key;
  }

  private async generations(key: string): Promise<Array<{ n: number; file: string }>> {
    const safe = FileCheckpointStore.safeKey(key);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
    const prefix = `${safe}.`;
    return names
      .filter((f) => f.startsWith(prefix) && f.endsWith('.ckpt'))
      .map((f) => ({ n: Number(f.slice(prefix.length, -'.ckpt'.length)), file: f }))
      .filter((g) => Number.isInteger(g.n) && g.n >= 0)
      .sort((a, b) => b.n - a.n);
  }

  async write(key: string, serialized: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const existing = await this.generations(key);
    const next = (existing[0]?.n ?? 0) + 1;
    const finalName = join(this.dir, `${FileCheckpointStore.safeKey(key)}.${next}.ckpt`);
    const tmp = join(this.dir, `.${FileCheckpointStore.safeKey(key)}.${next}.${process.pid}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(serialized, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, finalName);
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    for (const old of existing.slice(this.keep - 1)) {
      await unlink(join(this.dir, old.file)).catch(() => {});
    }
  }

  async readGenerations(key: string): Promise<string[]> {
    const out: string[] = [];
    for (const g of await this.generations(key)) {
      try {
        out.push(await readFile(join(this.dir, g.file), 'utf8'));
      } catch {
        out.push(''); // unreadable: counts as a corrupt generation
      }
    }
    return out;
  }

  async remove(key: string): Promise<void> {
    for (const g of await this.generations(key)) await unlink(join(this.dir, g.file)).catch(() => {});
  }
}
