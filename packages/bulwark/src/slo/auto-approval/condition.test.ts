import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConditionError, evaluateCondition, fieldsOf, parseCondition } from './condition.js';

describe('auto-approval conditions', () => {
  const facts = {
    criticality: 'medium',
    confidence: 'medium',
    tier: 'balanced',
    team: 'payments',
    cold_start: false,
    data_completeness: 0.92,
  };

  it.each([
    ['criticality in ["low", "medium"] and confidence in ["high", "medium"]', true],
    ['criticality in ["high", "critical"]', false],
    ['tier == "balanced" and not (team == "payments")', false],
    ['tier == "aggressive" or data_completeness > 0.9', true],
    ['cold_start == false and confidence != "low"', true],
    ['confidence == "high"', false],
    ['breach_probability < 0.1', false], // missing fact: comparison is false
    ['not breach_probability < 0.1', true],
  ])('%s -> %s', (src, expected) => {
    expect(evaluateCondition(parseCondition(src), facts)).toBe(expected);
  });

  it('binds and tighter than or', () => {
    // false and false or true  ==  (false and false) or true
    expect(evaluateCondition(parseCondition('team == "x" and team == "y" or data_completeness > 0.5'), facts)).toBe(
      true,
    );
    expect(evaluateCondition(parseCondition('team == "x" and (team == "y" or data_completeness > 0.5)'), facts)).toBe(
      false,
    );
  });

  it('lists the fields a condition mentions', () => {
    expect([
      ...fieldsOf(parseCondition('not (team == "a") or (confidence == "low" and target in [99, 99.5])')),
    ]).toEqual(['team', 'confidence', 'target']);
  });

  it.each([
    ['critically == "high"', /unknown field 'critically'/, 1],
    ['target >= "high"', /target' is a number/, 11],
    ['confidence >= "high"', /only be compared with == or !=/, 12],
    ['confidence == 0.8', /confidence' is a string/, 15],
    ['confidence in ["high", "hgh"]', /"hgh" is not a valid confidence; use one of "high", "medium", "low"/, 24],
    ['tier == "fastest"', /not a valid tier/, 9],
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
          const c = parseCondition(`data_completeness >= ${threshold}`);
          const nn = parseCondition(`not not data_completeness >= ${threshold}`);
          expect(evaluateCondition(nn, { data_completeness: value })).toBe(
            evaluateCondition(c, { data_completeness: value }),
          );
          expect(evaluateCondition(c, { data_completeness: value })).toBe(value >= threshold);
        },
      ),
    );
  });
});
