/**
 * Expected values are the published ones: Newcombe, "Two-sided confidence intervals for the single
 * proportion" and "Interval estimation for the difference between independent proportions"
 * (Statistics in Medicine 17, 1998), Wilson score and method 10 (hybrid score) columns, 4 decimals.
 */
import { describe, expect, it } from 'vitest';
import {
  armOf,
  compareToHoldout,
  newcombeInterval,
  parseArmOutcome,
  splitSteps,
  wilsonInterval,
} from '../../../domain/analytics';

const near = (interval: { low: number; high: number } | null, low: number, high: number) => {
  expect(interval).not.toBeNull();
  expect(interval!.low).toBeCloseTo(low, 4);
  expect(interval!.high).toBeCloseTo(high, 4);
};

describe('Wilson score interval for one proportion', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i is [%f, %f] (Newcombe 1998, table II)', (x, n, low, high) => {
    near(wilsonInterval(x, n), low, high);
  });

  it('knows nothing about an empty group: [0, 1]', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('refuses impossible counts', () => {
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 4)).toThrow(RangeError);
  });
});

describe('Newcombe hybrid score interval for a difference of proportions', () => {
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
  ])('%i/%i − %i/%i is [%f, %f] (Newcombe 1998, method 10)', (x1, n1, x2, n2, low, high) => {
    near(newcombeInterval(x1, n1, x2, n2), low, high);
  });

  it('is null when a group is empty', () => {
    expect(newcombeInterval(3, 10, 0, 0)).toBeNull();
  });
});

describe('an arm against the holdout', () => {
  it('reports rates, absolute and relative uplift and whether the interval excludes zero', () => {
    const result = compareToHoldout({ conversions: 56, entered: 70 }, { conversions: 48, entered: 80 });
    expect(result.rate).toBeCloseTo(0.8, 10);
    expect(result.holdoutRate).toBeCloseTo(0.6, 10);
    expect(result.uplift).toBeCloseTo(0.2, 10);
    expect(result.relativeUplift).toBeCloseTo(0.2 / 0.6, 10);
    near(result.upliftInterval, 0.0524, 0.3339);
    expect(result.significant).toBe(true);
  });

  it('is not significant when the interval spans zero, and has no relative uplift when the holdout converted nobody', () => {
    const result = compareToHoldout({ conversions: 5, entered: 56 }, { conversions: 0, entered: 29 });
    expect(result.significant).toBe(false);
    expect(result.relativeUplift).toBeNull();
  });
});

describe('split arms from the enrollment path', () => {
  const path = [
    { step: 'welcome', at: '2026-01-01T00:00:00Z', outcome: 'sent' },
    { step: 'ab', at: '2026-01-01T00:00:01Z', outcome: 'control:holdout' },
    { step: 'wait', at: '2026-01-02T00:00:01Z' },
  ];

  it('reads the arm and the holdout flag the split step noted', () => {
    expect(armOf(path, 'ab')).toEqual({ splitStep: 'ab', arm: 'control', holdout: true });
    expect(parseArmOutcome('email')).toEqual({ arm: 'email', holdout: false });
  });

  it('is null for a split the enrollment never reached', () => {
    expect(armOf(path, 'other')).toBeNull();
  });

  it('lists the split steps of a definition', () => {
    const steps = { a: { type: 'split' }, b: { type: 'exit' }, c: { type: 'split' } };
    expect(splitSteps({ steps })).toEqual(['a', 'c']);
  });
});
