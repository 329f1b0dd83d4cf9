import { describe, it, expect } from 'vitest';
import { nextWindowStart, type LocalWindow } from '../../../domain/time';

const iso = (d: Date): string => d.toISOString();
const at = (s: string): Date => new Date(s);
const business: LocalWindow = { start: '09:00', end: '20:00' };
const weekdaysOnly: LocalWindow = { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

describe('nextWindowStart', () => {
  it('returns now itself when now is inside the window in Asia/Shanghai', () => {
    const now = at('2027-06-15T03:00:00Z'); // Tue 11:00 CST
    const result = nextWindowStart(now, business, 'Asia/Shanghai');
    expect(iso(result)).toBe('2027-06-15T03:00:00.000Z');
    expect(result).toBe(now);
  });

  it('returns the same-day opening when now is before it in Asia/Shanghai', () => {
    expect(iso(nextWindowStart(at('2027-06-15T00:30:00Z'), business, 'Asia/Shanghai'))).toBe(
      '2027-06-15T01:00:00.000Z',
    );
  });

  it('treats the end as exclusive and returns the next day opening at exactly 20:00', () => {
    expect(iso(nextWindowStart(at('2027-06-15T12:00:00Z'), business, 'Asia/Shanghai'))).toBe(
      '2027-06-16T01:00:00.000Z',
    );
    expect(iso(nextWindowStart(at('2027-06-15T11:59:59Z'), business, 'Asia/Shanghai'))).toBe(
      '2027-06-15T11:59:59.000Z',
    );
  });

  it('lands a weekday-only window on Monday 09:00 from a Friday evening', () => {
    // Fri 2027-06-18 19:00 EDT -> Mon 2027-06-21 09:00 EDT
    expect(iso(nextWindowStart(at('2027-06-18T23:00:00Z'), weekdaysOnly, 'America/New_York'))).toBe(
      '2027-06-21T13:00:00.000Z',
    );
    // Saturday and Sunday also wait for Monday
    expect(iso(nextWindowStart(at('2027-06-19T15:00:00Z'), weekdaysOnly, 'America/New_York'))).toBe(
      '2027-06-21T13:00:00.000Z',
    );
  });

  it('lands a weekday-only window on Monday 09:00 EDT from a Friday EST evening across the spring-forward weekend', () => {
    // Fri 2027-03-12 19:00 EST -> Mon 2027-03-15 09:00 EDT
    expect(iso(nextWindowStart(at('2027-03-13T00:00:00Z'), weekdaysOnly, 'America/New_York'))).toBe(
      '2027-03-15T13:00:00.000Z',
    );
  });

  it('lands a weekday-only window on Monday 09:00 CET from a Friday CEST evening across the Berlin fall-back weekend', () => {
    // Fri 2027-10-29 18:00 CEST -> Mon 2027-11-01 09:00 CET
    expect(iso(nextWindowStart(at('2027-10-29T16:00:00Z'), weekdaysOnly, 'Europe/Berlin'))).toBe(
      '2027-11-01T08:00:00.000Z',
    );
  });

  it('keeps a window crossing midnight open after midnight on the day after an allowed start day', () => {
    const fridayNight: LocalWindow = { weekdays: [5], start: '22:00', end: '02:00' };
    // Sat 2027-10-30 01:00 CEST belongs to Friday's window
    expect(iso(nextWindowStart(at('2027-10-29T23:00:00Z'), fridayNight, 'Europe/Berlin'))).toBe(
      '2027-10-29T23:00:00.000Z',
    );
    // Fri 21:00 CEST -> Fri 22:00 CEST
    expect(iso(nextWindowStart(at('2027-10-29T19:00:00Z'), fridayNight, 'Europe/Berlin'))).toBe(
      '2027-10-29T20:00:00.000Z',
    );
    // Sat 02:00 CEST (end is exclusive) -> next Fri 2027-11-05 22:00 CET
    expect(iso(nextWindowStart(at('2027-10-30T00:00:00Z'), fridayNight, 'Europe/Berlin'))).toBe(
      '2027-11-05T21:00:00.000Z',
    );
    // Sat 23:00 CEST: Saturday is not an allowed start day -> next Fri 22:00 CET
    expect(iso(nextWindowStart(at('2027-10-30T21:00:00Z'), fridayNight, 'Europe/Berlin'))).toBe(
      '2027-11-05T21:00:00.000Z',
    );
  });

  it('handles a daily window crossing midnight in Asia/Shanghai', () => {
    const night: LocalWindow = { start: '20:00', end: '08:00' };
    expect(iso(nextWindowStart(at('2027-06-14T19:00:00Z'), night, 'Asia/Shanghai'))).toBe('2027-06-14T19:00:00.000Z'); // 03:00 CST inside
    expect(iso(nextWindowStart(at('2027-06-15T00:00:00Z'), night, 'Asia/Shanghai'))).toBe('2027-06-15T12:00:00.000Z'); // 08:00 -> 20:00
  });

  it('opens a 02:30 window at 03:00 EDT on the New York spring-forward day, when 02:30 does not exist', () => {
    const early: LocalWindow = { start: '02:30', end: '05:00' };
    // Sun 2027-03-14 01:00 EST
    expect(iso(nextWindowStart(at('2027-03-14T06:00:00Z'), early, 'America/New_York'))).toBe(
      '2027-03-14T07:00:00.000Z',
    );
    // 03:10 EDT is inside the window
    expect(iso(nextWindowStart(at('2027-03-14T07:10:00Z'), early, 'America/New_York'))).toBe(
      '2027-03-14T07:10:00.000Z',
    );
    // the next day opens at a real 02:30 EDT
    expect(iso(nextWindowStart(at('2027-03-14T09:00:00Z'), early, 'America/New_York'))).toBe(
      '2027-03-15T06:30:00.000Z',
    );
  });

  it('opens a 01:30 window at the first occurrence (EDT) on the New York fall-back day', () => {
    const early: LocalWindow = { start: '01:30', end: '03:00' };
    // Sun 2027-11-07 00:00 EDT -> 01:30 EDT
    expect(iso(nextWindowStart(at('2027-11-07T04:00:00Z'), early, 'America/New_York'))).toBe(
      '2027-11-07T05:30:00.000Z',
    );
  });

  it('opens a 02:30 window at 03:00 CEST on the Berlin spring-forward day and at the first 02:30 on fall-back', () => {
    const early: LocalWindow = { start: '02:30', end: '06:00' };
    // Sun 2027-03-28 01:00 CET -> 03:00 CEST
    expect(iso(nextWindowStart(at('2027-03-28T00:00:00Z'), early, 'Europe/Berlin'))).toBe('2027-03-28T01:00:00.000Z');
    // Sun 2027-10-31 00:00 CEST -> 02:30 CEST (first occurrence)
    expect(iso(nextWindowStart(at('2027-10-30T22:00:00Z'), early, 'Europe/Berlin'))).toBe('2027-10-31T00:30:00.000Z');
  });

  it('opens a 09:00 window at 09:00 CEST on the Berlin spring-forward day', () => {
    // Sun 2027-03-28 07:00 CEST
    expect(iso(nextWindowStart(at('2027-03-28T05:00:00Z'), business, 'Europe/Berlin'))).toBe(
      '2027-03-28T07:00:00.000Z',
    );
  });

  it('throws a RangeError for an empty weekday list, an invalid weekday, malformed times or an empty window', () => {
    const now = at('2027-06-15T03:00:00Z');
    expect(() => nextWindowStart(now, { weekdays: [], start: '09:00', end: '17:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowStart(now, { weekdays: [0], start: '09:00', end: '17:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowStart(now, { start: '9:00', end: '17:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowStart(now, { start: '09:00', end: '24:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowStart(now, { start: '09:60', end: '17:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowStart(now, { start: '09:00', end: '09:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowStart(now, business, 'Not/AZone')).toThrow(RangeError);
  });
});
