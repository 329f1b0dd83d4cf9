import { describe, it, expect } from 'vitest';
import {
  compare,
  conditionNeeds,
  evaluateConditions,
  eventCountKey,
  getPath,
  matchesFilter,
  sameEntryValues,
  type CustomerFacts,
  type JourneyEvent,
} from '../../../domain/journey/conditions';
import type { AttributeCondition, ComparisonOp, Condition } from '../../../domain/journey/definition';

function facts(overrides: Partial<CustomerFacts> = {}): CustomerFacts {
  return {
    traits: {
      priceBand: 'premium',
      budget: 4999,
      warrantyEndsAt: '2025-03-01T00:00:00Z',
      address: { city: 'Shenzhen' },
    },
    tags: ['vip', 'phone-interested'],
    aiplStage: 'interest',
    timeZone: 'Asia/Shanghai',
    ownedProducts: [
      { sku: 'PH-100', category: 'phone' },
      { sku: 'WM-7', category: 'washer' },
    ],
    eventCounts: { [eventCountKey('email_clicked', 7)]: 3 },
    ...overrides,
  };
}

function event(name: string, properties: Record<string, unknown>, id = `evt-${name}`): JourneyEvent {
  return { id, name, properties, timestamp: '2025-01-10T08:00:00Z' };
}

const attr = (path: string, op: ComparisonOp, value?: AttributeCondition['value']): AttributeCondition => ({
  kind: 'attribute',
  path,
  op,
  ...(value === undefined ? {} : { value }),
});

describe('getPath', () => {
  const root = { a: { b: [{ c: 1 }, { c: 2 }] }, n: null, s: 'text' };

  it('reads dotted paths and array elements by numeric segment', () => {
    expect(getPath(root, 'a.b.1.c')).toBe(2);
    expect(getPath(root, 'a.b')).toEqual([{ c: 1 }, { c: 2 }]);
    expect(getPath(root, 'n')).toBeNull();
  });

  it('returns undefined for missing keys, out-of-range or non-numeric indexes, and paths through scalars', () => {
    expect(getPath(root, 'a.x')).toBeUndefined();
    expect(getPath(root, 'a.b.2.c')).toBeUndefined();
    expect(getPath(root, 'a.b.01')).toBeUndefined();
    expect(getPath(root, 'a.b.length')).toBeUndefined();
    expect(getPath(root, 's.length')).toBeUndefined();
    expect(getPath(root, 'n.x')).toBeUndefined();
    expect(getPath(root, 'a..b')).toBeUndefined();
  });

  it('never reads inherited or prototype properties', () => {
    expect(getPath({}, 'toString')).toBeUndefined();
    expect(getPath({}, 'hasOwnProperty')).toBeUndefined();
    expect(getPath({ a: {} }, 'a.constructor')).toBeUndefined();
    expect(getPath({ a: {} }, 'a.__proto__')).toBeUndefined();
    expect(getPath({ a: {} }, 'a.constructor.prototype')).toBeUndefined();
    expect(getPath([], 'map')).toBeUndefined();
    const child: Record<string, unknown> = Object.create({ inherited: 'parent' }) as Record<string, unknown>;
    expect(getPath({ child }, 'child.inherited')).toBeUndefined();
  });

  it('refuses __proto__, constructor and prototype segments even when they are own properties', () => {
    const parsed = JSON.parse('{"__proto__": {"x": 1}, "constructor": {"y": 2}, "prototype": 3}') as unknown;
    expect(getPath(parsed, '__proto__.x')).toBeUndefined();
    expect(getPath(parsed, 'constructor.y')).toBeUndefined();
    expect(getPath(parsed, 'prototype')).toBeUndefined();
  });
});

describe('compare', () => {
  it.each<[unknown, ComparisonOp, unknown, boolean]>([
    ['phone', 'eq', 'phone', true],
    ['phone', 'eq', 'tv', false],
    [1, 'eq', '1', false],
    [['vip'], 'eq', 'vip', false],
    [undefined, 'eq', null, false],
    ['phone', 'neq', 'tv', true],
    ['phone', 'neq', 'phone', false],
    [undefined, 'neq', 'phone', true],
    ['phone', 'in', ['phone', 'tablet'], true],
    ['tv', 'in', ['phone', 'tablet'], false],
    ['phone', 'in', 'phone', false],
    [undefined, 'in', ['phone'], false],
    ['tv', 'nin', ['phone', 'tablet'], true],
    ['phone', 'nin', ['phone', 'tablet'], false],
    ['tv', 'nin', 'phone', false],
    [5, 'gt', 3, true],
    [3, 'gt', 3, false],
    [3, 'gte', 3, true],
    [2, 'lt', 3, true],
    [3, 'lte', 3, true],
    [4, 'lte', 3, false],
    [10, 'gt', 9, true],
    ['10', 'gt', 9, false],
    ['2025-03-01T00:00:00Z', 'gt', '2025-01-01', true],
    ['2024-12-31', 'lt', '2025-01-01', true],
    [null, 'lt', 3, false],
    [true, 'gt', false, false],
    ['x', 'exists', undefined, true],
    [0, 'exists', undefined, true],
    [null, 'exists', undefined, false],
    [undefined, 'exists', undefined, false],
    [undefined, 'notExists', undefined, true],
    [null, 'notExists', undefined, true],
    ['', 'notExists', undefined, false],
    ['Galaxy phone case', 'contains', 'phone', true],
    ['Galaxy phone case', 'contains', 'tv', false],
    [['vip', 'new'], 'contains', 'vip', true],
    [['vip', 'new'], 'contains', 'vi', false],
    [42, 'contains', 4, false],
    ['a1', 'contains', 1, false],
  ])('compare(%j, %s, %j) is %s', (actual, op, expected, result) => {
    expect(compare(actual, op, expected)).toBe(result);
  });
});

describe('matchesFilter', () => {
  const lead = event('lead_captured', { category: 'phone', budget: 3000, source: { channel: 'store' } });

  it('passes every event when there is no filter or an empty one', () => {
    expect(matchesFilter(undefined, lead)).toBe(true);
    expect(matchesFilter([], lead)).toBe(true);
  });

  it('requires every condition to hold, reading properties, name, id and timestamp', () => {
    expect(
      matchesFilter([attr('properties.category', 'eq', 'phone'), attr('properties.budget', 'gte', 2000)], lead),
    ).toBe(true);
    expect(
      matchesFilter([attr('properties.category', 'eq', 'phone'), attr('properties.budget', 'gte', 5000)], lead),
    ).toBe(false);
    expect(matchesFilter([attr('name', 'eq', 'lead_captured'), attr('id', 'eq', 'evt-lead_captured')], lead)).toBe(
      true,
    );
    expect(matchesFilter([attr('timestamp', 'lt', '2025-02-01')], lead)).toBe(true);
    expect(matchesFilter([attr('properties.source.channel', 'in', ['store', 'web'])], lead)).toBe(true);
  });

  it('treats a missing property as absent', () => {
    expect(matchesFilter([attr('properties.coupon', 'notExists')], lead)).toBe(true);
    expect(matchesFilter([attr('properties.coupon', 'eq', 'X')], lead)).toBe(false);
  });

  it('does not see prototype properties through a filter path', () => {
    expect(matchesFilter([attr('properties.constructor', 'exists')], lead)).toBe(false);
    expect(matchesFilter([attr('properties.toString', 'exists')], lead)).toBe(false);
  });
});

describe('evaluateConditions', () => {
  it('holds for an empty list', () => {
    expect(evaluateConditions([], facts())).toBe(true);
  });

  it('reads traits, tags, aiplStage and timeZone and requires all conditions', () => {
    const f = facts();
    expect(evaluateConditions([attr('aiplStage', 'eq', 'interest')], f)).toBe(true);
    expect(evaluateConditions([attr('traits.priceBand', 'eq', 'premium'), attr('traits.budget', 'gt', 3000)], f)).toBe(
      true,
    );
    expect(evaluateConditions([attr('traits.priceBand', 'eq', 'premium'), attr('traits.budget', 'gt', 9000)], f)).toBe(
      false,
    );
    expect(evaluateConditions([attr('tags', 'contains', 'vip')], f)).toBe(true);
    expect(evaluateConditions([attr('tags', 'eq', 'vip')], f)).toBe(false);
    expect(evaluateConditions([attr('timeZone', 'eq', 'Asia/Shanghai')], f)).toBe(true);
    expect(evaluateConditions([attr('traits.address.city', 'in', ['Shenzhen', 'Guangzhou'])], f)).toBe(true);
    expect(evaluateConditions([attr('traits.warrantyEndsAt', 'lt', '2025-06-01')], f)).toBe(true);
  });

  it('treats a null AIPL stage as not existing', () => {
    expect(evaluateConditions([attr('aiplStage', 'notExists')], facts({ aiplStage: null }))).toBe(true);
    expect(evaluateConditions([attr('aiplStage', 'notExists')], facts())).toBe(false);
  });

  it('does not expose other facts or prototype properties to attribute paths', () => {
    expect(evaluateConditions([attr('ownedProducts', 'exists')], facts())).toBe(false);
    expect(evaluateConditions([attr('traits.constructor', 'exists')], facts())).toBe(false);
    expect(evaluateConditions([attr('traits.__proto__', 'exists')], facts())).toBe(false);
  });

  it('matches owned products by category, by sku, or by both', () => {
    const f = facts();
    const owns = (c: Omit<Extract<Condition, { kind: 'owns' }>, 'kind'>): Condition[] => [{ kind: 'owns', ...c }];
    expect(evaluateConditions(owns({ category: 'phone' }), f)).toBe(true);
    expect(evaluateConditions(owns({ category: 'tv' }), f)).toBe(false);
    expect(evaluateConditions(owns({ sku: 'WM-7' }), f)).toBe(true);
    expect(evaluateConditions(owns({ category: 'phone', sku: 'PH-100' }), f)).toBe(true);
    expect(evaluateConditions(owns({ category: 'phone', sku: 'WM-7' }), f)).toBe(false);
    expect(evaluateConditions(owns({}), f)).toBe(true);
    expect(evaluateConditions(owns({}), facts({ ownedProducts: [] }))).toBe(false);
  });

  it('inverts an owns condition with negate', () => {
    const f = facts();
    expect(evaluateConditions([{ kind: 'owns', category: 'tv', negate: true }], f)).toBe(true);
    expect(evaluateConditions([{ kind: 'owns', category: 'phone', negate: true }], f)).toBe(false);
    expect(evaluateConditions([{ kind: 'owns', category: 'phone', negate: false }], f)).toBe(true);
  });

  it('compares event counts by event and window, a missing count being 0', () => {
    const f = facts();
    const count = (event: string, withinDays: number, op: 'eq' | 'gt' | 'gte' | 'lt', value: number): Condition[] => [
      { kind: 'eventCount', event, withinDays, op, value },
    ];
    expect(evaluateConditions(count('email_clicked', 7, 'gte', 3), f)).toBe(true);
    expect(evaluateConditions(count('email_clicked', 7, 'gt', 3), f)).toBe(false);
    expect(evaluateConditions(count('email_clicked', 30, 'eq', 0), f)).toBe(true);
    expect(evaluateConditions(count('order_completed', 7, 'eq', 0), f)).toBe(true);
    expect(evaluateConditions(count('order_completed', 7, 'lt', 1), f)).toBe(true);
  });

  it('does not take an inherited property for an event count', () => {
    expect(
      evaluateConditions(
        [{ kind: 'eventCount', event: 'toString', withinDays: 1, op: 'eq', value: 0 }],
        facts({ eventCounts: {} }),
      ),
    ).toBe(true);
  });
});

describe('eventCountKey and conditionNeeds', () => {
  it('keys counts so that different windows and events never collide', () => {
    expect(eventCountKey('email_clicked', 7)).not.toBe(eventCountKey('email_clicked', 30));
    expect(eventCountKey('a:1', 7)).not.toBe(eventCountKey('a', 17));
    expect(eventCountKey('email_clicked', 7)).toBe(eventCountKey('email_clicked', 7));
  });

  it('lists each event count once, in first-use order, and nothing else', () => {
    const conditions: Condition[] = [
      attr('aiplStage', 'eq', 'interest'),
      { kind: 'eventCount', event: 'email_clicked', withinDays: 7, op: 'gt', value: 1 },
      { kind: 'owns', category: 'phone' },
      { kind: 'eventCount', event: 'store_visit', withinDays: 30, op: 'eq', value: 0 },
      { kind: 'eventCount', event: 'email_clicked', withinDays: 7, op: 'lt', value: 5 },
      { kind: 'eventCount', event: 'email_clicked', withinDays: 14, op: 'lt', value: 5 },
    ];
    expect(conditionNeeds(conditions)).toEqual({
      eventCounts: [
        { event: 'email_clicked', withinDays: 7 },
        { event: 'store_visit', withinDays: 30 },
        { event: 'email_clicked', withinDays: 14 },
      ],
    });
    expect(conditionNeeds([])).toEqual({ eventCounts: [] });
  });
});

describe('sameEntryValues', () => {
  const entry = event('lead_captured', { category: 'phone', model: { brand: 'Acme', sizes: [128, 256] } });

  it('is true when every path has the same value on the goal and the entry event', () => {
    const goal = event('order_completed', {
      category: 'phone',
      model: { brand: 'Acme', sizes: [128, 256] },
      total: 5999,
    });
    expect(sameEntryValues(['properties.category'], entry, goal)).toBe(true);
    expect(sameEntryValues(['properties.category', 'properties.model'], entry, goal)).toBe(true);
  });

  it('is false when any path differs', () => {
    const goal = event('order_completed', { category: 'phone', model: { brand: 'Acme', sizes: [128] } });
    expect(sameEntryValues(['properties.category', 'properties.model'], entry, goal)).toBe(false);
    expect(sameEntryValues(['properties.category'], entry, event('order_completed', { category: 'tv' }))).toBe(false);
  });

  it('is false when the value is missing on either side, even on both', () => {
    const goal = event('order_completed', { category: 'phone' });
    expect(sameEntryValues(['properties.store'], entry, goal)).toBe(false);
    expect(sameEntryValues(['properties.model'], entry, goal)).toBe(false);
  });

  it('is false without an entry event', () => {
    expect(sameEntryValues(['properties.category'], undefined, event('order_completed', { category: 'phone' }))).toBe(
      false,
    );
    expect(sameEntryValues([], undefined, event('order_completed', { category: 'phone' }))).toBe(false);
  });

  it('does not compare prototype properties', () => {
    const goal = event('order_completed', { category: 'phone' });
    expect(sameEntryValues(['properties.constructor'], entry, goal)).toBe(false);
  });
});
