/**
 * When does a closed circuit open? A failure policy sees every call's outcome and answers.
 * All three policies are O(1) per call and allocate nothing after construction.
 */
export interface CallOutcome {
  success: boolean;
  /** The call took at least the slow-call threshold. */
  slow: boolean;
}

export interface FailurePolicy {
  record(outcome: CallOutcome, now: number): void;
  shouldOpen(now: number): boolean;
  reset(): void;
  /** Counts over the current window, for stats. */
  snapshot(now: number): { calls: number; failures: number; slow: number };
  toJSON(): unknown;
  /**
   * True when `record` and `shouldOpen` ignore `now`: the breaker then skips reading its clock for
   * them (and passes 0). Leave it unset for policies that use time.
   */
  readonly timeless?: boolean;
}

/**
 * Open after `threshold` consecutive failures.
 *
 * @example
 * new CircuitBreaker({ policy: consecutiveFailures(10) })
 */
export function consecutiveFailures(threshold: number, initial?: unknown): FailurePolicy {
  if (!(threshold >= 1)) throw new RangeError('threshold must be >= 1');
  let run = typeof (initial as { run?: unknown })?.run === 'number' ? (initial as { run: number }).run : 0;
  return {
    record(o) {
      run = o.success ? 0 : run + 1;
    },
    shouldOpen: () => run >= threshold,
    reset() {
      run = 0;
    },
    snapshot: () => ({ calls: run, failures: run, slow: 0 }),
    toJSON: () => ({ kind: 'consecutive', run }),
    timeless: true,
  };
}

export interface RateThresholds {
  /** Open when failures / calls reaches this (0–1). Default 0.5. */
  failureRateThreshold?: number;
  /** Open when slow calls / calls reaches this (0–1). Default 1 (off). */
  slowCallRateThreshold?: number;
  /** No decision until the window holds at least this many calls. Default 10. */
  minimumCalls?: number;
}

function decide(t: RateThresholds, calls: number, failures: number, slow: number): boolean {
  if (calls === 0 || calls < (t.minimumCalls ?? 10)) return false;
  if (failures / calls >= (t.failureRateThreshold ?? 0.5)) return true;
  const slowT = t.slowCallRateThreshold ?? 1;
  return slowT < 1 && slow / calls >= slowT;
}

/**
 * Failure and slow-call rates over the last `size` calls (a ring buffer with running sums).
 *
 * @example
 * new CircuitBreaker({ policy: countWindow({ size: 100, failureRateThreshold: 0.5, minimumCalls: 20 }) })
 */
export function countWindow(options: RateThresholds & { size: number }): FailurePolicy {
  const size = Math.max(1, Math.floor(options.size));
  // bit 0 = failure, bit 1 = slow
  const ring = new Uint8Array(size);
  let head = 0;
  let count = 0;
  let failures = 0;
  let slow = 0;
  return {
    record(o) {
      if (count === size) {
        const old = ring[head] as number;
        failures -= old & 1;
        slow -= (old >> 1) & 1;
      } else {
        count++;
      }
      const code = (o.success ? 0 : 1) | (o.slow ? 2 : 0);
      ring[head] = code;
      failures += code & 1;
      slow += (code >> 1) & 1;
      head = (head + 1) % size;
    },
    shouldOpen: () => decide(options, count, failures, slow),
    reset() {
      ring.fill(0);
      head = 0;
      count = 0;
      failures = 0;
      slow = 0;
    },
    snapshot: () => ({ calls: count, failures, slow }),
    toJSON: () => ({ kind: 'count', calls: count, failures, slow }),
    timeless: true,
  };
}

/**
 * Failure and slow-call rates over the last `windowMs`, kept in `buckets` time buckets: calls
 * older than the window drop out a bucket at a time.
 *
 * @example
 * new CircuitBreaker({ policy: timeWindow({ windowMs: 60_000, buckets: 12, failureRateThreshold: 0.5 }) })
 */
export function timeWindow(options: RateThresholds & { windowMs: number; buckets?: number }): FailurePolicy {
  const n = Math.max(1, Math.floor(options.buckets ?? 10));
  const width = Math.max(1, options.windowMs / n);
  const starts = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const calls = new Uint32Array(n);
  const fails = new Uint32Array(n);
  const slows = new Uint32Array(n);
  let totalCalls = 0;
  let totalFails = 0;
  let totalSlow = 0;

  /** Drop bucket i's counts from the totals and give it a new start. */
  const clear = (i: number, start: number) => {
    totalCalls -= calls[i] as number;
    totalFails -= fails[i] as number;
    totalSlow -= slows[i] as number;
    calls[i] = 0;
    fails[i] = 0;
    slows[i] = 0;
    starts[i] = start;
  };

  const expire = (now: number) => {
    const oldest = now - options.windowMs;
    for (let i = 0; i < n; i++) {
      const s = starts[i] as number;
      if (s !== Number.NEGATIVE_INFINITY && s + width <= oldest) clear(i, Number.NEGATIVE_INFINITY);
    }
  };

  return {
    record(o, now) {
      const slot = Math.floor(now / width);
      const i = ((slot % n) + n) % n;
      const start = slot * width;
      if (starts[i] !== start) clear(i, start);
      calls[i] = (calls[i] as number) + 1;
      totalCalls++;
      if (!o.success) {
        fails[i] = (fails[i] as number) + 1;
        totalFails++;
      }
      if (o.slow) {
        slows[i] = (slows[i] as number) + 1;
        totalSlow++;
      }
    },
    shouldOpen(now) {
      expire(now);
      return decide(options, totalCalls, totalFails, totalSlow);
    },
    reset() {
      starts.fill(Number.NEGATIVE_INFINITY);
      calls.fill(0);
      fails.fill(0);
      slows.fill(0);
      totalCalls = 0;
      totalFails = 0;
      totalSlow = 0;
    },
    snapshot(now) {
      expire(now);
      return { calls: totalCalls, failures: totalFails, slow: totalSlow };
    },
    toJSON: () => ({ kind: 'time', calls: totalCalls, failures: totalFails, slow: totalSlow }),
  };
}
