import { describe, expect, it } from 'vitest';
import { predictDepletion, type Reading } from '../../../domain/predictions';

const DAY = 86_400_000;
const installedAt = '2026-01-01T00:00:00.000Z';
const day = (n: number) => new Date(Date.parse(installedAt) + n * DAY).toISOString();
/** A cumulative counter read every `every` days, using `perDay` from `start` (the counter's value at installation). */
function counter(days: number, every: number, perDay: number, start = 0): Reading[] {
  const readings: Reading[] = [];
  for (let d = every; d <= days; d += every) readings.push({ at: day(d), value: start + perDay * d });
  return readings;
}

describe('predictDepletion', () => {
  it('steady use: 3000 L at 10 L/day from installation runs out on day 300', () => {
    const p = predictDepletion({
      installedAt,
      readings: counter(30, 1, 10),
      ratedUsage: 3000,
      ratedLifeDays: 365,
      now: day(30),
    });
    expect(p.basis).toBe('telemetry');
    expect(p.depletesAt).toBe(day(300));
    expect(p.usagePerDay).toBeCloseTo(10, 10);
    expect(p.usedByNow).toBeCloseTo(300, 10);
    expect(p.confidence).toBeGreaterThan(0.9);
  });

  it('a counter that holds the device lifetime total (not zero at installation) gives the same date', () => {
    const p = predictDepletion({
      installedAt,
      readings: counter(30, 1, 10, 52_000),
      ratedUsage: 3000,
      ratedLifeDays: 365,
      now: day(30),
    });
    expect(p.depletesAt).toBe(day(300));
  });

  it('without readings, or with too few, falls back to the rated life from installation', () => {
    for (const readings of [[], counter(2, 1, 10)]) {
      const p = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 180, now: day(5) });
      expect(p).toMatchObject({ depletesAt: day(180), basis: 'rated-life', usagePerDay: null });
      expect(p.confidence).toBeLessThan(0.5);
    }
  });

  it('heavy use is capped by the rated life: 60 L/day would last 50 days, but age ends it first only when shorter', () => {
    expect(
      predictDepletion({
        installedAt,
        readings: counter(20, 1, 60),
        ratedUsage: 3000,
        ratedLifeDays: 365,
        now: day(20),
      }).depletesAt,
    ).toBe(day(50));
    const light = predictDepletion({
      installedAt,
      readings: counter(20, 1, 1),
      ratedUsage: 3000,
      ratedLifeDays: 180,
      now: day(20),
    });
    expect(light).toMatchObject({ depletesAt: day(180), basis: 'rated-life-cap' });
  });

  it('gaps: readings on days 1, 2, 3 and then 40 (a month offline) measure the same 10 L/day', () => {
    const readings = [1, 2, 3, 40].map((d) => ({ at: day(d), value: 10 * d }));
    const p = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 365, now: day(41) });
    expect(p.depletesAt).toBe(day(300));
  });

  it('staleness lowers confidence: the same readings trusted less 90 days after the last one', () => {
    const readings = counter(30, 1, 10);
    const fresh = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 365, now: day(31) });
    const stale = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 365, now: day(120) });
    expect(stale.confidence).toBeLessThan(fresh.confidence);
    expect(stale.depletesAt).toBe(fresh.depletesAt); // the rate is not bent by silence
    expect(stale.usedByNow).toBeCloseTo(1200, 6); // extrapolated to now
  });

  it('resets: a counter that restarts from zero on day 15 keeps counting usage (10 L/day throughout)', () => {
    const readings = counter(30, 1, 10).map((r, i) => (i + 1 >= 15 ? { ...r, value: r.value - 150 + 5 } : r)); // day 15 reads 5 instead of 150
    // Day 15's interval counts 5 L instead of 10 (the counter lost what it had before the reset), the rest are exact.
    const p = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 365, now: day(30) });
    expect(p.basis).toBe('telemetry');
    const predictedDay = (Date.parse(p.depletesAt!) - Date.parse(installedAt)) / DAY;
    expect(predictedDay).toBeGreaterThan(299);
    expect(predictedDay).toBeLessThan(306);
  });

  it('outliers: one glitch reading 10,000 L above the trend (then back) barely moves the prediction', () => {
    const readings = counter(30, 1, 10);
    readings[9] = { at: day(10), value: 10_100 }; // a spike; the next reading is back on the trend (a "reset" from 10,100 to 110)
    const p = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 365, now: day(30) });
    const predictedDay = (Date.parse(p.depletesAt!) - Date.parse(installedAt)) / DAY;
    expect(predictedDay).toBeGreaterThan(280);
    expect(predictedDay).toBeLessThan(310);
    expect(p.confidence).toBeLessThan(
      predictDepletion({
        installedAt,
        readings: counter(30, 1, 10),
        ratedUsage: 3000,
        ratedLifeDays: 365,
        now: day(30),
      }).confidence + 1e-9,
    );
  });

  it('ignores readings before installation, in the future, negative or not numbers, and unsorted input', () => {
    const readings = [...counter(30, 1, 10)].reverse();
    readings.push(
      { at: day(-5), value: 99_999 },
      { at: day(45), value: 0 },
      { at: day(12), value: Number.NaN },
      { at: day(13), value: -4 },
    );
    const p = predictDepletion({ installedAt, readings, ratedUsage: 3000, ratedLifeDays: 365, now: day(30) });
    expect(p.depletesAt).toBe(day(300));
  });

  it('an unused device only runs out by age; nothing known at all gives null', () => {
    const idle = predictDepletion({
      installedAt,
      readings: counter(30, 1, 0, 500),
      ratedUsage: 3000,
      ratedLifeDays: 365,
      now: day(30),
    });
    expect(idle).toMatchObject({ depletesAt: day(365), basis: 'rated-life-cap', usagePerDay: 0 });
    expect(predictDepletion({ installedAt, readings: [], now: day(3) })).toMatchObject({
      depletesAt: null,
      basis: 'unknown',
      confidence: 0,
    });
  });

  it('a faster rate in new readings moves the prediction earlier', () => {
    const base = counter(30, 1, 10);
    const faster = [
      ...base,
      ...[31, 32, 33, 34, 35, 36, 37, 38, 39, 40].map((d) => ({ at: day(d), value: 300 + 30 * (d - 30) })),
    ];
    const before = predictDepletion({
      installedAt,
      readings: base,
      ratedUsage: 3000,
      ratedLifeDays: 365,
      now: day(30),
    });
    const after = predictDepletion({
      installedAt,
      readings: faster,
      ratedUsage: 3000,
      ratedLifeDays: 365,
      now: day(40),
    });
    expect(Date.parse(after.depletesAt!)).toBeLessThan(Date.parse(before.depletesAt!));
  });
});
