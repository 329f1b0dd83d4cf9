/**
 * `npm start`'s demo data (scripts/demo-data.ts): the generated brand, every library journey
 * installed, live events on the normal ingest path that the router turns into enrollments; and a
 * second run that adds nothing. Real Postgres, the dev server, a real worker.
 */
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createEnroller } from '../../services/journeys/enroll';
import { customerIdentities, customers, enrollments, events, journeys, journeyVersions } from '../../drizzle/schema';
import { library } from '../../library';
import { DEMO_CUSTOMERS, seedDemo } from '../../scripts/demo-data';
import { createEventRouter } from '../../worker/router';
import { connectDevServer, createTestDatabase, createTestWorker, eventually, uniqueTaskQueue } from '../setup/harness';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let taskQueue: string;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  taskQueue = uniqueTaskQueue('demo-data');
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({ db: db.db, transports: {}, clock: () => new Date(), publicUrl: 'http://127.0.0.1' }),
  });
  workerRunning = worker.run();
});

afterAll(async () => {
  if (temporal && db) {
    const started = await db.db.select({ workflowId: enrollments.workflowId }).from(enrollments);
    await Promise.all(
      started.map(({ workflowId }) =>
        temporal.client.workflow
          .getHandle(workflowId)
          .terminate('demo-data.test.ts cleanup')
          .catch(() => undefined),
      ),
    );
  }
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await temporal?.close();
  await db?.close();
});

async function routeAll() {
  const router = createEventRouter({
    db: db.db,
    temporal: temporal.client,
    enroller: createEnroller({ db: db.db, temporal: temporal.client, taskQueue, clock: () => new Date() }),
  });
  let entered = 0;
  for (;;) {
    const result = await router.routeOnce();
    entered += result.entered;
    if (result.routed === 0) return entered;
  }
}

describe('npm start demo data', () => {
  it('generates the brand, installs every library journey, and live events enrol demo customers; a second run adds nothing', async () => {
    const lines: string[] = [];
    const first = await seedDemo({ db: db.db, temporal: temporal.client, taskQueue, log: (line) => lines.push(line) });
    expect(first.generated).toBe(true);
    expect(first.customers).toBe(DEMO_CUSTOMERS);
    expect(lines).toContain(`generating the demo brand: ${DEMO_CUSTOMERS}/${DEMO_CUSTOMERS} customers`);
    // Every registry entry installed: one journey per category for the per-category entries.
    for (const entry of library)
      expect(first.journeys.some((j) => j.id === entry.id || j.id.startsWith(`${entry.id}-`))).toBe(true);
    expect(first.journeys.every((j) => j.published && j.version === 1)).toBe(true);
    const published = await db.db.select().from(journeys).where(eq(journeys.status, 'published'));
    expect(published.length).toBe(first.journeys.length);
    expect(first.liveEvents.accepted).toBeGreaterThan(10);

    const entered = await routeAll();
    expect(entered).toBeGreaterThan(10);
    const rows = await eventually(
      'enrollments mirrored with a conversion',
      async () => {
        const all = await db.db.select().from(enrollments);
        return all.length >= entered && all.some((e) => e.status === 'converted') ? all : undefined;
      },
      60_000,
    );
    const byJourney = new Set(rows.map((r) => r.journeyId));
    expect([...byJourney].some((id) => id.startsWith('lead-nurture-'))).toBe(true);
    expect([...byJourney].some((id) => id.startsWith('warranty-upsell-'))).toBe(true);
    for (const id of ['consumable-refill', 'maintenance-service', 'cross-category-recommendation'])
      expect(byJourney.has(id), id).toBe(true);
    expect(rows.filter((r) => r.status === 'converted').map((r) => r.journeyId)).toEqual(['lead-nurture-phone']);

    // Again: no new customers, versions, events or enrollments.
    const counts = async () => ({
      customers: (await db.db.select({ id: customers.id }).from(customers)).length,
      demoIdentities: (
        await db.db
          .select({ id: customerIdentities.customerId })
          .from(customerIdentities)
          .where(like(customerIdentities.value, '%@demo.perennial.dev'))
      ).length,
      versions: (await db.db.select({ v: journeyVersions.version }).from(journeyVersions)).length,
      events: (await db.db.select({ id: events.id }).from(events)).length,
    });
    const before = await counts();
    const second = await seedDemo({ db: db.db, temporal: temporal.client, taskQueue });
    expect(second.generated).toBe(false);
    expect(second.journeys.every((j) => !j.published && j.version === 1)).toBe(true);
    expect(second.liveEvents).toEqual({ accepted: 0, duplicate: first.liveEvents.accepted });
    expect(await counts()).toEqual(before);
    expect(await routeAll()).toBe(0);
    expect((await db.db.select().from(enrollments)).length).toBe(rows.length);
  }, 180_000);
});
