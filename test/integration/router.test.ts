/**
 * The event router against real Postgres, the dev server and a real worker: stored events start
 * enrollments, reach running ones that listen, and are otherwise just marked routed.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createEnroller, type Enroller } from '../../services/journeys/enroll';
import { createJourneyService } from '../../services/journeys/lifecycle';
import { customers, enrollments, events } from '../../drizzle/schema';
import { createEventRouter } from '../../worker/router';
import { connectDevServer, createTestDatabase, createTestWorker, eventually, uniqueTaskQueue } from '../setup/harness';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let router: ReturnType<typeof createEventRouter>;
let enroller: Enroller;
let activities: ReturnType<typeof createActivities>;
const started: string[] = [];

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  const taskQueue = uniqueTaskQueue('router');
  enroller = createEnroller({ db: db.db, temporal: temporal.client, taskQueue, clock: () => new Date() });
  activities = createActivities({
    db: db.db,
    transports: {},
    clock: () => new Date(),
    publicUrl: 'http://127.0.0.1',
    enroller,
  });
  worker = await createTestWorker({ connection: temporal.native, taskQueue, activities });
  workerRunning = worker.run();
  router = createEventRouter({ db: db.db, temporal: temporal.client, enroller, batchSize: 50 });
  const service = createJourneyService({ db: db.db, temporal: temporal.client, taskQueue });
  await service.createDraft('phone-nurture', {
    name: 'Phone nurture',
    entry: {
      type: 'event',
      event: 'lead_captured',
      filter: [{ path: 'properties.category', op: 'eq', value: 'phone' }],
    },
    goals: [{ id: 'purchased', event: 'order_completed', matchEntry: ['properties.category'] }],
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 30 }, next: 'done' }, done: { type: 'exit' } },
  });
  await service.publish('phone-nurture');
});
afterAll(async () => {
  for (const id of started)
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
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
    expect(
      await db.db
        .select()
        .from(events)
        .where(and(eq(events.customerId, customerId), isNull(events.routedAt))),
    ).toEqual([]);
  });

  it('a batch held open by slow Temporal calls holds up no profile write of its customers, even more of them than the pool has connections', async () => {
    // The stall the fault runs saw: sends and profile updates locked the customer `for update`,
    // queued behind the batch's `for key share`, each holding a pool connection, until the batch
    // itself waited for a connection and nothing moved.
    const [first, second] = [await newCustomer(), await newCustomer()];
    await store(first, 'lead_captured', { category: 'phone' });
    await store(second, 'lead_captured', { category: 'phone' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entering!: () => void;
    const inBatch = new Promise<void>((resolve) => (entering = resolve));
    const slow: Enroller = {
      enter: async (request) => {
        entering();
        await gate;
        return enroller.enter(request);
      },
    };
    const routing = createEventRouter({
      db: db.db,
      temporal: temporal.client,
      enroller: slow,
      batchSize: 50,
    }).routeOnce();
    await inBatch; // the batch holds both customers' rows and waits in its first Temporal call
    const updates = Array.from({ length: 8 }, (_, i) =>
      activities.applyProfileUpdate({
        customerId: i % 2 ? first : second,
        traits: { [`seen${i}`]: true },
        reason: 'test',
      }),
    );
    const outcome = await Promise.race([
      Promise.all(updates).then(() => 'written'),
      new Promise((r) => setTimeout(r, 15_000, 'blocked')),
    ]);
    release();
    expect(outcome).toBe('written');
    expect(await routing).toMatchObject({ ran: true, routed: 2, entered: 2 });
    const [profile] = await db.db.select({ traits: customers.traits }).from(customers).where(eq(customers.id, first));
    expect(profile!.traits).toMatchObject({ seen1: true, seen3: true, seen5: true, seen7: true });
    await enrollmentOf(first, 'active');
    await enrollmentOf(second, 'active');
  });

  it('a batch stops taking events after maxBatchMs and says more are left; the rest follow in order', async () => {
    const ids = [await newCustomer(), await newCustomer(), await newCustomer()];
    for (const id of ids) await store(id, 'lead_captured', { category: 'phone' });
    const slow: Enroller = {
      enter: async (request) => (await new Promise((r) => setTimeout(r, 50)), enroller.enter(request)),
    };
    const bounded = createEventRouter({
      db: db.db,
      temporal: temporal.client,
      enroller: slow,
      batchSize: 50,
      maxBatchMs: 1,
    });
    expect(await bounded.routeOnce()).toMatchObject({ ran: true, routed: 1, entered: 1, more: true });
    expect((await unrouted()).map((e) => e.customerId).sort()).toEqual(ids.slice(1).sort()); // the oldest went first
    expect(await bounded.routeOnce()).toMatchObject({ routed: 1, more: true });
    expect(await bounded.routeOnce()).toMatchObject({ routed: 1, more: false });
    expect(await bounded.routeOnce()).toMatchObject({ ran: true, routed: 0, more: false });
    for (const id of ids) await enrollmentOf(id, 'active');
  });

  it('a running router retries a failed batch on its own and then routes it', async () => {
    const customerId = await newCustomer();
    await store(customerId, 'lead_captured', { category: 'phone' });
    let failures = 0;
    const flaky: Enroller = {
      enter: async (request) => {
        if (failures++ === 0) throw new Error('Temporal away');
        return enroller.enter(request);
      },
    };
    const errors: unknown[] = [];
    const began = Date.now();
    const stop = createEventRouter({ db: db.db, temporal: temporal.client, enroller: flaky, batchSize: 50 }).start({
      idleMs: 50,
      onError: (error) => errors.push(error),
    });
    try {
      await enrollmentOf(customerId, 'active');
      await eventually('the event marked routed', async () => ((await unrouted()).length === 0 ? true : undefined));
    } finally {
      await stop();
    }
    expect(errors).toHaveLength(1);
    expect(Date.now() - began).toBeLessThan(20_000);
  });
});
