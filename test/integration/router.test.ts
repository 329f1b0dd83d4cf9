/**
 * The event router against real Postgres, the dev server and a real worker: stored events start
 * enrollments, reach running ones that listen, and are otherwise just marked routed.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createEnroller } from '../../api/enroll';
import { createJourneyService } from '../../api/journeys';
import { customers, enrollments, events } from '../../drizzle/schema';
import { createEventRouter } from '../../worker/router';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from '../setup/harness';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let router: ReturnType<typeof createEventRouter>;
const started: string[] = [];

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  const taskQueue = uniqueTaskQueue('router');
  const enroller = createEnroller({ db: db.db, temporal: temporal.client, taskQueue, clock: () => new Date() });
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({ db: db.db, transports: {}, clock: () => new Date(), publicUrl: 'http://127.0.0.1', enroller }),
  });
  workerRunning = worker.run();
  router = createEventRouter({ db: db.db, temporal: temporal.client, enroller, batchSize: 50 });
  const service = createJourneyService({ db: db.db, temporal: temporal.client, taskQueue });
  await service.createDraft('phone-nurture', {
    name: 'Phone nurture',
    entry: { type: 'event', event: 'lead_captured', filter: [{ path: 'properties.category', op: 'eq', value: 'phone' }] },
    goals: [{ id: 'purchased', event: 'order_completed', matchEntry: ['properties.category'] }],
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 30 }, next: 'done' }, done: { type: 'exit' } },
  });
  await service.publish('phone-nurture');
});
afterAll(async () => {
  for (const id of started) await temporal.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await temporal?.close();
  await db?.close();
});

async function newCustomer(): Promise<string> {
  const [row] = await db.db.insert(customers).values({}).returning({ id: customers.id });
  return row!.id;
}

async function store(customerId: string, name: string, properties: Record<string, unknown> = {}) {
  await db.db.insert(events).values({ messageId: randomUUID(), customerId, name, properties, occurredAt: new Date() });
}

async function enrollmentOf(customerId: string, status?: string) {
  for (let i = 0; i < 300; i++) {
    const [row] = await db.db.select().from(enrollments).where(eq(enrollments.customerId, customerId));
    if (row && (!status || row.status === status)) {
      if (!started.includes(row.workflowId)) started.push(row.workflowId);
      return row;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${status ?? ''} enrollment for ${customerId}`);
}

const unrouted = () => db.db.select().from(events).where(isNull(events.routedAt));

describe('event router', () => {
  it('a matching entry event starts an enrollment; a purchase of the same category converts it at once', async () => {
    const customerId = await newCustomer();
    await store(customerId, 'lead_captured', { category: 'phone', store: 'Shanghai Nanjing Rd' });
    expect(await router.routeOnce()).toMatchObject({ ran: true, routed: 1, entered: 1, signalled: 0 });
    const active = await enrollmentOf(customerId, 'active');
    expect(active.currentStep).toBe('wait');

    await store(customerId, 'page_viewed', { path: '/phones' });
    expect(await router.routeOnce()).toMatchObject({ routed: 1, entered: 0, signalled: 0 }); // nobody listens to page views
    await store(customerId, 'order_completed', { category: 'phone' });
    expect(await router.routeOnce()).toMatchObject({ routed: 1, entered: 0, signalled: 1 });
    const converted = await enrollmentOf(customerId, 'converted');
    expect(converted.exitReason).toBe('goal:purchased');
    expect(await unrouted()).toEqual([]);
  });

  it('an entry event whose filter does not match is routed without starting anything', async () => {
    const customerId = await newCustomer();
    await store(customerId, 'lead_captured', { category: 'tv' });
    expect(await router.routeOnce()).toMatchObject({ routed: 1, entered: 0, signalled: 0 });
    expect(await db.db.select().from(enrollments).where(eq(enrollments.customerId, customerId))).toEqual([]);
  });

  it('events stored while no router ran are delivered later, in order: entry, then the goal', async () => {
    const customerId = await newCustomer();
    await store(customerId, 'lead_captured', { category: 'phone' });
    await store(customerId, 'order_completed', { category: 'phone' });
    expect((await unrouted()).length).toBe(2);
    const result = await router.routeOnce();
    expect(result).toMatchObject({ routed: 2, entered: 1 });
    const row = await enrollmentOf(customerId, 'converted');
    expect(row.exitReason).toBe('goal:purchased');
  });

  it('only one router works at a time: a second concurrent batch does nothing', async () => {
    const customerId = await newCustomer();
    for (let i = 0; i < 5; i++) await store(customerId, 'page_viewed', { i });
    const [a, b] = await Promise.all([router.routeOnce(), router.routeOnce()]);
    expect([a.ran, b.ran].sort()).toEqual([false, true]);
    expect(a.routed + b.routed).toBe(5);
    expect(await db.db.select().from(events).where(and(eq(events.customerId, customerId), isNull(events.routedAt)))).toEqual([]);
  });
});
