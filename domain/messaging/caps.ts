/**
 * Frequency caps: at most N marketing messages per customer per calendar hour/day/week on the
 * customer's wall clock, per channel and across all channels and journeys. Pure: the caller counts
 * from the ledger since `capWindowStart(...)` and asks `capExceeded`.
 */
import { addCivilDays, atLocalTime, isoWeekday, toLocal } from '../time/local';
import { assertTimeZone } from '../time/zone';

export const capPeriods = ['hour', 'day', 'week'] as const;
export type CapPeriod = (typeof capPeriods)[number];
export type CapLimits = Partial<Record<CapPeriod, number>>;

/** `all` counts every channel; a channel's own limits count only that channel. */
export interface FrequencyCaps {
  all?: CapLimits;
  email?: CapLimits;
  sms?: CapLimits;
  push?: CapLimits;
  wechat?: CapLimits;
}

/**
 * Start of the calendar period containing `now` in `timeZone`: the local hour, local midnight, or
 * Monday 00:00 local. On a spring-forward day the day still starts at its (valid) midnight; a
 * 23- or 25-hour day is one day. An hour repeated by fall-back starts at its own occurrence.
 */
export function capWindowStart(now: Date, period: CapPeriod, timeZone: string): Date {
  assertTimeZone(timeZone);
  const local = toLocal(now, timeZone);
  if (period === 'hour') {
    // Subtract the *local* minutes: in zones offset by :30 or :45 (India, Nepal) the local hour
    // does not start on a UTC hour.
    return new Date(now.getTime() - (local.minute * 60 + local.second) * 1000 - local.millisecond);
  }
  const day = period === 'day' ? local : addCivilDays(local, 1 - isoWeekday(local));
  return atLocalTime({ year: day.year, month: day.month, day: day.day }, 0, timeZone);
}

export interface CapCheck {
  scope: 'all' | 'email' | 'sms' | 'push' | 'wechat';
  period: CapPeriod;
  limit: number;
  /** Messages already counted in this period (since `capWindowStart`). */
  count: number;
}

/** The limits that apply to a send on `channel`, widest scope last so the reason names the tightest. */
export function applicableCaps(
  caps: FrequencyCaps,
  channel: 'email' | 'sms' | 'push' | 'wechat',
): { scope: CapCheck['scope']; period: CapPeriod; limit: number }[] {
  const out: { scope: CapCheck['scope']; period: CapPeriod; limit: number }[] = [];
  for (const scope of [channel, 'all'] as const) {
    for (const period of capPeriods) {
      const limit = caps[scope]?.[period];
      if (limit !== undefined) out.push({ scope, period, limit });
    }
  }
  return out;
}

/** The first cap this send would exceed (count already at the limit), or null. */
export function capExceeded(checks: readonly CapCheck[]): CapCheck | null {
  return checks.find((c) => c.count >= c.limit) ?? null;
}

/** Each cap's window start for a set of sent instants, and how many of them fall inside it. */
export function countInWindows(
  now: Date,
  sent: readonly { at: Date; channel: string }[],
  limits: ReturnType<typeof applicableCaps>,
  timeZone: string,
): CapCheck[] {
  return limits.map(({ scope, period, limit }) => {
    const since = capWindowStart(now, period, timeZone).getTime();
    const count = sent.filter(
      (s) => (scope === 'all' || s.channel === scope) && s.at.getTime() >= since && s.at.getTime() <= now.getTime(),
    ).length;
    return { scope, period, limit, count };
  });
}
