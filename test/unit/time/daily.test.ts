import { describe, expect, it } from 'vitest';
import { nextDailyRun } from '../../../domain/time';

describe('nextDailyRun', () => {
  it('runs today when the local time is still ahead', () => {
    expect(nextDailyRun(new Date('2027-06-01T00:30:00Z'), '09:00', 'Asia/Shanghai')).toEqual({
      day: '2027-06-01',
      runAt: new Date('2027-06-01T01:00:00Z'),
    });
  });

  it('runs tomorrow once today’s time has passed', () => {
    expect(nextDailyRun(new Date('2027-06-01T02:00:00Z'), '09:00', 'Asia/Shanghai')).toEqual({
      day: '2027-06-02',
      runAt: new Date('2027-06-02T01:00:00Z'),
    });
  });

  it('never runs a day already done, even when its time is still ahead', () => {
    expect(nextDailyRun(new Date('2027-06-01T00:30:00Z'), '09:00', 'Asia/Shanghai', '2027-06-01').day).toBe(
      '2027-06-02',
    );
  });

  it('keeps 09:00 local across the New York spring-forward', () => {
    expect(nextDailyRun(new Date('2027-03-13T15:00:00Z'), '09:00', 'America/New_York')).toEqual({
      day: '2027-03-14',
      runAt: new Date('2027-03-14T13:00:00Z'),
    });
  });

  it('a run at the gap time on the spring-forward day lands at the end of the gap', () => {
    expect(nextDailyRun(new Date('2027-03-14T05:00:00Z'), '02:30', 'America/New_York').runAt).toEqual(
      new Date('2027-03-14T07:00:00Z'),
    );
  });
});
