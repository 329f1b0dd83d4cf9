import { describe, it, expect } from 'vitest';
import { addDuration, isValidTimeZone, nextWindowStart, resolveTimeZone } from '../../../domain/time';

describe('isValidTimeZone', () => {
  it('accepts IANA zones and rejects unknown names, offsets and empty strings', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Phobos')).toBe(false);
    expect(isValidTimeZone('+05:00')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('resolveTimeZone', () => {
  it("uses the customer's zone when it is valid", () => {
    const zone = resolveTimeZone('Asia/Shanghai', 'America/New_York');
    expect(zone).toBe('Asia/Shanghai');
    // 09:00 CST, not 09:00 EDT
    expect(
      nextWindowStart(new Date('2027-06-14T20:00:00Z'), { start: '09:00', end: '20:00' }, zone).toISOString(),
    ).toBe('2027-06-15T01:00:00.000Z');
  });

  it("falls back to the brand's zone for invalid, empty or missing customer zones", () => {
    for (const customer of ['Mars/Phobos', '', '+05:00', 'GMT+25', null, undefined]) {
      expect(resolveTimeZone(customer, 'America/New_York')).toBe('America/New_York');
    }
    const zone = resolveTimeZone('Not/AZone', 'America/New_York');
    // 09:00 EDT
    expect(
      nextWindowStart(new Date('2027-06-15T03:00:00Z'), { start: '09:00', end: '20:00' }, zone).toISOString(),
    ).toBe('2027-06-15T13:00:00.000Z');
  });

  it('trims whitespace around a valid customer zone', () => {
    const zone = resolveTimeZone(' Europe/Berlin ', 'America/New_York');
    expect(zone).toBe('Europe/Berlin');
    expect(addDuration(new Date('2027-03-27T09:00:00Z'), { days: 1 }, zone).toISOString()).toBe(
      '2027-03-28T08:00:00.000Z',
    );
  });
});
