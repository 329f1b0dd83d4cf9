export { type Duration, durationToMs, addDuration } from './duration';
export { type LocalWindow, type QuietHours, nextWindowStart, quietHoursEnd } from './window';
export { isValidTimeZone, resolveTimeZone } from './zone';
export { dateFromAttribute } from './attribute';
export { decisionWindowEnd, spreadTouches } from './decision';
export {
  type CivilDate,
  type LocalDateTime,
  type Disambiguation,
  parseLocalTime,
  toLocal,
  fromLocal,
  atLocalTime,
  addCivilDays,
  isoWeekday,
} from './local';
export { nextDailyRun, formatCivilDate, parseCivilDate } from './daily';
export { type YearlyDate, nextYearlyDate, maxDayOfMonth } from './yearly';
