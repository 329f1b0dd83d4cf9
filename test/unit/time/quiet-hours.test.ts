import { describe, it, expect } from 'vitest';
import { quietHoursEnd, type QuietHours } from '../../../domain/time';

const at = (s: string): Date => new Date(s);
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const night: QuietHours = { start: '21:00', end: '08:00' };

describe('quietHoursEnd', () => {
  it('returns null outside quiet hours that straddle midnight', () => {
    expect(isoOrNull(quietHoursEnd(at('2027-06-15T14:00:00Z'), night, 'America/New_York'))).toBeNull(); // 10:00 EDT
    expect(isoOrNull(quietHoursEnd(at('2027-06-15T12:00:00Z'), night, 'America/New_York'))).toBeNull(); // exactly 08:00 EDT
  });

  it('returns next morning 08:00 when now is in the evening part of quiet hours', () => {
    // Tue 22:30 EDT -> Wed 08:00 EDT
    expect(isoOrNull(quietHoursEnd(at('2027-06-16T02:30:00Z'), night, 'America/New_York'))).toBe(
      '2027-06-16T12:00:00.000Z',
    );
    // exactly 21:00 EDT is already quiet
    expect(isoOrNull(quietHoursEnd(at('2027-06-16T01:00:00Z'), night, 'America/New_York'))).toBe(
      '2027-06-16T12:00:00.000Z',
    );
  });

  it('returns the same morning 08:00 when now is in the early-morning part of quiet hours', () => {
    // Wed 06:00 EDT -> Wed 08:00 EDT
    expect(isoOrNull(quietHoursEnd(at('2027-06-16T10:00:00Z'), night, 'America/New_York'))).toBe(
      '2027-06-16T12:00:00.000Z',
    );
  });

  it('ends at 08:00 EDT after the New York spring-forward night', () => {
    // Sat 2027-03-13 23:00 EST -> Sun 2027-03-14 08:00 EDT
    expect(isoOrNull(quietHoursEnd(at('2027-03-14T04:00:00Z'), night, 'America/New_York'))).toBe(
      '2027-03-14T12:00:00.000Z',
    );
  });

  it('ends at 08:00 EST after the New York fall-back night', () => {
    // Sat 2027-11-06 23:00 EDT -> Sun 2027-11-07 08:00 EST
    expect(isoOrNull(quietHoursEnd(at('2027-11-07T03:00:00Z'), night, 'America/New_York'))).toBe(
      '2027-11-07T13:00:00.000Z',
    );
  });

  it('ends at 07:00 local after both Europe/Berlin change nights', () => {
    const berlin: QuietHours = { start: '22:00', end: '07:00' };
    // Sat 2027-03-27 23:00 CET -> Sun 07:00 CEST
    expect(isoOrNull(quietHoursEnd(at('2027-03-27T22:00:00Z'), berlin, 'Europe/Berlin'))).toBe(
      '2027-03-28T05:00:00.000Z',
    );
    // Sat 2027-10-30 23:00 CEST -> Sun 07:00 CET
    expect(isoOrNull(quietHoursEnd(at('2027-10-30T21:00:00Z'), berlin, 'Europe/Berlin'))).toBe(
      '2027-10-31T06:00:00.000Z',
    );
  });

  it('handles quiet hours that do not cross midnight in Asia/Shanghai', () => {
    const lunch: QuietHours = { start: '12:00', end: '14:00' };
    expect(isoOrNull(quietHoursEnd(at('2027-06-15T04:30:00Z'), lunch, 'Asia/Shanghai'))).toBe(
      '2027-06-15T06:00:00.000Z',
    ); // 12:30 CST
    expect(isoOrNull(quietHoursEnd(at('2027-06-15T06:00:00Z'), lunch, 'Asia/Shanghai'))).toBeNull(); // 14:00 CST
    expect(isoOrNull(quietHoursEnd(at('2027-06-15T03:59:00Z'), lunch, 'Asia/Shanghai'))).toBeNull(); // 11:59 CST
  });

  it('ends at 03:00 EDT when the local end time 02:30 is skipped by spring-forward', () => {
    // Sat 2027-03-13 23:30 EST, quiet until 02:30, which does not exist on 2027-03-14
    expect(
      isoOrNull(quietHoursEnd(at('2027-03-14T04:30:00Z'), { start: '23:00', end: '02:30' }, 'America/New_York')),
    ).toBe('2027-03-14T07:00:00.000Z');
  });

  it('ends at the first 01:30 on fall-back, or the second when now is already in the repeated hour', () => {
    const q: QuietHours = { start: '00:00', end: '01:30' };
    // 01:15 EDT (first pass) -> 01:30 EDT
    expect(isoOrNull(quietHoursEnd(at('2027-11-07T05:15:00Z'), q, 'America/New_York'))).toBe(
      '2027-11-07T05:30:00.000Z',
    );
    // 01:15 EST (second pass) -> 01:30 EST, never an instant in the past
    expect(isoOrNull(quietHoursEnd(at('2027-11-07T06:15:00Z'), q, 'America/New_York'))).toBe(
      '2027-11-07T06:30:00.000Z',
    );
  });

  it('treats start equal to end as no quiet hours and rejects malformed times', () => {
    expect(isoOrNull(quietHoursEnd(at('2027-06-15T14:00:00Z'), { start: '08:00', end: '08:00' }, 'UTC'))).toBeNull();
    expect(() => quietHoursEnd(at('2027-06-15T14:00:00Z'), { start: '21h', end: '08:00' }, 'UTC')).toThrow(RangeError);
  });
});
