/** Category associations: SQL mining agrees with the pure model; the API serves rules and recommendations. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { refreshCategoryAssociations } from '../../activities/associations';
import { buildApp } from '../../api/app';
import { generateDemoData } from '../../demo/generator';
import { mineAssociations } from '../../domain/predictions';
import { eq } from 'drizzle-orm';
import { categoryAssociations, customers, orderLines, orders, ownedProducts } from '../../drizzle/schema';
import { ensureAssociationsRefreshSchedule } from '../../worker/schedules';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from '../setup/harness';

const KEY = 'associations-test-admin-key-0000001';
const auth = { authorization: `Bearer ${KEY}` };
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let generated: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let running: Promise<void>;
let app: Awaited<ReturnType<typeof buildApp>>;
const taskQueue = uniqueTaskQueue('associations');

beforeAll(async () => {
  [db, generated, temporal] = await Promise.all([createTestDatabase(), createTestDatabase(), connectDevServer()]);
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({ db: db.db, transports: {}, clock: () => new Date(), publicUrl: 'http://127.0.0.1' }),
  });
  running = worker.run();
  app = await buildApp({ db: db.db, temporal: temporal.client, taskQueue, adminApiKey: KEY });
});

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await temporal?.close();
  await Promise.all([db?.close(), generated?.close()]);
});

/** The hand-computed set of the unit test, as customers: orders for some categories, owned devices for others. */
const people: { orders: string[]; owned: string[] }[] = [
  { orders: ['phone', 'earbuds'], owned: [] },
  { orders: ['phone'], owned: ['earbuds', 'watch'] },
  { orders: ['phone', 'watch'], owned: [] },
  { orders: [], owned: ['fridge', 'water-purifier'] },
  { orders: ['earbuds'], owned: ['phone'] },
];

describe('category associations', () => {
  beforeAll(async () => {
    for (const [i, person] of people.entries()) {
      const [customer] = await db.db.insert(customers).values({}).returning();
      if (person.orders.length) {
        const [order] = await db.db
          .insert(orders)
          .values({ customerId: customer!.id, externalId: `o-${i}`, orderedAt: new Date() })
          .returning();
        await db.db.insert(orderLines).values(
          person.orders.map((category, n) => ({
            orderId: order!.id,
            lineNo: n + 1,
            sku: `${category}-sku`,
            category,
          })),
        );
      }
      for (const category of person.owned)
        await db.db.insert(ownedProducts).values({ customerId: customer!.id, sku: `${category}-sku`, category });
    }
  });

  it('the refresh workflow (via the API) stores exactly the hand-computed rules: phone → earbuds support 0.6, confidence 0.75, lift 1.25', async () => {
    const started = await app.inject({ method: 'POST', url: '/v1/categories/associations/refresh', headers: auth });
    expect(started.statusCode).toBe(202);
    await temporal.client.workflow.getHandle(started.json<{ workflowId: string }>().workflowId).result();
    const listed = await app.inject({ method: 'GET', url: '/v1/categories/associations?from=phone', headers: auth });
    const { rules } = listed.json<{
      rules: {
        fromCategory: string;
        toCategory: string;
        count: number;
        support: number;
        confidence: number;
        lift: number;
        baskets: number;
      }[];
    }>();
    expect(rules.map((r) => [r.toCategory, r.count, r.support, r.confidence, r.lift, r.baskets])).toEqual([
      ['earbuds', 3, 0.6, 0.75, expect.closeTo(1.25, 10), 5],
      ['watch', 2, 0.4, 0.5, expect.closeTo(1.25, 10), 5],
    ]);
    const strong = await app.inject({ method: 'GET', url: '/v1/categories/associations?minLift=2', headers: auth });
    expect(
      strong
        .json<{ rules: { fromCategory: string; toCategory: string }[] }>()
        .rules.map((r) => `${r.fromCategory}>${r.toCategory}`),
    ).toEqual(['fridge>water-purifier', 'water-purifier>fridge']);
  });

  it('recommends what a customer lacks, strongest first', async () => {
    const [owner] = await db.db.insert(customers).values({}).returning();
    await db.db.insert(ownedProducts).values({ customerId: owner!.id, sku: 'p', category: 'phone' });
    const sent = await app.inject({ method: 'GET', url: `/v1/customers/${owner!.id}/recommendations`, headers: auth });
    expect(sent.json()).toMatchObject({
      owned: ['phone'],
      recommendations: [
        { category: 'earbuds', because: 'phone' },
        { category: 'watch', because: 'phone' },
      ],
    });
    expect(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/customers/00000000-0000-4000-8000-000000000000/recommendations`,
          headers: auth,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/categories/associations?limit=0', headers: auth })).json(),
    ).toMatchObject({ issues: [{ path: '$.query.limit' }] });
  });

  it('a daily Temporal Schedule runs the refresh; ensuring it again updates rather than fails', async () => {
    const scheduleId = `associations-${taskQueue}`;
    expect(await ensureAssociationsRefreshSchedule(temporal.client, { taskQueue, scheduleId })).toBe('created');
    expect(await ensureAssociationsRefreshSchedule(temporal.client, { taskQueue, scheduleId, every: '12 hours' })).toBe(
      'updated',
    );
    const described = await temporal.client.schedule.getHandle(scheduleId).describe();
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'associationsRefreshWorkflow',
      taskQueue,
    });
    expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 12 * 3_600_000 })]);
    await temporal.client.schedule.getHandle(scheduleId).delete();
  });

  it('SQL mining agrees with the pure model on a generated brand of 800 customers', async () => {
    await generateDemoData({ db: generated.db, customers: 800, seed: 11, now: new Date('2026-11-01T00:00:00Z') });
    const refreshed = await refreshCategoryAssociations(generated.db, new Date());
    const lines = await generated.db
      .select({ customerId: orders.customerId, category: orderLines.category })
      .from(orderLines)
      .innerJoin(orders, eq(orders.id, orderLines.orderId));
    const owned = await generated.db
      .select({ customerId: ownedProducts.customerId, category: ownedProducts.category })
      .from(ownedProducts);
    const baskets = new Map<string, string[]>();
    for (const row of [...lines, ...owned])
      baskets.set(row.customerId, [...(baskets.get(row.customerId) ?? []), row.category]);
    const expected = mineAssociations([...baskets.values()]);
    expect(refreshed.baskets).toBe(expected.baskets);
    expect(refreshed.rules).toBe(expected.rules.length);
    const rows = await generated.db.select().from(categoryAssociations);
    for (const rule of expected.rules) {
      const row = rows.find((r) => r.fromCategory === rule.from && r.toCategory === rule.to)!;
      expect([row.count, row.support, row.confidence, row.lift]).toEqual([
        rule.count,
        expect.closeTo(rule.support, 12),
        expect.closeTo(rule.confidence, 12),
        expect.closeTo(rule.lift, 12),
      ]);
    }
  });
});
