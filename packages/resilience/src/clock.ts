/**
 * Time is injected everywhere so that every policy is deterministic under a fake clock.
 *
 * @example
 * const clock = systemClock; // or a fake in tests
 * await sleep(100, clock, signal);
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch (monotonic for the system clock). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: `performance.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A source of uniform random numbers in [0, 1); inject a seeded one for deterministic jitter. */
export type RandomSource = () => number;

/**
 * Resolve after `ms` on `clock`; reject with the signal's reason if it aborts first.
 *
 * @example
 * await sleep(250, systemClock, AbortSignal.timeout(1000));
 */
export function sleep(ms: number, clock: Clock = systemClock, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortReason(signal as AbortSignal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (!isNeverSignal(signal)) signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason an aborted signal carries, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'operation aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * A signal that aborts when any input aborts. `dispose()` detaches the listeners, so long-lived
 * parent signals do not accumulate them (one link per call would otherwise leak).
 */
export function linkSignals(...signals: Array<AbortSignal | undefined>): {
  signal: AbortSignal;
  controller: AbortController;
  dispose(): void;
} {
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  for (const s of signals) {
    if (!s || isNeverSignal(s)) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => s.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    controller,
    dispose: () => {
      for (const c of cleanups) c();
      cleanups.length = 0;
    },
  };
}

/**
 * A small, fast seeded PRNG (mulberry32) for deterministic jitter and tests.
 *
 * @example
 * retry({ random: seededRandom(42) })
 */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The placeholder signal of calls made without one. It never aborts, so nobody needs to listen to it. */
export const NEVER_SIGNAL: AbortSignal = new AbortController().signal;

/** True for `NEVER_SIGNAL`: policies skip their abort listeners for it. */
export function isNeverSignal(signal: AbortSignal | undefined): boolean {
  return signal === NEVER_SIGNAL;
}
