import { describe, it, expect } from 'vitest';
import { decisionWindowEnd, spreadTouches } from '../../../domain/time';

const iso = (d: Date): string => d.toISOString();
const entered = new Date('2027-10-20T14:00:00Z'); // Wed 10:00 EDT

describe('decisionWindowEnd', () => {
  it('adds 41 calendar days keeping 10:00 local across the New York fall-back', () => {
    // 2027-11-30 10:00 EST
    expect(iso(decisionWindowEnd(entered, 41, 'America/New_York'))).toBe('2027-11-30T15:00:00.000Z');
  });

  it('adds 14 calendar days keeping 09:00 local across the Berlin spring-forward', () => {
    expect(iso(decisionWindowEnd(new Date('2027-03-20T08:00:00Z'), 14, 'Europe/Berlin'))).toBe(
      '2027-04-03T07:00:00.000Z',
    );
  });
});

describe('spreadTouches', () => {
  it('spreads 3 touches over a 41-day window at days 10, 21 and 31 (10.25-day steps, rounded)', () => {
    expect(spreadTouches(entered, 41, 3, 'America/New_York').map(iso)).toEqual([
      '2027-10-30T14:00:00.000Z', // 10:00 EDT
      '2027-11-10T15:00:00.000Z', // 10:00 EST, after fall-back
      '2027-11-20T15:00:00.000Z',
    ]);
  });

  it('puts a single touch in the middle of a 41-day window (day 20.5 rounds to 21)', () => {
    expect(spreadTouches(entered, 41, 1, 'America/New_York').map(iso)).toEqual(['2027-11-10T15:00:00.000Z']);
  });

  it('spreads 5 touches over a 41-day window in Asia/Shanghai at days 7, 14, 21, 27, 34', () => {
    expect(spreadTouches(new Date('2027-01-10T02:00:00Z'), 41, 5, 'Asia/Shanghai').map(iso)).toEqual([
      '2027-01-17T02:00:00.000Z',
      '2027-01-24T02:00:00.000Z',
      '2027-01-31T02:00:00.000Z',
      '2027-02-06T02:00:00.000Z',
      '2027-02-13T02:00:00.000Z',
    ]);
  });

  it('fits the maximum 40 touches into a 41-day window, one per local day, all before the window end', () => {
    const touches = spreadTouches(entered, 41, 40, 'America/New_York');
    expect(touches).toHaveLength(40);
    expect(iso(touches[0]!)).toBe('2027-10-21T14:00:00.000Z');
    expect(iso(touches[17]!)).toBe('2027-11-07T15:00:00.000Z'); // fall-back Sunday, 10:00 EST
    expect(iso(touches[39]!)).toBe('2027-11-29T15:00:00.000Z');
    const localDays = touches.map((t) => t.toLocaleDateString('en-CA', { timeZone: 'America/New_York' }));
    expect(new Set(localDays).size).toBe(40);
    const end = decisionWindowEnd(entered, 41, 'America/New_York');
    expect(touches.every((t) => t.getTime() < end.getTime())).toBe(true);
  });

  it('throws a RangeError when touches < 1, touches >= windowDays or touches is fractional', () => {
    expect(() => spreadTouches(entered, 41, 0, 'America/New_York')).toThrow(RangeError);
    expect(() => spreadTouches(entered, 41, 41, 'America/New_York')).toThrow(RangeError);
    expect(() => spreadTouches(entered, 41, 1.5, 'America/New_York')).toThrow(RangeError);
    expect(() => spreadTouches(entered, 1, 1, 'America/New_York')).toThrow(RangeError);
  });
});
