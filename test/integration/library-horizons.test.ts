/**
 * The library's journeys walked over their real horizons on the time-skipping server: the journeys
 * as the library installs them (templates and published versions in Postgres), the real enrollment
 * workflow and real activities (consent, `onlyIf`, rendering, ledger); only the email provider is a
 * capture. Every message's local send time is asserted to the minute.
 *
 * - Lead nurture: the 41-day phone window (touches on days 10, 21, 31 → the next local morning),
 *   the 25-day fridge window (days 6, 13, 19), the holdout gets nothing, a purchase in the category
 *   ends it early (one in another category does not), and it exits at the window's end.
 * - Warranty upsell over 12 months: offers 30 and 7 days before the warranty ends at 10:00 local,
 *   subject line A or B by arm, and skipped sends when an extended warranty was bought meanwhile or
 *   the device was disposed.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { OutboundMessage, Transport } from '../../activities/transports';
import { createJourneyService } from '../../services/journeys/lifecycle';
import { createLibraryService } from '../../services/journeys/library';
import { demoCategories, demoProducts } from '../../demo/generator';
import {
  customerIdentities,
  customers,
  events,
  messages,
  ownedProducts,
  productCategories,
  products,
} from '../../drizzle/schema';
import type { JourneyEvent } from '../../domain/journey/conditions';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { chooseArm } from '../../domain/journey/split';
import { addCivilDays, atLocalTime, formatCivilDate, toLocal } from '../../domain/time';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId, eventSignal, statusQuery } from '../../workflows/contracts/enrollment';
import {
  connectDevServer,
  createTestDatabase,
  createTestWorker,
  createTimeSkippingEnv,
  uniqueTaskQueue,
} from '../setup/harness';

const ZONE = 'Asia/Shanghai';
const DAY = 86_400_000;
/** The server's clock: when this activity attempt was scheduled (skipped time included). */
const serverNow = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRunning: Promise<void>;
let taskQueue: string;
const definitions = new Map<string, { version: number; definition: JourneyDefinition }>();
const delivered: (OutboundMessage & { at: Date })[] = [];

const capture: Transport = {
  idempotent: true,
  async send(message) {
    delivered.push({ ...message, at: serverNow() });
    return { providerMessageId: `capture-${delivered.length}` };
  },
};

beforeAll(async () => {
  const devServer = await connectDevServer();
  db = await createTestDatabase();
  try {
    await db.db.insert(productCategories).values(demoCategories.map((c) => ({ ...c })));
    await db.db.insert(products).values(demoProducts);
    // Event-entry journeys: publishing them starts nothing in Temporal.
    const journeys = createJourneyService({
      db: db.db,
      temporal: devServer.client,
      taskQueue: 'library-horizons-unused',
    });
    const library = createLibraryService({ db: db.db, journeys });
    await library.install('lead-nurture', { categories: ['phone', 'fridge'] });
    await library.install('warranty-upsell', { categories: ['fridge'] });
    for (const id of ['lead-nurture-phone', 'lead-nurture-fridge', 'warranty-upsell-fridge']) {
      const { version, definition } = await journeys.version(id);
      definitions.set(id, { version, definition });
    }
  } finally {
    await devServer.close();
  }
}, 120_000);

afterAll(async () => {
  await db?.close();
});

// A fresh server per test: the test server's clock jumps after result() (docs/design.md, "Time-skipping server traps").
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  taskQueue = uniqueTaskQueue('library-horizons');
  worker = await createTestWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: createActivities({
      db: db.db,
      transports: { email: capture },
      clock: serverNow,
      publicUrl: 'https://go.brand.example',
      messaging: { linkSecret: 'library-horizons-link-secret-0123456789' },
    }),
  });
  workerRunning = worker.run();
}, 60_000);

afterEach(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await env?.teardown();
});

// ---- helpers ---------------------------------------------------------------------------------

const local = (at: Date) => {
  const l = toLocal(at, ZONE);
  return `${formatCivilDate(l)} ${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`;
};
const localDay = (from: Date, days: number) => formatCivilDate(addCivilDays(toLocal(from, ZONE), days));

/** Advances the server to the next 15:00 local, so entries happen at a known wall-clock time. */
async function untilAfternoon(): Promise<Date> {
  const now = new Date(await env.currentTimeMs());
  const today = toLocal(now, ZONE);
  let target = atLocalTime(today, 15 * 60, ZONE);
  if (target.getTime() <= now.getTime()) target = atLocalTime(addCivilDays(today, 1), 15 * 60, ZONE);
  await env.sleep(target.getTime() - now.getTime());
  return new Date(await env.currentTimeMs());
}

/** A customer id that the journey's split step sends down `armId` (the split hashes journey, step and customer). */
function customerInArm(journeyId: string, stepId: string, armId: string): string {
  const step = definitions.get(journeyId)!.definition.steps[stepId];
  if (step?.type !== 'split') throw new Error(`${journeyId}.${stepId} is not a split`);
  for (;;) {
    const id = randomUUID();
    if (chooseArm(step.arms, `${journeyId}:${stepId}:${id}`).id === armId) return id;
  }
}

async function addCustomer(id: string, locale: 'zh-CN' | 'en', firstName: string): Promise<string> {
  await db.db.insert(customers).values({
    id,
    traits: { firstName },
    locale,
    timeZone: ZONE,
    consent: { channels: { email: true }, topics: { promotions: true } },
  });
  const address = `${id.slice(0, 8)}@example.com`;
  await db.db.insert(customerIdentities).values({ kind: 'email', value: address, customerId: id });
  return address;
}

async function enter(journeyId: string, customerId: string, event: Omit<JourneyEvent, 'id'>, key = 'default') {
  const { version, definition } = definitions.get(journeyId)!;
  return env.client.workflow.start(enrollmentWorkflow, {
    taskQueue,
    workflowId: enrollmentWorkflowId(journeyId, customerId, key),
    args: [
      {
        v: 1,
        journey: { id: journeyId, version, definition },
        customerId,
        enrollmentKey: key,
        entryEvent: { id: randomUUID(), ...event },
      },
    ],
  });
}

/** The customer's ledger in order: template, status (with reason), local time. */
async function ledger(customerId: string) {
  const rows = await db.db
    .select()
    .from(messages)
    .where(eq(messages.customerId, customerId))
    .orderBy(messages.createdAt);
  return rows.map((r) => [r.templateId, r.status === 'skipped' ? `skipped:${r.reason}` : r.status, local(r.createdAt)]);
}

/** Skips `ms` once every enrollment rests (the server must not skip past a task in flight). */
async function skip(ms: number, ...handles: Handle[]) {
  for (const handle of handles) {
    for (let tries = 0; ; tries++) {
      const status = await handle.query(statusQuery);
      if (status.nextWakeAt !== null || status.paused || status.exit) break;
      if (tries > 500) throw new Error(`${handle.workflowId} never came to rest`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  await env.sleep(ms);
}

/** One result() at a time: each unlocks the test server's clock, and concurrent unlocks unbalance it. */
async function resultsInOrder(handles: Handle[]) {
  const results = [];
  for (const handle of handles) results.push(await handle.result());
  return results;
}

type Handle = WorkflowHandle<typeof enrollmentWorkflow>;

async function closedAt(handle: Handle): Promise<Date> {
  const description = await handle.describe();
  return description.closeTime!;
}

// ---- lead nurture ----------------------------------------------------------------------------

describe('lead nurture over the decision window', () => {
  it('phone (41 days) and fridge (25 days): three morning touches on the spread days, interest after the first, exit at the window end; the holdout gets nothing', async () => {
    const entered = await untilAfternoon();
    const phoneLead = customerInArm('lead-nurture-phone', 'holdout-split', 'nurture');
    const fridgeLead = customerInArm('lead-nurture-fridge', 'holdout-split', 'nurture');
    const heldOut = customerInArm('lead-nurture-phone', 'holdout-split', 'holdout');
    const phoneAddress = await addCustomer(phoneLead, 'zh-CN', '林');
    await addCustomer(fridgeLead, 'en', 'Ana');
    await addCustomer(heldOut, 'zh-CN', '王');

    const lead = (category: string) => ({
      name: 'lead_captured',
      properties: { category, source: 'store_visit' },
      timestamp: entered.toISOString(),
    });
    const handles = [
      await enter('lead-nurture-phone', phoneLead, lead('phone')),
      await enter('lead-nurture-fridge', fridgeLead, lead('fridge')),
      await enter('lead-nurture-phone', heldOut, lead('phone')),
    ];
    const results = await resultsInOrder(handles);

    // Entered at 15:00, after the 09:00–11:00 window: each touch goes out the next morning at 09:00.
    expect(await ledger(phoneLead)).toEqual([
      ['lead-nurture-phone-1', 'sent', `${localDay(entered, 11)} 09:00`],
      ['lead-nurture-phone-2', 'sent', `${localDay(entered, 22)} 09:00`],
      ['lead-nurture-phone-3', 'sent', `${localDay(entered, 32)} 09:00`],
    ]);
    expect(await ledger(fridgeLead)).toEqual([
      ['lead-nurture-fridge-1', 'sent', `${localDay(entered, 7)} 09:00`],
      ['lead-nurture-fridge-2', 'sent', `${localDay(entered, 14)} 09:00`],
      ['lead-nurture-fridge-3', 'sent', `${localDay(entered, 20)} 09:00`],
    ]);
    expect(await ledger(heldOut)).toEqual([]);

    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['completed', 'decision-window-ended'],
      ['completed', 'decision-window-ended'],
      ['completed', 'decision-window-ended'],
    ]);
    expect(local(await closedAt(handles[0]!))).toBe(`${localDay(entered, 41)} 15:00`);
    expect(local(await closedAt(handles[1]!))).toBe(`${localDay(entered, 25)} 15:00`);
    expect(local(await closedAt(handles[2]!))).toBe(`${localDay(entered, 41)} 15:00`);
    expect(results[2]!.path.find((p) => p.step === 'holdout-split')?.outcome).toBe('holdout:holdout');

    // AIPL: no stage → awareness at entry → interest after the first touch (the holdout stays aware).
    const stages = await db.db.select({ id: customers.id, stage: customers.aiplStage }).from(customers);
    const stageOf = (id: string) => stages.find((s) => s.id === id)?.stage;
    expect([stageOf(phoneLead), stageOf(fridgeLead), stageOf(heldOut)]).toEqual(['interest', 'interest', 'awareness']);

    // The copy, rendered in the customer's language with the category's name.
    const first = delivered.find((m) => m.to === phoneAddress)!;
    expect(first.subject).toBe('挑选手机，先想清楚这三个问题');
    expect(first.text).toContain('林，您好！');
    expect(delivered.find((m) => m.subject?.startsWith('What owners say'))?.subject).toBe(
      'What owners say after a year with their fridge',
    );
  }, 180_000);

  it('an order with a phone line ends the phone nurture at once; an order without one does not', async () => {
    const entered = await untilAfternoon();
    const buyer = customerInArm('lead-nurture-phone', 'holdout-split', 'nurture');
    await addCustomer(buyer, 'en', 'Sam');
    const handle = await enter('lead-nurture-phone', buyer, {
      name: 'lead_captured',
      properties: { category: 'phone', source: 'ad_response' },
      timestamp: entered.toISOString(),
    });
    await skip(12 * DAY, handle); // past the first touch (day 11, 09:00)

    const order = (products: { sku: string; category: string }[]) => ({
      id: randomUUID(),
      name: 'Order Completed',
      properties: { order_id: randomUUID(), products },
      timestamp: new Date().toISOString(),
    });
    await handle.signal(eventSignal, order([{ sku: 'FR-500', category: 'fridge' }]));
    await skip(DAY, handle);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.signal(
      eventSignal,
      order([
        { sku: 'EB-2', category: 'earbuds' },
        { sku: 'PH-X1', category: 'phone' },
      ]),
    );
    const result = await handle.result();

    expect(result).toMatchObject({ status: 'converted' });
    expect(await ledger(buyer)).toEqual([['lead-nurture-phone-1', 'sent', `${localDay(entered, 11)} 09:00`]]);
    expect(local(await closedAt(handle))).toBe(`${localDay(entered, 13)} 15:00`);
  }, 120_000);
});

// ---- warranty upsell -------------------------------------------------------------------------

describe('extended-warranty upsell over 12 months', () => {
  const journeyId = 'warranty-upsell-fridge';

  async function registered(customerId: string, serial: string, entered: Date) {
    await db.db
      .insert(ownedProducts)
      .values({ customerId, sku: 'FR-500', category: 'fridge', serial, purchasedAt: entered, installedAt: entered });
    const warrantyEnds = localDay(entered, 365); // a year after registration (2027 has no 29 February)
    const handle = await enter(
      journeyId,
      customerId,
      {
        name: 'Device Registered',
        properties: { serial, sku: 'FR-500', category: 'fridge', warranty_ends_at: warrantyEnds },
        timestamp: entered.toISOString(),
      },
      serial,
    );
    return { handle, warrantyEnds };
  }

  it('offers 30 days before the warranty ends (subject A or B by arm) and 7 days before, at 10:00 local', async () => {
    const entered = await untilAfternoon();
    const a = customerInArm(journeyId, 'subject-test', 'subject-a');
    const b = customerInArm(journeyId, 'subject-test', 'subject-b');
    const addressA = await addCustomer(a, 'zh-CN', '陈');
    const addressB = await addCustomer(b, 'en', 'Lena');
    const [ra, rb] = [
      await registered(a, `SN-A-${a.slice(0, 6)}`, entered),
      await registered(b, `SN-B-${b.slice(0, 6)}`, entered),
    ];
    const results = await resultsInOrder([ra.handle, rb.handle]);

    const end = ra.warrantyEnds;
    const before = (days: number) =>
      formatCivilDate(
        addCivilDays(
          { year: Number(end.slice(0, 4)), month: Number(end.slice(5, 7)), day: Number(end.slice(8, 10)) },
          -days,
        ),
      );
    expect(await ledger(a)).toEqual([
      ['warranty-upsell-fridge-30d-a', 'sent', `${before(30)} 10:00`],
      ['warranty-upsell-fridge-7d', 'sent', `${before(7)} 10:00`],
    ]);
    expect(await ledger(b)).toEqual([
      ['warranty-upsell-fridge-30d-b', 'sent', `${before(30)} 10:00`],
      ['warranty-upsell-fridge-7d', 'sent', `${before(7)} 10:00`],
    ]);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['completed', 'offer-window-over'],
      ['completed', 'offer-window-over'],
    ]);
    const subjects = (to: string) => delivered.filter((m) => m.to === to).map((m) => m.subject);
    expect(subjects(addressA)).toEqual(['您的冰箱保修还剩 30 天', '最后 7 天：冰箱延保即将截止']);
    expect(subjects(addressB)).toEqual([
      'Two more worry-free years for your fridge, from CN¥199.00',
      'Last 7 days to extend your fridge warranty',
    ]);
    const longDate = new Intl.DateTimeFormat('zh-CN', { dateStyle: 'long', timeZone: ZONE }).format(
      atLocalTime(
        { year: Number(end.slice(0, 4)), month: Number(end.slice(5, 7)), day: Number(end.slice(8, 10)) },
        0,
        ZONE,
      ),
    );
    expect(delivered.find((m) => m.to === addressA)!.text).toContain(`原厂保修将于 ${longDate} 到期`);
  }, 180_000);

  it('re-checks at send time: skipped after an extended warranty was bought, or once the device is disposed', async () => {
    const entered = await untilAfternoon();
    const bought = customerInArm(journeyId, 'subject-test', 'subject-a');
    const disposed = customerInArm(journeyId, 'subject-test', 'subject-b');
    await addCustomer(bought, 'zh-CN', '周');
    await addCustomer(disposed, 'en', 'Omar');
    const rb = await registered(bought, `SN-W-${bought.slice(0, 6)}`, entered);
    const rd = await registered(disposed, `SN-D-${disposed.slice(0, 6)}`, entered);
    const end = rb.warrantyEnds;
    const endDate = { year: Number(end.slice(0, 4)), month: Number(end.slice(5, 7)), day: Number(end.slice(8, 10)) };
    const before = (days: number) => formatCivilDate(addCivilDays(endDate, -days));

    // Both get the 30-day offer; then, 20 days before the end, one buys an extended warranty (the
    // event is stored but never reached the workflow) and the other's fridge is disposed of.
    const twentyBefore = atLocalTime(addCivilDays(endDate, -20), 12 * 60, ZONE);
    await skip(twentyBefore.getTime() - (await env.currentTimeMs()), rb.handle, rd.handle);
    const now = new Date(await env.currentTimeMs());
    await db.db.insert(events).values({
      messageId: randomUUID(),
      customerId: bought,
      name: 'Extended Warranty Purchased',
      properties: { serial: 'another-serial' },
      occurredAt: now,
      receivedAt: now,
      routedAt: now,
    });
    await db.db
      .update(ownedProducts)
      .set({ disposedAt: now })
      .where(and(eq(ownedProducts.customerId, disposed), eq(ownedProducts.category, 'fridge')));
    const results = await resultsInOrder([rb.handle, rd.handle]);

    expect(await ledger(bought)).toEqual([
      ['warranty-upsell-fridge-30d-a', 'sent', `${before(30)} 10:00`],
      ['warranty-upsell-fridge-7d', 'skipped:condition-failed', `${before(7)} 10:00`],
    ]);
    expect(await ledger(disposed)).toEqual([
      ['warranty-upsell-fridge-30d-b', 'sent', `${before(30)} 10:00`],
      ['warranty-upsell-fridge-7d', 'skipped:condition-failed', `${before(7)} 10:00`],
    ]);
    expect(results.map((r) => r.status)).toEqual(['completed', 'completed']);
  }, 180_000);

  it('an extended warranty bought for the registered serial ends the enrollment as a conversion, before any offer', async () => {
    const entered = await untilAfternoon();
    const customer = randomUUID();
    await addCustomer(customer, 'en', 'Kai');
    const serial = `SN-G-${customer.slice(0, 6)}`;
    const { handle } = await registered(customer, serial, entered);
    await skip(100 * DAY, handle);
    await handle.signal(eventSignal, {
      id: randomUUID(),
      name: 'Extended Warranty Purchased',
      properties: { serial },
      timestamp: new Date().toISOString(),
    });
    expect(await handle.result()).toMatchObject({ status: 'converted' });
    expect(await ledger(customer)).toEqual([]);
  }, 120_000);
});
