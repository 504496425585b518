import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError, isIsolatedCircuitError } from '../errors.js';
import { FakeClock } from '../fake-clock.js';
import { CircuitBreaker, CircuitBreakerRegistry, type CircuitState } from './circuit-breaker.js';
import { consecutiveFailures, countWindow, timeWindow } from './failure-policy.js';

const ok = async () => 'ok';
const fail = async () => {
  throw new Error('boom');
};
const settle = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e) => (isBrokenCircuitError(e) ? 'rejected' : 'failed'),
  );

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and rejects without calling', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(3), openDurationMs: 1000, clock });
    const changes: string[] = [];
    b.onStateChange((c) => changes.push(`${c.from}->${c.to}`));
    for (let i = 0; i < 3; i++) expect(await settle(b.execute(fail))).toBe('failed');
    expect(b.state).toBe('open');
    let called = false;
    expect(
      await settle(
        b.execute(async () => {
          called = true;
        }),
      ),
    ).toBe('rejected');
    expect(called).toBe(false);
    expect(changes).toEqual(['closed->open']);
    expect(b.stats()).toMatchObject({ rejections: 1, failures: 3, retryAfterMs: 1000 });
  });

  it('a success resets the consecutive count', async () => {
    const b = new CircuitBreaker({ policy: consecutiveFailures(2), clock: new FakeClock() });
    await settle(b.execute(fail));
    await settle(b.execute(ok));
    await settle(b.execute(fail));
    expect(b.state).toBe('closed');
  });

  it('half-open admits the configured probes and closes when they succeed', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 1000, halfOpenProbes: 2, clock });
    await settle(b.execute(fail));
    await clock.advance(1000);
    expect(b.state).toBe('half_open');
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const p1 = b.execute(() => gate.then(() => 1));
    const p2 = b.execute(() => gate.then(() => 2));
    // A third call while both probes are in flight is rejected.
    expect(await settle(b.execute(ok))).toBe('rejected');
    release();
    await Promise.all([p1, p2]);
    expect(b.state).toBe('closed');
  });

  it('a failed probe reopens with a longer open duration (backoff), capped', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: consecutiveFailures(1),
      openDurationMs: 1000,
      openBackoffFactor: 2,
      maxOpenDurationMs: 3000,
      clock,
    });
    await settle(b.execute(fail)); // open 1000
    await clock.advance(1000);
    await settle(b.execute(fail)); // probe fails: open 2000
    expect(b.stats().retryAfterMs).toBe(2000);
    await clock.advance(2000);
    await settle(b.execute(fail)); // open min(4000, 3000)
    expect(b.stats().retryAfterMs).toBe(3000);
    await clock.advance(3000);
    await settle(b.execute(ok));
    expect(b.state).toBe('closed');
    await settle(b.execute(fail)); // recovered: back to the base duration
    expect(b.stats().retryAfterMs).toBe(1000);
  });

  it('opens on failure rate over a count window only after the minimum calls', async () => {
    const b = new CircuitBreaker({
      policy: countWindow({ size: 10, failureRateThreshold: 0.5, minimumCalls: 6 }),
      clock: new FakeClock(),
    });
    for (let i = 0; i < 5; i++) await settle(b.execute(i % 2 ? ok : fail)); // 3 of 5 failed
    expect(b.state).toBe('closed');
    await settle(b.execute(fail)); // 4 of 6
    expect(b.state).toBe('open');
  });

  it('opens on slow-call rate even when every call succeeds', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: countWindow({ size: 4, minimumCalls: 4, slowCallRateThreshold: 0.75 }),
      slowCallMs: 100,
      clock,
    });
    const slow = () =>
      b.execute(async () => {
        await clock.advance(150);
        return 1;
      });
    await b.execute(ok);
    await slow();
    await slow();
    expect(b.state).toBe('closed');
    await slow(); // 3 of 4 slow
    expect(b.state).toBe('open');
  });

  it('time window forgets failures older than the window', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      policy: timeWindow({ windowMs: 10_000, buckets: 10, failureRateThreshold: 0.5, minimumCalls: 4 }),
      clock,
    });
    for (let i = 0; i < 3; i++) await settle(b.execute(fail));
    await clock.advance(11_000);
    await settle(b.execute(fail)); // only 1 call in the window now
    expect(b.state).toBe('closed');
    expect(b.stats().window.calls).toBe(1);
  });

  it('trip opens by hand; isolate holds it open until reset', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ openDurationMs: 500, clock });
    b.trip('maintenance');
    expect(await settle(b.execute(ok))).toBe('rejected');
    await clock.advance(500);
    expect(await settle(b.execute(ok))).toBe('ok');
    b.isolate('bad deploy');
    await clock.advance(1_000_000);
    await expect(b.execute(ok)).rejects.toSatisfy(isIsolatedCircuitError);
    b.reset();
    await expect(b.execute(ok)).resolves.toBe('ok');
  });

  it('errors the isFailure filter rejects do not count', async () => {
    const b = new CircuitBreaker({
      policy: consecutiveFailures(1),
      isFailure: (e) => (e as Error).message !== 'not found',
      clock: new FakeClock(),
    });
    await expect(
      b.execute(async () => {
        throw new Error('not found');
      }),
    ).rejects.toThrow('not found');
    expect(b.state).toBe('closed');
  });

  it('survives a restart through toJSON / initialState', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ policy: consecutiveFailures(1), openDurationMs: 1000, clock });
    await settle(b.execute(fail));
    await clock.advance(400);
    const saved = JSON.parse(JSON.stringify(b.toJSON()));
    const clock2 = new FakeClock(50_000);
    const restored = new CircuitBreaker({ openDurationMs: 1000, clock: clock2, initialState: saved });
    expect(restored.state).toBe('open');
    expect(restored.stats().retryAfterMs).toBe(600);
    await clock2.advance(600);
    expect(restored.state).toBe('half_open');
  });

  it('registry keeps one breaker per key', () => {
    const reg = new CircuitBreakerRegistry(() => ({ policy: consecutiveFailures(2) }));
    expect(reg.get('a')).toBe(reg.get('a'));
    expect(reg.get('a')).not.toBe(reg.get('b'));
    expect(Object.keys(reg.toJSON())).toEqual(['a', 'b']);
  });

  it('state machine: matches a reference model for any sequence of outcomes and pauses', async () => {
    type Step = { kind: 'call'; success: boolean } | { kind: 'wait'; ms: number };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), success: fc.boolean() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), async (steps, threshold) => {
        const clock = new FakeClock();
        const b = new CircuitBreaker({
          policy: consecutiveFailures(threshold),
          openDurationMs: 1000,
          openBackoffFactor: 1,
          clock,
        });
        // Reference model.
        let state: CircuitState = 'closed';
        let run = 0;
        let openUntil = 0;
        for (const s of steps as Step[]) {
          if (s.kind === 'wait') {
            await clock.advance(s.ms);
            continue;
          }
          const now = clock.now();
          let expected: 'ok' | 'failed' | 'rejected';
          if (state === 'open' && now < openUntil) expected = 'rejected';
          else {
            if (state === 'open') state = 'half_open';
            expected = s.success ? 'ok' : 'failed';
            if (state === 'half_open') {
              if (s.success) {
                state = 'closed';
                run = 0;
              } else {
                state = 'open';
                openUntil = now + 1000;
              }
            } else {
              run = s.success ? 0 : run + 1;
              if (run >= threshold) {
                state = 'open';
                openUntil = now + 1000;
                run = 0;
              }
            }
          }
          expect(await settle(b.execute(s.success ? ok : fail))).toBe(expected);
          const visible = state === 'open' && clock.now() >= openUntil ? 'half_open' : state;
          expect(b.state).toBe(visible);
        }
      }),
      { numRuns: 200 },
    );
  });
});
