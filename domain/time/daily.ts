/** Daily schedules in a zone: "every day at 09:00 local", resumable from the last day done. */
import { addCivilDays, atLocalTime, parseLocalTime, toLocal, type CivilDate } from './local';

export function formatCivilDate(date: CivilDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

export function parseCivilDate(text: string): CivilDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new RangeError(`Malformed date ${JSON.stringify(text)}: expected "YYYY-MM-DD"`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

/**
 * The next run of a daily job at local `at` ("HH:mm") in `timeZone`: today's if it is still ahead
 * (or exactly now), else tomorrow's; never a day on or before `lastDay` ("YYYY-MM-DD"), so a job
 * that resumes after its run does not run the same day twice.
 */
export function nextDailyRun(now: Date, at: string, timeZone: string, lastDay?: string): { day: string; runAt: Date } {
  const minutes = parseLocalTime(at);
  let day: CivilDate = toLocal(now, timeZone);
  for (let i = 0; i < 3; i++) {
    const runAt = atLocalTime(day, minutes, timeZone);
    const label = formatCivilDate(day);
    if (runAt.getTime() >= now.getTime() && (!lastDay || label > lastDay)) return { day: label, runAt };
    day = addCivilDays(day, 1);
  }
  // Only reachable when lastDay is in the future: run the day after it.
  const next = addCivilDays(parseCivilDate(lastDay!), 1);
  return { day: formatCivilDate(next), runAt: atLocalTime(next, minutes, timeZone) };
}
