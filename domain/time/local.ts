/**
 * Conversions between UTC instants and wall-clock ("local") times in an IANA zone.
 *
 * Instant -> local shifts by `tzOffset` (Intl-based, independent of the host time zone) and reads
 * UTC fields.
 *
 * Local -> instant deliberately does NOT use `new TZDate(y, m, d, h, mi, tz)` or TZDate setters
 * (nor date-fns `addDays(..., { in: tz(zone) })`, which goes through those setters): in
 * @date-fns/tz 1.5 their handling of DST edges depends on the *host* time zone. For example an
 * ambiguous fall-back time such as 2027-10-31 02:30 Europe/Berlin resolves to the first
 * occurrence on a host running in Europe/Berlin but to the second on a host running in UTC, and a
 * time inside a spring-forward gap is pushed forward by the gap length (02:30 -> 03:30) instead of
 * to the end of the gap. Temporal workers may run in any host zone, so that would break replay.
 * Instead we resolve candidates with `tzOffset`, whose result depends only on (zone, instant).
 */
import { tzOffset } from '@date-fns/tz';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A calendar date with no zone attached. `month` is 1..12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** A wall-clock date-time in some zone. */
export interface LocalDateTime extends CivilDate {
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** Which instant to pick when a local time occurs twice (fall-back overlap). */
export type Disambiguation = 'earlier' | 'later';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Parses "HH:mm" (00:00..23:59) into minutes after midnight. Throws a RangeError when malformed. */
export function parseLocalTime(hhmm: string): number {
  const m = typeof hhmm === 'string' ? HH_MM.exec(hhmm) : null;
  if (!m) throw new RangeError(`Malformed local time ${JSON.stringify(hhmm)}: expected "HH:mm" (00:00..23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Wall-clock fields of `at` in `timeZone`. */
export function toLocal(at: Date, timeZone: string): LocalDateTime {
  // Shift by the zone's offset at that instant and read UTC fields. (TZDate's getters read UTC
  // fields inside Temporal's workflow sandbox, whose Date is replaced: they must not be used here.)
  const shifted = new Date(at.getTime() + tzOffset(timeZone, at) * MINUTE_MS);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
  };
}

/** Milliseconds since local midnight. */
export function msOfDay(l: LocalDateTime): number {
  return ((l.hour * 60 + l.minute) * 60 + l.second) * 1000 + l.millisecond;
}

/** `date` shifted by `days` calendar days (month/year/leap-year rollover handled by Date.UTC). */
export function addCivilDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday of a calendar date: 1 = Monday .. 7 = Sunday. */
export function isoWeekday(date: CivilDate): number {
  const dow = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return dow === 0 ? 7 : dow;
}

/** True when year/month/day name a real calendar date (rejects 2027-02-29, 2027-13-01, ...). */
export function isRealCivilDate(date: CivilDate): boolean {
  if (!Number.isInteger(date.year) || !Number.isInteger(date.month) || !Number.isInteger(date.day)) return false;
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day));
  return d.getUTCFullYear() === date.year && d.getUTCMonth() === date.month - 1 && d.getUTCDate() === date.day;
}

function offsetMs(timeZone: string, instant: number): number {
  return Math.round(tzOffset(timeZone, new Date(instant)) * MINUTE_MS);
}

/**
 * The UTC instant at which the wall clock in `timeZone` shows `local`.
 * - Local time skipped by a spring-forward gap: the first valid instant after the gap
 *   (2027-03-14 02:30 America/New_York -> 03:00 EDT).
 * - Local time repeated by a fall-back overlap: the first occurrence by default, or the second
 *   with `disambiguation: 'later'`.
 * Assumes at most one offset change within a day of the requested time (true for every IANA zone).
 */
export function fromLocal(local: LocalDateTime, timeZone: string, disambiguation: Disambiguation = 'earlier'): Date {
  const wall = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
  // Offsets are within ±14h, so the real instant lies inside (wall - 1 day, wall + 1 day).
  const before = offsetMs(timeZone, wall - DAY_MS);
  const after = offsetMs(timeZone, wall + DAY_MS);
  const candidates = [...new Set([before, offsetMs(timeZone, wall), after])]
    .map((offset) => ({ offset, instant: wall - offset }))
    .filter((c) => offsetMs(timeZone, c.instant) === c.offset)
    .map((c) => c.instant)
    .sort((a, b) => a - b);
  const chosen = disambiguation === 'later' ? candidates[candidates.length - 1] : candidates[0];
  if (chosen !== undefined) return new Date(chosen);

  // Spring-forward gap: the transition lies in (wall - after, wall - before]. Bisect for the first
  // instant already on the new offset; its wall-clock time is the end of the gap.
  let lo = wall - after; // still on the old offset
  let hi = wall - before; // already on the new offset
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetMs(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  return new Date(hi);
}

/** The instant at local time `minutesOfDay` on calendar date `date` in `timeZone`. */
export function atLocalTime(
  date: CivilDate,
  minutesOfDay: number,
  timeZone: string,
  disambiguation: Disambiguation = 'earlier',
): Date {
  return fromLocal(
    { ...date, hour: Math.floor(minutesOfDay / 60), minute: minutesOfDay % 60, second: 0, millisecond: 0 },
    timeZone,
    disambiguation,
  );
}
