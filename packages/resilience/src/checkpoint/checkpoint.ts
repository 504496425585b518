import { CheckpointCorruptError } from '../errors.js';
import { sha256Hex } from './sha256.js';

/**
 * Checkpoints: JSON state saved with a schema version and a SHA-256 checksum, kept in N
 * generations, so a crash mid-write or a corrupted file falls back to the last good state —
 * never to a silently wrong one.
 *
 * Glossary
 * - envelope: what is stored: { format, schemaVersion, savedAt, checksum, state }.
 * - generation: one saved envelope; the store keeps the newest `generations` of them.
 * - migration: a function that turns state of schema version v into v + 1.
 */

export const CHECKPOINT_FORMAT = 'bulwark-checkpoint/1';

export interface CheckpointEnvelope<S = unknown> {
  format: typeof CHECKPOINT_FORMAT;
  schemaVersion: number;
  savedAt: string;
  /** SHA-256 (hex) of the canonical JSON of `state`. */
  checksum: string;
  state: S;
}

/**
 * Where envelopes live. Bulwark keeps them in PostgreSQL; `FileCheckpointStore` writes atomic
 * files. `list` returns generations newest first.
 */
export interface CheckpointStorage {
  write(key: string, serialized: string): Promise<void>;
  /** Newest first; each item is the raw text of one generation (possibly corrupt). */
  readGenerations(key: string): Promise<string[]>;
  remove?(key: string): Promise<void>;
}

/** JSON with object keys sorted at every level, so equal states always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && (v as object).constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

export interface CheckpointManagerOptions<S> {
  storage: CheckpointStorage;
  /** Current schema version of the state this code writes. */
  schemaVersion: number;
  /** `migrations[v]` turns state of version v into version v + 1. */
  migrations?: Record<number, (state: unknown) => unknown>;
  /** Validate a loaded state (after migrations); throw to treat the generation as corrupt. */
  validate?: (state: unknown) => S;
  now?: () => Date;
}

export interface LoadedCheckpoint<S> {
  state: S;
  schemaVersion: number;
  savedAt: string;
  /** 0 = newest generation; > 0 means newer generations were corrupt and skipped. */
  generation: number;
  skipped: Array<{ generation: number; reason: string }>;
}

/**
 * Save and load versioned, checksummed state.
 *
 * @example
 * const checkpoints = new CheckpointManager({ storage: new FileCheckpointStore({ dir: './state' }), schemaVersion: 2,
 *   migrations: { 1: (s) => ({ ...(s as object), retries: 0 }) } });
 * await checkpoints.save('campaign-42', { trial: 17, best: 8.5 });
 * const loaded = await checkpoints.load('campaign-42'); // { state, generation, skipped, … } or undefined
 */
export class CheckpointManager<S = unknown> {
  constructor(private readonly options: CheckpointManagerOptions<S>) {}

  async save(key: string, state: S): Promise<CheckpointEnvelope<S>> {
    const canonical = canonicalJson(state);
    const envelope: CheckpointEnvelope<S> = {
      format: CHECKPOINT_FORMAT,
      schemaVersion: this.options.schemaVersion,
      savedAt: (this.options.now ?? (() => new Date()))().toISOString(),
      checksum: sha256Hex(canonical),
      state: JSON.parse(canonical) as S,
    };
    await this.options.storage.write(key, JSON.stringify(envelope));
    return envelope;
  }

  /**
   * The newest generation that parses, matches its checksum, migrates and validates; undefined
   * when there is none at all. Throws CheckpointCorruptError when generations exist but none is good.
   */
  async load(key: string): Promise<LoadedCheckpoint<S> | undefined> {
    const generations = await this.options.storage.readGenerations(key);
    if (generations.length === 0) return undefined;
    const skipped: Array<{ generation: number; reason: string }> = [];
    for (let g = 0; g < generations.length; g++) {
      try {
        const env = parseEnvelope(generations[g] as string);
        const state = this.migrate(env.state, env.schemaVersion);
        const valid = this.options.validate ? this.options.validate(state) : (state as S);
        return { state: valid, schemaVersion: env.schemaVersion, savedAt: env.savedAt, generation: g, skipped };
      } catch (err) {
        skipped.push({ generation: g, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    throw new CheckpointCorruptError(
      `no valid checkpoint for '${key}': ${skipped.map((s) => `generation ${s.generation}: ${s.reason}`).join('; ')}`,
    );
  }

  private migrate(state: unknown, from: number): unknown {
    const target = this.options.schemaVersion;
    if (from > target) throw new Error(`schema version ${from} is newer than this code understands (${target})`);
    let s = state;
    for (let v = from; v < target; v++) {
      const m = this.options.migrations?.[v];
      if (!m) throw new Error(`no migration from schema version ${v} to ${v + 1}`);
      s = m(s);
    }
    return s;
  }
}

/** Parse and verify one stored envelope; throws with the reason when it is not intact. */
export function parseEnvelope(text: string): CheckpointEnvelope {
  let env: CheckpointEnvelope;
  try {
    env = JSON.parse(text) as CheckpointEnvelope;
  } catch {
    throw new Error('not valid JSON (truncated or corrupted)');
  }
  if (!env || env.format !== CHECKPOINT_FORMAT) throw new Error('not a checkpoint envelope');
  if (!Number.isInteger(env.schemaVersion)) throw new Error('missing schema version');
  if (sha256Hex(canonicalJson(env.state)) !== env.checksum) throw new Error('checksum mismatch');
  return env;
}
