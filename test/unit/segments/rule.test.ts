import { describe, expect, it } from 'vitest';
import { checkRule, isCheapRule, ruleLimits, segmentRuleSchema, type SegmentRule } from '../../../domain/segments/rule';

function issuesOf(value: unknown) {
  const checked = checkRule(value);
  expect(checked.rule).toBeUndefined();
  return checked.issues.map((i) => ({ path: i.path.join('/'), message: i.message }));
}

function nest(depth: number): unknown {
  let rule: unknown = { tag: 'vip' };
  for (let i = 0; i < depth; i++) rule = { not: rule };
  return rule;
}

describe('segment rules: validation', () => {
  it('accepts every leaf kind and the combinators, applying defaults', () => {
    const rule = {
      all: [
        { trait: 'city', op: 'eq', value: 'Shanghai' },
        { trait: 'address.zip', op: 'startsWith', value: '200' },
        { trait: 'age', op: 'gte', value: 30 },
        { trait: 'city', op: 'in', value: ['Shanghai', 'Beijing'] },
        { trait: 'email', op: 'exists' },
        { tag: 'vip' },
        { aiplStage: ['interest', 'purchase'] },
        { owns: { category: 'water-purifier' } },
        {
          orders: {
            category: 'phone',
            withinDays: 365,
            count: { op: 'gte', value: 2 },
            totalCents: { op: 'gt', value: 100000 },
          },
        },
        { eventCount: { event: 'app_opened', withinDays: 30, op: 'gte', value: 3 } },
        { any: [{ consent: { channel: 'email' } }, { not: { consent: { topic: 'promotions' } } }] },
      ],
    };
    const checked = checkRule(rule);
    expect(checked.issues).toEqual([]);
    expect((checked.rule as { all: SegmentRule[] }).all[5]).toEqual({ tag: 'vip', has: true });
  });

  it('names the JSON path of each problem, deep inside combinators', () => {
    expect(issuesOf({ all: [{ tag: 'vip' }, { any: [{ trait: 'city', op: 'like', value: 'x' }] }] })).toEqual([
      { path: 'all/1/any/0/op', message: expect.stringContaining('Invalid option') },
    ]);
    expect(issuesOf({ all: [{ trait: "city'; drop table customers; --", op: 'eq', value: 1 }] })[0]?.path).toBe(
      'all/0/trait',
    );
    expect(issuesOf({ orders: { withinDays: 0 } })[0]?.path).toBe('orders/withinDays');
    expect(issuesOf({ eventCount: { event: 'x', withinDays: 7, op: 'gte', value: -1 } })[0]?.path).toBe(
      'eventCount/value',
    );
    expect(issuesOf({ consent: { channel: 'email', topic: 'promotions' } })[0]?.path).toBe('consent');
    expect(issuesOf({ owns: {} })[0]?.path).toBe('owns');
    expect(issuesOf({ aiplStage: ['buying'] })[0]?.path).toBe('aiplStage/0');
  });

  it('checks values against the operator', () => {
    expect(issuesOf({ trait: 'city', op: 'eq' })).toEqual([{ path: 'value', message: '"eq" needs a value' }]);
    expect(issuesOf({ trait: 'city', op: 'exists', value: 1 })[0]?.message).toBe('"exists" takes no value');
    expect(issuesOf({ trait: 'city', op: 'in', value: [] })[0]?.path).toBe('value');
    expect(issuesOf({ trait: 'city', op: 'eq', value: ['a'] })[0]?.message).toContain('use "in"');
    expect(issuesOf({ trait: 'age', op: 'gt', value: true })[0]?.message).toContain('numbers or strings');
    expect(issuesOf({ trait: 'city', op: 'startsWith', value: 3 })[0]?.path).toBe('value');
  });

  it('refuses what Postgres text cannot hold: NUL and unpaired surrogates', () => {
    expect(issuesOf({ tag: 'a\u0000b' })[0]?.path).toBe('tag');
    expect(issuesOf({ trait: 'city', op: 'eq', value: 'x\uD800' })[0]?.path).toBe('value');
    expect(checkRule({ trait: 'city', op: 'eq', value: '深圳 😀' }).issues).toEqual([]);
  });

  it('refuses unknown nodes, extra keys and non-objects', () => {
    expect(issuesOf({ foo: 1 })[0]).toEqual({ path: '', message: expect.stringContaining('not "foo"') });
    expect(issuesOf({ all: [{ tag: 'vip' }], any: [] })[0]?.path).toBe('any');
    expect(issuesOf({ tag: 'vip', trait: 'x' })[0]?.path).toBe('');
    expect(issuesOf('select 1')[0]?.message).toContain('expected a rule object');
    expect(issuesOf({ all: [] })[0]?.path).toBe('all');
  });

  it(`limits depth to ${ruleLimits.depth} and reports where it was exceeded, even 10,000 levels deep`, () => {
    expect(checkRule(nest(ruleLimits.depth)).issues).toEqual([]);
    const deep = issuesOf(nest(10_000));
    expect(deep).toHaveLength(1);
    expect(deep[0]?.path).toBe([...Array(ruleLimits.depth).fill('not'), 'not'].join('/'));
  });

  it(`limits a rule to ${ruleLimits.nodes} nodes and ${ruleLimits.children} children per combinator`, () => {
    const wide = { any: Array.from({ length: ruleLimits.children + 1 }, () => ({ tag: 'x' })) };
    expect(issuesOf(wide)[0]?.path).toBe('any');
    const many = { all: Array.from({ length: 10 }, () => ({ any: Array.from({ length: 25 }, () => ({ tag: 'x' })) })) };
    expect(issuesOf(many)).toEqual([
      { path: expect.stringMatching(/^all\/\d\/any\/\d+$/), message: `a rule has at most ${ruleLimits.nodes} nodes` },
    ]);
  });

  it('as a zod schema it reports issues relative to where the rule sits', () => {
    const result = segmentRuleSchema.safeParse({ not: { trait: '', op: 'exists' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['not', 'trait']]);
  });
});

describe('segment rules: which are cheap', () => {
  it('rules reading only the customer row are cheap, at any nesting', () => {
    expect(
      isCheapRule({
        all: [
          { trait: 'city', op: 'eq', value: 'x' },
          { not: { any: [{ tag: 'vip', has: true }, { aiplStage: ['loyalty'] }] } },
          { consent: { channel: 'email' } },
        ],
      }),
    ).toBe(true);
  });
  it('one leaf reading orders, products or events anywhere makes the rule not cheap', () => {
    expect(isCheapRule({ all: [{ tag: 'vip', has: true }, { not: { owns: { category: 'phone' } } }] })).toBe(false);
    expect(isCheapRule({ any: [{ tag: 'vip', has: true }, { orders: {} }] })).toBe(false);
    expect(isCheapRule({ eventCount: { event: 'a', withinDays: 1, op: 'gte', value: 1 } })).toBe(false);
  });
});
