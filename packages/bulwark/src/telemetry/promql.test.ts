import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../errors.js';
import { DEFAULT_QUERIES, escapeLabelValue, promDuration, render, serviceLabel } from './promql.js';

describe('PromQL construction', () => {
  it('renders templates with the escaped service and window', () => {
    expect(render(DEFAULT_QUERIES.good, { service: 'checkout-service', window: '1h' })).toBe(
      'sum(increase(http_requests_total{service="checkout-service",code!~"5.."}[1h]))',
    );
  });

  it.each([
    ['checkout"} or vector(1) #', /not a valid service name/],
    ['jane.doe@example.com', /e-mail/],
    ['10.0.0.7', /IPv4/],
    ['user-3f2b9c1e-8a4d-4c2e-9b1a-7d6e5f4c3b2a', /UUID/],
    ['', /not a valid service name/],
  ])('refuses %j', (value, reason) => {
    try {
      serviceLabel(value);
      expect.unreachable();
    } catch (err) {
      expect(isBulwarkError(err) && err.code).toBe('validation_failed');
      expect((err as Error).message).toMatch(reason);
    }
  });

  it('escaping always yields a string literal that cannot close early', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const escaped = escapeLabelValue(s);
        // Every quote in the output is preceded by an odd number of backslashes.
        for (let i = 0; i < escaped.length; i++) {
          if (escaped[i] !== '"') continue;
          let n = 0;
          for (let j = i - 1; j >= 0 && escaped[j] === '\\'; j--) n++;
          expect(n % 2).toBe(1);
        }
        expect(escaped).not.toContain('\n');
      }),
    );
  });

  it('formats durations', () => {
    expect([promDuration(3600), promDuration(300), promDuration(45), promDuration(86400)]).toEqual([
      '1h',
      '5m',
      '45s',
      '24h',
    ]);
    expect(() => render(DEFAULT_QUERIES.total, { service: 'a', window: '1h; drop' })).toThrow();
  });
});
