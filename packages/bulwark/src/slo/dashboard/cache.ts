/**
 * A small in-memory cache for dashboard figures: one entry per key, kept `ttlMs`; concurrent
 * misses on one key share one computation; failures are not cached. Per process (each server
 * instance computes its own figures at most once per TTL).
 */
export interface Cached<T> {
  value: T;
  generated_at: Date;
  cached: boolean;
}

export interface TtlCache {
  get<T>(key: string, compute: () => Promise<T>, o?: { refresh?: boolean }): Promise<Cached<T>>;
}

export function createTtlCache(ttlMs: number, clock: () => Date = () => new Date()): TtlCache {
  const entries = new Map<string, { value: unknown; generatedAt: Date }>();
  const inflight = new Map<string, Promise<{ value: unknown; generatedAt: Date }>>();
  return {
    async get<T>(key: string, compute: () => Promise<T>, o: { refresh?: boolean } = {}): Promise<Cached<T>> {
      const hit = entries.get(key);
      if (!o.refresh && hit && clock().getTime() - hit.generatedAt.getTime() < ttlMs) {
        return { value: hit.value as T, generated_at: hit.generatedAt, cached: true };
      }
      let pending = o.refresh ? undefined : inflight.get(key);
      if (!pending) {
        const started = compute().then((value) => {
          const entry = { value, generatedAt: clock() };
          entries.set(key, entry);
          return entry;
        });
        pending = started;
        inflight.set(key, started);
        const clear = () => {
          if (inflight.get(key) === started) inflight.delete(key);
        };
        started.then(clear, clear);
      }
      const entry = await pending;
      return { value: entry.value as T, generated_at: entry.generatedAt, cached: false };
    },
  };
}
