import { addCivilDays, atLocalTime, isoWeekday, msOfDay, parseLocalTime, toLocal } from './local';
import { assertTimeZone } from './zone';

/** A recurring local-time window, e.g. weekdays 09:00-20:00. */
export interface LocalWindow {
  /** ISO weekdays 1 = Mon .. 7 = Sun on which the window *starts*; default all. */
  weekdays?: number[];
  /** "HH:mm" local opening time. */
  start: string;
  /** "HH:mm" local closing time, exclusive; `end < start` means the window crosses midnight. */
  end: string;
}

/** Local hours during which sending is forbidden, e.g. { start: "21:00", end: "08:00" }. */
export interface QuietHours {
  start: string;
  end: string;
}

const MINUTE_MS = 60_000;

function allowedWeekdays(weekdays: number[] | undefined): Set<number> {
  if (weekdays === undefined) return new Set([1, 2, 3, 4, 5, 6, 7]);
  if (weekdays.length === 0) throw new RangeError('LocalWindow.weekdays must not be empty');
  for (const w of weekdays) {
    if (!Number.isInteger(w) || w < 1 || w > 7)
      throw new RangeError(`Invalid ISO weekday ${String(w)}: expected 1 (Mon) .. 7 (Sun)`);
  }
  return new Set(weekdays);
}

/**
 * `now` when `now` is inside the window (judged on the local wall clock; for a window crossing
 * midnight, the weekday that must be allowed is the one the window started on). Otherwise the
 * first instant >= now at which the window opens. An opening time skipped by a spring-forward gap
 * opens at the first valid instant after the gap; a repeated fall-back time opens at its first
 * occurrence. Throws a RangeError for an empty/invalid weekday list, malformed "HH:mm", an
 * invalid zone, or start === end (a window that never opens).
 */
export function nextWindowStart(now: Date, window: LocalWindow, timeZone: string): Date {
  assertTimeZone(timeZone);
  const start = parseLocalTime(window.start);
  const end = parseLocalTime(window.end);
  const days = allowedWeekdays(window.weekdays);
  if (start === end) throw new RangeError(`LocalWindow ${window.start}-${window.end} is empty`);

  const local = toLocal(now, timeZone);
  const t = msOfDay(local);
  const startMs = start * MINUTE_MS;
  const endMs = end * MINUTE_MS;
  const today = isoWeekday(local);
  const yesterday = isoWeekday(addCivilDays(local, -1));
  const inside =
    start < end
      ? days.has(today) && t >= startMs && t < endMs
      : (days.has(today) && t >= startMs) || (days.has(yesterday) && t < endMs);
  if (inside) return now;

  // Openings are increasing in calendar date, so the first one at or after `now` is the answer.
  // Two weeks is ample: any allowed weekday recurs within 7 days.
  for (let offset = 0; offset <= 14; offset++) {
    const day = addCivilDays(local, offset);
    if (!days.has(isoWeekday(day))) continue;
    const opens = atLocalTime(day, start, timeZone);
    if (opens.getTime() >= now.getTime()) return opens;
  }
  /* c8 ignore next */
  throw new RangeError('No window opening found within 14 days');
}

/**
 * null when `now` is outside quiet hours (sending allowed); otherwise the instant quiet hours end
 * (the next local `end` time). An `end` skipped by spring-forward ends at the first valid instant
 * after the gap; a repeated fall-back `end` uses the first occurrence that is still after `now`.
 * start === end means there are no quiet hours.
 */
export function quietHoursEnd(now: Date, quiet: QuietHours, timeZone: string): Date | null {
  assertTimeZone(timeZone);
  const start = parseLocalTime(quiet.start);
  const end = parseLocalTime(quiet.end);
  if (start === end) return null;

  const local = toLocal(now, timeZone);
  const t = msOfDay(local);
  const startMs = start * MINUTE_MS;
  const endMs = end * MINUTE_MS;
  let endDay;
  if (start < end) {
    if (t < startMs || t >= endMs) return null;
    endDay = addCivilDays(local, 0);
  } else if (t >= startMs) {
    endDay = addCivilDays(local, 1);
  } else if (t < endMs) {
    endDay = addCivilDays(local, 0);
  } else {
    return null;
  }
  const first = atLocalTime(endDay, end, timeZone, 'earlier');
  // `now` may be in the second pass of a fall-back hour, after the first occurrence of `end`.
  return first.getTime() > now.getTime() ? first : atLocalTime(endDay, end, timeZone, 'later');
}
