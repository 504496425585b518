import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConditionError, evaluateCondition, parseCondition } from './condition.js';

describe('auto-approval conditions', () => {
  const facts = { criticality: 'medium', confidence: 0.92, tier: 'balanced', team: 'payments', cold_start: false };

  it.each([
    ['criticality in ["low", "medium"] and confidence >= 0.8', true],
    ['criticality in ["high", "critical"]', false],
    ['tier == "balanced" and not (team == "payments")', false],
    ['tier == "aggressive" or confidence > 0.9', true],
    ['cold_start == false and confidence < 0.95', true],
    ['breach_probability < 0.1', false], // missing fact: comparison is false
    ['not breach_probability < 0.1', true],
  ])('%s -> %s', (src, expected) => {
    expect(evaluateCondition(parseCondition(src), facts)).toBe(expected);
  });

  it('binds and tighter than or', () => {
    // false and false or true  ==  (false and false) or true
    expect(evaluateCondition(parseCondition('tier == "x" and team == "y" or confidence > 0.5'), facts)).toBe(true);
    expect(evaluateCondition(parseCondition('tier == "x" and (team == "y" or confidence > 0.5)'), facts)).toBe(false);
  });

  it.each([
    ['critically == "high"', /unknown field 'critically'/, 1],
    ['confidence >= "high"', /confidence' is a number/, 15],
    ['team > "a"', /only be compared with == or !=/, 6],
    ['tier == "balanced" and', /expected a field name/, 23],
    ['(tier == "balanced"', /expected '\)'/, 20],
    ['tier == "balanced" garbage', /unexpected input/, 20],
    ['tier == "unterminated', /unterminated string/, 9],
  ])('rejects %s with a column', (src, message, column) => {
    try {
      parseCondition(src);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConditionError);
      expect((err as Error).message).toMatch(message);
      expect((err as ConditionError).column).toBe(column);
    }
  });

  it('never throws anything but ConditionError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (src) => {
        try {
          parseCondition(src);
        } catch (err) {
          expect(err).toBeInstanceOf(ConditionError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('not(not x) == x for generated comparisons', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (threshold, value) => {
          const c = parseCondition(`confidence >= ${threshold}`);
          const nn = parseCondition(`not not confidence >= ${threshold}`);
          expect(evaluateCondition(nn, { confidence: value })).toBe(evaluateCondition(c, { confidence: value }));
          expect(evaluateCondition(c, { confidence: value })).toBe(value >= threshold);
        },
      ),
    );
  });
});
