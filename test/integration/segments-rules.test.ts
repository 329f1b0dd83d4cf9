/**
 * Segment rules compiled to SQL, checked against real Postgres on a seeded, generated dataset:
 * every rule's SQL membership must equal the one computed here in plain JS (an evaluator written
 * from the documented semantics, sharing no code with the compiler). Then hostile input.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule } from '../../services/segments/segment-sql';
import { customers, events, orderLines, orders, ownedProducts, type Consent } from '../../drizzle/schema';
import { checkRule, type CountOp, type SegmentRule, type TraitRule } from '../../domain/segments/rule';
import { createTestDatabase } from '../setup/harness';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const HOSTILE = "'); drop table customers; --";

// ---- a seeded generator --------------------------------------------------------------------

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20261124);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number) => random() < p;
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

const cities = ['Shanghai', 'Beijing', 'Shenzhen', '深圳', HOSTILE, "O'Hara; --"] as const;
const tagPool = ['vip', 'newsletter', 'churn-risk', "o'neil", 'a;b'] as const;
const stages = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
const categories = ['water-purifier', 'range-hood', 'phone'] as const;
const eventNames = ['app_opened', 'page_viewed', 'cart_abandoned'] as const;

interface Person {
  id: string;
  traits: Record<string, unknown>;
  tags: string[];
  aiplStage: string | null;
  consent: Consent;
  products: { sku: string; category: string; disposed: boolean }[];
  orders: {
    at: Date;
    status: string;
    totalCents: number | null;
    lines: { category: string; quantity: number; unitPriceCents: number | null }[];
  }[];
  events: { name: string; at: Date }[];
}

function generatePerson(): Person {
  const traits: Record<string, unknown> = {};
  if (chance(0.85)) traits.city = pick(cities);
  if (chance(0.7)) traits.age = chance(0.85) ? int(18, 70) : String(int(18, 70)); // sometimes a string: ordering by type
  if (chance(0.5)) traits.score = Math.round(random() * 1000) / 10;
  if (chance(0.5))
    traits.address = {
      zip: `${pick(['200', '100', '518'])}${int(100, 999)}`,
      street: pick(['Nanjing Rd', 'Huaihai Rd']),
    };
  if (chance(0.5)) traits.interests = [...new Set(Array.from({ length: int(0, 3) }, () => pick(categories)))];
  if (chance(0.5)) traits.vip = chance(0.5);
  if (chance(0.2)) traits.note = null;
  if (chance(0.6))
    traits.signupDate = `2025-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`;
  const tags = tagPool.filter(() => chance(0.3));
  const consent: Consent = { channels: {}, topics: {} };
  if (chance(0.7)) consent.channels.email = chance(0.6);
  if (chance(0.4)) consent.channels.sms = chance(0.5);
  if (chance(0.6)) consent.topics.promotions = chance(0.5);
  const products = Array.from({ length: int(0, 2) }, () => {
    const category = pick(categories);
    return { category, sku: `${category}-${int(1, 2)}`, disposed: chance(0.25) };
  });
  const personOrders = Array.from({ length: int(0, 3) }, () => {
    const lines = Array.from({ length: int(1, 3) }, () => ({
      category: pick(categories),
      quantity: int(1, 3),
      unitPriceCents: chance(0.9) ? int(10, 500) * 100 : null,
    }));
    const sum = lines.reduce((s, l) => s + l.quantity * (l.unitPriceCents ?? 0), 0);
    return {
      at: new Date(NOW.getTime() - int(0, 400) * DAY - int(1, DAY - 1000)),
      status: pick(['completed', 'completed', 'completed', 'cancelled', 'refunded']),
      totalCents: chance(0.9) ? sum : null,
      lines,
    };
  });
  const personEvents = Array.from({ length: int(0, 7) }, () => ({
    name: pick(eventNames),
    at: new Date(NOW.getTime() - int(-2, 60) * DAY - int(1, DAY - 1000)),
  }));
  return {
    id: randomUUID(),
    traits,
    tags,
    aiplStage: chance(0.85) ? pick(stages) : null,
    consent,
    products,
    orders: personOrders,
    events: personEvents,
  };
}

const people = Array.from({ length: 90 }, generatePerson);

// ---- the expected membership, in plain JS ---------------------------------------------------

function traitAt(traits: Record<string, unknown>, path: string): unknown {
  let current: unknown = traits;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (current && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment))
      current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}

function compareCount(actual: number, op: CountOp, value: number): boolean {
  return {
    eq: actual === value,
    neq: actual !== value,
    gt: actual > value,
    gte: actual >= value,
    lt: actual < value,
    lte: actual <= value,
  }[op];
}

function traitHolds(person: Person, rule: TraitRule): boolean {
  const actual = traitAt(person.traits, rule.trait);
  const value = rule.value;
  switch (rule.op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'eq':
      return actual === value;
    case 'neq':
      return actual !== value;
    case 'in':
      return (value as unknown[]).some((v) => v === actual);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (typeof actual !== typeof value || (typeof actual !== 'number' && typeof actual !== 'string')) return false;
      const a = actual as number | string;
      const v = value as number | string;
      return { gt: a > v, gte: a >= v, lt: a < v, lte: a <= v }[rule.op];
    }
    case 'contains':
      if (typeof actual === 'string') return typeof value === 'string' && actual.includes(value);
      return Array.isArray(actual) && actual.some((a) => a === value);
    case 'startsWith':
      return typeof actual === 'string' && actual.startsWith(value as string);
  }
}

function holds(person: Person, rule: SegmentRule): boolean {
  if ('all' in rule) return rule.all.every((r) => holds(person, r));
  if ('any' in rule) return rule.any.some((r) => holds(person, r));
  if ('not' in rule) return !holds(person, rule.not);
  if ('trait' in rule) return traitHolds(person, rule);
  if ('tag' in rule) return person.tags.includes(rule.tag) === rule.has;
  if ('aiplStage' in rule) return person.aiplStage !== null && (rule.aiplStage as string[]).includes(person.aiplStage);
  if ('consent' in rule)
    return rule.consent.channel
      ? person.consent.channels[rule.consent.channel] === true
      : person.consent.topics[rule.consent.topic!] !== false;
  if ('owns' in rule)
    return person.products.some(
      (p) =>
        !p.disposed &&
        (rule.owns.category === undefined || p.category === rule.owns.category) &&
        (rule.owns.sku === undefined || p.sku === rule.owns.sku),
    );
  if ('orders' in rule) {
    const { category, withinDays, count, totalCents } = rule.orders;
    const matching = person.orders
      .filter((o) => o.status === 'completed')
      .filter((o) => withinDays === undefined || (o.at.getTime() >= NOW.getTime() - withinDays * DAY && o.at <= NOW))
      .filter((o) => category === undefined || o.lines.some((l) => l.category === category));
    const amount = matching.reduce(
      (s, o) =>
        s +
        (category === undefined
          ? (o.totalCents ?? 0)
          : o.lines
              .filter((l) => l.category === category)
              .reduce((t, l) => t + l.quantity * (l.unitPriceCents ?? 0), 0)),
      0,
    );
    const countTest = count ?? (totalCents === undefined ? { op: 'gte' as const, value: 1 } : undefined);
    return (
      (!countTest || compareCount(matching.length, countTest.op, countTest.value)) &&
      (!totalCents || compareCount(amount, totalCents.op, totalCents.value))
    );
  }
  const { event, withinDays, op, value } = rule.eventCount;
  const n = person.events.filter(
    (e) => e.name === event && e.at.getTime() >= NOW.getTime() - withinDays * DAY && e.at <= NOW,
  ).length;
  return compareCount(n, op, value);
}

// ---- rules: hand-written, then random ones --------------------------------------------------

const handRules: unknown[] = [
  { trait: 'city', op: 'eq', value: 'Shanghai' },
  { trait: 'city', op: 'neq', value: 'Shanghai' },
  { trait: 'city', op: 'in', value: ['Beijing', '深圳', HOSTILE] },
  { trait: 'city', op: 'eq', value: HOSTILE },
  { trait: 'city', op: 'contains', value: "'; --" },
  { trait: 'city', op: 'startsWith', value: 'Sh' },
  { trait: 'city', op: 'exists' },
  { not: { trait: 'city', op: 'exists' } },
  { trait: 'age', op: 'gte', value: 40 },
  { trait: 'age', op: 'lt', value: '40' },
  { trait: 'score', op: 'gt', value: 50.5 },
  { trait: 'score', op: 'lte', value: 12.3 },
  { trait: 'address.zip', op: 'startsWith', value: '200' },
  { trait: 'address.street', op: 'eq', value: 'Nanjing Rd' },
  { trait: 'interests', op: 'contains', value: 'phone' },
  { trait: 'interests.0', op: 'eq', value: 'range-hood' },
  { trait: 'vip', op: 'eq', value: true },
  { trait: 'vip', op: 'neq', value: true },
  { trait: 'note', op: 'eq', value: null },
  { trait: 'note', op: 'exists' },
  { trait: 'signupDate', op: 'gte', value: '2025-07-01' },
  { trait: 'missing.deeply.nested', op: 'neq', value: 1 },
  { tag: 'vip' },
  { tag: "o'neil" },
  { tag: 'churn-risk', has: false },
  { aiplStage: ['interest', 'purchase'] },
  { not: { aiplStage: ['loyalty'] } },
  { owns: { category: 'water-purifier' } },
  { owns: { sku: 'phone-1' } },
  { owns: { category: 'phone', sku: 'phone-2' } },
  { orders: {} },
  { orders: { withinDays: 90 } },
  { orders: { category: 'phone', withinDays: 365 } },
  { orders: { count: { op: 'gte', value: 2 } } },
  { orders: { count: { op: 'eq', value: 0 } } },
  { orders: { totalCents: { op: 'gt', value: 50_000 } } },
  { orders: { category: 'range-hood', totalCents: { op: 'gte', value: 30_000 }, count: { op: 'lte', value: 1 } } },
  { eventCount: { event: 'app_opened', withinDays: 30, op: 'gte', value: 2 } },
  { eventCount: { event: 'page_viewed', withinDays: 7, op: 'eq', value: 0 } },
  { eventCount: { event: 'cart_abandoned', withinDays: 60, op: 'neq', value: 1 } },
  { consent: { channel: 'email' } },
  { not: { consent: { channel: 'sms' } } },
  { consent: { topic: 'promotions' } },
  { consent: { topic: 'never-mentioned' } },
  {
    all: [
      { consent: { channel: 'email' } },
      { any: [{ tag: 'vip' }, { orders: { category: 'phone', withinDays: 365 } }] },
      { not: { owns: { category: 'water-purifier' } } },
    ],
  },
  {
    any: [
      {
        all: [
          { aiplStage: ['interest'] },
          { eventCount: { event: 'app_opened', withinDays: 60, op: 'gte', value: 1 } },
        ],
      },
      { not: { any: [{ trait: 'city', op: 'exists' }, { tag: 'newsletter' }] } },
    ],
  },
  { not: { all: [{ trait: 'age', op: 'gte', value: 30 }, { not: { trait: 'vip', op: 'eq', value: false } }] } },
];

function randomLeaf(): unknown {
  switch (int(0, 7)) {
    case 0: {
      const op = pick(['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists', 'startsWith'] as const);
      const trait = pick(['city', 'age', 'score', 'address.zip', 'interests', 'vip', 'note', 'signupDate', 'nope']);
      const value =
        op === 'exists'
          ? undefined
          : op === 'in'
            ? [pick(cities), int(18, 70)]
            : op === 'startsWith'
              ? pick(['Sh', '200', "O'", '2025-0'])
              : pick<unknown>([
                  pick(cities),
                  int(18, 70),
                  Math.round(random() * 1000) / 10,
                  true,
                  null,
                  pick(categories),
                  '2025-06-01',
                ]);
      return { trait, op, ...(value === undefined ? {} : { value }) };
    }
    case 1:
      return { tag: pick(tagPool), has: chance(0.7) };
    case 2:
      return { aiplStage: stages.filter(() => chance(0.5)).concat('purchase') };
    case 3:
      return { owns: chance(0.5) ? { category: pick(categories) } : { sku: `${pick(categories)}-${int(1, 2)}` } };
    case 4: {
      const orders: Record<string, unknown> = {};
      if (chance(0.5)) orders.category = pick(categories);
      if (chance(0.5)) orders.withinDays = pick([30, 90, 365]);
      if (chance(0.5)) orders.count = { op: pick(['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const), value: int(0, 3) };
      if (chance(0.4)) orders.totalCents = { op: pick(['gt', 'lte'] as const), value: int(0, 100) * 1000 };
      return { orders };
    }
    case 5:
      return {
        eventCount: {
          event: pick(eventNames),
          withinDays: pick([1, 7, 30, 60]),
          op: pick(['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const),
          value: int(0, 3),
        },
      };
    default:
      return {
        consent: chance(0.5)
          ? { channel: pick(['email', 'sms', 'push'] as const) }
          : { topic: pick(['promotions', 'news']) },
      };
  }
}

function randomRule(depth: number): unknown {
  if (depth >= 3 || chance(0.4)) return randomLeaf();
  const kind = pick(['all', 'any', 'not'] as const);
  if (kind === 'not') return { not: randomRule(depth + 1) };
  return { [kind]: Array.from({ length: int(1, 4) }, () => randomRule(depth + 1)) };
}

// Invalid combinations (e.g. `gt` with `true`) are dropped: validation has its own tests.
const randomRules = Array.from({ length: 220 }, () => randomRule(0))
  .filter((r) => checkRule(r).rule !== undefined)
  .slice(0, 150);

// ---- database ----------------------------------------------------------------------------

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.db
    .insert(customers)
    .values(
      people.map((p) => ({ id: p.id, traits: p.traits, tags: p.tags, aiplStage: p.aiplStage, consent: p.consent })),
    );
  const productRows = people.flatMap((p) =>
    p.products.map((x) => ({
      customerId: p.id,
      sku: x.sku,
      category: x.category,
      disposedAt: x.disposed ? new Date(NOW.getTime() - 5 * DAY) : null,
    })),
  );
  if (productRows.length) await db.db.insert(ownedProducts).values(productRows);
  for (const person of people) {
    for (const order of person.orders) {
      const [row] = await db.db
        .insert(orders)
        .values({
          customerId: person.id,
          externalId: randomUUID(),
          source: 'test',
          status: order.status,
          totalCents: order.totalCents,
          orderedAt: order.at,
        })
        .returning({ id: orders.id });
      await db.db.insert(orderLines).values(
        order.lines.map((l, i) => ({
          orderId: row!.id,
          lineNo: i + 1,
          sku: `${l.category}-1`,
          category: l.category,
          quantity: l.quantity,
          unitPriceCents: l.unitPriceCents,
        })),
      );
    }
  }
  const eventRows = people.flatMap((p) =>
    p.events.map((e) => ({ messageId: randomUUID(), customerId: p.id, name: e.name, occurredAt: e.at })),
  );
  if (eventRows.length) await db.db.insert(events).values(eventRows);
});
afterAll(async () => {
  await db?.close();
});

async function sqlMembers(rule: SegmentRule): Promise<string[]> {
  const rows = await db.db
    .select({ id: customers.id })
    .from(customers)
    .where(compileRule(rule, { now: NOW }));
  return rows.map((r) => r.id).sort();
}

function jsMembers(rule: SegmentRule): string[] {
  return people
    .filter((p) => holds(p, rule))
    .map((p) => p.id)
    .sort();
}

function parsed(value: unknown): SegmentRule {
  const checked = checkRule(value);
  if (!checked.rule)
    throw new Error(`test rule invalid: ${JSON.stringify(checked.issues)} in ${JSON.stringify(value)}`);
  return checked.rule;
}

describe('segment SQL against a generated dataset', () => {
  it('the dataset exercises both outcomes of most leaves', () => {
    const split = handRules.filter((r) => {
      const n = jsMembers(parsed(r)).length;
      return n > 0 && n < people.length;
    });
    expect(split.length).toBeGreaterThan(handRules.length * 0.8);
  });

  it.each(handRules.map((r, i) => [i, JSON.stringify(r), r] as const))('hand rule %i: %s', async (_i, _json, rule) => {
    const r = parsed(rule);
    expect(await sqlMembers(r)).toEqual(jsMembers(r));
  });

  it('150 random nested rules (seeded) select exactly the customers the JS evaluator selects', async () => {
    const mismatches: string[] = [];
    let nonTrivial = 0;
    for (const raw of randomRules) {
      const rule = parsed(raw);
      const expected = jsMembers(rule);
      if (expected.length > 0 && expected.length < people.length) nonTrivial++;
      const actual = await sqlMembers(rule);
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        mismatches.push(`${JSON.stringify(raw)}: sql ${actual.length}, js ${expected.length}`);
    }
    expect(mismatches).toEqual([]);
    expect(randomRules).toHaveLength(150);
    expect(nonTrivial).toBeGreaterThan(75);
  });
});

describe('hostile rule input', () => {
  async function tablesExist() {
    const result = await db.db.execute(
      sql`select to_regclass('public.customers') is not null as customers, to_regclass('public.segments') is not null as segments, (select count(*)::int from customers) as n`,
    );
    return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows)[0];
  }

  it('values with quotes, semicolons, comments and unicode are plain data', async () => {
    for (const value of [
      HOSTILE,
      "x' or '1'='1",
      '"; select pg_sleep(1); --',
      '\\',
      '$1',
      '深圳 😀',
      "O'Hara; --",
      '%',
      '_',
    ]) {
      for (const op of ['eq', 'neq', 'contains', 'startsWith', 'gt'] as const) {
        const rule = parsed({
          any: [
            { trait: 'city', op, value },
            { tag: value },
            { owns: { category: value } },
            { eventCount: { event: value, withinDays: 30, op: 'gte', value: 1 } },
            { consent: { topic: value } },
          ],
        });
        expect(await sqlMembers(rule)).toEqual(jsMembers(rule));
      }
    }
    // The hostile city is stored verbatim by some customers: it is found, as data.
    expect((await sqlMembers(parsed({ trait: 'city', op: 'eq', value: HOSTILE }))).length).toBeGreaterThan(0);
    expect(await tablesExist()).toEqual({ customers: true, segments: true, n: people.length });
  });

  it('trait names that are not plain names are refused with their path, never reaching SQL', () => {
    for (const trait of [
      HOSTILE,
      "city'",
      'a;b',
      'a b',
      'ci"ty',
      '城市',
      'a..b',
      '.a',
      '__proto__',
      'a.b.c.d.e.f',
      '-x',
    ]) {
      const checked = checkRule({ all: [{ tag: 'vip' }, { trait, op: 'exists' }] });
      expect(checked.issues.map((i) => i.path.join('/'))).toEqual(['all/1/trait']);
    }
  });

  it('every trait path segment is a bound parameter: the SQL text holds none of the input', () => {
    const query = db.db
      .select({ id: customers.id })
      .from(customers)
      .where(
        compileRule(parsed({ all: [{ trait: 'address.zip', op: 'eq', value: HOSTILE }, { tag: HOSTILE }] }), {
          now: NOW,
        }),
      )
      .toSQL();
    expect(query.sql).not.toContain('zip');
    expect(query.sql).not.toContain('drop');
    expect(query.params).toEqual(expect.arrayContaining(['address', 'zip', JSON.stringify(HOSTILE), HOSTILE]));
  });
});
