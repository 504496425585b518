import { describe, expect, it } from 'vitest';
import { constantBackoff, decorrelatedJitterBackoff, exponentialBackoff, fullJitterBackoff } from './backoff/index.js';
import { classifyFailure, retryAfterMs, statusOf } from './classify.js';
import {
  AllEndpointsFailedError,
  BrokenCircuitError,
  BulkheadRejectedError,
  CheckpointCorruptError,
  IsolatedCircuitError,
  isAllEndpointsFailedError,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isCheckpointCorruptError,
  isIsolatedCircuitError,
  isRateLimitedError,
  isTaskTimeoutError,
  RateLimitedError,
  ResilienceError,
  TaskTimeoutError,
} from './errors.js';

const withStatus = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const typeErrorWithCode = (code: string) => Object.assign(new TypeError('socket'), { code });

describe('statusOf', () => {
  it('reads status, statusCode or response.status, in that order, numbers only', () => {
    expect(statusOf({ status: 503, statusCode: 500 })).toBe(503);
    expect(statusOf({ statusCode: 502, response: { status: 500 } })).toBe(502);
    expect(statusOf({ response: { status: 429 } })).toBe(429);
    expect(statusOf({ status: '503' })).toBeUndefined();
    expect(statusOf({})).toBeUndefined();
    expect(statusOf(null)).toBeUndefined();
    expect(statusOf('503')).toBeUndefined();
  });
});

describe('classifyFailure', () => {
  it.each([
    [408, 'transient'],
    [425, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [599, 'transient'],
    [501, 'permanent'],
    [505, 'permanent'],
    [400, 'permanent'],
    [404, 'permanent'],
    [499, 'permanent'],
    [399, 'transient'],
    [200, 'transient'],
  ])('HTTP %i is %s', (status, expected) => {
    expect(classifyFailure(withStatus(status))).toBe(expected);
  });

  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENETDOWN',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CLOSED',
  ])('network error %s is transient (even on a TypeError)', (code) => {
    expect(classifyFailure(typeErrorWithCode(code))).toBe('transient');
  });

  it('other codes do not make a programming error transient', () => {
    expect(classifyFailure(typeErrorWithCode('ERR_INVALID_ARG_TYPE'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new TypeError('x'), { code: 42 }))).toBe('permanent');
  });

  it('finds the code up to two causes deep (fetch wraps socket errors)', () => {
    const deep = (levels: number) => {
      let cause: unknown = { code: 'ECONNRESET' };
      for (let i = 1; i < levels; i++) cause = { cause };
      return new TypeError('wrapper', { cause });
    };
    expect(classifyFailure(deep(1))).toBe('transient');
    expect(classifyFailure(deep(2))).toBe('transient');
    expect(classifyFailure(deep(3))).toBe('permanent');
  });

  it('fetch failed is transient; other programming errors are permanent; the rest transient', () => {
    expect(classifyFailure(new TypeError('fetch failed'))).toBe('transient');
    expect(classifyFailure(new TypeError('x is not a function'))).toBe('permanent');
    expect(classifyFailure(new RangeError('r'))).toBe('permanent');
    expect(classifyFailure(new SyntaxError('s'))).toBe('permanent');
    expect(classifyFailure(new ReferenceError('q'))).toBe('permanent');
    expect(classifyFailure(new Error('plain'))).toBe('transient');
    expect(classifyFailure('a string')).toBe('transient');
    expect(classifyFailure(null)).toBe('transient');
  });

  it('the permanent flag wins; timeouts are transient; rejections by other policies are permanent', () => {
    expect(classifyFailure(Object.assign(withStatus(503), { permanent: true }))).toBe('permanent');
    expect(classifyFailure(Object.assign(withStatus(503), { permanent: 'yes' }))).toBe('transient');
    expect(classifyFailure(Object.assign(new TaskTimeoutError(5), { permanent: true }))).toBe('permanent');
    expect(classifyFailure(Object.assign(new TaskTimeoutError(5), { status: 400 }))).toBe('transient');
    expect(classifyFailure(new BrokenCircuitError())).toBe('permanent');
    expect(classifyFailure(new IsolatedCircuitError('x'))).toBe('permanent');
    expect(classifyFailure(new BulkheadRejectedError(1, 0))).toBe('permanent');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');

  it('prefers a non-negative retryAfterMs on the error', () => {
    expect(retryAfterMs({ retryAfterMs: 1500, headers: { 'retry-after': '9' } })).toBe(1500);
    expect(retryAfterMs({ retryAfterMs: 0 })).toBe(0);
    expect(retryAfterMs({ retryAfterMs: -1, headers: { 'retry-after': '2' } })).toBe(2000);
  });

  it('reads Retry-After from a Headers object, a plain object or response.headers', () => {
    expect(retryAfterMs({ headers: new Headers({ 'Retry-After': '1.5' }) })).toBe(1500);
    expect(retryAfterMs({ headers: new Headers() })).toBeUndefined();
    expect(retryAfterMs({ response: { headers: { 'retry-after': '4' } } })).toBe(4000);
    expect(retryAfterMs({ headers: { 'retry-after': 4 } })).toBeUndefined();
    expect(retryAfterMs({ headers: 'retry-after: 4' })).toBeUndefined();
  });

  it('reads seconds (never negative) or an HTTP date relative to now', () => {
    expect(retryAfterMs({ headers: { 'retry-after': '-3' } })).toBe(0);
    expect(retryAfterMs({ headers: { 'retry-after': '   ' } })).toBeUndefined();
    expect(retryAfterMs({ headers: { 'retry-after': '' } })).toBeUndefined();
    expect(retryAfterMs({ headers: { 'retry-after': 'Mon, 01 Jan 2024 00:00:30 GMT' } }, now)).toBe(30_000);
    expect(retryAfterMs({ headers: { 'retry-after': 'Sun, 31 Dec 2023 23:59:00 GMT' } }, now)).toBe(0);
    expect(retryAfterMs({ headers: { 'retry-after': 'soon' } }, now)).toBeUndefined();
  });

  it('uses the wall clock by default for dates', () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const ms = retryAfterMs({ headers: { 'retry-after': inAMinute } }) as number;
    expect(ms).toBeGreaterThan(50_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('is undefined for non-objects and errors without a hint', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('retry-after: 1')).toBeUndefined();
    expect(retryAfterMs(new Error('x'))).toBeUndefined();
  });
});

describe('backoff', () => {
  const one = () => 1;
  const half = () => 0.5;

  it('constant returns the same delay', () => {
    const b = constantBackoff(250);
    expect([1, 2, 7].map((n) => b.delay(n, 99, one))).toEqual([250, 250, 250]);
  });

  it('exponential defaults: 100 ms, doubling, capped at 30 s; retry 0 counts as the first', () => {
    const b = exponentialBackoff();
    expect([0, 1, 2, 3, 9, 10, 20].map((n) => b.delay(n, 0, one))).toEqual([
      100, 100, 200, 400, 25_600, 30_000, 30_000,
    ]);
    const custom = exponentialBackoff({ initialMs: 10, factor: 3, maxMs: 200 });
    expect([1, 2, 3, 4].map((n) => custom.delay(n, 0, one))).toEqual([10, 30, 90, 200]);
  });

  it('full jitter scales the exponential delay by the random draw', () => {
    const b = fullJitterBackoff({ initialMs: 1000 });
    expect(b.delay(1, 0, half)).toBe(500);
    expect(b.delay(3, 0, half)).toBe(2000);
    expect(b.delay(3, 0, () => 0)).toBe(0);
    expect(fullJitterBackoff().delay(2, 0, one)).toBe(200);
  });

  it('decorrelated jitter draws between initial and 3x the previous delay, capped', () => {
    const b = decorrelatedJitterBackoff();
    expect(b.delay(1, 0, () => 0)).toBe(100);
    expect(b.delay(1, 0, one)).toBe(300); // no previous: 3x initial
    expect(b.delay(2, 1000, half)).toBe(100 + 0.5 * 2900);
    expect(b.delay(2, 20, one)).toBe(100); // 3x a small previous stays at initial
    expect(b.delay(5, 20_000, one)).toBe(30_000);
    const custom = decorrelatedJitterBackoff({ initialMs: 10, maxMs: 50 });
    expect(custom.delay(2, 10, one)).toBe(30);
    expect(custom.delay(2, 100, one)).toBe(50);
  });
});

describe('errors', () => {
  it('carry their data, names, kinds and messages', () => {
    const broken = new BrokenCircuitError(undefined, 1200);
    expect(broken).toMatchObject({
      name: 'BrokenCircuitError',
      kind: 'broken_circuit',
      message: 'circuit is open; the call was not attempted',
      retryAfterMs: 1200,
    });
    expect(new BrokenCircuitError('custom').message).toBe('custom');
    expect(new IsolatedCircuitError('deploy')).toMatchObject({
      name: 'IsolatedCircuitError',
      kind: 'isolated_circuit',
      reason: 'deploy',
      message: 'circuit is isolated: deploy',
    });
    expect(new TaskTimeoutError(30)).toMatchObject({
      name: 'TaskTimeoutError',
      kind: 'timeout',
      timeoutMs: 30,
      message: 'operation timed out after 30 ms',
    });
    expect(new BulkheadRejectedError(4, 2)).toMatchObject({
      name: 'BulkheadRejectedError',
      kind: 'bulkhead_rejected',
      executing: 4,
      queued: 2,
      message: 'bulkhead full (4 executing, 2 queued)',
    });
    expect(new RateLimitedError(12.2)).toMatchObject({
      name: 'RateLimitedError',
      kind: 'rate_limited',
      retryAfterMs: 12.2,
      message: 'rate limit exceeded; retry after 13 ms',
    });
    const all = new AllEndpointsFailedError([
      { endpoint: 'a', error: new Error('down') },
      { endpoint: 'b', error: 'string failure' },
    ]);
    expect(all).toMatchObject({
      name: 'AllEndpointsFailedError',
      kind: 'all_endpoints_failed',
      message: 'all 2 endpoint(s) failed: a: down; b: string failure',
    });
    expect(all.failures).toHaveLength(2);
    expect(new CheckpointCorruptError('bad')).toMatchObject({
      name: 'CheckpointCorruptError',
      kind: 'checkpoint_corrupt',
      message: 'bad',
    });
    const cause = new Error('root');
    expect(new ResilienceError('aborted', 'm', { cause }).cause).toBe(cause);
  });

  it('guards recognise their own kind only, also across copies of the class', () => {
    const guards = [
      [isBrokenCircuitError, new BrokenCircuitError()],
      [isIsolatedCircuitError, new IsolatedCircuitError('x')],
      [isTaskTimeoutError, new TaskTimeoutError(1)],
      [isBulkheadRejectedError, new BulkheadRejectedError(1, 1)],
      [isRateLimitedError, new RateLimitedError(1)],
      [isAllEndpointsFailedError, new AllEndpointsFailedError([])],
      [isCheckpointCorruptError, new CheckpointCorruptError('x')],
    ] as const;
    for (const [guard, own] of guards) {
      expect(guard(own)).toBe(true);
      for (const [, other] of guards) if (other !== own) expect(guard(other)).toBe(false);
      expect(guard(null)).toBe(false);
      expect(guard('timeout')).toBe(false);
      expect(guard(new Error('plain'))).toBe(false);
    }
    // A copy of the package: same brand symbol, different class.
    const foreign = { [Symbol.for('@bulwark/resilience.error')]: 'timeout' };
    expect(isTaskTimeoutError(foreign)).toBe(true);
  });
});
