/**
 * The new waits outside the engine's own tests: the simulator predicts depletion from scripted
 * telemetry (rated life from the catalog as fallback), and the journeys API rejects bad depletion
 * and yearly fields with 400 naming their JSON paths.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { consumableCompatibility, products } from '../../drizzle/schema';
import type { JourneyDefinitionInput } from '../../domain/journey/definition';
import { addCivilDays, fromLocal, toLocal } from '../../domain/time';
import { consumableRefill } from '../../library/journeys/consumable-refill';
import { maintenanceService } from '../../library/journeys/maintenance-service';
import { createSimulator } from '../../simulation/simulate';
import { installLibraryJourney } from '../fixtures/library';
import { define } from '../fixtures/journeys';
import { connectDevServer, createTestDatabase, uniqueTaskQueue, workflowBundle } from '../setup/harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ZONE = 'Asia/Shanghai';
const ADMIN_KEY = 'library-simulation-admin-key-0123456789';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  await db.db.insert(products).values([
    { sku: 'WP-500', name: 'RO purifier 500', category: 'water-purifier', kind: 'device' },
    {
      sku: 'WF-500',
      name: 'RO filter 500',
      category: 'water-filter',
      kind: 'consumable',
      ratedLifeDays: 180,
      ratedUsage: 3000,
      usageMetric: 'litres_filtered',
    },
  ]);
  await db.db.insert(consumableCompatibility).values({ consumableSku: 'WF-500', deviceSku: 'WP-500' });
  await installLibraryJourney(db.db, consumableRefill);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('library-api'),
    adminApiKey: ADMIN_KEY,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

const localText = (iso: string) => {
  const l = toLocal(new Date(iso), ZONE);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${pad(l.month)}-${pad(l.day)} ${pad(l.hour)}:${pad(l.minute)}`;
};

describe('simulating the refill journey', () => {
  it('dates the reminder from scripted telemetry, follows up, restarts the cycle on purchase and exits on disposal', async () => {
    const simulate = createSimulator({
      db: db.db,
      testServer: async () => inject('testServerExecutable'),
      workflowBundle: async () => workflowBundle(),
    });
    const t0 = fromLocal(
      { ...addCivilDays(toLocal(new Date(), ZONE), 2), hour: 8, minute: 0, second: 0, millisecond: 0 },
      ZONE,
    );
    const day = (n: number, hour = 8) => new Date(t0.getTime() + n * DAY + (hour - 8) * HOUR);
    const reading = (n: number, value: number) => ({
      afterMs: n * DAY,
      name: 'Telemetry Reported',
      properties: { serial: 'SIM-1', metric: 'litres_filtered', value, read_at: day(n).toISOString() },
    });
    const result = await simulate({
      journey: { id: consumableRefill.id, version: 0, definition: define(consumableRefill.definition) },
      customer: {
        customerId: randomUUID(),
        traits: {},
        tags: [],
        aiplStage: null,
        timeZone: ZONE,
        locale: 'zh-CN',
        consent: { channels: { email: true }, topics: {} },
        ownedProducts: [{ sku: 'WP-500', category: 'water-purifier' }],
        eventCounts: {},
      },
      entryProperties: { serial: 'SIM-1', sku: 'WP-500', category: 'water-purifier' },
      events: [
        reading(0, 0),
        reading(10, 300),
        reading(20, 600),
        reading(30, 900),
        { afterMs: 105 * DAY, name: 'Order Completed', properties: { order_id: 'F-1', products: [{ sku: 'WF-500' }] } },
        { afterMs: 280 * DAY, name: 'Product Disposed', properties: { serial: 'SIM-1' } },
      ],
      startAt: t0.toISOString(),
      horizonDays: 400,
    });
    // 30 L a day on 3,000 L: empty on day 100 → reminder day 86, follow-up day 100; bought on day 105 → rated life → day 271.
    expect(result.messages.filter((m) => m.status === 'would-send').map((m) => [m.step, localText(m.at)])).toEqual([
      ['reminder', localText(day(86, 10).toISOString())],
      ['follow_up', localText(day(100, 10).toISOString())],
      ['reminder', localText(day(105 + 180 - 14, 10).toISOString())],
    ]);
    expect(result.messages[0]!.subject).toBe('您的滤芯大约两周后需要更换');
    expect(result.outcome).toEqual({ status: 'exited', reason: 'exit:device-disposed' });
  });
});

describe('PUT /v1/journeys/:id with bad new wait fields', () => {
  const put = async (definition: unknown) => {
    const response = await app.inject({
      method: 'PUT',
      url: `/v1/journeys/lib-${randomUUID().slice(0, 8)}`,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: definition as object,
    });
    return { status: response.statusCode, body: response.json<{ issues: { path: string; message: string }[] }>() };
  };
  const withStep = (entry: { definition: JourneyDefinitionInput }, id: string, change: Record<string, unknown>) => ({
    ...entry.definition,
    steps: { ...entry.definition.steps, [id]: { ...entry.definition.steps[id], ...change } },
  });

  it('400: depletion days given as text', async () => {
    const sent = await put(withStep(consumableRefill, 'until_low', { depletion: { daysBefore: 'two weeks' } }));
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toContainEqual({
      path: '$.steps.until_low.depletion.daysBefore',
      message: expect.stringContaining('expected number'),
    });
  });

  it('400: a yearly date that never happens', async () => {
    const sent = await put(
      withStep(maintenanceService, 'until_season', { yearly: { month: 4, day: 31, at: '09:30' } }),
    );
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toContainEqual({
      path: '$.steps.until_season.yearly.day',
      message: 'month 4 never has a day 31',
    });
  });

  it('400: onNewCycle on a plain wait', async () => {
    const sent = await put(withStep(consumableRefill, 'refilled', { onNewCycle: 'until_low' }));
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toContainEqual({
      path: '$.steps.refilled.onNewCycle',
      message: 'onNewCycle belongs to a depletion wait',
    });
  });
});
