/** The demo data generator: deterministic, consistent, and shaped the way the journeys need. */
import { createHash } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData, type GenerateSummary } from '../../demo/generator';
import { mineAssociations, predictDepletion } from '../../domain/predictions';
import {
  customerIdentities,
  customers,
  events,
  orderLines,
  orders,
  ownedProducts,
  products,
  telemetryReadings,
} from '../../drizzle/schema';
import { createTestDatabase } from '../setup/harness';

const NOW = new Date('2026-11-01T00:00:00.000Z');
let first: Awaited<ReturnType<typeof createTestDatabase>>;
let second: Awaited<ReturnType<typeof createTestDatabase>>;
let summary: GenerateSummary;
const progress: number[] = [];

beforeAll(async () => {
  [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  summary = await generateDemoData({
    db: first.db,
    customers: 600,
    seed: 7,
    now: NOW,
    batchSize: 250,
    onProgress: ({ done }) => progress.push(done),
  });
  await generateDemoData({ db: second.db, customers: 600, seed: 7, now: NOW, batchSize: 100 });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
});

async function fingerprint(db: typeof first.db): Promise<string> {
  const dump = JSON.stringify([
    await db.select().from(customers).orderBy(asc(customers.id)),
    await db.select().from(customerIdentities).orderBy(asc(customerIdentities.kind), asc(customerIdentities.value)),
    await db.select().from(orders).orderBy(asc(orders.id)),
    await db.select().from(orderLines).orderBy(asc(orderLines.orderId), asc(orderLines.lineNo)),
    await db.select().from(ownedProducts).orderBy(asc(ownedProducts.id)),
    await db.select().from(telemetryReadings).orderBy(asc(telemetryReadings.id)),
    await db.select().from(events).orderBy(asc(events.id)),
  ]);
  return createHash('sha256').update(dump).digest('hex');
}

describe('generateDemoData', () => {
  it('is deterministic: the same seed and now give identical rows, whatever the batch size', async () => {
    expect(await fingerprint(first.db)).toBe(await fingerprint(second.db));
  });

  it('writes the requested customers and reports what it wrote, with progress per batch', async () => {
    expect(summary.customers).toBe(600);
    const [counted] = await first.db.select({ n: sql<number>`count(*)::int` }).from(customers);
    expect(counted!.n).toBe(600);
    const [identities] = await first.db.select({ n: sql<number>`count(*)::int` }).from(customerIdentities);
    expect(identities!.n).toBe(summary.identities);
    expect(summary.identities).toBeGreaterThan(600); // several identities per person
    expect(progress).toEqual([250, 500, 600]);
  });

  it('every customer can be reached: at least one identity each; connected devices have serials', async () => {
    const [orphans] = await first.db
      .execute<{ n: number }>(
        sql`select count(*)::int as n from customers c where not exists (select 1 from customer_identities i where i.customer_id = c.id)`,
      )
      .then((r) => (Array.isArray(r) ? r : (r as { rows: { n: number }[] }).rows));
    expect(orphans!.n).toBe(0);
    const purifiers = await first.db.select().from(ownedProducts).where(eq(ownedProducts.category, 'water-purifier'));
    expect(purifiers.length).toBeGreaterThan(10);
    expect(purifiers.every((p) => p.serial?.startsWith('SN-WA-'))).toBe(true);
  });

  it('baskets carry the associations the recommendation journey relies on: phone → earbuds has lift above 1', async () => {
    const lines = await first.db
      .select({ orderId: orderLines.orderId, category: orderLines.category })
      .from(orderLines);
    const baskets = new Map<string, string[]>();
    for (const line of lines) baskets.set(line.orderId, [...(baskets.get(line.orderId) ?? []), line.category]);
    const { rules } = mineAssociations([...baskets.values()]);
    expect(rules.find((r) => r.from === 'phone' && r.to === 'earbuds')!.lift).toBeGreaterThan(1.5);
    expect(rules.find((r) => r.from === 'fridge' && r.to === 'water-purifier')!.lift).toBeGreaterThan(1.5);
  });

  it('purifier telemetry predicts a depletion date from usage for devices with enough readings', async () => {
    const [filter] = await first.db.select().from(products).where(eq(products.sku, 'PF-200'));
    const purifiers = await first.db.select().from(ownedProducts).where(eq(ownedProducts.category, 'water-purifier'));
    let predicted = 0;
    for (const device of purifiers) {
      const readings = await first.db
        .select()
        .from(telemetryReadings)
        .where(eq(telemetryReadings.ownedProductId, device.id));
      const p = predictDepletion({
        installedAt: device.installedAt!.toISOString(),
        readings: readings.map((x) => ({ at: x.readAt.toISOString(), value: x.value })),
        ratedUsage: filter!.ratedUsage,
        ratedLifeDays: filter!.ratedLifeDays,
        now: NOW.toISOString(),
      });
      if (readings.length >= 3) {
        expect(p.usagePerDay).toBeGreaterThan(3);
        expect(p.usagePerDay).toBeLessThan(31);
        predicted++;
      }
    }
    expect(predicted).toBeGreaterThan(5);
  });
});
