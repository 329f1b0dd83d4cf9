/**
 * When does a consumable (a water filter, a dust bag) run out? From the device's usage counter
 * (e.g. litres filtered, cumulative) and the consumable's rated usage; the rated life in days from
 * installation is both the fallback without telemetry and a cap (filters expire with age too).
 *
 * Pure and deterministic (runs in workflows): `now` is an argument.
 *
 * Robustness:
 * - gaps: usage is measured between readings, whatever their spacing; a long silence lowers the
 *   confidence, it does not bend the rate;
 * - resets: a counter that goes down restarted from zero (firmware reset, device swap): the usage
 *   of that interval is the new value, not the negative difference;
 * - outliers: an interval whose daily rate is far above the typical one (a glitch reading
 *   10,000 L) is clipped to the typical rate — see `SPIKE_FACTOR`.
 */

export interface Reading {
  /** ISO 8601 instant. */
  at: string;
  /** The cumulative counter's value. */
  value: number;
}

export interface DepletionInput {
  /** When this consumable was installed (or bought, when installation is unknown). */
  installedAt: string;
  /** Counter readings since installation (any order; readings before installation are ignored). */
  readings: readonly Reading[];
  /** Usage the consumable is rated for, in the counter's unit (3000 litres). */
  ratedUsage?: number | null;
  /** Days the consumable is rated for from installation. */
  ratedLifeDays?: number | null;
  now: string;
}

export interface DepletionPrediction {
  /** ISO instant the consumable is predicted to run out; null when nothing can be said. */
  depletesAt: string | null;
  /** 0–1: how much to trust it (readings, their span, rate stability, staleness). */
  confidence: number;
  /** What decided it. */
  basis: 'telemetry' | 'rated-life' | 'rated-life-cap' | 'unknown';
  /** Usage per day measured from telemetry (null without enough readings). */
  usagePerDay: number | null;
  /** Usage since installation (telemetry), including the extrapolation to `now`. */
  usedByNow: number | null;
}

const DAY_MS = 86_400_000;
/** An interval faster than this many times the median rate is a glitch: clipped to the median. */
const SPIKE_FACTOR = 5;
/** Readings needed (intervals + 1) before telemetry is trusted over the rated life. */
const MIN_READINGS = 3;

export function predictDepletion(input: DepletionInput): DepletionPrediction {
  const installed = Date.parse(input.installedAt);
  const now = Date.parse(input.now);
  const ratedLifeEnd = input.ratedLifeDays && input.ratedLifeDays > 0 ? installed + input.ratedLifeDays * DAY_MS : null;
  const byRatedLife = (
    confidence: number,
    basis: DepletionPrediction['basis'] = 'rated-life',
  ): DepletionPrediction => ({
    depletesAt: ratedLifeEnd === null ? null : new Date(ratedLifeEnd).toISOString(),
    confidence: ratedLifeEnd === null ? 0 : confidence,
    basis: ratedLifeEnd === null ? 'unknown' : basis,
    usagePerDay: null,
    usedByNow: null,
  });

  const readings = cleanReadings(input.readings, installed, now);
  if (!input.ratedUsage || input.ratedUsage <= 0 || readings.length < MIN_READINGS) return byRatedLife(0.4);

  const intervals = usageIntervals(readings);
  const rates = intervals.map((i) => i.used / i.days);
  const typical = median(rates);
  // Clip spikes, then measure the rate over the whole observed span (robust to uneven spacing).
  const clipped = intervals.map((i) =>
    typical > 0 && i.used / i.days > SPIKE_FACTOR * typical ? typical * i.days : i.used,
  );
  const observedDays = intervals.reduce((sum, i) => sum + i.days, 0);
  const usedInSpan = clipped.reduce((sum, used) => sum + used, 0);
  const rate = usedInSpan / observedDays;
  // The counter may be the device's lifetime total: usage before the first reading is extrapolated
  // at the measured rate rather than read from the counter's value.
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const usedBeforeFirst = rate * ((first.at - installed) / DAY_MS);
  const usedAtLast = usedBeforeFirst + usedInSpan;
  const usedByNow = usedAtLast + rate * Math.max(0, (now - last.at) / DAY_MS);

  if (rate <= 0) {
    // Not used at all so far: only age can exhaust it.
    return { ...byRatedLife(0.5, 'rated-life-cap'), usagePerDay: 0, usedByNow };
  }
  const byUsage = last.at + ((input.ratedUsage - usedAtLast) / rate) * DAY_MS;
  const confidence = telemetryConfidence({
    readings: readings.length,
    spanDays: observedDays,
    rates,
    typical,
    staleDays: (now - last.at) / DAY_MS,
  });
  if (ratedLifeEnd !== null && ratedLifeEnd < byUsage) {
    return {
      depletesAt: new Date(ratedLifeEnd).toISOString(),
      confidence: Math.max(confidence, 0.6),
      basis: 'rated-life-cap',
      usagePerDay: rate,
      usedByNow,
    };
  }
  return { depletesAt: new Date(byUsage).toISOString(), confidence, basis: 'telemetry', usagePerDay: rate, usedByNow };
}

interface CleanReading {
  at: number;
  value: number;
}

/** Finite, non-negative, at or after installation and not after `now`; sorted; one per instant. */
function cleanReadings(readings: readonly Reading[], installed: number, now: number): CleanReading[] {
  const byInstant = new Map<number, number>();
  for (const reading of readings) {
    const at = Date.parse(reading.at);
    if (!Number.isFinite(at) || !Number.isFinite(reading.value) || reading.value < 0 || at < installed || at > now)
      continue;
    byInstant.set(at, reading.value); // a repeated instant: the later reading wins
  }
  return [...byInstant.entries()].sort((a, b) => a[0] - b[0]).map(([at, value]) => ({ at, value }));
}

/** Usage between consecutive readings; a counter that went down restarted from zero. */
function usageIntervals(readings: readonly CleanReading[]): { used: number; days: number }[] {
  const intervals: { used: number; days: number }[] = [];
  for (let i = 1; i < readings.length; i++) {
    const previous = readings[i - 1]!;
    const current = readings[i]!;
    const days = (current.at - previous.at) / DAY_MS;
    if (days <= 0) continue;
    const used = current.value >= previous.value ? current.value - previous.value : current.value;
    intervals.push({ used, days });
  }
  return intervals;
}

function telemetryConfidence(s: {
  readings: number;
  spanDays: number;
  rates: number[];
  typical: number;
  staleDays: number;
}): number {
  const amount = Math.min(1, s.readings / 10); // ten readings are plenty
  const span = Math.min(1, s.spanDays / 21); // three weeks of behaviour
  const spread = s.typical > 0 ? median(s.rates.map((r) => Math.abs(r - s.typical))) / s.typical : 1; // relative MAD
  const stability = 1 / (1 + 2 * spread);
  const freshness = s.staleDays <= 7 ? 1 : Math.max(0.3, 1 - (s.staleDays - 7) / 60);
  return round2(0.35 + 0.65 * amount * span * stability * freshness);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
