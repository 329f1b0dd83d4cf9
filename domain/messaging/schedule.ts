/**
 * When may a marketing message go out? Quiet hours and do-not-disturb dates (holidays), both on the
 * customer's wall clock. Pure: takes `now`, shared by the send activity and tests.
 */
import { addCivilDays, atLocalTime, toLocal, type CivilDate } from '../time/local';
import { quietHoursEnd, type QuietHours } from '../time/window';
import { assertTimeZone } from '../time/zone';

export interface SendSchedule {
  quietHours?: QuietHours;
  /**
   * Local dates on which marketing is not sent: "YYYY-MM-DD" for one date (a lunar holiday moves
   * every year) or "MM-DD" for every year.
   */
  doNotDisturb?: readonly string[];
}

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEARLY = /^(\d{2})-(\d{2})$/;

/** Throws a RangeError for a malformed date; used to validate configuration at boot. */
export function assertDoNotDisturbDates(dates: readonly string[]): void {
  for (const d of dates)
    if (!FULL_DATE.test(d) && !YEARLY.test(d))
      throw new RangeError(`do-not-disturb date ${JSON.stringify(d)}: expected YYYY-MM-DD or MM-DD`);
}

export function isDoNotDisturbDate(date: CivilDate, dates: readonly string[]): boolean {
  const mm = String(date.month).padStart(2, '0');
  const dd = String(date.day).padStart(2, '0');
  return dates.includes(`${date.year}-${mm}-${dd}`) || dates.includes(`${mm}-${dd}`);
}

/**
 * null when a marketing message may go out at `now`; otherwise the first instant after `now` at
 * which it may: past quiet hours and outside do-not-disturb dates (a DND date ends at the next
 * local midnight, which may itself be inside quiet hours, so both are checked again until stable).
 * Midnight skipped by a DST gap resolves to the first valid instant after it.
 */
export function nextAllowedSendTime(now: Date, schedule: SendSchedule, timeZone: string): Date | null {
  assertTimeZone(timeZone);
  const dnd = schedule.doNotDisturb ?? [];
  let at = now;
  // A year of consecutive DND dates would be a configuration error; 400 steps bound the loop.
  for (let step = 0; step < 400; step++) {
    const local = toLocal(at, timeZone);
    if (isDoNotDisturbDate(local, dnd)) {
      at = atLocalTime(addCivilDays(local, 1), 0, timeZone);
      continue;
    }
    const quietEnd = schedule.quietHours ? quietHoursEnd(at, schedule.quietHours, timeZone) : null;
    if (quietEnd) {
      at = quietEnd;
      continue;
    }
    return at.getTime() === now.getTime() ? null : at;
  }
  throw new RangeError('no allowed send time within 400 days: check the do-not-disturb dates');
}
