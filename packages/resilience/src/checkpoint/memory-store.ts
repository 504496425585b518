import type { CheckpointStorage } from './checkpoint.js';

/**
 * Checkpoints in memory (tests, short-lived processes).
 *
 * @example
 * const manager = new CheckpointManager({ storage: new MemoryCheckpointStore(), schemaVersion: 1 });
 */
export class MemoryCheckpointStore implements CheckpointStorage {
  private readonly data = new Map<string, string[]>();
  constructor(private readonly keep = 3) {}
  async write(key: string, serialized: string): Promise<void> {
    const list = [serialized, ...(this.data.get(key) ?? [])].slice(0, this.keep);
    this.data.set(key, list);
  }
  async readGenerations(key: string): Promise<string[]> {
    return [...(this.data.get(key) ?? [])];
  }
  async remove(key: string): Promise<void> {
    this.data.delete(key);
  }
}
