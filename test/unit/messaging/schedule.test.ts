import { describe, expect, it } from 'vitest';
import {
  applicableCaps,
  capExceeded,
  capWindowStart,
  countInWindows,
  fullBucket,
  nextAllowedSendTime,
  takeToken,
} from '../../../domain/messaging';

const at = (s: string) => new Date(s);
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const night = { start: '21:00', end: '08:00' };

describe('nextAllowedSendTime', () => {
  it('allows a send at noon on an ordinary day (null)', () => {
    expect(nextAllowedSendTime(at('2027-06-15T16:00:00Z'), { quietHours: night }, 'America/New_York')).toBeNull();
  });

  it('defers a 23:00 send in Shanghai to 08:00 the next morning', () => {
    expect(iso(nextAllowedSendTime(at('2027-03-10T15:00:00Z'), { quietHours: night }, 'Asia/Shanghai'))).toBe(
      '2027-03-11T00:00:00.000Z',
    );
  });

  it('defers across the New York spring-forward night to 08:00 EDT', () => {
    // Sat 2027-03-13 22:00 EST -> Sun 2027-03-14 08:00 EDT (12:00Z)
    expect(iso(nextAllowedSendTime(at('2027-03-14T03:00:00Z'), { quietHours: night }, 'America/New_York'))).toBe(
      '2027-03-14T12:00:00.000Z',
    );
  });

  it('defers across the Berlin fall-back night to 08:00 CET', () => {
    // Sat 2027-10-30 23:00 CEST -> Sun 2027-10-31 08:00 CET (07:00Z)
    expect(iso(nextAllowedSendTime(at('2027-10-30T21:00:00Z'), { quietHours: night }, 'Europe/Berlin'))).toBe(
      '2027-10-31T07:00:00.000Z',
    );
  });

  it('skips a do-not-disturb date to the end of quiet hours on the next local day', () => {
    // 2027-02-06 10:00 Shanghai is a DND date (Spring Festival eve): next day 00:00 is quiet until 08:00.
    expect(
      iso(
        nextAllowedSendTime(
          at('2027-02-06T02:00:00Z'),
          { quietHours: night, doNotDisturb: ['2027-02-06'] },
          'Asia/Shanghai',
        ),
      ),
    ).toBe('2027-02-07T00:00:00.000Z');
  });

  it('skips consecutive yearly dates and, without quiet hours, allows from local midnight', () => {
    expect(
      iso(nextAllowedSendTime(at('2027-12-25T15:00:00Z'), { doNotDisturb: ['12-25', '12-26'] }, 'Europe/Berlin')),
    ).toBe('2027-12-26T23:00:00.000Z');
  });

  it("judges the DND date on the customer's calendar, not UTC's", () => {
    // 2027-12-24 23:30Z is already the 25th in Berlin but still the 24th in New York.
    const dnd = { doNotDisturb: ['12-25'] };
    expect(iso(nextAllowedSendTime(at('2027-12-24T23:30:00Z'), dnd, 'Europe/Berlin'))).toBe('2027-12-25T23:00:00.000Z');
    expect(nextAllowedSendTime(at('2027-12-24T23:30:00Z'), dnd, 'America/New_York')).toBeNull();
  });

  it('ends a DND date before the New York spring-forward at the next midnight (EST)', () => {
    // DND on Sat 2027-03-13: ends Sun 00:00 EST = 05:00Z (the gap is at 02:00).
    expect(
      iso(nextAllowedSendTime(at('2027-03-13T15:00:00Z'), { doNotDisturb: ['2027-03-13'] }, 'America/New_York')),
    ).toBe('2027-03-14T05:00:00.000Z');
  });

  it('rejects an unknown time zone', () => {
    expect(() => nextAllowedSendTime(at('2027-03-13T15:00:00Z'), {}, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('capWindowStart', () => {
  it('starts the day at local midnight on the New York spring-forward day (a 23-hour day)', () => {
    expect(capWindowStart(at('2027-03-14T20:00:00Z'), 'day', 'America/New_York').toISOString()).toBe(
      '2027-03-14T05:00:00.000Z',
    );
  });

  it('starts the day at local midnight on the Berlin fall-back day (a 25-hour day)', () => {
    expect(capWindowStart(at('2027-10-31T22:30:00Z'), 'day', 'Europe/Berlin').toISOString()).toBe(
      '2027-10-30T22:00:00.000Z',
    );
  });

  it('starts the week on Monday 00:00 local, across the DST change inside the week', () => {
    // Sun 2027-03-28 (Berlin springs forward that day) -> Mon 2027-03-22 00:00 CET
    expect(capWindowStart(at('2027-03-28T18:00:00Z'), 'week', 'Europe/Berlin').toISOString()).toBe(
      '2027-03-21T23:00:00.000Z',
    );
  });

  it('starts the hour at the local hour, also in a :45 zone', () => {
    expect(capWindowStart(at('2027-06-15T10:20:00Z'), 'hour', 'Asia/Kathmandu').toISOString()).toBe(
      '2027-06-15T10:15:00.000Z',
    );
    expect(capWindowStart(at('2027-06-15T10:20:00Z'), 'hour', 'Europe/Berlin').toISOString()).toBe(
      '2027-06-15T10:00:00.000Z',
    );
  });

  it('counts the repeated fall-back hour separately from the first pass', () => {
    // 01:30 EST (second pass, 06:30Z) belongs to the hour starting 01:00 EST = 06:00Z.
    expect(capWindowStart(at('2027-11-07T06:30:00Z'), 'hour', 'America/New_York').toISOString()).toBe(
      '2027-11-07T06:00:00.000Z',
    );
  });
});

describe('frequency caps', () => {
  const now = at('2027-06-16T14:00:00Z'); // Wed 10:00 EDT
  const sent = [
    { at: at('2027-06-16T13:00:00Z'), channel: 'email' }, // today 09:00
    { at: at('2027-06-15T14:00:00Z'), channel: 'sms' }, // yesterday
    { at: at('2027-06-14T14:00:00Z'), channel: 'email' }, // Monday, this week
    { at: at('2027-06-12T14:00:00Z'), channel: 'email' }, // last Saturday: another week
  ];

  it('reports the first exceeded cap, per channel before the cross-channel ones', () => {
    const checks = countInWindows(
      now,
      sent,
      applicableCaps({ email: { day: 1 }, all: { week: 3 } }, 'email'),
      'America/New_York',
    );
    expect(checks).toEqual([
      { scope: 'email', period: 'day', limit: 1, count: 1 },
      { scope: 'all', period: 'week', limit: 3, count: 3 },
    ]);
    expect(capExceeded(checks)).toEqual({ scope: 'email', period: 'day', limit: 1, count: 1 });
  });

  it('allows a send under every cap', () => {
    const checks = countInWindows(
      now,
      sent,
      applicableCaps({ sms: { day: 1 }, all: { week: 4 } }, 'sms'),
      'America/New_York',
    );
    expect(capExceeded(checks)).toBeNull();
    expect(checks.map((c) => c.count)).toEqual([0, 3]);
  });

  it("counts a day by the customer's calendar: 23:30 the previous evening is yesterday across the fall-back", () => {
    const sunday = at('2027-11-07T15:00:00Z'); // Sun 10:00 EST
    const sat = [{ at: at('2027-11-07T03:30:00Z'), channel: 'email' }]; // Sat 23:30 EDT
    expect(
      capExceeded(countInWindows(sunday, sat, applicableCaps({ all: { day: 1 } }, 'email'), 'America/New_York')),
    ).toBeNull();
    expect(
      capExceeded(countInWindows(sunday, sat, applicableCaps({ all: { week: 1 } }, 'email'), 'America/New_York')),
    ).toMatchObject({ period: 'week', count: 1 });
  });
});

describe('token bucket', () => {
  const limit = { ratePerSecond: 2, burst: 2 };

  it('allows a burst, then asks to wait until a token refills', () => {
    let state = fullBucket(limit, 0);
    const first = takeToken(state, limit, 0);
    state = first.state;
    const second = takeToken(state, limit, 0);
    state = second.state;
    const third = takeToken(state, limit, 0);
    expect([first.ok, second.ok, third.ok]).toEqual([true, true, false]);
    expect(third.ok ? 0 : third.waitMs).toBe(500);
    expect(takeToken(third.state, limit, 500).ok).toBe(true);
  });

  it('never holds more than the burst after a long idle time', () => {
    const idle = takeToken(fullBucket(limit, 0), limit, 3_600_000);
    expect(idle.state.tokens).toBe(1);
  });
});
