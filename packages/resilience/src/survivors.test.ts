// Behaviour the first mutation run showed untested: hedging timers and races, breaker probe
// bookkeeping, the shared timeout timer, and how contexts and thenables are handed through.
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adaptiveConcurrency } from './adaptive-concurrency.js';
import { CircuitBreaker } from './breaker/circuit-breaker.js';
import { type CallOutcome, consecutiveFailures, countWindow, type FailurePolicy } from './breaker/failure-policy.js';
import { BulkheadPolicy } from './bulkhead.js';
import { FileCheckpointStore } from './checkpoint/file-store.js';
import { MemoryCheckpointStore } from './checkpoint/memory-store.js';
import type { Clock } from './clock.js';
import { NEVER_SIGNAL } from './clock.js';
import { isTaskTimeoutError, TaskTimeoutError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { injectLatency } from './fault-injection.js';
import { HealthChecker } from './health/health-checker.js';
import { hedge } from './hedge.js';
import { type ExecutionContext, isThenable, type Policy, wrap } from './policy.js';
import { retry } from './retry.js';
import { FallbackRouter } from './routing/fallback-router.js';
import { timeout } from './timeout.js';

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const boom = new Error('boom');
const fail = async () => {
  throw boom;
};
function gate<T = void>() {
  let open!: (v: T) => void;
  let shut!: (e: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    shut = reject;
  });
  return { promise, open, shut };
}

describe('hedge timers and races', () => {
  it('clears its delay timer when the first attempt wins', async () => {
    const clock = new FakeClock();
    await expect(hedge({ delayMs: 100, clock }).execute(async () => 'fast')).resolves.toBe('fast');
    expect(clock.pending).toBe(0);
  });

  it('arms no timer once every attempt has started', async () => {
    const clock = new FakeClock();
    let calls = 0;
    void hedge({ delayMs: 100, maxAttempts: 2, clock }).execute(() => {
      calls++;
      return new Promise(() => {});
    });
    await clock.advance(100);
    expect(calls).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('fallback mode never hedges on time', async () => {
    const clock = new FakeClock();
    let calls = 0;
    void hedge({ mode: 'fallback', delayMs: 10, maxAttempts: 3, clock }).execute(() => {
      calls++;
      return new Promise(() => {});
    });
    await clock.advance(1000);
    expect(calls).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('latency mode: one of several attempts in flight failing does not start another at once', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    void hedge({ delayMs: 100, maxAttempts: 3, clock }).execute(({ attempt }) => {
      starts.push(clock.now());
      if (attempt === 2) return new Promise((_, reject) => clock.setTimeout(() => reject(boom), 50));
      return new Promise(() => {});
    });
    await clock.advance(1000);
    expect(starts).toEqual([0, 100, 200]);
  });

  it('latency mode: a hedge started by a failure restarts the delay', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    void hedge({ delayMs: 100, maxAttempts: 3, clock }).execute(({ attempt }) => {
      starts.push(clock.now());
      if (attempt === 1) return new Promise((_, reject) => clock.setTimeout(() => reject(boom), 50));
      return new Promise(() => {});
    });
    await clock.advance(1000);
    expect(starts).toEqual([0, 50, 150]);
  });

  it('the first success wins: a later success does not abort the winner', async () => {
    const clock = new FakeClock();
    const signals: AbortSignal[] = [];
    const gates = [gate<string>(), gate<string>()];
    const p = hedge({ mode: 'parallel', maxAttempts: 2, clock }).execute(({ signal, attempt }) => {
      signals.push(signal);
      return (gates[attempt - 1] as ReturnType<typeof gate<string>>).promise;
    });
    await clock.advance(0);
    gates[0]?.open('one');
    gates[1]?.open('two');
    await expect(p).resolves.toBe('one');
    await clock.advance(0);
    expect(signals.map((s) => s.aborted)).toEqual([false, true]);
  });

  it('starts nothing more after the caller aborted, and stops listening to the caller when done', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    let calls = 0;
    const p = caught(
      hedge({ mode: 'latency', delayMs: 100, maxAttempts: 3, clock }).execute(({ signal }) => {
        calls++;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }, c.signal),
    );
    await clock.advance(0);
    c.abort(new Error('caller'));
    expect(((await p) as Error).message).toBe('caller');
    await clock.advance(1000);
    expect(calls).toBe(1);
    const d = new AbortController();
    await hedge({ clock }).execute(async () => 'ok', d.signal);
    expect(getEventListeners(d.signal, 'abort')).toHaveLength(0);
  });

  it('parallel mode starts exactly maxAttempts attempts', async () => {
    let calls = 0;
    await caught(
      hedge({ mode: 'parallel', maxAttempts: 3, clock: new FakeClock() }).execute(() => {
        calls++;
        return Promise.reject(boom);
      }),
    );
    expect(calls).toBe(3);
  });
});

describe('breaker probe bookkeeping', () => {
  it('counts successful probes against the limit: a third call waits while two probes are used up', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 10, halfOpenProbes: 2, clock });
    await caught(b.execute(fail));
    await clock.advance(10);
    await b.execute(async () => 'probe 1');
    expect(b.state).toBe('half_open');
    const g = gate();
    const second = b.execute(() => g.promise);
    expect(await caught(b.execute(async () => 'third'))).toMatchObject({ retryAfterMs: 0 });
    g.open();
    await second;
    expect(b.state).toBe('closed');
  });

  it('an ignored error of a call admitted while closed does not free a probe slot', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: consecutiveFailures(1),
      openDurationMs: 10,
      isFailure: (e) => e === boom,
      clock,
    });
    const old = gate();
    const oldCall = caught(b.execute(() => old.promise));
    await caught(b.execute(fail));
    await clock.advance(10);
    const probe = gate();
    const probeCall = b.execute(() => probe.promise);
    old.shut(new Error('not a failure'));
    await oldCall;
    expect(await caught(b.execute(async () => 'extra'))).toMatchObject({ retryAfterMs: 0 });
    probe.open();
    await probeCall;
  });

  it('a call admitted while closed that fails in half-open does not reopen the circuit', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 10, clock });
    const old = gate();
    const oldCall = caught(b.execute(() => old.promise));
    await caught(b.execute(fail));
    await clock.advance(10);
    const probe = gate();
    const probeCall = b.execute(() => probe.promise);
    old.shut(boom);
    await oldCall;
    expect(b.state).toBe('half_open');
    probe.open();
    await probeCall;
    expect(b.state).toBe('closed');
  });

  it('a probe that ends after the circuit was tripped by hand changes nothing', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 10, clock });
    b.trip('first');
    await clock.advance(10);
    const ok = gate();
    const okProbe = b.execute(() => ok.promise);
    b.trip('again');
    ok.open();
    await okProbe;
    expect(b.toJSON()).toMatchObject({ state: 'open', reason: 'tripped: again', consecutiveOpens: 2 });
    await clock.advance(20);
    const bad = gate();
    const badProbe = caught(b.execute(() => bad.promise));
    b.trip('third');
    bad.shut(boom);
    await badProbe;
    expect(b.toJSON()).toMatchObject({ state: 'open', reason: 'tripped: third', consecutiveOpens: 3 });
  });

  it('a success while closed keeps the window and the open-duration streak', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: countWindow({ size: 10, minimumCalls: 100 }),
      openDurationMs: 10,
      clock,
      initialState: { state: 'closed', consecutiveOpens: 2 },
    });
    await caught(b.execute(fail));
    await b.execute(async () => 1);
    expect(b.stats().window).toEqual({ calls: 2, failures: 1, slow: 0 });
    b.trip('x');
    expect(b.stats().retryAfterMs).toBe(40);
  });

  it('records synchronous outcomes before execute returns, slow failures as slow', async () => {
    const clock = new FakeClock();
    const seen: CallOutcome[] = [];
    const policy: FailurePolicy = {
      record: (o) => seen.push(o),
      shouldOpen: () => false,
      reset: () => {},
      snapshot: () => ({ calls: 0, failures: 0, slow: 0 }),
      toJSON: () => ({}),
      timeless: true,
    };
    const b = new CircuitBreaker({ policy, slowCallMs: 5, clock });
    const p = b.execute(() => 1);
    expect(b.stats().successes).toBe(1);
    await p;
    await caught(
      b.execute(async () => {
        await clock.advance(5);
        throw boom;
      }),
    );
    expect(seen).toEqual([
      { success: true, slow: false },
      { success: false, slow: true },
    ]);
  });
});

/** A FakeClock whose timer handles can be ref'd and unref'd, like Node's. */
class RefClock implements Clock {
  readonly log: string[] = [];
  readonly inner = new FakeClock();
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.inner.setTimeout(fn, ms);
    this.log.push(`set ${ms}`);
    return { id, ref: () => this.log.push('ref'), unref: () => this.log.push('unref') };
  }
  clearTimeout(handle: unknown): void {
    this.log.push('clear');
    this.inner.clearTimeout((handle as { id: unknown }).id);
  }
}

describe('timeout: shared timer state', () => {
  it('a call after an idle period (timer cleared) still times out', async () => {
    const clock = new FakeClock();
    const t = timeout(100, clock);
    await t.execute(async () => 1);
    expect(clock.pending).toBe(0);
    const p = caught(t.execute(() => new Promise(() => {})));
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(isTaskTimeoutError(await p)).toBe(true);
  });

  it('refs a lingering timer once, however many calls join', async () => {
    const clock = new RefClock();
    const t = timeout(100, clock);
    await t.execute(async () => 1);
    void caught(t.execute(() => new Promise(() => {})));
    void caught(t.execute(() => new Promise(() => {})));
    expect(clock.log).toEqual(['set 100', 'unref', 'ref']);
  });

  it('a lingering timer that lapses leaves nothing to ref', async () => {
    const clock = new RefClock();
    const t = timeout(100, clock);
    await t.execute(async () => 1);
    await clock.inner.advance(100); // the unref'd timer fires with nothing to do
    void caught(t.execute(() => new Promise(() => {})));
    void caught(t.execute(() => new Promise(() => {})));
    expect(clock.log).toEqual(['set 100', 'unref', 'set 100']);
  });

  it('clears (not unrefs) timers of clocks whose handles are not objects with unref', async () => {
    for (const handle of [null, 7, { id: 1 }]) {
      const log: string[] = [];
      const inner = new FakeClock();
      const clock: Clock = {
        now: () => inner.now(),
        setTimeout: (fn, ms) => {
          inner.setTimeout(fn, ms);
          log.push('set');
          return handle;
        },
        clearTimeout: () => log.push('clear'),
      };
      await timeout(100, clock).execute(async () => 1);
      expect(log).toEqual(['set', 'clear']);
    }
  });

  it('hands the operation one signal, however often it is read', async () => {
    let ctx!: ExecutionContext;
    const clock = new FakeClock();
    const p = caught(
      timeout(10, clock).execute((c) => {
        ctx = c;
        return new Promise(() => {});
      }),
    );
    const first = ctx.signal;
    expect(ctx.signal).toBe(first);
    await clock.advance(10);
    await p;
    expect(first.aborted).toBe(true);
  });
});

describe('wrap and thenables', () => {
  it('hands the innermost context to the operation as is when the attempt number agrees', async () => {
    const own: ExecutionContext = { signal: new AbortController().signal, attempt: 1 };
    const inner: Policy = { execute: (op) => Promise.resolve(op(own)) };
    let seen: ExecutionContext | undefined;
    await wrap(inner).execute((ctx) => {
      seen = ctx;
    });
    expect(seen).toBe(own);
    const outer: Policy = { execute: (op) => Promise.resolve(op({ ...own, attempt: 3 })) };
    await wrap(outer, inner).execute((ctx) => {
      seen = ctx;
    });
    expect(seen).not.toBe(own);
    expect(seen?.attempt).toBe(3);
    expect(seen?.signal).toBe(own.signal);
  });

  // biome-ignore-start lint/suspicious/noThenProperty: these tests are about values with a then property
  it('isThenable: objects and functions with a then method only', () => {
    const fn = Object.assign(() => 1, { then: () => {} });
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable({ then: () => {} })).toBe(true);
    expect(isThenable(fn)).toBe(true);
    expect(isThenable({ then: 5 })).toBe(false);
    expect(isThenable(() => 1)).toBe(false);
    expect(isThenable({})).toBe(false);
    expect(isThenable(null)).toBe(false);
    expect(isThenable(undefined)).toBe(false);
    expect(isThenable('then')).toBe(false);
    expect(isThenable(3)).toBe(false);
  });

  it('policies hand back plain values that merely have a then property', async () => {
    const clock = new FakeClock();
    const odd = { then: 5 };
    await expect(timeout(10, clock).execute(() => odd)).resolves.toBe(odd);
    await expect(new CircuitBreaker({ clock }).execute(() => odd)).resolves.toBe(odd);
    await expect(timeout(10, clock).execute(() => null)).resolves.toBeNull();
  });
  // biome-ignore-end lint/suspicious/noThenProperty: see above
});

describe('more boundaries', () => {
  it('retry counts a synchronous success before execute returns', async () => {
    const policy = retry({ clock: new FakeClock() });
    const p = policy.execute(() => 'now');
    expect(policy.stats().successes).toBe(1);
    await expect(p).resolves.toBe('now');
  });

  it('fallback race: the first answer wins, only the losers are aborted, naming the winner', async () => {
    const clock = new FakeClock();
    const signals = new Map<string, AbortSignal>();
    const gates = new Map([
      ['a', gate<string>()],
      ['b', gate<string>()],
      ['c', gate<string>()],
    ]);
    const router = new FallbackRouter<void, string>({
      clock,
      strategy: 'parallel',
      endpoints: ['a', 'b', 'c'].map((id) => ({
        id,
        call: (_: unknown, { signal }: ExecutionContext) => {
          signals.set(id, signal);
          return (gates.get(id) as ReturnType<typeof gate<string>>).promise;
        },
      })),
    });
    const p = router.execute();
    await clock.advance(0);
    gates.get('b')?.open('B');
    gates.get('a')?.open('A');
    gates.get('c')?.shut(boom);
    await expect(p).resolves.toEqual({ value: 'B', endpoint: 'b', failedOver: [] });
    await clock.advance(0);
    expect(signals.get('b')?.aborted).toBe(false);
    expect(signals.get('a')?.reason).toEqual(new Error('lost the race to b'));
    expect(signals.get('c')?.aborted).toBe(true);
  });

  it('fallback latency scores: unmeasured sorts before a measured 0 ms; error rate decays on success', async () => {
    let failA = true;
    const router = new FallbackRouter<void, string>({
      clock: new FakeClock(),
      strategy: 'latency',
      endpoints: [
        {
          id: 'a',
          call: () => {
            if (failA) throw Object.assign(new Error('a'), { status: 503 });
            return 'a';
          },
        },
        { id: 'b', priority: 1, call: () => 'b' },
      ],
    });
    await router.execute(); // a fails (error rate 0.2), b answers in 0 ms
    expect(router.plan().order).toEqual(['a', 'b']); // a is still unmeasured (-1) vs b's 0
    failA = false;
    await router.execute();
    expect(router.endpointStats().a?.errorRate).toBeCloseTo(0.16, 10);
  });

  it('fallback: unhealthy endpoints are skipped with reason "unhealthy"', async () => {
    const health = new HealthChecker({ unhealthyThreshold: 1 }, new FakeClock());
    health.register('a', async () => {});
    health.report('a', false);
    const router = new FallbackRouter<void, string>({
      health,
      clock: new FakeClock(),
      endpoints: [
        { id: 'a', call: () => 'a' },
        { id: 'b', call: () => 'b' },
      ],
    });
    expect(router.plan().skipped).toEqual([{ id: 'a', reason: 'unhealthy' }]);
  });

  it('health: from unknown one success is healthy even with a higher healthyThreshold; stop halts a running cycle', async () => {
    const clock = new FakeClock();
    const h = new HealthChecker({ healthyThreshold: 3, intervalMs: 100 }, clock);
    let release!: () => void;
    let calls = 0;
    h.register('x', () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    });
    h.start();
    await clock.advance(0);
    h.stop();
    release();
    await clock.advance(0);
    expect(h.status('x')).toBe('healthy');
    await clock.advance(1000);
    expect(calls).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('adaptive concurrency: a decrease that keeps the whole limit reports nothing', async () => {
    const p = adaptiveConcurrency({ initialLimit: 1.05, clock: new FakeClock() });
    const changes: unknown[] = [];
    p.onLimitChange((c) => changes.push(c));
    await caught(p.execute(() => Promise.reject(new TaskTimeoutError(1))));
    expect(p.limit).toBe(1);
    expect(changes).toEqual([]);
  });

  it('bulkhead never listens on the placeholder signal while queued', async () => {
    const b = new BulkheadPolicy(1, 1);
    const g = gate();
    const first = b.execute(() => g.promise);
    const queued = b.execute(() => 'queued', NEVER_SIGNAL);
    expect(getEventListeners(NEVER_SIGNAL, 'abort')).toHaveLength(0);
    g.open();
    await first;
    await expect(queued).resolves.toBe('queued');
  });

  it('latency injection at rate 0 does not wait', async () => {
    const clock = new FakeClock();
    await expect(injectLatency({ injectionRate: 0, latencyMs: 1000, clock }).execute(() => 'now')).resolves.toBe('now');
    expect(clock.now()).toBe(0);
  });

  it('stores: a first generation has no companions; the file store reads generation 0', async () => {
    const m = new MemoryCheckpointStore();
    await m.write('k', 'only');
    expect(await m.readGenerations('k')).toEqual(['only']);
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-zero-'));
    try {
      writeFileSync(join(dir, 'job.0.ckpt'), 'zero');
      expect(await new FileCheckpointStore({ dir }).readGenerations('job')).toEqual(['zero']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
