import { describe, it, expect } from 'vitest';
import { dateFromAttribute } from '../../../domain/time';

const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

describe('dateFromAttribute', () => {
  it('reads an ISO date as local midnight in the given zone', () => {
    expect(isoOrNull(dateFromAttribute('2027-03-01', undefined, 'Asia/Shanghai'))).toBe('2027-02-28T16:00:00.000Z');
    expect(isoOrNull(dateFromAttribute('2027-03-01', undefined, 'America/New_York'))).toBe('2027-03-01T05:00:00.000Z');
    expect(isoOrNull(dateFromAttribute('2027-03-01', undefined, 'Europe/Berlin'))).toBe('2027-02-28T23:00:00.000Z');
  });

  it('applies a negative offset in calendar days (a reminder the day before)', () => {
    expect(isoOrNull(dateFromAttribute('2027-03-01', { days: -1 }, 'America/New_York'))).toBe(
      '2027-02-28T05:00:00.000Z',
    );
    // 2028 is a leap year: Mar 1 - 1 day = Feb 29
    expect(isoOrNull(dateFromAttribute('2028-03-01', { days: -1, hours: 9 }, 'America/New_York'))).toBe(
      '2028-02-29T14:00:00.000Z',
    );
  });

  it('applies an offset across the New York spring-forward keeping local midnight', () => {
    // 2027-03-01 00:00 EST + 14 days = 2027-03-15 00:00 EDT, + 10h elapsed = 10:00 EDT
    expect(isoOrNull(dateFromAttribute('2027-03-01', { days: 14, hours: 10 }, 'America/New_York'))).toBe(
      '2027-03-15T14:00:00.000Z',
    );
    // the 2027-03-14 purchase date itself is 00:00 EST
    expect(isoOrNull(dateFromAttribute('2027-03-14', { days: 1 }, 'America/New_York'))).toBe(
      '2027-03-15T04:00:00.000Z',
    );
  });

  it('maps a local midnight skipped by DST to the first valid instant (America/Santiago 2027-09-05 01:00)', () => {
    expect(isoOrNull(dateFromAttribute('2027-09-05', undefined, 'America/Santiago'))).toBe('2027-09-05T04:00:00.000Z');
  });

  it('reads full ISO timestamps with Z or an explicit offset as that instant', () => {
    expect(isoOrNull(dateFromAttribute('2027-03-01T10:00:00Z', undefined, 'Asia/Shanghai'))).toBe(
      '2027-03-01T10:00:00.000Z',
    );
    expect(isoOrNull(dateFromAttribute('2027-03-01T10:00:00+08:00', undefined, 'America/New_York'))).toBe(
      '2027-03-01T02:00:00.000Z',
    );
    expect(isoOrNull(dateFromAttribute('2027-03-01T10:00:00.5-05:00', undefined, 'UTC'))).toBe(
      '2027-03-01T15:00:00.500Z',
    );
    expect(isoOrNull(dateFromAttribute('2027-10-30T10:00:00Z', { days: 1 }, 'Europe/Berlin'))).toBe(
      '2027-10-31T11:00:00.000Z',
    );
  });

  it('reads an ISO timestamp without a designator as local time in the given zone, not the host zone', () => {
    expect(isoOrNull(dateFromAttribute('2027-03-01T10:00', undefined, 'Europe/Berlin'))).toBe(
      '2027-03-01T09:00:00.000Z',
    );
    expect(isoOrNull(dateFromAttribute('2027-11-07T01:30:00', undefined, 'America/New_York'))).toBe(
      '2027-11-07T05:30:00.000Z',
    );
  });

  it('reads epoch milliseconds given as a number, a digit string or a Date', () => {
    expect(isoOrNull(dateFromAttribute(1_803_902_400_000, undefined, 'UTC'))).toBe('2027-03-01T12:00:00.000Z');
    expect(isoOrNull(dateFromAttribute('1803902400000', { hours: -12 }, 'UTC'))).toBe('2027-03-01T00:00:00.000Z');
    expect(isoOrNull(dateFromAttribute(new Date(1_803_902_400_000), { days: 1 }, 'Asia/Shanghai'))).toBe(
      '2027-03-02T12:00:00.000Z',
    );
  });

  it('returns null for missing or unparseable values', () => {
    for (const value of [
      undefined,
      null,
      '',
      '   ',
      'next tuesday',
      '2027-02-29',
      '2027-13-01',
      '2027-03-01T25:00Z',
      'Mon Mar 01 2027',
      Number.NaN,
      Number.POSITIVE_INFINITY,
      {},
      [],
      true,
      new Date(Number.NaN),
    ]) {
      expect(isoOrNull(dateFromAttribute(value, { days: 1 }, 'Europe/Berlin'))).toBeNull();
    }
  });
});
