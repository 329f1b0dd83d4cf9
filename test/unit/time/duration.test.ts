import { describe, it, expect } from 'vitest';
import { addDuration, durationToMs } from '../../../domain/time';

const iso = (d: Date): string => d.toISOString();
const at = (s: string): Date => new Date(s);

describe('durationToMs', () => {
  it('counts days as 24 hours and sums every field', () => {
    expect(durationToMs({ days: 1, hours: 2, minutes: 3, seconds: 4 })).toBe(93_784_000);
    expect(durationToMs({})).toBe(0);
  });

  it('keeps negative offsets negative', () => {
    expect(durationToMs({ days: -2, hours: 1 })).toBe(-169_200_000);
    expect(iso(new Date(at('2027-03-01T00:00:00Z').getTime() + durationToMs({ days: -1, minutes: -30 })))).toBe(
      '2027-02-27T23:30:00.000Z',
    );
  });

  it('rejects non-finite fields with a RangeError', () => {
    expect(() => durationToMs({ hours: Number.NaN })).toThrow(RangeError);
    expect(() => durationToMs({ days: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('addDuration', () => {
  it('adds calendar days and elapsed hours in Asia/Shanghai, which has no DST', () => {
    expect(iso(addDuration(at('2027-06-15T01:00:00Z'), { days: 1, hours: 2 }, 'Asia/Shanghai'))).toBe(
      '2027-06-16T03:00:00.000Z',
    );
    expect(iso(addDuration(at('2027-06-15T01:00:00Z'), { minutes: 90, seconds: 30 }, 'Asia/Shanghai'))).toBe(
      '2027-06-15T02:30:30.000Z',
    );
  });

  it('keeps 09:00 local when adding a day across the New York spring-forward (only 23h elapse)', () => {
    // Sat 2027-03-13 09:00 EST -> Sun 2027-03-14 09:00 EDT
    expect(iso(addDuration(at('2027-03-13T14:00:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2027-03-14T13:00:00.000Z',
    );
  });

  it('treats 24 hours as elapsed time across the New York spring-forward (lands on 10:00 EDT)', () => {
    expect(iso(addDuration(at('2027-03-13T14:00:00Z'), { hours: 24 }, 'America/New_York'))).toBe(
      '2027-03-14T14:00:00.000Z',
    );
  });

  it('keeps 09:00 local when adding a day across the New York fall-back (25h elapse)', () => {
    // Sat 2027-11-06 09:00 EDT -> Sun 2027-11-07 09:00 EST
    expect(iso(addDuration(at('2027-11-06T13:00:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2027-11-07T14:00:00.000Z',
    );
    expect(iso(addDuration(at('2027-11-06T13:00:00Z'), { hours: 24 }, 'America/New_York'))).toBe(
      '2027-11-07T13:00:00.000Z',
    );
  });

  it('keeps 10:00 local across both Europe/Berlin changes in 2027', () => {
    expect(iso(addDuration(at('2027-03-27T09:00:00Z'), { days: 1 }, 'Europe/Berlin'))).toBe('2027-03-28T08:00:00.000Z');
    expect(iso(addDuration(at('2027-10-30T08:00:00Z'), { days: 1 }, 'Europe/Berlin'))).toBe('2027-10-31T09:00:00.000Z');
  });

  it('moves a wall-clock time skipped by spring-forward to the end of the gap (02:30 -> 03:00 EDT)', () => {
    expect(iso(addDuration(at('2027-03-13T07:30:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2027-03-14T07:00:00.000Z',
    );
    expect(iso(addDuration(at('2027-03-27T01:30:00Z'), { days: 1 }, 'Europe/Berlin'))).toBe('2027-03-28T01:00:00.000Z');
  });

  it('uses the first occurrence of a wall-clock time repeated by fall-back', () => {
    // Sat 01:30 EDT + 1 day -> Sun 01:30 EDT (not 01:30 EST)
    expect(iso(addDuration(at('2027-11-06T05:30:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2027-11-07T05:30:00.000Z',
    );
    // Sat 02:30 CEST + 1 day -> Sun 02:30 CEST (not 02:30 CET)
    expect(iso(addDuration(at('2027-10-30T00:30:00Z'), { days: 1 }, 'Europe/Berlin'))).toBe('2027-10-31T00:30:00.000Z');
  });

  it('subtracts calendar days across a DST change for negative offsets', () => {
    // Mon 2027-03-15 09:00 EDT - 2 days -> Sat 2027-03-13 09:00 EST
    expect(iso(addDuration(at('2027-03-15T13:00:00Z'), { days: -2 }, 'America/New_York'))).toBe(
      '2027-03-13T14:00:00.000Z',
    );
    expect(iso(addDuration(at('2027-03-15T13:00:00Z'), { days: -2, hours: -1 }, 'America/New_York'))).toBe(
      '2027-03-13T13:00:00.000Z',
    );
  });

  it('rolls Jan 31 plus a month worth of days into February and March, in 2027 and leap 2028', () => {
    // 2027: Jan 31 + 28 days = Feb 28, + 29 days = Mar 1 (10:00 CET)
    expect(iso(addDuration(at('2027-01-31T09:00:00Z'), { days: 28 }, 'Europe/Berlin'))).toBe(
      '2027-02-28T09:00:00.000Z',
    );
    expect(iso(addDuration(at('2027-01-31T09:00:00Z'), { days: 29 }, 'Europe/Berlin'))).toBe(
      '2027-03-01T09:00:00.000Z',
    );
    // 2028 is a leap year: Jan 31 + 29 days = Feb 29, + 30 days = Mar 1
    expect(iso(addDuration(at('2028-01-31T09:00:00Z'), { days: 29 }, 'Europe/Berlin'))).toBe(
      '2028-02-29T09:00:00.000Z',
    );
    expect(iso(addDuration(at('2028-01-31T09:00:00Z'), { days: 30 }, 'Europe/Berlin'))).toBe(
      '2028-03-01T09:00:00.000Z',
    );
  });

  it('steps Feb 28 -> Feb 29 -> Mar 1 in leap 2028 and Feb 28 -> Mar 1 in 2027', () => {
    // 12:00 EST in New York
    expect(iso(addDuration(at('2028-02-28T17:00:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2028-02-29T17:00:00.000Z',
    );
    expect(iso(addDuration(at('2028-02-28T17:00:00Z'), { days: 2 }, 'America/New_York'))).toBe(
      '2028-03-01T17:00:00.000Z',
    );
    expect(iso(addDuration(at('2027-02-28T17:00:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2027-03-01T17:00:00.000Z',
    );
  });

  it('counts the calendar day by the local date, not the UTC date', () => {
    // 2027-03-31 23:30 in Shanghai is 15:30Z the same day; +1 day -> 2027-04-01 23:30 CST
    expect(iso(addDuration(at('2027-03-31T15:30:00Z'), { days: 1 }, 'Asia/Shanghai'))).toBe('2027-04-01T15:30:00.000Z');
    // 2027-02-28 23:00 EST is already 2027-03-01 in UTC; +1 day -> 2027-03-01 23:00 EST
    expect(iso(addDuration(at('2027-03-01T04:00:00Z'), { days: 1 }, 'America/New_York'))).toBe(
      '2027-03-02T04:00:00.000Z',
    );
  });

  it('applies the whole part of fractional days as calendar days and the rest as elapsed time', () => {
    // Sat 09:00 EST + 1 calendar day = Sun 09:00 EDT, + 12h
    expect(iso(addDuration(at('2027-03-13T14:00:00Z'), { days: 1.5 }, 'America/New_York'))).toBe(
      '2027-03-15T01:00:00.000Z',
    );
  });

  it('throws a RangeError for an invalid time zone instead of returning an Invalid Date', () => {
    expect(() => addDuration(at('2027-03-13T14:00:00Z'), { days: 1 }, 'Mars/Phobos')).toThrow(RangeError);
    expect(() => addDuration(at('2027-03-13T14:00:00Z'), { days: 1 }, '+05:00')).toThrow(RangeError);
  });
});
