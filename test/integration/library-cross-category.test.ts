/**
 * The cross-category library journey on the time-skipping server with real activities on Postgres:
 * stored association rules, the catalog's product attributes and the customer's tags/traits decide
 * which categories a message recommends (with an example product each); a customer with nothing
 * to recommend gets no message (skipped, reason recorded). Dated: day 4 and day 18, 10:00 local.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { fitsPreferences, preferencesOf, usesRecommendations } from '../../services/messaging/recommendations';
import { createEnroller } from '../../services/journeys/enroll';
import {
  categoryAssociations,
  events,
  messages,
  ownedProducts,
  productCategories,
  products,
} from '../../drizzle/schema';
import { addCivilDays, fromLocal, toLocal } from '../../domain/time';
import { crossCategoryRecommendation } from '../../library/journeys/cross-category-recommendation';
import { createEventRouter } from '../../worker/router';
import { type enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { emailCustomer, installLibraryJourney, recordingTransport, serverNow, untilIdle } from '../fixtures/library';
import { createTestDatabase, createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ZONE = 'Asia/Shanghai';
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.db.insert(productCategories).values([
    { id: 'gas-stove', name: '燃气灶' },
    { id: 'dishwasher', name: '洗碗机' },
    { id: 'water-purifier', name: '净水器' },
  ]);
  await db.db.insert(products).values([
    {
      sku: 'GS-BASIC',
      name: '经典燃气灶 S1',
      category: 'gas-stove',
      kind: 'device',
      priceCents: 129_900,
      currency: 'CNY',
      attributes: { priceBand: 'budget', style: 'classic', energyGrade: 3 },
    },
    {
      sku: 'GS-PRO',
      name: '智能燃气灶 Pro',
      category: 'gas-stove',
      kind: 'device',
      priceCents: 499_900,
      currency: 'CNY',
      attributes: { priceBand: 'premium', style: 'modern', energyGrade: 1 },
    },
    {
      sku: 'DW-BASIC',
      name: '台式洗碗机 D2',
      category: 'dishwasher',
      kind: 'device',
      priceCents: 199_900,
      currency: 'CNY',
      attributes: { priceBand: 'budget', style: 'classic', energyGrade: 2 },
    },
    {
      sku: 'DW-PRO',
      name: '嵌入式洗碗机 X9',
      category: 'dishwasher',
      kind: 'device',
      priceCents: 699_900,
      currency: 'CNY',
      attributes: { priceBand: 'premium', style: 'modern', energyGrade: 1 },
    },
    {
      sku: 'WP-BASIC',
      name: '净水器 R3',
      category: 'water-purifier',
      kind: 'device',
      priceCents: 159_900,
      currency: 'CNY',
      attributes: { priceBand: 'budget', style: 'classic', energyGrade: 2 },
    },
    {
      sku: 'WF-R3',
      name: 'R3 滤芯',
      category: 'water-filter',
      kind: 'consumable',
      priceCents: 19_900,
      currency: 'CNY',
    },
  ]);
  const rule = (from: string, to: string, lift: number, confidence: number) => ({
    fromCategory: from,
    toCategory: to,
    count: 10,
    support: 0.1,
    confidence,
    lift,
    baskets: 100,
    computedAt: new Date(),
  });
  await db.db.insert(categoryAssociations).values([
    rule('range-hood', 'gas-stove', 3, 0.8),
    rule('range-hood', 'dishwasher', 2, 0.5),
    rule('range-hood', 'water-purifier', 1.5, 0.4),
    rule('range-hood', 'microwave', 1.2, 0.3), // already owned by the premium customer
    rule('range-hood', 'television', 0.8, 0.1), // lift ≤ 1: not associated
  ]);
  await installLibraryJourney(db.db, crossCategoryRecommendation);
});
afterAll(async () => db?.close());

describe('preferences against product attributes', () => {
  it('reads price band and style from traits or tags, energy efficiency from a trait or the energy-saver tag', () => {
    expect(preferencesOf({ traits: { priceBand: 'premium' }, tags: ['style:modern', 'energy-saver'] })).toEqual({
      priceBand: 'premium',
      style: 'modern',
      energyEfficient: true,
    });
    expect(preferencesOf({ traits: {}, tags: ['price:budget'] })).toEqual({ priceBand: 'budget' });
    expect(preferencesOf({ traits: { energyEfficient: true }, tags: [] })).toEqual({ energyEfficient: true });
  });
  it('loads recommendations only for templates whose expressions read them', () => {
    const withText = (text: string) => ({ locales: { en: { text } } });
    expect(usesRecommendations(withText('{{#each recommendations}}{{name}}{{/each}}'))).toBe(true);
    expect(usesRecommendations(withText('Top pick: {{recommendations.0.name}}'))).toBe(true);
    expect(usesRecommendations(withText('Our recommendations for {{customer.firstName}}'))).toBe(false);
  });
  it('keeps a product only when it declares what every stated preference asks for', () => {
    expect(
      fitsPreferences({ priceBand: 'premium', energyGrade: 1 }, { priceBand: 'premium', energyEfficient: true }),
    ).toBe(true);
    expect(fitsPreferences({ priceBand: 'premium', energyGrade: 3 }, { energyEfficient: true })).toBe(false);
    expect(fitsPreferences({ priceBand: 'premium' }, { energyEfficient: true })).toBe(false);
    expect(fitsPreferences({}, {})).toBe(true);
  });
});

describe('cross-category recommendation journey', () => {
  it('recommends associated categories not yet owned, filtered by preferences, on day 4 and day 18 at 10:00; skips a customer with nothing to recommend', async () => {
    const env = await createTimeSkippingEnv();
    try {
      const start = new Date(await env.currentTimeMs());
      const t0 = fromLocal(
        { ...addCivilDays(toLocal(start, ZONE), 2), hour: 15, minute: 0, second: 0, millisecond: 0 },
        ZONE,
      );
      const day = (n: number, hour: number) => new Date(t0.getTime() + n * DAY + (hour - 15) * HOUR);
      await env.sleep(t0.getTime() - start.getTime());

      // Premium, energy-saving, modern: owns a range hood and a microwave.
      const premium = await emailCustomer(db.db, {
        timeZone: ZONE,
        locale: 'zh-CN',
        traits: { priceBand: 'premium' },
        tags: ['energy-saver', 'style:modern'],
      });
      // No stated preferences: owns a range hood.
      const plain = await emailCustomer(db.db, { timeZone: ZONE, locale: 'en' });
      // Owns only a television: no rule recommends anything.
      const nothing = await emailCustomer(db.db, { timeZone: ZONE, locale: 'zh-CN' });
      await db.db.insert(ownedProducts).values([
        { customerId: premium.id, sku: 'RH-1', category: 'range-hood', purchasedAt: t0 },
        { customerId: premium.id, sku: 'MW-1', category: 'microwave', purchasedAt: t0 },
        { customerId: plain.id, sku: 'RH-1', category: 'range-hood', purchasedAt: t0 },
        { customerId: nothing.id, sku: 'TV-1', category: 'television', purchasedAt: t0 },
      ]);

      const taskQueue = uniqueTaskQueue('cross');
      const transport = recordingTransport();
      const worker = await createTestWorker({
        connection: env.nativeConnection,
        taskQueue,
        activities: createActivities({
          db: db.db,
          transports: { email: transport },
          clock: serverNow,
          publicUrl: 'https://go.brand.example',
          messaging: { linkSecret: 'cross-category-test-secret-0123456789', tracking: false },
        }),
      });
      const enroller = createEnroller({ db: db.db, temporal: env.client, taskQueue, clock: () => new Date() });
      const router = createEventRouter({ db: db.db, temporal: env.client, enroller });
      const customers = [premium, plain, nothing];
      await worker.runUntil(async () => {
        for (const c of customers) {
          await db.db.insert(events).values({
            messageId: `order-${c.id}`,
            customerId: c.id,
            name: 'Order Completed',
            properties: { order_id: `O-${c.id.slice(0, 6)}` },
            occurredAt: t0,
          });
        }
        expect(await router.routeOnce()).toMatchObject({ entered: 3 });
        await untilIdle(
          customers.map((c) =>
            env.client.workflow.getHandle(enrollmentWorkflowId(crossCategoryRecommendation.id, c.id, 'default')),
          ),
        );
        // Day 10: the premium customer buys the recommended dishwasher; the second look leaves it out.
        await env.sleep(day(10, 15).getTime() - (await env.currentTimeMs()));
        await db.db
          .insert(ownedProducts)
          .values({ customerId: premium.id, sku: 'DW-PRO', category: 'dishwasher', purchasedAt: day(10, 15) });
        for (const c of customers) {
          const result = await env.client.workflow
            .getHandle<typeof enrollmentWorkflow>(enrollmentWorkflowId(crossCategoryRecommendation.id, c.id, 'default'))
            .result();
          expect(result).toMatchObject({ status: 'completed', reason: 'completed' });
        }
      });

      const ledger = async (customerId: string) =>
        await db.db
          .select()
          .from(messages)
          .where(eq(messages.customerId, customerId))
          .orderBy(asc(messages.createdAt), asc(messages.stepId));
      const near = (a: Date, b: Date) => Math.abs(a.getTime() - b.getTime()) < 60_000;

      const premiumRows = await ledger(premium.id);
      expect(premiumRows.map((m) => [m.stepId, m.status])).toEqual([
        ['picks', 'sent'],
        ['second_look', 'sent'],
      ]);
      expect(near(premiumRows[0]!.createdAt, day(4, 10))).toBe(true);
      expect(near(premiumRows[1]!.createdAt, day(18, 10))).toBe(true);
      const toPremium = transport.sent.filter((m) => m.to === `c.${premium.id.slice(0, 8)}@example.com`);
      // Premium + energy-efficient + modern: the Pro models; the water purifier has no premium model, the microwave is owned.
      expect(toPremium[0]!.text).toContain(
        '· 燃气灶：推荐 智能燃气灶 Pro（¥4999）\n· 洗碗机：推荐 嵌入式洗碗机 X9（¥6999）\n',
      );
      expect(toPremium[0]!.text).not.toMatch(/净水器|微波|电视/);
      expect(toPremium[1]!.text).toContain('· 燃气灶：智能燃气灶 Pro\n');
      expect(toPremium[1]!.text).not.toContain('洗碗机');

      const plainRows = await ledger(plain.id);
      expect(plainRows.map((m) => [m.stepId, m.status])).toEqual([
        ['picks', 'sent'],
        ['second_look', 'sent'],
      ]);
      const toPlain = transport.sent.find((m) => m.to === `c.${plain.id.slice(0, 8)}@example.com`);
      // No preferences: the three associated categories, strongest rule first, cheapest model as the example.
      expect(toPlain!.text).toContain(
        '- 燃气灶: try the 经典燃气灶 S1 (1299 CNY)\n- 洗碗机: try the 台式洗碗机 D2 (1999 CNY)\n- 净水器: try the 净水器 R3 (1599 CNY)\n',
      );

      const nothingRows = await ledger(nothing.id);
      expect(nothingRows.map((m) => [m.stepId, m.status, m.reason])).toEqual([
        ['picks', 'skipped', 'nothing-to-recommend'],
        ['second_look', 'skipped', 'nothing-to-recommend'],
      ]);
      expect(transport.sent.filter((m) => m.to === `c.${nothing.id.slice(0, 8)}@example.com`)).toEqual([]);
    } finally {
      await env.teardown();
    }
  });
});
