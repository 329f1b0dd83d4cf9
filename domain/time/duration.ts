import { milliseconds } from 'date-fns';
import { addCivilDays, fromLocal, toLocal } from './local';
import { assertTimeZone } from './zone';

/** A span of time; fields may be negative (offsets such as "2 days before"). */
export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

const DAY_MS = 86_400_000;

function assertDuration(d: Duration): void {
  for (const key of ['days', 'hours', 'minutes', 'seconds'] as const) {
    const v = d[key];
    if (v !== undefined && !Number.isFinite(v))
      throw new RangeError(`Duration.${key} must be a finite number, got ${String(v)}`);
  }
}

/** Absolute length of `d` in milliseconds, counting a day as 24 hours. */
export function durationToMs(d: Duration): number {
  assertDuration(d);
  return milliseconds({ days: d.days ?? 0, hours: d.hours ?? 0, minutes: d.minutes ?? 0, seconds: d.seconds ?? 0 });
}

/**
 * `at` moved by `d`. Whole `days` are calendar days in `timeZone`: the wall-clock time is kept
 * across DST changes (if that wall-clock time does not exist on the target day, the first valid
 * instant after the gap is used; if it occurs twice, the first occurrence). A fractional part of
 * `days`, and `hours`/`minutes`/`seconds`, are absolute elapsed time added afterwards.
 */
export function addDuration(at: Date, d: Duration, timeZone: string): Date {
  assertTimeZone(timeZone);
  assertDuration(d);
  const days = d.days ?? 0;
  const wholeDays = Math.trunc(days);
  let instant = at.getTime();
  if (wholeDays !== 0) {
    const local = toLocal(at, timeZone);
    instant = fromLocal({ ...local, ...addCivilDays(local, wholeDays) }, timeZone).getTime();
  }
  const elapsed = milliseconds({ hours: d.hours ?? 0, minutes: d.minutes ?? 0, seconds: d.seconds ?? 0 });
  return new Date(instant + Math.trunc((days - wholeDays) * DAY_MS) + elapsed);
}
