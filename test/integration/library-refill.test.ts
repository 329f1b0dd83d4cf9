/**
 * The consumable-refill library journey over its real horizon on the time-skipping server: the real
 * enrollment workflow, real activities (prediction, ledger, rendering) on Postgres, events delivered
 * by the real router and enroller. Two refill cycles with dated reminders and follow-up; telemetry
 * mid-way moves the reminder; buying the consumable ends a cycle's reminders and starts the next;
 * one enrollment per device.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createEnroller, enrollmentKeyFor } from '../../services/journeys/enroll';
import {
  consumableCompatibility,
  enrollments,
  events,
  messages,
  orderLines,
  orders,
  ownedProducts,
  products,
  telemetryReadings,
} from '../../drizzle/schema';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { addCivilDays, fromLocal, toLocal } from '../../domain/time';
import { consumableRefill } from '../../library/journeys/consumable-refill';
import { createEventRouter } from '../../worker/router';
import { type enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId, statusQuery } from '../../workflows/contracts/enrollment';
import { emailCustomer, installLibraryJourney, recordingTransport, serverNow, untilIdle } from '../fixtures/library';
import { saveHistoryIfRecording } from '../setup/histories';
import {
  createTestDatabase,
  createTestWorker,
  createTimeSkippingEnv,
  eventually,
  uniqueTaskQueue,
} from '../setup/harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ZONE = 'Asia/Shanghai';
const JOURNEY = consumableRefill.id;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let definition: JourneyDefinition;

beforeAll(async () => {
  db = await createTestDatabase();
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
    { sku: 'AP-300', name: 'Air purifier 300', category: 'air-purifier', kind: 'device' },
    { sku: 'AF-300', name: 'HEPA filter 300', category: 'air-filter', kind: 'consumable', ratedLifeDays: 365 },
  ]);
  await db.db.insert(consumableCompatibility).values([
    { consumableSku: 'WF-500', deviceSku: 'WP-500' },
    { consumableSku: 'AF-300', deviceSku: 'AP-300' },
  ]);
  definition = await installLibraryJourney(db.db, consumableRefill);
});
afterAll(async () => db?.close());

const within = (actual: Date | string, expected: Date, ms = 60_000) =>
  Math.abs(new Date(actual).getTime() - expected.getTime()) < ms;

describe('consumable refill over two cycles', () => {
  it('reminds 14 days before predicted depletion, moves with telemetry, follows up, restarts on purchase, one enrollment per device', async () => {
    const env: TestWorkflowEnvironment = await createTimeSkippingEnv();
    try {
      // Installed at 08:00 Shanghai, two days from now: every date below is a whole number of days later.
      const start = new Date(await env.currentTimeMs());
      const t0 = fromLocal(
        { ...addCivilDays(toLocal(start, ZONE), 2), hour: 8, minute: 0, second: 0, millisecond: 0 },
        ZONE,
      );
      const day = (n: number, hour = 8) => new Date(t0.getTime() + n * DAY + (hour - 8) * HOUR);
      // Set once both enrollments exist: from then on, time is skipped only when nothing is in flight.
      let enrolled = false;
      const skipTo = async (at: Date) => {
        if (enrolled) await untilIdle([a, b]);
        const now = await env.currentTimeMs();
        if (at.getTime() > now) await env.sleep(at.getTime() - now);
      };
      await skipTo(t0);

      const customer = await emailCustomer(db.db, { timeZone: ZONE, locale: 'zh-CN' });
      const [purifier] = await db.db
        .insert(ownedProducts)
        .values({ customerId: customer.id, sku: 'WP-500', category: 'water-purifier', serial: 'SN-A', installedAt: t0 })
        .returning();
      await db.db
        .insert(ownedProducts)
        .values({ customerId: customer.id, sku: 'AP-300', category: 'air-purifier', serial: 'SN-B', installedAt: t0 });

      const taskQueue = uniqueTaskQueue('refill');
      const transport = recordingTransport();
      const worker = await createTestWorker({
        connection: env.nativeConnection,
        taskQueue,
        activities: createActivities({
          db: db.db,
          transports: { email: transport },
          clock: serverNow,
          publicUrl: 'https://go.brand.example',
          messaging: { linkSecret: 'refill-test-link-secret-0123456789abcdef' },
        }),
      });
      const enroller = createEnroller({ db: db.db, temporal: env.client, taskQueue, clock: () => new Date() });
      const router = createEventRouter({ db: db.db, temporal: env.client, enroller });
      let sequence = 0;
      const emit = async (name: string, properties: Record<string, unknown>, at: Date) => {
        await db.db.insert(events).values({
          messageId: `refill-${++sequence}`,
          customerId: customer.id,
          name,
          properties,
          occurredAt: at,
          receivedAt: new Date(),
        });
        await router.routeOnce();
        if (enrolled) await untilIdle([a, b]); // the signals handled before any time is skipped
      };
      const readings = (values: [number, number][]) =>
        db.db.insert(telemetryReadings).values(
          values.map(([n, value]) => ({
            ownedProductId: purifier!.id,
            metric: 'litres_filtered',
            value,
            readAt: day(n),
          })),
        );
      const buyFilter = async (n: number) => {
        const [order] = await db.db
          .insert(orders)
          .values({ customerId: customer.id, externalId: `F-${n}`, orderedAt: day(n) })
          .returning();
        await db.db
          .insert(orderLines)
          .values({ orderId: order!.id, lineNo: 1, sku: 'WF-500', category: 'water-filter' });
        await emit('Order Completed', { order_id: `F-${n}`, products: [{ sku: 'WF-500', quantity: 1 }] }, day(n));
      };
      const install = (serial: string, sku: string) => ({
        serial,
        sku,
        category: sku === 'WP-500' ? 'water-purifier' : 'air-purifier',
      });
      const handleOf = (serial: string, sku: string) =>
        env.client.workflow.getHandle<typeof enrollmentWorkflow>(
          enrollmentWorkflowId(
            JOURNEY,
            customer.id,
            enrollmentKeyFor(definition, {
              id: 'x',
              name: 'Product Installed',
              properties: install(serial, sku),
              timestamp: '',
            })!,
          ),
        );
      const a = handleOf('SN-A', 'WP-500');
      const b = handleOf('SN-B', 'AP-300');
      const wakesAt = (handle: typeof a, expected: Date, what: string) =>
        eventually(
          what,
          async () => ((await handle.query(statusQuery)).nextWakeAt === expected.toISOString() ? true : undefined),
          60_000,
        );

      let burstEvents = 0;
      await worker.runUntil(async () => {
        // Two devices → two enrollments; the same installation reported again → still one.
        await emit('Product Installed', install('SN-A', 'WP-500'), t0);
        await emit('Product Installed', install('SN-B', 'AP-300'), t0);
        await emit('Product Installed', install('SN-A', 'WP-500'), t0);
        // No telemetry yet: rated life (180 days) → reminder wait until day 166, 08:00.
        await wakesAt(a, day(166), 'the rated-life reminder date');
        await wakesAt(b, day(365 - 14), "the air purifier's own reminder date");
        enrolled = true;
        const rows = await db.db.select().from(enrollments).where(eq(enrollments.journeyId, JOURNEY));
        expect(new Set(rows.map((r) => r.workflowId))).toEqual(new Set([a.workflowId, b.workflowId]));

        // Day 30: 30 L a day on a 3,000 L filter → runs out on day 100; the reminder moves to day 86.
        await skipTo(day(30, 9));
        await readings([
          [0, 0],
          [10, 300],
          [20, 600],
          [30, 900],
        ]);
        await emit('Telemetry Reported', { serial: 'SN-A', metric: 'litres_filtered', value: 900 }, day(30));
        await skipTo(day(30, 11));
        await wakesAt(a, day(86), 'the reminder moved earlier by telemetry');

        // A burst of ten readings at the same rate: one recompute, same date; the other device is not moved.
        const before = (await a.fetchHistory()).events?.length ?? 0;
        await skipTo(day(40, 9));
        await readings(Array.from({ length: 10 }, (_, i) => [31 + i, 930 + i * 30] as [number, number]));
        for (let i = 0; i < 10; i++)
          await emit(
            'Telemetry Reported',
            { serial: 'SN-A', metric: 'litres_filtered', value: 930 + i * 30 },
            day(31 + i),
          );
        await skipTo(day(40, 11));
        await wakesAt(a, day(86), 'the same reminder date after the burst');
        burstEvents = ((await a.fetchHistory()).events?.length ?? 0) - before;
        // Ten signals (signal + 3 task events each) and one recompute (≈ 15): 40–55 measured. Ten recomputes would be > 150.
        expect(burstEvents).toBeLessThan(100);
        await wakesAt(b, day(365 - 14), 'the air purifier unmoved by the other device');

        // Cycle 1: reminder day 86 10:00 local, follow-up on the predicted day (100) 10:00; the filter is bought on day 105.
        await skipTo(day(105));
        await buyFilter(105);
        // The purchase starts cycle 2: rated life from day 105 → reminder wait until day 271.
        await skipTo(day(106, 10));
        await wakesAt(a, day(105 + 180 - 14), 'the second cycle from the purchase');

        // Cycle 2 telemetry: 40 L a day from day 105 → runs out on day 180; the reminder moves to day 166.
        await skipTo(day(125, 9));
        await readings([
          [105, 3150],
          [115, 3550],
          [125, 3950],
        ]);
        await emit('Telemetry Reported', { serial: 'SN-A', metric: 'litres_filtered', value: 3950 }, day(125));
        await skipTo(day(125, 11));
        await wakesAt(a, day(166), 'the second reminder moved by telemetry');

        // Reminder day 166; bought on day 170, before the follow-up: no follow-up, cycle 3 begins.
        await skipTo(day(170));
        await buyFilter(170);
        await skipTo(day(171, 12));
        await wakesAt(a, day(170 + 180 - 14), 'the third cycle from the second purchase');

        // The purifier is disposed of: its enrollment exits; the air purifier's runs on.
        await skipTo(day(200));
        await db.db
          .update(ownedProducts)
          .set({ disposedAt: day(200) })
          .where(eq(ownedProducts.id, purifier!.id));
        await emit('Product Disposed', { serial: 'SN-A' }, day(200));
        expect(await a.result()).toMatchObject({ status: 'exited', reason: 'exit:device-disposed' });
        await saveHistoryIfRecording('refill-two-cycles', a);
        expect((await b.query(statusQuery)).exit).toBeUndefined();
      });

      const statusA = await db.db.select().from(enrollments).where(eq(enrollments.workflowId, a.workflowId));
      const sent = await db.db
        .select()
        .from(messages)
        .where(and(eq(messages.enrollmentId, statusA[0]!.id)))
        .orderBy(asc(messages.createdAt));
      expect(sent.map((m) => [m.stepId, m.status])).toEqual([
        ['reminder', 'sent'],
        ['follow_up', 'sent'],
        ['reminder', 'sent'],
      ]);
      expect(within(sent[0]!.createdAt, day(86, 10))).toBe(true);
      expect(within(sent[1]!.createdAt, day(100, 10))).toBe(true);
      expect(within(sent[2]!.createdAt, day(166, 10))).toBe(true);
      expect(transport.sent.map((m) => m.subject)).toEqual([
        '您的滤芯大约两周后需要更换',
        '滤芯今天到期，记得更换哦',
        '您的滤芯大约两周后需要更换',
      ]);

      const history = (await a.fetchHistory()).events?.length ?? 0;
      console.log(
        `refill enrollment: ${history} history events over 2 cycles + start of a 3rd (${sequence} events routed, burst of 10 readings: ${burstEvents} events)`,
      );
      expect(history).toBeLessThan(500);
      await b.terminate('test over');
    } finally {
      await env.teardown();
    }
  });
});
