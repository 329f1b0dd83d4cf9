/** Validation of the depletion and yearly waits and of entry facts in branches: every problem named by JSON path. */
import { describe, expect, it } from 'vitest';
import { validateJourney } from '../../../domain/journey/validate';
import { concernsDevice } from '../../../domain/journey/depletion';

const refill = (
  wait: Record<string, unknown>,
  entry: Record<string, unknown> = { type: 'event', event: 'Product Installed' },
) => ({
  name: 'Refill',
  entry,
  start: 'low',
  steps: {
    low: { type: 'wait', next: 'remind', ...wait },
    remind: { type: 'send', channel: 'email', template: 'refill', next: 'done' },
    again: { type: 'wait', duration: { days: 1 }, next: 'low' },
    done: { type: 'exit' },
  },
});
const issuesOf = (input: unknown) => {
  const result = validateJourney(input);
  return result.ok ? [] : result.issues;
};

describe('depletion waits', () => {
  it('accept days before depletion (negative: after), a serial path and onUnknown/onNewCycle targets', () => {
    const result = validateJourney(refill({ depletion: { daysBefore: 14 }, onUnknown: 'done', onNewCycle: 'again' }));
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.definition.steps.low).toMatchObject({
        depletion: { daysBefore: 14, serial: 'entry.properties.serial' },
      });
    expect(
      validateJourney(
        refill({ depletion: { daysBefore: -30, serial: 'entry.properties.device.serial' }, onNewCycle: 'again' }),
      ).ok,
    ).toBe(true);
  });

  it.each([
    [
      'a fractional number of days',
      { depletion: { daysBefore: 1.5 } },
      '$.steps.low.depletion.daysBefore',
      'expected int',
    ],
    ['more than a year', { depletion: { daysBefore: 400 } }, '$.steps.low.depletion.daysBefore', '365'],
    ['no days at all', { depletion: {} }, '$.steps.low.depletion.daysBefore', 'required'],
    [
      'an unknown option',
      { depletion: { daysBefore: 3, hours: 2 } },
      '$.steps.low.depletion.hours',
      'unknown property',
    ],
    [
      'a serial read from the profile',
      { depletion: { daysBefore: 3, serial: 'traits.serial' } },
      '$.steps.low.depletion.serial',
      'reads nothing',
    ],
    [
      'a depletion wait that also has a duration',
      { depletion: { daysBefore: 3 }, duration: { days: 1 } },
      '$.steps.low',
      'exactly one of duration, until, window, depletion, yearly',
    ],
    [
      'onUnknown on a duration wait',
      { duration: { days: 1 }, onUnknown: 'done' },
      '$.steps.low.onUnknown',
      'belongs to a depletion wait',
    ],
    [
      'onNewCycle pointing nowhere',
      { depletion: { daysBefore: 3 }, onNewCycle: 'nowhere' },
      '$.steps.low.onNewCycle',
      'unknown step "nowhere"',
    ],
  ])('reject %s', (_, wait, path, message) => {
    expect(issuesOf(refill(wait))).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('reject an entry without an event to carry the serial', () => {
    expect(issuesOf(refill({ depletion: { daysBefore: 3 } }, { type: 'segment', segment: 'owners' }))).toContainEqual({
      path: '$.steps.low.depletion.serial',
      message: expect.stringContaining('needs an event entry'),
    });
  });

  it('do not pass time: a loop through depletion waits alone is reported', () => {
    const looping = refill({ depletion: { daysBefore: 3 }, onNewCycle: 'low' });
    expect(issuesOf(looping)).toContainEqual({
      path: '$.steps.low.onNewCycle',
      message: expect.stringContaining('loop without a wait'),
    });
  });
});

describe('yearly waits', () => {
  it('accept a month, day and local time (09:00 by default) and pass time (a loop through one is fine)', () => {
    const result = validateJourney({
      ...refill({ yearly: { month: 5, day: 1 } }),
      steps: {
        low: { type: 'wait', yearly: { month: 5, day: 1 }, next: 'remind' },
        remind: { type: 'send', channel: 'email', template: 'x', next: 'low' },
      },
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.definition.steps.low).toMatchObject({ yearly: { month: 5, day: 1, at: '09:00' } });
  });

  it.each([
    ['April 31', { yearly: { month: 4, day: 31 } }, '$.steps.low.yearly.day', 'never has a day 31'],
    ['February 30', { yearly: { month: 2, day: 30 } }, '$.steps.low.yearly.day', 'never has a day 30'],
    ['month 13', { yearly: { month: 13, day: 1 } }, '$.steps.low.yearly.month', '12'],
    ['a time not in HH:mm', { yearly: { month: 5, day: 1, at: '9:30' } }, '$.steps.low.yearly.at', 'HH:mm'],
  ])('reject %s', (_, wait, path, message) => {
    expect(issuesOf(refill(wait))).toContainEqual({ path, message: expect.stringContaining(message) });
  });
});

describe('branches on the entry event', () => {
  const branching = (entry: Record<string, unknown>) => ({
    name: 'Maintenance',
    entry,
    start: 'which',
    steps: {
      which: {
        type: 'branch',
        branches: [
          { id: 'ac', when: [{ path: 'entry.properties.category', op: 'eq', value: 'air-conditioner' }], next: 'done' },
        ],
        else: 'done',
      },
      done: { type: 'exit' },
    },
  });
  it('may read entry.* when the journey enters on an event', () => {
    expect(validateJourney(branching({ type: 'event', event: 'Product Installed' })).ok).toBe(true);
  });
  it('may not when there is no entry event', () => {
    expect(issuesOf(branching({ type: 'segment', segment: 'owners' }))).toContainEqual({
      path: '$.steps.which.branches[0].when[0].path',
      message: expect.stringContaining('reads nothing'),
    });
  });
});

describe('events that concern a depletion wait', () => {
  const event = (name: string, properties: Record<string, unknown>) => ({
    id: 'e',
    name,
    properties,
    timestamp: '2026-01-01T00:00:00Z',
  });
  it('are readings and replacements of its own device, and orders of its consumable', () => {
    expect(concernsDevice(event('Telemetry Reported', { serial: ' SN-1 ' }), 'SN-1', 'F-1')).toBe(true);
    expect(concernsDevice(event('Telemetry Reported', { serial: 'SN-2' }), 'SN-1', 'F-1')).toBe(false);
    expect(concernsDevice(event('Consumable Replaced', { serial: 'SN-1' }), 'SN-1', null)).toBe(true);
    expect(
      concernsDevice(event('Order Completed', { products: [{ sku: 'TV-1' }, { product_id: 'F-1' }] }), 'SN-1', 'F-1'),
    ).toBe(true);
    expect(concernsDevice(event('Order Completed', { products: [{ sku: 'TV-1' }] }), 'SN-1', 'F-1')).toBe(false);
    expect(concernsDevice(event('Order Completed', { products: 'F-1' }), 'SN-1', 'F-1')).toBe(false);
    expect(concernsDevice(event('Page Viewed', { serial: 'SN-1' }), 'SN-1', 'F-1')).toBe(false);
  });
});
