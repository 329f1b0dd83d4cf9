/**
 * Yearly dates ("every May 1 at 09:00 local"): seasonal waits such as air-conditioner cleaning
 * before the cooling season. Pure; `now` is an argument.
 */
import { atLocalTime, parseLocalTime, toLocal, type CivilDate } from './local';
import { assertTimeZone } from './zone';

export interface YearlyDate {
  /** 1..12 */
  month: number;
  /** 1..31; a day the month lacks in some years (Feb 29) falls on the month's last day then. */
  day: number;
  /** Local wall-clock time, "HH:mm". */
  at: string;
}

const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** The most days `month` ever has (February: 29): a yearly day above it never happens. */
export function maxDayOfMonth(month: number): number {
  return MONTH_DAYS[month - 1] ?? 0;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function occurrence(year: number, date: YearlyDate): CivilDate {
  return { year, month: date.month, day: Math.min(date.day, daysInMonth(year, date.month)) };
}

/**
 * The first instant after `now` (strictly: a loop through it always passes time) that is `date.month`/`date.day` at `date.at` on the wall clock
 * of `timeZone`: this year's when it is still ahead, else next year's. A time skipped by a
 * spring-forward gap happens at the first valid instant after the gap; a repeated fall-back time
 * at its first occurrence. Throws a RangeError for an impossible date (April 31), a malformed
 * time or an invalid zone.
 */
export function nextYearlyDate(now: Date, date: YearlyDate, timeZone: string): Date {
  assertTimeZone(timeZone);
  if (!Number.isInteger(date.month) || date.month < 1 || date.month > 12)
    throw new RangeError(`month ${date.month} is not 1..12`);
  if (!Number.isInteger(date.day) || date.day < 1 || date.day > maxDayOfMonth(date.month))
    throw new RangeError(`day ${date.day} never occurs in month ${date.month}`);
  const minutes = parseLocalTime(date.at);
  const { year } = toLocal(now, timeZone);
  for (const candidateYear of [year, year + 1]) {
    const at = atLocalTime(occurrence(candidateYear, date), minutes, timeZone);
    if (at.getTime() > now.getTime()) return at;
  }
  /* c8 ignore next: next year's date is always ahead of now */
  throw new RangeError('no yearly date found');
}
