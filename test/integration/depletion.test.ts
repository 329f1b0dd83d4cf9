/** Predicted depletion of stored devices: telemetry since the cycle start, rated-life fallback, cycles reset by a consumable purchase or replacement. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { predictDeviceDepletion } from '../../services/devices/depletion';
import {
  consumableCompatibility,
  customers,
  events,
  orderLines,
  orders,
  ownedProducts,
  products,
  telemetryReadings,
} from '../../drizzle/schema';
import { createTestDatabase } from '../setup/harness';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const DAY = 86_400_000;
const installedAt = new Date('2026-01-01T02:00:00Z');
const day = (n: number) => new Date(installedAt.getTime() + n * DAY);

beforeAll(async () => {
  db = await createTestDatabase();
  await db.db.insert(products).values([
    { sku: 'WP-1', name: 'Purifier', category: 'water-purifier', kind: 'device' },
    {
      sku: 'F-1',
      name: 'RO filter',
      category: 'water-filter',
      kind: 'consumable',
      ratedLifeDays: 365,
      ratedUsage: 3000,
      usageMetric: 'litres_filtered',
    },
    { sku: 'RH-1', name: 'Range hood', category: 'range-hood', kind: 'device' },
  ]);
  await db.db.insert(consumableCompatibility).values({ consumableSku: 'F-1', deviceSku: 'WP-1' });
});
afterAll(async () => db?.close());

async function purifierOwner(serial: string) {
  const [customer] = await db.db.insert(customers).values({ traits: {} }).returning();
  const [device] = await db.db
    .insert(ownedProducts)
    .values({ customerId: customer!.id, sku: 'WP-1', category: 'water-purifier', serial, installedAt })
    .returning();
  await db.db
    .insert(ownedProducts)
    .values({ customerId: customer!.id, sku: 'RH-1', category: 'range-hood', installedAt });
  return { customerId: customer!.id, deviceId: device!.id };
}

async function readLitres(deviceId: string, fromDay: number, toDay: number, perDay: number, base = 0) {
  const rows = [];
  for (let d = fromDay; d <= toDay; d++)
    rows.push({
      ownedProductId: deviceId,
      metric: 'litres_filtered',
      value: base + (d - fromDay) * perDay,
      readAt: day(d),
    });
  await db.db.insert(telemetryReadings).values(rows);
}

describe('predictDeviceDepletion', () => {
  it('falls back to the rated life without telemetry, only for devices that take a consumable', async () => {
    const { customerId } = await purifierOwner('SN-RATED');
    const [only, ...rest] = await predictDeviceDepletion(db.db, { customerId }, day(10));
    expect(rest).toEqual([]);
    expect(only).toMatchObject({
      serial: 'SN-RATED',
      deviceSku: 'WP-1',
      consumable: { sku: 'F-1' },
      cycleStartedAt: installedAt.toISOString(),
      readings: 0,
    });
    expect(only!.prediction).toMatchObject({ basis: 'rated-life', depletesAt: day(365).toISOString() });
  });

  it('predicts from usage readings: 30 L a day on a 3,000 L filter runs out on day 100', async () => {
    const { customerId, deviceId } = await purifierOwner('SN-TELEMETRY');
    await readLitres(deviceId, 0, 20, 30);
    const [device] = await predictDeviceDepletion(db.db, { customerId, serial: 'SN-TELEMETRY' }, day(20));
    expect(device!.prediction.basis).toBe('telemetry');
    expect(device!.prediction.depletesAt).toBe(day(100).toISOString());
  });

  it('starts a new cycle when a compatible consumable is bought, and when a replacement is reported', async () => {
    const { customerId, deviceId } = await purifierOwner('SN-CYCLES');
    await readLitres(deviceId, 0, 90, 30);
    const [order] = await db.db
      .insert(orders)
      .values({ customerId, externalId: 'ORD-F1', orderedAt: day(95) })
      .returning();
    await db.db.insert(orderLines).values({ orderId: order!.id, lineNo: 1, sku: 'F-1', category: 'water-filter' });
    const [afterOrder] = await predictDeviceDepletion(db.db, { customerId }, day(96));
    expect(afterOrder!.cycleStartedAt).toBe(day(95).toISOString());
    expect(afterOrder!.readings).toBe(0);
    expect(afterOrder!.prediction.depletesAt).toBe(day(95 + 365).toISOString());

    await db.db.insert(events).values({
      messageId: 'replaced-1',
      customerId,
      name: 'Consumable Replaced',
      properties: { serial: 'SN-CYCLES' },
      occurredAt: day(120),
      receivedAt: day(120),
    });
    const [afterReplacement] = await predictDeviceDepletion(db.db, { customerId }, day(121));
    expect(afterReplacement!.cycleStartedAt).toBe(day(120).toISOString());
  });

  it('ignores disposed devices', async () => {
    const { customerId, deviceId } = await purifierOwner('SN-GONE');
    await db.db
      .update(ownedProducts)
      .set({ disposedAt: day(5) })
      .where(eq(ownedProducts.id, deviceId));
    expect(await predictDeviceDepletion(db.db, { customerId }, day(10))).toEqual([]);
  });
});
