/**
 * Entering journeys for real: the enroller (re-entry policy, concurrency keys, signalWithStart) over
 * the enrollments mirror in Postgres, the workflow on the time-skipping server, real activities.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createEnroller, type EntryRequest } from '../../services/journeys/enroll';
import { customers, enrollments } from '../../drizzle/schema';
import type { JourneyDefinitionInput } from '../../domain/journey/definition';
import type { JourneyEvent } from '../../domain/journey/conditions';
import { statusQuery } from '../../workflows/contracts/enrollment';
import { define } from '../fixtures/journeys';
import { createTestDatabase, createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Worker;
let workerRunning: Promise<void>;
/** The enroller's clock, set by each test (the test server's clock jumps after results). */
let now = new Date();
let enroller: ReturnType<typeof createEnroller>;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
// A fresh time-skipping server per test (its clock is shared and only moves forward).
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  const taskQueue = uniqueTaskQueue('entry');
  worker = await createTestWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: createActivities({ db: db.db, transports: {}, clock: () => now, publicUrl: 'http://127.0.0.1' }),
  });
  workerRunning = worker.run();
  enroller = createEnroller({ db: db.db, temporal: env.client, taskQueue, clock: () => now });
  now = new Date(await env.currentTimeMs());
});
afterEach(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await env?.teardown();
});

async function newCustomer(): Promise<string> {
  const [row] = await db.db.insert(customers).values({}).returning({ id: customers.id });
  return row!.id;
}

function journeyWith(overrides: Partial<JourneyDefinitionInput>): EntryRequest['journey'] {
  const definition = define({
    name: 'Two-day journey',
    entry: { type: 'event', event: 'device_installed' },
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 2 }, next: 'done' }, done: { type: 'exit', reason: 'done' } },
    ...overrides,
  });
  return { id: `j-${randomUUID().slice(0, 8)}`, version: 1, definition, status: 'published' };
}

function installed(properties: Record<string, unknown> = {}): JourneyEvent {
  return { id: randomUUID(), name: 'device_installed', properties, timestamp: now.toISOString() };
}

/** Enters at the enroller's `now`, then lets the workflow run to completion on skipped time. */
async function enterAndFinish(request: EntryRequest) {
  const outcome = await enroller.enter(request);
  if (outcome.status === 'started') await env.client.workflow.getHandle(outcome.workflowId).result();
  return outcome;
}

const rowsFor = (journeyId: string, customerId: string) =>
  db.db
    .select()
    .from(enrollments)
    .where(and(eq(enrollments.journeyId, journeyId), eq(enrollments.customerId, customerId)));

describe('re-entry policies', () => {
  it('once: a customer who finished never enters again', async () => {
    const journey = journeyWith({ reentry: { mode: 'once' } });
    const customerId = await newCustomer();
    expect(await enterAndFinish({ journey, customerId, event: installed() })).toMatchObject({ status: 'started' });
    expect(await enterAndFinish({ journey, customerId, event: installed() })).toEqual({
      status: 'rejected',
      reason: 'already-enrolled',
    });
    expect(await rowsFor(journey.id, customerId)).toHaveLength(1);
  });

  it('afterExit: a running enrollment only gets the event; after it ends, a new one starts', async () => {
    const journey = journeyWith({ reentry: { mode: 'afterExit' } });
    const customerId = await newCustomer();
    const first = await enroller.enter({ journey, customerId, event: installed() });
    expect(first.status).toBe('started');
    if (first.status === 'rejected') throw new Error('unreachable');
    const handle = env.client.workflow.getHandle(first.workflowId);
    await handle.query(statusQuery); // the first task ran: the mirror row exists
    await env.sleep(DAY);
    expect(await enroller.enter({ journey, customerId, event: installed() })).toMatchObject({ status: 'signalled' });
    await handle.result();
    expect(await enterAndFinish({ journey, customerId, event: installed() })).toMatchObject({ status: 'started' });
    const rows = await rowsFor(journey.id, customerId);
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed']);
  });

  it('cooldown: no new entry within N days of the last one, then entry again', async () => {
    const journey = journeyWith({ reentry: { mode: 'cooldown', days: 5 } });
    const customerId = await newCustomer();
    expect(await enterAndFinish({ journey, customerId, event: installed() })).toMatchObject({ status: 'started' }); // ends 2 days later
    const [first] = await rowsFor(journey.id, customerId);
    now = new Date(first!.enteredAt.getTime() + 4 * DAY);
    expect(await enterAndFinish({ journey, customerId, event: installed() })).toEqual({
      status: 'rejected',
      reason: 'cooldown',
    });
    now = new Date(first!.enteredAt.getTime() + 5 * DAY + 1000);
    expect(await enterAndFinish({ journey, customerId, event: installed() })).toMatchObject({ status: 'started' });
    expect(await rowsFor(journey.id, customerId)).toHaveLength(2);
  });

  it('a paused journey takes no new entries', async () => {
    const journey = { ...journeyWith({}), status: 'paused' };
    expect(await enroller.enter({ journey, customerId: await newCustomer(), event: installed() })).toEqual({
      status: 'rejected',
      reason: 'journey-not-live',
    });
  });
});

describe('concurrency keys', () => {
  it('two devices of one customer run two independent refill enrollments; the same device twice is one', async () => {
    const journey = journeyWith({
      concurrencyKey: ['properties.deviceId', 'properties.consumable'],
      reentry: { mode: 'afterExit' },
    });
    const customerId = await newCustomer();
    const kitchen = await enroller.enter({
      journey,
      customerId,
      event: installed({ deviceId: 'SN-KITCHEN-1', consumable: 'RO-filter' }),
    });
    const bathroom = await enroller.enter({
      journey,
      customerId,
      event: installed({ deviceId: 'SN-BATH-2', consumable: 'RO-filter' }),
    });
    const again = await enroller.enter({
      journey,
      customerId,
      event: installed({ deviceId: 'SN-KITCHEN-1', consumable: 'RO-filter' }),
    });
    expect(kitchen.status).toBe('started');
    expect(bathroom.status).toBe('started');
    if (kitchen.status === 'rejected' || bathroom.status === 'rejected' || again.status === 'rejected')
      throw new Error('unexpected rejection');
    expect(again.workflowId).toBe(kitchen.workflowId);
    expect(kitchen.workflowId).not.toBe(bathroom.workflowId);
    expect(kitchen.workflowId).not.toContain('SN-KITCHEN'); // keys are hashed: no device serials in IDs
    for (const o of [kitchen, bathroom]) await env.client.workflow.getHandle(o.workflowId).result(); // one at a time (test-server clock)
    const rows = await rowsFor(journey.id, customerId);
    expect(rows.map((r) => r.enrollmentKey).sort()).toEqual([kitchen.enrollmentKey, bathroom.enrollmentKey].sort());
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
  });

  it('an entry event missing a key property is rejected rather than sharing a key', async () => {
    const journey = journeyWith({ concurrencyKey: ['properties.deviceId'] });
    expect(await enroller.enter({ journey, customerId: await newCustomer(), event: installed({}) })).toEqual({
      status: 'rejected',
      reason: 'missing-key',
    });
  });
});
