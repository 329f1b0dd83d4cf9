import { addDuration, type Duration } from './duration';
import { fromLocal, isRealCivilDate, type LocalDateTime } from './local';
import { assertTimeZone } from './zone';

const MAX_EPOCH_MS = 8.64e15;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH_DIGITS = /^-?\d{11,16}$/;

function fromEpoch(ms: number): Date | null {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_EPOCH_MS ? new Date(ms) : null;
}

function parseZoneOffsetMs(z: string): number {
  if (z.toUpperCase() === 'Z') return 0;
  const sign = z.startsWith('-') ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return NaN;
  return sign * (hours * 60 + minutes) * 60_000;
}

function parseString(raw: string, timeZone: string): Date | null {
  const s = raw.trim();
  if (EPOCH_DIGITS.test(s)) return fromEpoch(Number(s));

  const dateOnly = DATE_ONLY.exec(s);
  if (dateOnly) {
    const local: LocalDateTime = {
      year: Number(dateOnly[1]),
      month: Number(dateOnly[2]),
      day: Number(dateOnly[3]),
      hour: 0,
      minute: 0,
      second: 0,
      millisecond: 0,
    };
    return isRealCivilDate(local) ? fromLocal(local, timeZone) : null;
  }

  const dt = DATE_TIME.exec(s);
  if (!dt) return null;
  const local: LocalDateTime = {
    year: Number(dt[1]),
    month: Number(dt[2]),
    day: Number(dt[3]),
    hour: Number(dt[4]),
    minute: Number(dt[5]),
    second: Number(dt[6] ?? 0),
    millisecond: Number((dt[7] ?? '0').padEnd(3, '0').slice(0, 3)),
  };
  if (!isRealCivilDate(local) || local.hour > 23 || local.minute > 59 || local.second > 59) return null;
  const zone = dt[8];
  // No designator: a wall-clock time in `timeZone` (never the host zone, as `new Date(string)` would do).
  if (zone === undefined) return fromLocal(local, timeZone);
  const offset = parseZoneOffsetMs(zone);
  if (Number.isNaN(offset)) return null;
  const wall = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
  return fromEpoch(wall - offset);
}

/**
 * A customer attribute turned into an instant, then shifted by `offset` (via addDuration, so
 * whole days are calendar days in `timeZone`). Accepts:
 * - "YYYY-MM-DD": local midnight of that calendar date in `timeZone` (first valid instant if
 *   midnight is skipped by DST);
 * - ISO timestamps "YYYY-MM-DDTHH:mm[:ss[.sss]][Z|±HH:mm]" (without a designator: local time in
 *   `timeZone`);
 * - epoch milliseconds as a number, a string of 11-16 digits, or a valid Date.
 * Returns null for missing or unparseable values.
 */
export function dateFromAttribute(value: unknown, offset: Duration | undefined, timeZone: string): Date | null {
  assertTimeZone(timeZone);
  let base: Date | null;
  if (typeof value === 'number') base = fromEpoch(value);
  else if (value instanceof Date) base = fromEpoch(value.getTime());
  else if (typeof value === 'string') base = parseString(value, timeZone);
  else base = null;
  if (base === null) return null;
  return offset === undefined ? base : addDuration(base, offset, timeZone);
}
