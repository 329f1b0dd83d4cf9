import { addDuration } from './duration';

function assertWholeDays(windowDays: number): void {
  if (!Number.isInteger(windowDays) || windowDays < 0)
    throw new RangeError(`windowDays must be a non-negative integer, got ${String(windowDays)}`);
}

/** `enteredAt` plus `windowDays` calendar days in `timeZone` (same wall-clock time). */
export function decisionWindowEnd(enteredAt: Date, windowDays: number, timeZone: string): Date {
  assertWholeDays(windowDays);
  return addDuration(enteredAt, { days: windowDays }, timeZone);
}

/**
 * `touches` instants spread evenly over the decision window: touch k (1-based) is at
 * round(k * windowDays / (touches + 1)) calendar days after `enteredAt`, same wall-clock time.
 * Because touches < windowDays the step is >= 1 day, so the day numbers are strictly increasing
 * (never two on one local day), the first is >= 1 day in and the last is <= windowDays - 1, i.e.
 * before decisionWindowEnd. Throws a RangeError if touches < 1 or touches >= windowDays.
 */
export function spreadTouches(enteredAt: Date, windowDays: number, touches: number, timeZone: string): Date[] {
  assertWholeDays(windowDays);
  if (!Number.isInteger(touches) || touches < 1 || touches >= windowDays) {
    throw new RangeError(
      `touches must be an integer with 1 <= touches < windowDays (${windowDays}), got ${String(touches)}`,
    );
  }
  const result: Date[] = [];
  for (let k = 1; k <= touches; k++) {
    const day = Math.round((k * windowDays) / (touches + 1));
    result.push(addDuration(enteredAt, { days: day }, timeZone));
  }
  return result;
}
