/**
 * Customer profiles end to end on real Postgres: the catalog API, ingest's profile effects (orders,
 * owned devices, telemetry, AIPL, profile traits) driven by Segment's own `@segment/analytics-node`
 * client over a listening app and by plain HTTP, and the customer read/edit API.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { and, count, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProfileActivities } from '../../activities/profiles';
import { buildApp } from '../../api/app';
import { createApiKey } from '../../api/keys';
import { predictDeviceDepletion } from '../../services/devices/depletion';
import {
  aiplHistory,
  customerIdentities,
  events,
  orders,
  ownedProducts,
  telemetryReadings,
} from '../../drizzle/schema';
import { connectDevServer, createTestDatabase, uniqueTaskQueue } from '../setup/harness';

const ADMIN_KEY = 'profile-test-bootstrap-admin-key-0123';
const NOW = new Date('2031-03-04T05:06:07.000Z');

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;
let writeKey: string;
let baseUrl: string;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('profile'),
    adminApiKey: ADMIN_KEY,
    clock: () => NOW,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  writeKey = (await createApiKey(db.db, 'write', 'shop')).key;
  await seedCatalog();
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

interface Issue {
  path: string;
  message: string;
}
interface Sent<T> {
  status: number;
  body: T;
}
type Json = Record<string, unknown>;

const bearer = { authorization: `Bearer ${ADMIN_KEY}` };
const basic = () => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });

async function call<T = Json>(
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = bearer,
): Promise<Sent<T>> {
  const response = await app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: (response.body ? response.json() : undefined) as T };
}
const track = (payload: Json) =>
  call<Json & { issues?: Issue[] }>('POST', '/v1/track', { messageId: `m-${randomUUID()}`, ...payload }, basic());
const identify = (payload: Json) =>
  call<Json & { issues?: Issue[] }>('POST', '/v1/identify', { messageId: `m-${randomUUID()}`, ...payload }, basic());
const newUser = () => `user-${randomUUID().slice(0, 8)}`;

interface Profile {
  id: string;
  traits: Json;
  tags: string[];
  aiplStage: string | null;
  aiplHistory: { from: string | null; to: string; at: string; source: string }[];
  timeZone: string | null;
  locale: string | null;
  consent: { channels: Json; topics: Json };
  identities: { kind: string; value: string }[];
  ownedProducts: {
    id: string;
    sku: string;
    name: string | null;
    kind: string | null;
    category: string;
    serial: string | null;
    purchasedAt: string | null;
    installedAt: string | null;
    warrantyEndsAt: string | null;
    disposedAt: string | null;
    orderId: string | null;
    latestTelemetry: Record<string, { value: number; readAt: string }>;
    consumables: { sku: string; ratedLifeDays: number | null; ratedUsage: number | null; usageMetric: string | null }[];
    predictedDepletion: {
      consumable: { sku: string; name: string };
      cycleStartedAt: string;
      readings: number;
      depletesAt: string | null;
      daysLeft: number | null;
      confidence: number;
      basis: string;
      usagePerDay: number | null;
    } | null;
  }[];
  orders: {
    id: string;
    externalId: string;
    source: string;
    currency: string | null;
    totalCents: number | null;
    orderedAt: string;
    lines: { lineNo: number; sku: string; category: string; quantity: number; unitPriceCents: number | null }[];
  }[];
}

async function profileOf(identity: string): Promise<Profile> {
  const sent = await call<{ customer: Profile }>('GET', `/v1/customers?identity=${encodeURIComponent(identity)}`);
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  return sent.body.customer;
}

async function seedCatalog() {
  for (const [id, name, decisionWindowDays] of [
    ['water-purifier', 'Water purifiers', 30],
    ['water-filter', 'Filters', null],
    ['range-hood', 'Range hoods', 45],
    ['gift', 'Gifts', null],
  ] as const) {
    expect((await call('PUT', `/v1/categories/${id}`, { name, decisionWindowDays })).status).toBe(201);
  }
  const put = async (sku: string, body: Json) =>
    expect((await call('PUT', `/v1/products/${sku}`, body)).status).toBe(201);
  await put('WP-100', {
    name: 'Purifier 100',
    category: 'water-purifier',
    kind: 'device',
    warrantyMonths: 24,
    priceCents: 199900,
    currency: 'CNY',
  });
  await put('WP-200', { name: 'Purifier 200', category: 'water-purifier', kind: 'device', warrantyMonths: 13 });
  await put('RH-1', { name: 'Range hood', category: 'range-hood', kind: 'device', warrantyMonths: 36 });
  await put('FLT-100', {
    name: 'RO filter',
    category: 'water-filter',
    kind: 'consumable',
    ratedLifeDays: 180,
    ratedUsage: 3000,
    usageMetric: 'litres_filtered',
    compatibleWith: ['WP-100', 'WP-200'],
  });
  await put('FLT-PP', {
    name: 'PP cotton',
    category: 'water-filter',
    kind: 'consumable',
    ratedLifeDays: 90,
    compatibleWith: ['WP-100'],
  });
  await put('SVC-INSTALL', { name: 'Installation', category: 'water-purifier', kind: 'service' });
}

async function rowCount(table: typeof orders | typeof telemetryReadings, where?: ReturnType<typeof eq>) {
  const [row] = await db.db.select({ n: count() }).from(table).where(where);
  return row!.n;
}

// ---- catalog ---------------------------------------------------------------------------------

describe('catalog API', () => {
  it('PUT creates a category (201), PUT again replaces it (200), GET lists and reads it', async () => {
    expect(
      await call('PUT', '/v1/categories/dish-washer', { name: 'Dishwashers', decisionWindowDays: 20 }),
    ).toMatchObject({ status: 201, body: { category: { id: 'dish-washer', decisionWindowDays: 20 } } });
    expect(await call('PUT', '/v1/categories/dish-washer', { name: 'Dish washers' })).toMatchObject({
      status: 200,
      body: { category: { name: 'Dish washers', decisionWindowDays: null } },
    });
    expect(await call('GET', '/v1/categories/dish-washer')).toMatchObject({
      status: 200,
      body: { category: { id: 'dish-washer', name: 'Dish washers' } },
    });
    const list = await call<{ categories: { id: string }[] }>('GET', '/v1/categories');
    expect(list.body.categories.map((c) => c.id)).toEqual([
      'dish-washer',
      'gift',
      'range-hood',
      'water-filter',
      'water-purifier',
    ]);
    expect((await call('GET', '/v1/categories/nope')).status).toBe(404);
  });

  it('a consumable lists the devices it fits, and a device lists its consumables', async () => {
    expect(await call('GET', '/v1/products/FLT-100')).toMatchObject({
      status: 200,
      body: {
        product: {
          sku: 'FLT-100',
          kind: 'consumable',
          ratedLifeDays: 180,
          ratedUsage: 3000,
          usageMetric: 'litres_filtered',
          compatibleWith: ['WP-100', 'WP-200'],
        },
      },
    });
    const fits = await call<{ consumables: { sku: string }[] }>('GET', '/v1/products/WP-100/consumables');
    expect(fits.body.consumables.map((c) => c.sku)).toEqual(['FLT-100', 'FLT-PP']);
    const fits200 = await call<{ consumables: { sku: string }[] }>('GET', '/v1/products/WP-200/consumables');
    expect(fits200.body.consumables.map((c) => c.sku)).toEqual(['FLT-100']);
    expect((await call('GET', '/v1/products/NOPE/consumables')).status).toBe(404);
    const consumables = await call<{ products: { sku: string }[] }>('GET', '/v1/products?kind=consumable');
    expect(consumables.body.products.map((p) => p.sku)).toEqual(['FLT-100', 'FLT-PP']);
  });

  it('replacing a consumable replaces its compatibility; deleting a device removes it from the lists (204, then 404)', async () => {
    expect(
      (
        await call('PUT', '/v1/products/DW-1', {
          name: 'Dishwasher',
          category: 'dish-washer',
          kind: 'device',
          warrantyMonths: 12,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call('PUT', '/v1/products/DW-SALT', {
          name: 'Salt',
          category: 'dish-washer',
          kind: 'consumable',
          ratedLifeDays: 60,
          compatibleWith: ['DW-1'],
        })
      ).status,
    ).toBe(201);
    expect(
      await call('PUT', '/v1/products/DW-SALT', {
        name: 'Salt 2kg',
        category: 'dish-washer',
        kind: 'consumable',
        ratedLifeDays: 90,
        compatibleWith: [],
      }),
    ).toMatchObject({
      status: 200,
      body: { product: { name: 'Salt 2kg', ratedLifeDays: 90, compatibleWith: [] } },
    });
    expect(
      (
        await call('PUT', '/v1/products/DW-SALT', {
          name: 'Salt 2kg',
          category: 'dish-washer',
          kind: 'consumable',
          compatibleWith: ['DW-1'],
        })
      ).status,
    ).toBe(200);
    expect((await call('DELETE', '/v1/products/DW-1')).status).toBe(204);
    expect((await call('DELETE', '/v1/products/DW-1')).status).toBe(404);
    expect((await call('GET', '/v1/products/DW-1')).status).toBe(404);
    expect(await call('GET', '/v1/products/DW-SALT')).toMatchObject({ body: { product: { compatibleWith: [] } } });
  });

  it('rejects bad products with 400 at JSON paths: unknown category, a non-device in compatibleWith, usage without its metric, device-only fields', async () => {
    const sent = await call<{ issues: Issue[] }>('PUT', '/v1/products/X-1', {
      name: 'X',
      category: 'no-such',
      kind: 'consumable',
      compatibleWith: ['WP-100', 'FLT-PP', 'GHOST'],
    });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([
      { path: '$.body.category', message: expect.stringContaining('unknown category "no-such"') },
      { path: '$.body.compatibleWith[1]', message: '"FLT-PP" is a consumable, not a device' },
      { path: '$.body.compatibleWith[2]', message: 'unknown product "GHOST"' },
    ]);
    const shapes = await call<{ issues: Issue[] }>('PUT', '/v1/products/X-1', {
      name: '',
      category: 'gift',
      kind: 'device',
      ratedUsage: 10,
      warrantyMonths: 0,
      colour: 'red',
    });
    expect(shapes.status).toBe(400);
    expect(shapes.body.issues.map((i) => i.path).sort()).toEqual(
      ['$.body', '$.body.name', '$.body.ratedUsage', '$.body.usageMetric', '$.body.warrantyMonths'].sort(),
    );
    expect(
      (await call<{ issues: Issue[] }>('PUT', '/v1/products/bad%20sku', { name: 'X', category: 'gift' })).body.issues,
    ).toEqual([{ path: '$.params.sku', message: expect.any(String) }]);
    expect((await call('GET', '/v1/products/X-1')).status).toBe(404);
  });

  it('needs an admin key: a write key gets 403', async () => {
    expect((await call('GET', '/v1/products', undefined, basic())).status).toBe(401);
    expect((await call('GET', '/v1/products', undefined, { authorization: `Bearer ${writeKey}` })).status).toBe(403);
  });
});

// ---- ingest through Segment's own client ------------------------------------------------------

describe('ingest with @segment/analytics-node', () => {
  it('identify, two orders, installation and telemetry build the profile; AIPL history records each transition in order', async () => {
    // One batch, so the messages are stored in the order sent (concurrent batches are covered below).
    const analytics = new Analytics({
      writeKey,
      host: baseUrl,
      maxEventsInBatch: 20,
      flushInterval: 50,
      maxRetries: 0,
    });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    const userId = newUser();
    const email = `${userId}@example.com`;
    const t = (minute: number) => new Date(Date.UTC(2031, 0, 31, 8, minute));
    analytics.identify({
      userId,
      traits: {
        email: email.toUpperCase(),
        firstName: 'Mei',
        timezone: 'Asia/Shanghai',
        locale: 'zh_CN',
        tags: ['vip', 'newsletter'],
        aiplStage: 'interest',
        consent: { channels: { email: true, sms: false }, topics: { promotions: false } },
      },
      timestamp: t(0),
    });
    analytics.track({
      userId,
      event: 'Order Completed',
      timestamp: t(1),
      properties: {
        order_id: `T-${userId}`,
        total: 2149.5,
        currency: 'cny',
        affiliation: 'tmall',
        products: [
          { sku: 'WP-100', category: 'water-purifier', quantity: 1, price: 1999 },
          { product_id: 'FLT-100', quantity: 2, price: 75.25 },
        ],
      },
    });
    analytics.track({
      userId,
      event: 'Product Installed',
      timestamp: t(2),
      properties: { serial: `SN-${userId}`, sku: 'WP-100', installed_at: t(2).toISOString() },
    });
    analytics.track({
      userId,
      event: 'Telemetry Reported',
      timestamp: t(3),
      properties: { serial: `SN-${userId}`, metric: 'litres_filtered', value: 120.5, read_at: t(3).toISOString() },
    });
    analytics.track({
      userId,
      event: 'Telemetry Reported',
      timestamp: t(4),
      properties: { serial: `SN-${userId}`, metric: 'litres_filtered', value: 180, read_at: t(4).toISOString() },
    });
    analytics.track({
      userId,
      event: 'Telemetry Reported',
      timestamp: t(5),
      properties: { serial: `SN-${userId}`, metric: 'tds_ppm', value: 12, read_at: t(5).toISOString() },
    });
    analytics.track({
      userId,
      event: 'Order Completed',
      timestamp: t(6),
      properties: {
        order_id: `T2-${userId}`,
        revenue: 150.5,
        source: 'app',
        products: [{ sku: 'FLT-100', quantity: 2, price: 75.25 }],
      },
    });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const profile = await profileOf(`email:${email}`);
    expect(profile).toMatchObject({
      traits: { firstName: 'Mei' },
      tags: ['newsletter', 'vip'],
      timeZone: 'Asia/Shanghai',
      locale: 'zh-CN',
      consent: { channels: { email: true, sms: false }, topics: { promotions: false } },
      aiplStage: 'loyalty',
    });
    expect(Object.keys(profile.traits)).not.toContain('timezone'); // profile traits live in their columns only
    expect(profile.aiplHistory.map((h) => [h.from, h.to, h.source])).toEqual([
      [null, 'interest', 'identify'],
      ['interest', 'purchase', 'Order Completed'],
      ['purchase', 'loyalty', 'Order Completed'],
    ]);
    expect(profile.aiplHistory.map((h) => h.at)).toEqual([t(0), t(1), t(6)].map((d) => d.toISOString()));

    expect(profile.orders).toHaveLength(2);
    expect(profile.orders[0]).toMatchObject({
      externalId: `T-${userId}`,
      source: 'tmall',
      currency: 'CNY',
      totalCents: 214950,
      orderedAt: t(1).toISOString(),
      lines: [
        { lineNo: 1, sku: 'WP-100', category: 'water-purifier', quantity: 1, unitPriceCents: 199900 },
        { lineNo: 2, sku: 'FLT-100', category: 'water-filter', quantity: 2, unitPriceCents: 7525 },
      ],
    });
    expect(profile.orders[1]).toMatchObject({
      source: 'app',
      totalCents: 15050,
      lines: [{ sku: 'FLT-100', quantity: 2 }],
    });

    // Only the device became an owned product; installation gave it its serial; telemetry hangs off it.
    expect(profile.ownedProducts).toHaveLength(1);
    const [device] = profile.ownedProducts;
    expect(device).toMatchObject({
      sku: 'WP-100',
      name: 'Purifier 100',
      kind: 'device',
      serial: `SN-${userId}`,
      purchasedAt: t(1).toISOString(),
      installedAt: t(2).toISOString(),
      warrantyEndsAt: '2033-01-31T08:01:00.000Z',
      orderId: profile.orders[0]!.id,
      latestTelemetry: {
        litres_filtered: { value: 180, readAt: t(4).toISOString() },
        tds_ppm: { value: 12, readAt: t(5).toISOString() },
      },
    });
    expect(device!.consumables).toEqual([
      { sku: 'FLT-100', name: 'RO filter', ratedLifeDays: 180, ratedUsage: 3000, usageMetric: 'litres_filtered' },
      { sku: 'FLT-PP', name: 'PP cotton', ratedLifeDays: 90, ratedUsage: null, usageMetric: null },
    ]);
    expect(profile.identities.map((i) => `${i.kind}:${i.value}`).sort()).toEqual([
      `app_user:${userId}`,
      `device_serial:SN-${userId}`,
      `email:${email}`,
    ]);
    expect(await rowCount(telemetryReadings, eq(telemetryReadings.ownedProductId, device!.id))).toBe(3);
  });

  it('small concurrent batches of one customer (orders, a late registration and readings) are all delivered without error', async () => {
    const analytics = new Analytics({ writeKey, host: baseUrl, maxEventsInBatch: 2, flushInterval: 20, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    const userId = newUser();
    const serial = `SN-${userId}`;
    for (let i = 0; i < 4; i++)
      analytics.track({
        userId,
        event: 'Telemetry Reported',
        properties: { serial, metric: 'litres_filtered', value: i * 10, read_at: `2031-01-0${i + 1}T00:00:00Z` },
      });
    for (let i = 0; i < 8; i++)
      analytics.track({
        userId,
        event: 'Order Completed',
        properties: { order_id: `S-${userId}-${i}`, products: [{ sku: 'FLT-100' }] },
      });
    analytics.track({ userId, event: 'Device Registered', properties: { serial, sku: 'WP-100' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);
    const profile = await profileOf(`device_serial:${serial}`);
    expect(profile.orders).toHaveLength(8);
    expect(profile.aiplHistory.map((h) => h.to)).toEqual(['purchase', 'loyalty']);
    expect(profile.ownedProducts[0]!.latestTelemetry).toEqual({
      litres_filtered: { value: 30, readAt: '2031-01-04T00:00:00.000Z' },
    });
    expect(await rowCount(telemetryReadings, eq(telemetryReadings.ownedProductId, profile.ownedProducts[0]!.id))).toBe(
      4,
    );
  });

  it('an order sent again under new messageIds (a client retry, a backfill) lands once, lines and devices included', async () => {
    const userId = newUser();
    const order = {
      order_id: `R-${userId}`,
      total: 3998,
      source: 'jd',
      products: [{ sku: 'WP-200', quantity: 2, price: 1999 }],
    };
    for (let round = 0; round < 2; round++) {
      const analytics = new Analytics({
        writeKey,
        host: baseUrl,
        path: '/v1/batch',
        maxEventsInBatch: 10,
        flushInterval: 50,
        maxRetries: 0,
      });
      analytics.track({
        userId,
        event: 'Order Completed',
        properties: order,
        timestamp: new Date('2031-02-01T00:00:00Z'),
      });
      analytics.track({
        userId,
        event: 'Order Completed',
        properties: order,
        timestamp: new Date('2031-02-01T00:00:00Z'),
      });
      await analytics.closeAndFlush({ timeout: 10_000 });
    }
    const [{ n: sent } = { n: 0 }] = await db.db
      .select({ n: count() })
      .from(events)
      .where(eq(events.name, 'Order Completed'))
      .innerJoin(
        customerIdentities,
        and(eq(customerIdentities.customerId, events.customerId), eq(customerIdentities.value, userId)),
      );
    expect(sent).toBe(4); // four events stored…
    const profile = await profileOf(`app_user:${userId}`);
    expect(profile.orders).toHaveLength(1); // …one order
    expect(profile.orders[0]!.lines).toEqual([
      { lineNo: 1, sku: 'WP-200', category: 'water-purifier', quantity: 2, unitPriceCents: 199900 },
    ]);
    expect(profile.ownedProducts.map((p) => [p.sku, p.warrantyEndsAt])).toEqual([
      ['WP-200', '2032-03-01T00:00:00.000Z'],
      ['WP-200', '2032-03-01T00:00:00.000Z'],
    ]);
    expect(profile.aiplHistory.map((h) => h.to)).toEqual(['purchase']);
  });
});

// ---- ingest over plain HTTP -------------------------------------------------------------------

describe('profile effects of ingest (plain HTTP)', () => {
  it('a device bought on the 31st of a month gets its warranty end at month end (13 months from 2030-01-31 → 2031-02-28)', async () => {
    const userId = newUser();
    expect(
      (
        await track({
          userId,
          event: 'Order Completed',
          timestamp: '2030-01-31T10:00:00+08:00',
          properties: { order_id: `W-${userId}`, products: [{ sku: 'WP-200' }] },
        })
      ).status,
    ).toBe(200);
    const [device] = (await profileOf(`app_user:${userId}`)).ownedProducts;
    expect(device).toMatchObject({
      sku: 'WP-200',
      purchasedAt: '2030-01-31T02:00:00.000Z',
      warrantyEndsAt: '2031-02-28T02:00:00.000Z',
    });
  });

  it('unknown SKUs become owned products only in a category where the catalog has devices; consumables and services never do', async () => {
    const userId = newUser();
    const sent = await track({
      userId,
      event: 'Order Completed',
      properties: {
        order_id: `U-${userId}`,
        products: [
          { sku: 'RH-NEW-9', category: 'range-hood' },
          { sku: 'MUG-1', category: 'gift' },
          { sku: 'SVC-INSTALL' },
          { sku: 'FLT-PP', quantity: 3 },
          { sku: 'MYSTERY' },
        ],
      },
    });
    expect(sent.status).toBe(200);
    const profile = await profileOf(`app_user:${userId}`);
    expect(profile.ownedProducts.map((p) => [p.sku, p.category, p.warrantyEndsAt])).toEqual([
      ['RH-NEW-9', 'range-hood', null],
    ]);
    expect(profile.orders[0]!.lines.map((l) => [l.sku, l.category])).toEqual([
      ['RH-NEW-9', 'range-hood'],
      ['MUG-1', 'gift'],
      ['SVC-INSTALL', 'water-purifier'],
      ['FLT-PP', 'water-filter'],
      ['MYSTERY', 'uncategorized'],
    ]);
  });

  it('registering a bought device gives that unit its serial (no second product); telemetry from anyone with the serial attaches to it', async () => {
    const owner = newUser();
    const serial = `SN-${randomUUID().slice(0, 8)}`;
    await track({
      userId: owner,
      event: 'Order Completed',
      timestamp: '2031-01-10T00:00:00Z',
      properties: { order_id: `D-${owner}`, products: [{ sku: 'RH-1' }] },
    });
    expect(
      (
        await track({
          userId: owner,
          event: 'Device Registered',
          timestamp: '2031-01-12T00:00:00Z',
          properties: { serial, sku: 'RH-1' },
        })
      ).status,
    ).toBe(200);
    // The device reports on its own, under an anonymous id: the reading still attaches by serial.
    expect(
      (
        await track({
          anonymousId: `device-${serial}`,
          event: 'Telemetry Reported',
          properties: { serial, metric: 'fan_hours', value: 3.5, read_at: '2031-01-13T00:00:00Z' },
        })
      ).status,
    ).toBe(200);
    const profile = await profileOf(`device_serial:${serial}`);
    expect(profile.ownedProducts).toHaveLength(1);
    expect(profile.ownedProducts[0]).toMatchObject({
      sku: 'RH-1',
      serial,
      purchasedAt: '2031-01-10T00:00:00.000Z',
      installedAt: null,
      warrantyEndsAt: '2034-01-10T00:00:00.000Z',
      latestTelemetry: { fan_hours: { value: 3.5 } },
    });
    expect(profile.identities.map((i) => i.kind)).toContain('app_user');
  });

  it('a device installed without an ingested order is created with its warranty from installation; disposal hides it from journey facts', async () => {
    const userId = newUser();
    const serial = `SN-${randomUUID().slice(0, 8)}`;
    await track({
      userId,
      event: 'Product Installed',
      timestamp: '2031-02-02T09:00:00Z',
      properties: { serial, product_id: 'WP-100' },
    });
    let [device] = (await profileOf(`app_user:${userId}`)).ownedProducts;
    expect(device).toMatchObject({
      sku: 'WP-100',
      category: 'water-purifier',
      serial,
      purchasedAt: null,
      installedAt: '2031-02-02T09:00:00.000Z',
      warrantyEndsAt: '2033-02-02T09:00:00.000Z',
    });

    const activities = createProfileActivities({ db: db.db, clock: () => NOW });
    const customerId = (await profileOf(`app_user:${userId}`)).id;
    expect((await activities.loadCustomerFacts({ customerId, eventCounts: [] })).ownedProducts).toEqual([
      {
        sku: 'WP-100',
        category: 'water-purifier',
        serial,
        purchasedAt: null,
        installedAt: '2031-02-02T09:00:00.000Z',
        warrantyEndsAt: '2033-02-02T09:00:00.000Z',
      },
    ]);
    await track({ userId, event: 'Product Disposed', timestamp: '2032-05-05T00:00:00Z', properties: { serial } });
    [device] = (await profileOf(`app_user:${userId}`)).ownedProducts;
    expect(device!.disposedAt).toBe('2032-05-05T00:00:00.000Z');
    expect((await activities.loadCustomerFacts({ customerId, eventCounts: [] })).ownedProducts).toEqual([]);
  });

  it('telemetry for a serial not yet known is kept as an event and attached when the device is registered', async () => {
    const userId = newUser();
    const serial = `SN-${randomUUID().slice(0, 8)}`;
    const before = await rowCount(telemetryReadings);
    for (const [value, readAt] of [
      [10, '2031-01-01T00:00:00Z'],
      [25, '2031-01-02T00:00:00Z'],
    ] as const) {
      expect(
        (
          await track({
            userId,
            event: 'Telemetry Reported',
            properties: { serial, metric: ' litres_filtered ', value, read_at: readAt },
          })
        ).status,
      ).toBe(200);
    }
    expect(await rowCount(telemetryReadings)).toBe(before);
    expect((await profileOf(`app_user:${userId}`)).ownedProducts).toEqual([]);

    await track({ userId, event: 'Device Registered', properties: { serial, sku: 'WP-100' } });
    await track({ userId, event: 'Device Registered', properties: { serial, sku: 'WP-100' } }); // again: nothing more
    const [device] = (await profileOf(`app_user:${userId}`)).ownedProducts;
    expect(device).toMatchObject({
      serial,
      latestTelemetry: { litres_filtered: { value: 25, readAt: '2031-01-02T00:00:00.000Z' } },
    });
    expect(await rowCount(telemetryReadings, eq(telemetryReadings.ownedProductId, device!.id))).toBe(2);
  });

  it('AIPL never moves backwards automatically; an identify (or PATCH) may set any stage, each recorded', async () => {
    const userId = newUser();
    await identify({ userId, traits: { aiplStage: 'loyalty' }, timestamp: '2031-01-01T00:00:00Z' });
    await track({
      userId,
      event: 'Order Completed',
      timestamp: '2031-01-02T00:00:00Z',
      properties: { order_id: `A-${userId}` },
    });
    await identify({ userId, traits: { aiplStage: 'awareness' }, timestamp: '2031-01-03T00:00:00Z' });
    await identify({ userId, traits: { aiplStage: 'awareness' }, timestamp: '2031-01-04T00:00:00Z' }); // no change, no history
    await track({
      userId,
      event: 'Order Completed',
      timestamp: '2031-01-05T00:00:00Z',
      properties: { order_id: `B-${userId}` },
    });
    const profile = await profileOf(`app_user:${userId}`);
    expect(profile.aiplHistory.map((h) => [h.from, h.to, h.source, h.at.slice(0, 10)])).toEqual([
      [null, 'loyalty', 'identify', '2031-01-01'],
      ['loyalty', 'awareness', 'identify', '2031-01-03'],
      ['awareness', 'loyalty', 'Order Completed', '2031-01-05'], // a later order: loyalty
    ]);
  });

  it("a journey's update step records its AIPL change in the history with the journey and step", async () => {
    const userId = newUser();
    await identify({ userId, traits: { aiplStage: 'awareness' }, timestamp: '2031-01-01T00:00:00Z' });
    const customerId = (await profileOf(`app_user:${userId}`)).id;
    const activities = createProfileActivities({ db: db.db, clock: () => NOW });
    await activities.applyProfileUpdate({
      customerId,
      aiplStage: 'interest',
      addTags: ['engaged'],
      reason: 'journey:nurture/mark-interest',
    });
    await activities.applyProfileUpdate({ customerId, aiplStage: 'interest', reason: 'journey:nurture/mark-interest' }); // same stage: no history
    const rows = await db.db.select().from(aiplHistory).where(eq(aiplHistory.customerId, customerId));
    expect(rows.map((r) => [r.fromStage, r.toStage, r.source, r.at.toISOString()]).sort()).toEqual([
      [null, 'awareness', 'identify', '2031-01-01T00:00:00.000Z'],
      ['awareness', 'interest', 'journey:nurture/mark-interest', NOW.toISOString()],
    ]);
    expect((await profileOf(`app_user:${userId}`)).tags).toEqual(['engaged']);
  });

  it('concurrent orders, registrations and readings of one customer all land (no deadlock, one purchase → loyalty history)', async () => {
    const userId = newUser();
    const serials = Array.from({ length: 4 }, (_, i) => `SN-${userId}-${i}`);
    const sent = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        track({
          userId,
          event: 'Order Completed',
          timestamp: `2031-01-0${i + 1}T00:00:00Z`,
          properties: { order_id: `C-${userId}-${i}`, products: [{ sku: 'WP-100' }] },
        }),
      ),
      ...serials.map((serial) => track({ userId, event: 'Device Registered', properties: { serial, sku: 'WP-100' } })),
      ...serials.map((serial) =>
        track({
          userId,
          event: 'Telemetry Reported',
          properties: { serial, metric: 'tds_ppm', value: 9, sku: 'WP-100' },
        }),
      ),
    ]);
    expect(sent.map((r) => r.status)).toEqual(sent.map(() => 200));
    const profile = await profileOf(`app_user:${userId}`);
    expect(profile.orders).toHaveLength(6);
    expect(
      profile.ownedProducts
        .filter((p) => p.serial !== null)
        .map((p) => p.serial)
        .sort(),
    ).toEqual(serials);
    expect(profile.ownedProducts.every((p) => p.serial === null || p.latestTelemetry.tds_ppm?.value === 9)).toBe(true);
    expect(profile.aiplHistory.map((h) => h.to)).toEqual(['purchase', 'loyalty']);
  });

  it('identify tags are added to those held; consent merges per channel and topic', async () => {
    const userId = newUser();
    await identify({
      userId,
      traits: { tags: ['a', 'b'], consent: { channels: { email: true }, topics: { promotions: true } } },
    });
    await identify({
      userId,
      traits: { tags: ['c'], consent: { channels: { sms: true }, topics: { promotions: false, service: true } } },
    });
    expect(await profileOf(`app_user:${userId}`)).toMatchObject({
      tags: ['a', 'b', 'c'],
      consent: { channels: { email: true, sms: true }, topics: { promotions: false, service: true } },
    });
  });
});

describe('invalid profile events', () => {
  it('an order with bad lines is 400 with the path of each problem, and stores nothing', async () => {
    const userId = newUser();
    const before = await rowCount(orders);
    const sent = await track({
      userId,
      event: 'Order Completed',
      properties: {
        total: 'lots',
        products: [{ sku: 'WP-100', quantity: 'two' }, { category: 'gift', quantity: 0 }, 'WP-200'],
      },
    });
    expect(sent.status).toBe(400);
    expect(sent.body.issues!.map((i) => i.path)).toEqual([
      '$.properties.order_id',
      '$.properties.total',
      '$.properties.products[0].quantity',
      '$.properties.products[1].quantity',
      '$.properties.products[1].sku',
      '$.properties.products[2]',
    ]);
    expect(await rowCount(orders)).toBe(before);
    expect((await call('GET', `/v1/customers?identity=app_user:${userId}`)).status).toBe(404);
  });

  it('in a batch, invalid profile events are rejected per item by path and the valid ones stored', async () => {
    const userId = newUser();
    const sent = await call<{ results: { index: number; status: string; errors?: Issue[] }[] }>(
      'POST',
      '/v1/batch',
      {
        batch: [
          {
            type: 'track',
            userId,
            event: 'Order Completed',
            properties: { order_id: `OK-${userId}`, products: [{ sku: 'WP-100' }] },
          },
          {
            type: 'track',
            userId,
            event: 'Telemetry Reported',
            properties: { serial: 'SN-1', metric: 'x', value: 'high', read_at: 'yesterday' },
          },
          {
            type: 'identify',
            userId,
            traits: {
              timezone: 'Mars/Olympus_Mons',
              locale: 'not a locale!',
              aiplStage: 'devotion',
              consent: { channels: { fax: true } },
              tags: 'vip',
            },
          },
          { type: 'track', userId, event: 'Product Disposed', properties: {} },
          { type: 'track', userId, event: 'Device Registered', properties: { sku: 'WP-100' } },
        ],
      },
      basic(),
    );
    expect(sent.status).toBe(200);
    expect(sent.body.results.map((r) => [r.status, r.errors?.map((e) => e.path)])).toEqual([
      ['accepted', undefined],
      ['rejected', ['$.batch[1].properties.value', '$.batch[1].properties.read_at']],
      [
        'rejected',
        [
          '$.batch[2].traits.timezone',
          '$.batch[2].traits.locale',
          '$.batch[2].traits.tags',
          '$.batch[2].traits.aiplStage',
          '$.batch[2].traits.consent.channels',
        ],
      ],
      ['rejected', ['$.batch[3].properties.serial']],
      ['rejected', ['$.batch[4].properties.serial']],
    ]);
    expect(sent.body.results[2]!.errors![0]!.message).toContain('IANA time zone');
    expect((await profileOf(`app_user:${userId}`)).orders.map((o) => o.externalId)).toEqual([`OK-${userId}`]);
  });

  it('random properties on the known events and random profile traits are answered 200 or 400, never 500', async () => {
    const names = [
      'Order Completed',
      'Product Installed',
      'Device Registered',
      'Telemetry Reported',
      'Product Disposed',
    ];
    const value = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 20 }),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    );
    const productKeys = fc.dictionary(fc.constantFrom('sku', 'product_id', 'category', 'quantity', 'price'), value, {
      maxKeys: 5,
    });
    const keys = [
      'order_id',
      'total',
      'revenue',
      'currency',
      'source',
      'serial',
      'sku',
      'metric',
      'value',
      'read_at',
      'installed_at',
      'disposed_at',
    ];
    const props = fc
      .record(
        { products: fc.oneof(value, fc.array(fc.oneof(productKeys, value), { maxLength: 3 })) },
        { requiredKeys: [] },
      )
      .chain((base) =>
        fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 }).map((rest) => ({ ...rest, ...base })),
      );
    const traits = fc.dictionary(
      fc.constantFrom('timezone', 'locale', 'tags', 'aiplStage', 'consent'),
      fc.oneof(value, fc.record({ channels: value, topics: value }, { requiredKeys: [] })),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), props, traits, async (event, properties, identifyTraits) => {
        const userId = newUser();
        const tracked = await track({ userId, event, properties });
        expect([200, 400], JSON.stringify(tracked.body)).toContain(tracked.status);
        const identified = await identify({ userId, traits: identifyTraits });
        expect([200, 400], JSON.stringify(identified.body)).toContain(identified.status);
      }),
      { numRuns: 80 },
    );
  });
});

// ---- customer API ----------------------------------------------------------------------------

describe('customer API', () => {
  it('finds a customer by every identity kind, normalised like ingest', async () => {
    const userId = newUser();
    const anonymousId = `anon-${randomUUID()}`;
    const serial = `SN-${randomUUID().slice(0, 8)}`;
    await identify({ userId, anonymousId, traits: { email: `${userId}@Example.COM`, phone: '+86 138-0013-8000' } });
    const id = (await profileOf(`app_user:${userId}`)).id;
    await track({ userId, event: 'Device Registered', properties: { serial, sku: 'WP-100' } });
    await db.db.insert(customerIdentities).values([
      { kind: 'marketplace', value: `tmall:${userId}`, customerId: id },
      { kind: 'wechat_openid', value: `o-${userId}`, customerId: id },
    ]);
    for (const identity of [
      `app_user:${userId}`,
      `anonymous:${anonymousId}`,
      `email:  ${userId.toUpperCase()}@example.com `,
      'phone:0086 (138) 0013 8000',
      `marketplace:tmall:${userId}`,
      `wechat_openid:o-${userId}`,
      `device_serial:${serial}`,
    ]) {
      expect((await profileOf(identity)).id, identity).toBe(id);
    }
    expect((await call('GET', '/v1/customers?identity=email:nobody@example.com')).status).toBe(404);
    const bad = await call<{ issues: Issue[] }>('GET', '/v1/customers?identity=fax:123');
    expect(bad).toMatchObject({
      status: 400,
      body: { issues: [{ path: '$.query.identity', message: expect.stringContaining('kind one of') }] },
    });
    expect((await call<{ issues: Issue[] }>('GET', '/v1/customers?identity=phone:12345')).body.issues).toEqual([
      { path: '$.query.identity', message: 'not a phone number in international format' },
    ]);
    expect((await call<{ issues: Issue[] }>('GET', '/v1/customers')).body.issues![0]!.path).toBe('$.query.identity');
  });

  it('PATCH changes tags, consent, time zone, locale and AIPL stage (history source "api"); bad values are 400 at their paths', async () => {
    const userId = newUser();
    await identify({ userId, traits: { tags: ['a', 'b'], timezone: 'Europe/Berlin' } });
    const id = (await profileOf(`app_user:${userId}`)).id;
    const patched = await call<{ customer: Profile }>('PATCH', `/v1/customers/${id}`, {
      addTags: ['c'],
      removeTags: ['a'],
      consent: { channels: { email: false } },
      timeZone: 'america/new_york',
      locale: 'en_us',
      aiplStage: 'interest',
    });
    expect(patched.status).toBe(200);
    expect(patched.body.customer).toMatchObject({
      tags: ['b', 'c'],
      consent: { channels: { email: false } },
      timeZone: 'America/New_York',
      locale: 'en-US',
      aiplStage: 'interest',
    });
    expect(patched.body.customer.aiplHistory).toEqual([
      { from: null, to: 'interest', source: 'api', at: NOW.toISOString() },
    ]);
    expect(
      (await call<{ customer: Profile }>('PATCH', `/v1/customers/${id}`, { tags: ['z'], timeZone: null })).body
        .customer,
    ).toMatchObject({ tags: ['z'], timeZone: null });

    const bad = await call<{ issues: Issue[] }>('PATCH', `/v1/customers/${id}`, {
      timeZone: 'GMT+8 Beijing',
      aiplStage: 'fan',
      consent: { channels: { email: 'yes' } },
      tags: [''],
      nickname: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path).sort()).toEqual([
      '$.body',
      '$.body.aiplStage',
      '$.body.consent.channels.email',
      '$.body.tags[0]',
      '$.body.timeZone',
    ]);
    expect((await call<{ issues: Issue[] }>('PATCH', `/v1/customers/${id}`, {})).body.issues).toEqual([
      { path: '$.body', message: expect.stringContaining('nothing to change') },
    ]);
    expect((await call('PATCH', `/v1/customers/${randomUUID()}`, { tags: [] })).status).toBe(404);
    expect((await call<{ issues: Issue[] }>('GET', '/v1/customers/not-a-uuid')).body.issues).toEqual([
      { path: '$.params.id', message: 'must be a customer id (uuid)' },
    ]);
    expect((await call('GET', `/v1/customers/${randomUUID()}`)).status).toBe(404);
  });

  it("pages a customer's events newest first with a cursor, and filters by name", async () => {
    const userId = newUser();
    for (let day = 1; day <= 5; day++)
      await track({ userId, event: day % 2 ? 'Odd Day' : 'Even Day', timestamp: `2031-01-0${day}T00:00:00Z` });
    const id = (await profileOf(`app_user:${userId}`)).id;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Sent<{ events: { occurredAt: string }[]; nextCursor: string | null }> = await call(
        'GET',
        `/v1/customers/${id}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((e) => e.occurredAt.slice(0, 10)));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['2031-01-05', '2031-01-04', '2031-01-03', '2031-01-02', '2031-01-01']);
    const even = await call<{ events: { name: string }[] }>('GET', `/v1/customers/${id}/events?name=Even%20Day`);
    expect(even.body.events.map((e) => e.name)).toEqual(['Even Day', 'Even Day']);
    expect(
      (await call<{ issues: Issue[] }>('GET', `/v1/customers/${id}/events?cursor=garbage&limit=0`)).body
        .issues!.map((i) => i.path)
        .sort(),
    ).toEqual(['$.query.cursor', '$.query.limit']);
  });

  it("shows each held device's predicted consumable depletion at the app clock, as the shared loader predicts it", async () => {
    const userId = newUser();
    await identify({ userId, traits: { name: 'Grace' } });
    const id = (await profileOf(`app_user:${userId}`)).id;
    const DAY = 86_400_000;
    const installedAt = new Date(NOW.getTime() - 20 * DAY);
    const [metered, rated, hood, gone] = await db.db
      .insert(ownedProducts)
      .values([
        { customerId: id, sku: 'WP-100', category: 'water-purifier', serial: `SN-M-${userId}`, installedAt },
        { customerId: id, sku: 'WP-200', category: 'water-purifier', serial: `SN-R-${userId}`, installedAt },
        { customerId: id, sku: 'RH-1', category: 'range-hood', installedAt },
        {
          customerId: id,
          sku: 'WP-200',
          category: 'water-purifier',
          installedAt,
          disposedAt: new Date(NOW.getTime() - DAY),
        },
      ])
      .returning({ id: ownedProducts.id });
    // 30 litres a day on a 3,000-litre filter: empty 100 days after installation, 80 days from now.
    await db.db.insert(telemetryReadings).values(
      Array.from({ length: 21 }, (_, d) => ({
        ownedProductId: metered!.id,
        metric: 'litres_filtered',
        value: d * 30,
        readAt: new Date(installedAt.getTime() + d * DAY),
      })),
    );

    const profile = await call<{ customer: Profile }>('GET', `/v1/customers/${id}`);
    expect(profile.status).toBe(200);
    const byId = new Map(profile.body.customer.ownedProducts.map((p) => [p.id, p.predictedDepletion]));
    expect(byId.get(metered!.id)).toMatchObject({
      consumable: { sku: 'FLT-100', name: 'RO filter' },
      cycleStartedAt: installedAt.toISOString(),
      readings: 21,
      depletesAt: new Date(installedAt.getTime() + 100 * DAY).toISOString(),
      daysLeft: 80,
      basis: 'telemetry',
      usagePerDay: 30,
    });
    // No readings: the rated life (180 days) decides, with less confidence.
    expect(byId.get(rated!.id)).toMatchObject({
      consumable: { sku: 'FLT-100' },
      readings: 0,
      depletesAt: new Date(installedAt.getTime() + 180 * DAY).toISOString(),
      daysLeft: 160,
      basis: 'rated-life',
    });
    expect(byId.get(rated!.id)!.confidence).toBeLessThan(byId.get(metered!.id)!.confidence);
    // Devices without a consumable, and disposed ones, have no prediction.
    expect(byId.get(hood!.id)).toBeNull();
    expect(byId.get(gone!.id)).toBeNull();
    // The same numbers as the loader the refill journey uses.
    for (const shared of await predictDeviceDepletion(db.db, { customerId: id }, NOW)) {
      expect(byId.get(shared.ownedProductId)).toMatchObject({
        depletesAt: shared.prediction.depletesAt,
        confidence: shared.prediction.confidence,
        basis: shared.prediction.basis,
      });
    }
    // Lookup by identity answers the same profile.
    expect((await profileOf(`app_user:${userId}`)).ownedProducts.map((p) => p.predictedDepletion)).toEqual(
      profile.body.customer.ownedProducts.map((p) => p.predictedDepletion),
    );
  });

  it('the new routes are in the OpenAPI document with the admin security', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>();
    for (const [path, method] of [
      ['/v1/customers', 'get'],
      ['/v1/customers/{id}', 'get'],
      ['/v1/customers/{id}', 'patch'],
      ['/v1/customers/{id}/events', 'get'],
      ['/v1/categories/{id}', 'put'],
      ['/v1/products/{sku}', 'put'],
      ['/v1/products/{sku}', 'delete'],
      ['/v1/products/{sku}/consumables', 'get'],
    ] as const) {
      expect(spec.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([{ adminKey: [] }]);
    }
  });
});
