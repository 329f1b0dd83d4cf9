/**
 * `date` entries: the per-journey date-entry workflow enters customers at the entry's local time
 * on the day their date attribute + offset falls, on the time-skipping server with real Postgres.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createEnroller } from '../../services/journeys/enroll';
import { createJourneyService } from '../../services/journeys/lifecycle';
import { customers, enrollments, ownedProducts } from '../../drizzle/schema';
import type { JourneyDefinitionInput } from '../../domain/journey/definition';
import { addCivilDays, formatCivilDate, toLocal } from '../../domain/time';
import { dateEntryWorkflowId } from '../../workflows/contracts/date-entry';
import { createTestDatabase, createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';

const DAY = 86_400_000;
const ZONE = 'Asia/Shanghai';
let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Worker;
let workerRunning: Promise<void>;
let taskQueue: string;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  taskQueue = uniqueTaskQueue('date-entry');
  const enroller = createEnroller({ db: db.db, temporal: env.client, taskQueue, clock: () => new Date() });
  worker = await createTestWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: createActivities({
      db: db.db,
      transports: {},
      clock: () => new Date(),
      publicUrl: 'http://127.0.0.1',
      enroller,
    }),
  });
  workerRunning = worker.run();
});
afterEach(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await env?.teardown();
});

/** Local calendar day in the brand zone, `days` after the server's today. */
async function localDay(days: number): Promise<string> {
  return formatCivilDate(addCivilDays(toLocal(new Date(await env.currentTimeMs()), ZONE), days));
}

async function publish(journeyId: string, definition: JourneyDefinitionInput) {
  const service = createJourneyService({ db: db.db, temporal: env.client, taskQueue });
  await service.createDraft(journeyId, definition);
  await service.publish(journeyId);
  // Skip time only once the date-entry workflow sleeps (the test server breaks tasks in flight).
  const handle = env.client.workflow.getHandle(dateEntryWorkflowId(journeyId));
  for (let i = 0; i < 300; i++) {
    const history = await handle.fetchHistory();
    if (history.events?.some((e) => e.timerStartedEventAttributes)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the date-entry workflow never went to sleep');
}

async function rowsOf(journeyId: string) {
  return db.db.select().from(enrollments).where(eq(enrollments.journeyId, journeyId));
}

async function waitForRows(journeyId: string, count: number) {
  for (let i = 0; i < 300; i++) {
    const rows = await rowsOf(journeyId);
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
  return rowsOf(journeyId);
}

const longWait = {
  wait: { type: 'wait' as const, duration: { days: 90 }, next: 'done' },
  done: { type: 'exit' as const },
};

describe('date entry', () => {
  it('enters a customer at 09:00 local on the day 30 days before their warranty ends, and no one else', async () => {
    const journeyId = `warranty-${randomUUID().slice(0, 8)}`;
    const dueDay = await localDay(3);
    const [due] = await db.db
      .insert(customers)
      .values({ traits: { warrantyEndsAt: await localDay(33) } })
      .returning();
    await db.db.insert(customers).values({ traits: { warrantyEndsAt: await localDay(50) } });
    await db.db.insert(customers).values({ traits: { warrantyEndsAt: 'not a date' } });
    await publish(journeyId, {
      name: 'Warranty ends in 30 days',
      entry: { type: 'date', attribute: 'traits.warrantyEndsAt', offset: { days: -30 }, at: '09:00' },
      settings: { timeZone: ZONE },
      start: 'wait',
      steps: longWait,
    });

    await env.sleep(4 * DAY);
    const rows = await waitForRows(journeyId, 1);
    expect(rows.map((r) => r.customerId)).toEqual([due!.id]);
    const local = toLocal(rows[0]!.enteredAt, ZONE);
    expect(formatCivilDate(local)).toBe(dueDay);
    expect([local.hour, local.minute]).toEqual([9, 0]);
  });

  it('enters once per owned product whose warranty ends in 7 days (concurrency key per product)', async () => {
    const journeyId = `product-${randomUUID().slice(0, 8)}`;
    const [owner] = await db.db.insert(customers).values({}).returning();
    const ends = new Date((await env.currentTimeMs()) + 9 * DAY);
    await db.db.insert(ownedProducts).values([
      { customerId: owner!.id, sku: 'AC-1', category: 'air-conditioner', warrantyEndsAt: ends },
      { customerId: owner!.id, sku: 'WP-2', category: 'water-purifier', warrantyEndsAt: ends },
      { customerId: owner!.id, sku: 'OLD', category: 'fridge', warrantyEndsAt: ends, disposedAt: new Date() },
    ]);
    await publish(journeyId, {
      name: 'Extended warranty offer',
      entry: { type: 'date', attribute: 'products.warrantyEndsAt', offset: { days: -7 } },
      concurrencyKey: ['properties.productId'],
      settings: { timeZone: ZONE },
      start: 'wait',
      steps: longWait,
    });

    await env.sleep(4 * DAY);
    const rows = await waitForRows(journeyId, 2);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.enrollmentKey)).size).toBe(2);
    expect(rows.every((r) => r.customerId === owner!.id && r.status === 'active')).toBe(true);
  });
});
