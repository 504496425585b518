import { describe, expect, it } from 'vitest';
import { parsePgTimestamp } from './pglite.js';

describe('parsePgTimestamp', () => {
  it.each([
    ['2026-11-24 14:10:44.668+00', '2026-11-24T14:10:44.668Z'],
    ['2026-11-24 14:10:44.668123+00', '2026-11-24T14:10:44.668Z'],
    ['2026-11-24 14:10:44+05:30', '2026-11-24T08:40:44.000Z'],
    ['2026-11-24 14:10:44-08', '2026-11-24T22:10:44.000Z'],
    ['2026-11-24 14:10:44.5', '2026-11-24T14:10:44.500Z'],
  ])('%s -> %s', (input, iso) => {
    expect((parsePgTimestamp(input) as Date).toISOString()).toBe(iso);
  });
  it('keeps infinities and unknown text as they are', () => {
    expect(parsePgTimestamp('infinity')).toBe('infinity');
    expect(parsePgTimestamp('yesterday')).toBe('yesterday');
  });
});
