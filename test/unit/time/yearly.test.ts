import { describe, expect, it } from 'vitest';
import { nextYearlyDate } from '../../../domain/time';

const may1 = { month: 5, day: 1, at: '09:30' };

describe('nextYearlyDate', () => {
  it('is this year’s date when it is still ahead, in the zone’s wall clock', () => {
    expect(nextYearlyDate(new Date('2026-11-26T07:00:00Z'), may1, 'Asia/Shanghai').toISOString()).toBe(
      '2027-05-01T01:30:00.000Z',
    );
    expect(nextYearlyDate(new Date('2027-04-30T23:00:00Z'), may1, 'Asia/Shanghai').toISOString()).toBe(
      '2027-05-01T01:30:00.000Z',
    );
  });

  it('is next year’s once this year’s has passed, and never now itself (a loop through it passes time)', () => {
    expect(nextYearlyDate(new Date('2027-05-01T01:30:00Z'), may1, 'Asia/Shanghai').toISOString()).toBe(
      '2028-05-01T01:30:00.000Z',
    );
    expect(nextYearlyDate(new Date('2027-05-01T01:31:00Z'), may1, 'Asia/Shanghai').toISOString()).toBe(
      '2028-05-01T01:30:00.000Z',
    );
  });

  it('keeps the local time across DST: 09:30 in New York is 13:30 UTC in May (EDT) and 14:30 UTC in January (EST)', () => {
    expect(nextYearlyDate(new Date('2026-11-26T00:00:00Z'), may1, 'America/New_York').toISOString()).toBe(
      '2027-05-01T13:30:00.000Z',
    );
    expect(
      nextYearlyDate(
        new Date('2026-11-26T00:00:00Z'),
        { month: 1, day: 15, at: '09:30' },
        'America/New_York',
      ).toISOString(),
    ).toBe('2027-01-15T14:30:00.000Z');
  });

  it('moves a time skipped by the spring-forward gap to the end of the gap (02:30 on 2027-03-14 in New York → 03:00 EDT)', () => {
    expect(
      nextYearlyDate(
        new Date('2026-11-26T00:00:00Z'),
        { month: 3, day: 14, at: '02:30' },
        'America/New_York',
      ).toISOString(),
    ).toBe('2027-03-14T07:00:00.000Z');
  });

  it('takes the first occurrence of a time repeated at fall-back (01:30 on 2027-11-07 in New York is EDT)', () => {
    expect(
      nextYearlyDate(
        new Date('2027-06-01T00:00:00Z'),
        { month: 11, day: 7, at: '01:30' },
        'America/New_York',
      ).toISOString(),
    ).toBe('2027-11-07T05:30:00.000Z');
  });

  it('falls on February 28 in common years and February 29 in leap years', () => {
    const leapDay = { month: 2, day: 29, at: '10:00' };
    expect(nextYearlyDate(new Date('2026-11-26T00:00:00Z'), leapDay, 'UTC').toISOString()).toBe(
      '2027-02-28T10:00:00.000Z',
    );
    expect(nextYearlyDate(new Date('2027-03-01T00:00:00Z'), leapDay, 'UTC').toISOString()).toBe(
      '2028-02-29T10:00:00.000Z',
    );
  });

  it('rejects a day the month never has, a malformed time and an unknown zone', () => {
    expect(() => nextYearlyDate(new Date(), { month: 4, day: 31, at: '09:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextYearlyDate(new Date(), { month: 13, day: 1, at: '09:00' }, 'UTC')).toThrow(RangeError);
    expect(() => nextYearlyDate(new Date(), { month: 5, day: 1, at: '9am' }, 'UTC')).toThrow(RangeError);
    expect(() => nextYearlyDate(new Date(), may1, 'Mars/Olympus')).toThrow(RangeError);
  });
});
