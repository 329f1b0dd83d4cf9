/**
 * The segment SQL uses nothing PGlite (the embedded Postgres of `npm start`) lacks: every leaf
 * kind, preview, a full refresh and the on-event path, against a migrated PGlite database.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmentMembership } from '../../services/segments/membership';
import type { DbHandle } from '../../drizzle/client';
import { customers, events, orderLines, orders, ownedProducts, segmentMembers, segments } from '../../drizzle/schema';
import { checkRule, type SegmentRule } from '../../domain/segments/rule';
import { createPgliteDatabase } from '../setup/harness';

let handle: DbHandle;
const now = new Date();

beforeAll(async () => {
  handle = await createPgliteDatabase();
});
afterAll(async () => {
  await handle?.close();
});

const rule = (value: unknown): SegmentRule => {
  const checked = checkRule(value);
  if (!checked.rule) throw new Error(JSON.stringify(checked.issues));
  return checked.rule;
};

describe('segments on PGlite', () => {
  it('every leaf kind compiles and runs; refresh and the on-event path maintain members', async () => {
    const { db } = handle;
    const [match] = await db
      .insert(customers)
      .values({
        traits: { city: "Shang'hai", age: 41, since: '2025-03-01', interests: ['phone'] },
        tags: ['vip'],
        aiplStage: 'purchase',
        consent: { channels: { email: true }, topics: {} },
      })
      .returning({ id: customers.id });
    const [miss] = await db
      .insert(customers)
      .values({ traits: { city: 'Beijing', age: '41' }, tags: [], aiplStage: 'awareness' })
      .returning({ id: customers.id });
    await db.insert(ownedProducts).values({ customerId: match!.id, sku: 'wp-1', category: 'water-purifier' });
    const [order] = await db
      .insert(orders)
      .values({
        customerId: match!.id,
        externalId: randomUUID(),
        orderedAt: new Date(now.getTime() - 86_400_000),
        totalCents: 9900,
      })
      .returning({ id: orders.id });
    await db
      .insert(orderLines)
      .values({ orderId: order!.id, lineNo: 1, sku: 'wp-f', category: 'filter', quantity: 3, unitPriceCents: 3300 });
    await db.insert(events).values(
      [0, 1].map(() => ({
        messageId: randomUUID(),
        customerId: match!.id,
        name: 'app_opened',
        occurredAt: new Date(now.getTime() - 3_600_000),
      })),
    );

    const everything = rule({
      all: [
        { trait: 'city', op: 'startsWith', value: "Shang'" },
        { trait: 'city', op: 'contains', value: "g'h" },
        { trait: 'city', op: 'neq', value: 'Beijing' },
        { trait: 'age', op: 'gt', value: 40 },
        { trait: 'since', op: 'lt', value: '2025-04' },
        { trait: 'interests', op: 'contains', value: 'phone' },
        { trait: 'city', op: 'in', value: ["Shang'hai", 1] },
        { trait: 'age', op: 'exists' },
        { tag: 'vip' },
        { aiplStage: ['purchase', 'loyalty'] },
        { owns: { category: 'water-purifier', sku: 'wp-1' } },
        {
          orders: {
            category: 'filter',
            withinDays: 7,
            count: { op: 'eq', value: 1 },
            totalCents: { op: 'gte', value: 9900 },
          },
        },
        { eventCount: { event: 'app_opened', withinDays: 1, op: 'gte', value: 2 } },
        { consent: { channel: 'email' } },
        { consent: { topic: 'promotions' } }, // never refused
        { not: { tag: 'churn-risk' } },
      ],
    });
    const membership = createSegmentMembership({ db, clock: () => now });
    expect(await membership.preview(everything, 5)).toMatchObject({ count: 1, sample: [{ customerId: match!.id }] });

    await db.insert(segments).values({ id: 'everything', name: 'all leaves', rule: everything });
    expect(await membership.refresh('everything')).toMatchObject({
      status: 'refreshed',
      members: 1,
      entered: 1,
      left: 0,
    });

    await db.insert(segments).values({
      id: 'beijing',
      name: 'cheap',
      rule: rule({ trait: 'city', op: 'eq', value: 'Beijing' }),
      evaluatedOnEvent: true,
    });
    expect(await membership.evaluateForCustomers([match!.id, miss!.id])).toMatchObject({
      segments: 1,
      entered: 1,
      left: 0,
    });
    await db
      .update(customers)
      .set({ traits: { city: 'Tianjin' } })
      .where(eq(customers.id, miss!.id));
    expect(await membership.evaluateForCustomers([miss!.id])).toMatchObject({ entered: 0, left: 1 });
    expect(await db.select().from(segmentMembers).where(eq(segmentMembers.segmentId, 'beijing'))).toEqual([]);
  });
});
