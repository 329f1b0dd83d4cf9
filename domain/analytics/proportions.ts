/**
 * Conversion rates and their uncertainty: Wilson score intervals for one proportion and Newcombe's
 * hybrid score interval (his method 10, 1998) for the difference of two independent proportions.
 * Newcombe's interval stays inside [-1, 1] and behaves at 0 % and 100 %, where the plain Wald
 * interval (p1 - p2 ± z·se) collapses to a point. Pure: used by the analytics API and its tests.
 */

export interface Interval {
  low: number;
  high: number;
}

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/** Wilson score interval for x successes out of n; [0, 1] when n is 0 (nothing is known). */
export function wilsonInterval(x: number, n: number, z = Z95): Interval {
  assertCounts(x, n);
  if (n === 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return { low: Math.max(0, (centre - spread) / denominator), high: Math.min(1, (centre + spread) / denominator) };
}

/**
 * Newcombe's hybrid score interval for p1 - p2 (x1/n1 − x2/n2), or null when either group is empty.
 * δ = p1 − p2; low = δ − √((p1 − l1)² + (u2 − p2)²); high = δ + √((u1 − p1)² + (p2 − l2)²), with
 * (l, u) the Wilson interval of each proportion.
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z = Z95): Interval | null {
  assertCounts(x1, n1);
  assertCounts(x2, n2);
  if (n1 === 0 || n2 === 0) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const a = wilsonInterval(x1, n1, z);
  const b = wilsonInterval(x2, n2, z);
  const delta = p1 - p2;
  return {
    low: delta - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: delta + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

export interface ArmComparison {
  /** Conversion rate of the arm and of the holdout (null when a group is empty). */
  rate: number | null;
  holdoutRate: number | null;
  /** Absolute uplift: rate − holdoutRate (percentage points as a fraction). */
  uplift: number | null;
  /** 95 % Newcombe interval of the absolute uplift. */
  upliftInterval: Interval | null;
  /** Relative uplift: uplift / holdoutRate (null when the holdout converted nobody). */
  relativeUplift: number | null;
  /** The interval excludes zero. */
  significant: boolean;
}

/** An arm's conversions against the holdout's: rates, absolute and relative uplift, interval. */
export function compareToHoldout(
  arm: { conversions: number; entered: number },
  holdout: { conversions: number; entered: number },
  z = Z95,
): ArmComparison {
  const rate = arm.entered > 0 ? arm.conversions / arm.entered : null;
  const holdoutRate = holdout.entered > 0 ? holdout.conversions / holdout.entered : null;
  const uplift = rate !== null && holdoutRate !== null ? rate - holdoutRate : null;
  const upliftInterval = newcombeInterval(arm.conversions, arm.entered, holdout.conversions, holdout.entered, z);
  return {
    rate,
    holdoutRate,
    uplift,
    upliftInterval,
    relativeUplift: uplift !== null && holdoutRate ? uplift / holdoutRate : null,
    significant: upliftInterval !== null && (upliftInterval.low > 0 || upliftInterval.high < 0),
  };
}

function assertCounts(x: number, n: number): void {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || n < 0 || x > n)
    throw new RangeError(`invalid counts: ${x} of ${n}`);
}
