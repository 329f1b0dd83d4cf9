/**
 * One ID merges end to end: the real API listening on a port, fed by Segment's own
 * `@segment/analytics-node` client and by plain HTTP, real Postgres, the dev server, a worker running
 * enrollments and the event router. Two people seen separately (events, a device, enrollments) are
 * joined by one identify: everything ends on one customer and no enrollment is duplicated.
 */
import { randomUUID } from 'node:crypto';
import { and, count, eq, inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { eventCountKey } from '../../domain/journey/conditions';
import { buildApp } from '../../api/app';
import { createEnroller } from '../../services/journeys/enroll';
import { createJourneyService } from '../../services/journeys/lifecycle';
import { createApiKey } from '../../api/keys';
import { mergeCustomers, survivorOf, type MergeMoved } from '../../services/customers/merge';
import {
  customerIdentities,
  customerMerges,
  customers,
  enrollments,
  events,
  messages,
  ownedProducts,
  segmentMembers,
  segments,
  telemetryReadings,
} from '../../drizzle/schema';
import { createEventRouter } from '../../worker/router';
import type { EnrollmentResult } from '../../workflows/contracts/enrollment';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from '../setup/harness';

const ADMIN_KEY = 'merge-test-bootstrap-admin-key-0123';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let router: ReturnType<typeof createEventRouter>;
let activities: ReturnType<typeof createActivities>;
let app: FastifyInstance;
let baseUrl: string;
let writeKey: string;
const workflows = new Set<string>();

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  const taskQueue = uniqueTaskQueue('merge');
  const enroller = createEnroller({ db: db.db, temporal: temporal.client, taskQueue, clock: () => new Date() });
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
  await service.createDraft('care-plan', {
    name: 'Purifier care plan',
    entry: { type: 'event', event: 'lead_captured' },
    goals: [{ id: 'purchased', event: 'order_completed' }],
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 30 }, next: 'done' }, done: { type: 'exit' } },
  });
  await service.createDraft('app-onboarding', {
    name: 'App onboarding',
    entry: { type: 'event', event: 'app_installed' },
    goals: [{ id: 'onboarded', event: 'onboarding_done' }],
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 14 }, next: 'done' }, done: { type: 'exit' } },
  });
  await service.publish('care-plan');
  await service.publish('app-onboarding');
  app = await buildApp({ db: db.db, temporal: temporal.client, taskQueue, adminApiKey: ADMIN_KEY });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  baseUrl = `http://127.0.0.1:${address.port}`;
  writeKey = (await createApiKey(db.db, 'write', 'merge tests')).key;
});

afterAll(async () => {
  for (const id of workflows)
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await app?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await temporal?.close();
  await db?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

interface Sent {
  status: number;
  body: {
    status?: string;
    messageId?: string;
    error?: string;
    issues?: { path: string; message: string }[];
    mergedInto?: string;
    merges?: unknown[];
  };
}

async function post(path: string, payload: unknown): Promise<Sent> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
    },
    body: JSON.stringify(payload),
  });
  return { status: response.status, body: (await response.json()) as Sent['body'] };
}

async function adminGet(path: string): Promise<Sent> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: response.status, body: (await response.json()) as Sent['body'] };
}

/** Segment's Node client against our API; each call resolves once the API acknowledged it. */
function segmentClient() {
  const analytics = new Analytics({ writeKey, host: baseUrl, flushAt: 1, flushInterval: 20, maxRetries: 0 });
  const acked = (call: (done: (err?: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) =>
      call((err) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve())),
    );
  return {
    identify: (params: Parameters<Analytics['identify']>[0]) => acked((done) => analytics.identify(params, done)),
    track: (params: Parameters<Analytics['track']>[0]) => acked((done) => analytics.track(params, done)),
    close: () => analytics.closeAndFlush(),
  };
}

async function routeAll(): Promise<number> {
  let total = 0;
  for (let i = 0; i < 50; i++) {
    const result = await router.routeOnce();
    if (result.ran && result.routed === 0) return total;
    total += result.routed;
    if (!result.ran) await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('router never drained');
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ownerOf = async (kind: (typeof customerIdentities.$inferSelect)['kind'], value: string) =>
  (
    await db.db
      .select()
      .from(customerIdentities)
      .where(and(eq(customerIdentities.kind, kind), eq(customerIdentities.value, value)))
  )[0]?.customerId;

const mirrorOf = async (customerId: string) => {
  const rows = await db.db.select().from(enrollments).where(eq(enrollments.customerId, customerId));
  for (const row of rows) workflows.add(row.workflowId);
  return rows;
};

const short = () => randomUUID().slice(0, 8);

// ---- tests -----------------------------------------------------------------------------------

describe('One ID: joining two known people', () => {
  it('moves events, devices and enrollments to the older customer, ends the duplicate enrollment (merged) and keeps the other running', async () => {
    const segment = segmentClient();
    const anonymousId = `anon-${short()}`;
    const openId = `oWx${short()}${short()}`;
    const userId = `user-${short()}`;
    const email = `mei.${short()}@example.com`;
    const serialA = `WP1-A-${short()}`.toUpperCase();
    const serialB = `WP1-B-${short()}`.toUpperCase();

    // Person A: seen by the mini-program through Segment's client (anonymous + WeChat + Tmall ids).
    await segment.identify({
      anonymousId,
      traits: { wechatOpenId: openId, firstName: 'Mei', city: 'Hangzhou' },
      context: {
        externalIds: [{ id: `tmall:mei-${short()}`, type: 'marketplace_id', collection: 'users', encoding: 'none' }],
      },
    });
    await segment.track({ anonymousId, event: 'lead_captured', properties: { category: 'water-purifier' } });
    const a = (await ownerOf('anonymous', anonymousId))!;
    expect(await ownerOf('wechat_openid', openId)).toBe(a);
    const [deviceA] = await db.db
      .insert(ownedProducts)
      .values({ customerId: a, sku: 'WP-1', category: 'water-purifier', serial: serialA })
      .returning();
    await db.db
      .insert(telemetryReadings)
      .values({ ownedProductId: deviceA!.id, metric: 'litres_filtered', value: 120, readAt: new Date() });
    await db.db
      .update(customers)
      .set({ tags: ['newsletter'], consent: { channels: { email: true, sms: true }, topics: {} } })
      .where(eq(customers.id, a));

    // Person B: the app user, over plain HTTP, with a registered device; in two journeys.
    expect(
      (await post('/v1/identify', { userId, traits: { email, deviceSerial: serialB.toLowerCase(), city: 'Shanghai' } }))
        .status,
    ).toBe(200);
    expect(
      (await post('/v1/track', { userId, event: 'lead_captured', properties: { category: 'water-purifier' } })).status,
    ).toBe(200);
    expect((await post('/v1/track', { userId, event: 'app_installed' })).status).toBe(200);
    const b = (await ownerOf('app_user', userId))!;
    expect(b).not.toBe(a);
    expect(await ownerOf('device_serial', serialB)).toBe(b); // normalised to upper case
    await db.db
      .insert(ownedProducts)
      .values({ customerId: b, sku: 'WP-1', category: 'water-purifier', serial: serialB });
    await db.db
      .update(customers)
      .set({ tags: ['vip'], consent: { channels: { email: false }, topics: { promotions: true } } })
      .where(eq(customers.id, b));

    // Segments: both are purifier owners; only B is an app user.
    const [owners, appUsers] = [`owners-${short()}`, `app-users-${short()}`];
    await db.db.insert(segments).values([
      { id: owners, name: 'Purifier owners', rule: {} },
      { id: appUsers, name: 'App users', rule: {} },
    ]);
    await db.db.insert(segmentMembers).values([
      { segmentId: owners, customerId: a },
      { segmentId: owners, customerId: b },
      { segmentId: appUsers, customerId: b },
    ]);

    await routeAll();
    const before = await until(
      async () => [...(await mirrorOf(a)), ...(await mirrorOf(b))],
      (rows) => rows.filter((r) => r.status === 'active').length === 3,
      'three active enrollments',
    );
    const carePlanOfB = before.find((r) => r.customerId === b && r.journeyId === 'care-plan')!;
    const carePlanOfA = before.find((r) => r.customerId === a && r.journeyId === 'care-plan')!;
    const onboardingOfB = before.find((r) => r.customerId === b && r.journeyId === 'app-onboarding')!;

    // The join: Segment's client identifies the anonymous visitor as the app user.
    const joinId = `join-${randomUUID()}`;
    await segment.identify({ userId, anonymousId, messageId: joinId, traits: { plan: 'gold' } });
    await segment.close();

    // One customer, the older: B's row is gone and every identity is A's.
    expect(await db.db.select().from(customers).where(eq(customers.id, b))).toEqual([]);
    const identities = await db.db.select().from(customerIdentities).where(eq(customerIdentities.customerId, a));
    expect(identities.map((i) => i.kind).sort()).toEqual([
      'anonymous',
      'app_user',
      'device_serial',
      'email',
      'marketplace',
      'wechat_openid',
    ]);
    // Events and devices (with their telemetry) moved.
    const eventRows = await db.db.select().from(events).where(eq(events.customerId, a));
    expect(eventRows.map((e) => e.name).sort()).toEqual([
      'app_installed',
      'identify',
      'identify',
      'identify',
      'lead_captured',
      'lead_captured',
    ]);
    expect(eventRows.find((e) => e.messageId === joinId)).toBeDefined();
    const devices = await db.db.select().from(ownedProducts).where(eq(ownedProducts.customerId, a));
    expect(devices.map((d) => d.serial).sort()).toEqual([serialA, serialB].sort());
    expect(
      await db.db.select().from(telemetryReadings).where(eq(telemetryReadings.ownedProductId, deviceA!.id)),
    ).toHaveLength(1);
    const memberships = await db.db
      .select()
      .from(segmentMembers)
      .where(inArray(segmentMembers.segmentId, [owners, appUsers]));
    expect(memberships.map((row) => `${row.segmentId}:${row.customerId}`).sort()).toEqual(
      [`${appUsers}:${a}`, `${owners}:${a}`].sort(),
    );
    // Profiles combined: B (updated later) wins the city, tags united, a refused channel stays refused.
    const [profile] = await db.db.select().from(customers).where(eq(customers.id, a));
    expect(profile!.traits).toEqual({ firstName: 'Mei', city: 'Shanghai', plan: 'gold' });
    expect(profile!.tags).toEqual(['newsletter', 'vip']);
    expect(profile!.consent).toEqual({ channels: { email: false, sms: true }, topics: { promotions: true } });

    // Merge history.
    const [merge] = await db.db.select().from(customerMerges).where(eq(customerMerges.mergedId, b));
    const moved = merge!.moved as unknown as MergeMoved;
    expect(merge).toMatchObject({ survivorId: a, mergedId: b, eventMessageId: joinId });
    expect(moved.counts).toMatchObject({ events: 3, ownedProducts: 1, enrollments: 2, orders: 0, segmentMembers: 1 });
    expect(moved.identities.map((i) => i.kind).sort()).toEqual(['app_user', 'device_serial', 'email']);
    expect(moved.exitedEnrollments).toEqual([
      {
        enrollmentId: carePlanOfB.id,
        workflowId: carePlanOfB.workflowId,
        journeyId: 'care-plan',
        enrollmentKey: 'default',
      },
    ]);
    expect(moved.pendingExits).toEqual([carePlanOfB.workflowId]);

    // The router delivers the pending exit; B's duplicate care plan ends as merged in Temporal and the mirror.
    await routeAll();
    const result = (await temporal.client.workflow.getHandle(carePlanOfB.workflowId).result()) as EnrollmentResult;
    expect(result).toMatchObject({ status: 'cancelled', reason: 'merged' });
    const [pendingCleared] = await db.db.select().from(customerMerges).where(eq(customerMerges.mergedId, b));
    expect((pendingCleared!.moved as unknown as MergeMoved).pendingExits).toBeUndefined();
    const after = await until(
      () => mirrorOf(a),
      (rows) => rows.find((r) => r.id === carePlanOfB.id)?.exitedAt !== null && rows.length === 3,
      'mirror after merge',
    );
    expect(after.find((r) => r.id === carePlanOfB.id)).toMatchObject({
      status: 'cancelled',
      exitReason: 'merged',
      customerId: a,
    });
    expect(after.filter((r) => r.journeyId === 'care-plan' && r.status === 'active').map((r) => r.id)).toEqual([
      carePlanOfA.id,
    ]);
    expect(after.find((r) => r.id === onboardingOfB.id)).toMatchObject({
      status: 'active',
      customerId: a,
      workflowId: onboardingOfB.workflowId,
    });

    // Later events of the joined person reach the surviving enrollments: A's care plan and B's onboarding.
    expect(
      (await post('/v1/track', { userId, event: 'order_completed', properties: { sku: 'WP-1-FILTER' } })).status,
    ).toBe(200);
    expect((await post('/v1/track', { anonymousId, event: 'onboarding_done' })).status).toBe(200);
    await routeAll();
    const done = await until(
      () => mirrorOf(a),
      (rows) => rows.filter((r) => r.status === 'converted').length === 2,
      'both surviving enrollments converted',
    );
    expect(done.find((r) => r.id === carePlanOfA.id)).toMatchObject({
      status: 'converted',
      exitReason: 'goal:purchased',
    });
    expect(done.find((r) => r.id === onboardingOfB.id)).toMatchObject({
      status: 'converted',
      exitReason: 'goal:onboarded',
    });
    expect(done.find((r) => r.id === carePlanOfB.id)).toMatchObject({ status: 'cancelled', exitReason: 'merged' });

    // The admin API: history for the survivor; the merged id points to it.
    const history = await adminGet(`/v1/customers/${a}/merges`);
    expect(history.status).toBe(200);
    expect(history.body.merges).toEqual([
      expect.objectContaining({ survivorId: a, mergedId: b, eventMessageId: joinId }),
    ]);
    expect(await adminGet(`/v1/customers/${b}/merges`)).toEqual({
      status: 404,
      body: { error: 'merged', message: `customer ${b} was merged into ${a}`, mergedInto: a },
    });
    expect((await adminGet(`/v1/customers/${randomUUID()}/merges`)).status).toBe(404);
    expect((await adminGet('/v1/customers/not-a-uuid/merges')).body.issues).toEqual([
      { path: '$.params.id', message: 'must be a customer id (uuid)' },
    ]);
  });

  it('follows merge chains: activities given a twice-merged id read and write the final survivor', async () => {
    const [x, y, z] = [`x-${short()}`, `y-${short()}`, `z-${short()}`];
    for (const userId of [x, y, z])
      expect((await post('/v1/identify', { userId, traits: { name: userId } })).status).toBe(200);
    const [cx, cy, cz] = [
      (await ownerOf('app_user', x))!,
      (await ownerOf('app_user', y))!,
      (await ownerOf('app_user', z))!,
    ];
    await db.db
      .update(customers)
      .set({ consent: { channels: { email: true }, topics: {} } })
      .where(eq(customers.id, cx));

    // Y and Z join (Z into Y), then X and Y (Y into X): Z → Y → X.
    expect(
      (
        await post('/v1/track', {
          userId: z,
          event: 'linked',
          context: { externalIds: [{ id: `${y}@example.com`, type: 'email' }] },
        })
      ).status,
    ).toBe(200);
    expect((await post('/v1/identify', { userId: y, traits: { email: `${y}@example.com` } })).status).toBe(200);
    expect(await ownerOf('app_user', z)).toBe(cy);
    expect(
      (await post('/v1/batch', { batch: [{ type: 'identify', userId: x, traits: { email: `${y}@example.com` } }] }))
        .status,
    ).toBe(200);
    expect(await ownerOf('app_user', z)).toBe(cx);
    expect(await survivorOf(db.db, cz)).toBe(cx);

    const facts = await activities.loadCustomerFacts({
      customerId: cz,
      eventCounts: [{ event: 'linked', withinDays: 1 }],
    });
    expect(facts.eventCounts).toEqual({ [eventCountKey('linked', 1)]: 1 });
    await activities.applyProfileUpdate({ customerId: cz, addTags: ['chained'], reason: 'test' });
    expect((await db.db.select().from(customers).where(eq(customers.id, cx)))[0]!.tags).toEqual(['chained']);
    const enrollmentId = randomUUID();
    const outcome = await activities.sendMessage({
      enrollmentId,
      stepId: 'welcome',
      occurrence: 1,
      journeyId: 'chain-test',
      journeyVersion: 1,
      customerId: cz,
      channel: 'sms',
      template: 'none',
      kind: 'marketing',
      brandTimeZone: 'Asia/Shanghai',
    });
    expect(outcome).toEqual({ status: 'skipped', reason: 'no-consent' }); // the survivor's consent (sms not given), not "customer-deleted"
    expect((await db.db.select().from(messages).where(eq(messages.enrollmentId, enrollmentId)))[0]!.customerId).toBe(
      cx,
    );

    const history = await adminGet(`/v1/customers/${cx}/merges`);
    expect((history.body.merges as { mergedId: string }[]).map((m) => m.mergedId)).toEqual([cz, cy]);
  });

  it('an enrollment first recorded after its customer was merged into one already in that journey is recorded as ended by the merge', async () => {
    const [s, m] = [`s-${short()}`, `m-${short()}`];
    for (const userId of [s, m]) await post('/v1/identify', { userId });
    const [cs, cm] = [(await ownerOf('app_user', s))!, (await ownerOf('app_user', m))!];
    const base = {
      journeyId: 'care-plan',
      journeyVersion: 1,
      enrollmentKey: 'default',
      status: 'active' as const,
      currentStep: 'wait',
      nextWakeAt: null,
      path: [],
      enteredAt: new Date().toISOString(),
      exitedAt: null,
      exitReason: null,
      convertedAt: null,
    };
    await activities.recordEnrollmentProgress({
      ...base,
      enrollmentId: randomUUID(),
      customerId: cs,
      workflowId: `enrollment/care-plan/${cs}/default`,
    });
    expect((await post('/v1/identify', { userId: s, traits: { email: `${m}@example.com` } })).status).toBe(200);
    expect((await post('/v1/identify', { userId: m, traits: { email: `${m}@example.com` } })).status).toBe(200);
    expect(await survivorOf(db.db, cm)).toBe(cs);

    const late = randomUUID();
    const lateWorkflow = `enrollment/care-plan/${cm}/default`;
    await activities.recordEnrollmentProgress({
      ...base,
      enrollmentId: late,
      customerId: cm,
      workflowId: lateWorkflow,
    });
    await activities.recordEnrollmentProgress({
      ...base,
      enrollmentId: late,
      customerId: cm,
      workflowId: lateWorkflow,
      currentStep: 'later',
    });
    const [row] = await db.db.select().from(enrollments).where(eq(enrollments.id, late));
    expect(row).toMatchObject({ customerId: cs, status: 'cancelled', exitReason: 'merged' });
    const [merge] = await db.db.select().from(customerMerges).where(eq(customerMerges.mergedId, cm));
    expect((merge!.moved as unknown as MergeMoved).pendingExits).toContain(lateWorkflow);
    await routeAll(); // the exit goes to a workflow that does not exist here: cleared all the same
    const [cleared] = await db.db.select().from(customerMerges).where(eq(customerMerges.mergedId, cm));
    expect((cleared!.moved as unknown as MergeMoved).pendingExits).toBeUndefined();
  });

  it('a batch read just before a merge committed is routed as the survivor, never under the merged id', async () => {
    const [s, m] = [`rs-${short()}`, `rm-${short()}`];
    for (const userId of [s, m]) expect((await post('/v1/identify', { userId })).status).toBe(200);
    await routeAll();
    const [cs, cm] = [(await ownerOf('app_user', s))!, (await ownerOf('app_user', m))!];
    expect((await post('/v1/track', { userId: m, event: 'lead_captured' })).status).toBe(200); // stored under M, not routed yet

    // A merge of S and M is in flight (rows locked, events moved, not committed) when the router reads its batch.
    let mergeDone!: () => void;
    const merged = new Promise<void>((resolve) => (mergeDone = resolve));
    let commit!: () => void;
    const gate = new Promise<void>((resolve) => (commit = resolve));
    const merging = db.db.transaction(async (tx) => {
      await mergeCustomers(tx, [cm, cs], 'race-test');
      mergeDone();
      await gate;
    });
    await merged;
    const routing = router.routeOnce();
    await new Promise((r) => setTimeout(r, 300)); // the router has read M's event and waits on M's row
    commit();
    await merging;
    expect(await routing).toMatchObject({ ran: true, routed: 1, entered: 1 });

    const rows = await until(
      () => mirrorOf(cs),
      (r) => r.length === 1,
      "the survivor's enrollment",
    );
    expect(rows[0]).toMatchObject({
      journeyId: 'care-plan',
      workflowId: `enrollment/care-plan/${cs}/default`,
      status: 'active',
    });
    await expect(
      temporal.client.workflow.getHandle(`enrollment/care-plan/${cm}/default`).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('concurrent joins of overlapping people neither deadlock nor lose rows: all end on one customer', async () => {
    const users = Array.from({ length: 5 }, () => `c-${short()}`);
    for (const userId of users) {
      expect((await post('/v1/track', { userId, event: 'page_viewed' })).status).toBe(200);
      expect((await post('/v1/identify', { userId, traits: { [`seen_${userId}`]: true } })).status).toBe(200);
    }
    const owners = await Promise.all(users.map((u) => ownerOf('app_user', u)));
    const oldest = owners[0]!;
    const email = (u: string) => `${u}@example.com`;
    // Each pair shares an email given by both sides at the same time, in both orders.
    const pairs: [number, number][] = [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 0],
      [1, 3],
      [2, 4],
      [0, 2],
    ];
    const sent = await Promise.all(
      pairs.flatMap(([i, j]) => [
        post('/v1/identify', { userId: users[i], traits: { email: email(`${users[i]}-${users[j]}`) } }),
        post('/v1/identify', { userId: users[j], traits: { email: email(`${users[i]}-${users[j]}`) } }),
        post('/v1/track', {
          userId: users[j],
          event: 'joined',
          context: { externalIds: [{ id: email(`${users[j]}-${users[i]}`), type: 'email' }] },
        }),
        post('/v1/track', {
          userId: users[i],
          event: 'joined',
          context: { externalIds: [{ id: email(`${users[j]}-${users[i]}`), type: 'email' }] },
        }),
      ]),
    );
    expect(sent.map((s) => s.status)).toEqual(sent.map(() => 200));
    const finalOwners = new Set(await Promise.all(users.map((u) => ownerOf('app_user', u))));
    expect([...finalOwners]).toEqual([oldest]);
    const [{ n }] = (await db.db.select({ n: count() }).from(events).where(eq(events.customerId, oldest))) as [
      { n: number },
    ];
    expect(n).toBe(users.length * 2 + pairs.length * 4);
    expect(
      await db.db
        .select()
        .from(customers)
        .where(inArray(customers.id, owners.filter((o) => o !== oldest) as string[])),
    ).toEqual([]);
    const merges = await db.db
      .select()
      .from(customerMerges)
      .where(inArray(customerMerges.mergedId, owners as string[]));
    expect(merges).toHaveLength(users.length - 1);
    const [profile] = await db.db.select().from(customers).where(eq(customers.id, oldest));
    for (const userId of users) expect(profile!.traits[`seen_${userId}`]).toBe(true);
  });
});

describe('identities in traits and context.externalIds', () => {
  it('a WeChat openid, marketplace id and device serial each find the customer in later messages', async () => {
    const [openId, serial, buyer] = [`oWx-${short()}${short()}`, `DS-${short()}`.toUpperCase(), `jd:${short()}`];
    expect(
      (
        await post('/v1/identify', {
          anonymousId: `anon-${short()}`,
          traits: { wechatOpenId: openId, deviceSerial: serial, marketplaceId: buyer.replace('jd', 'JD') },
        })
      ).status,
    ).toBe(200);
    const owner = await ownerOf('wechat_openid', openId);
    expect(await ownerOf('marketplace', buyer)).toBe(owner);
    const [row] = await db.db.select({ traits: customers.traits }).from(customers).where(eq(customers.id, owner!));
    expect(row!.traits).toEqual({}); // identities, not traits
    const mid = `m-${randomUUID()}`;
    expect(
      (
        await post('/v1/track', {
          anonymousId: `anon-${short()}`,
          event: 'filter_low',
          messageId: mid,
          context: {
            externalIds: [{ id: serial.toLowerCase(), type: 'device_serial', collection: 'users', encoding: 'none' }],
          },
        })
      ).status,
    ).toBe(200);
    expect((await db.db.select().from(events).where(eq(events.messageId, mid)))[0]!.customerId).toBe(owner);
  });

  it('rejects malformed identities with 400 at their JSON paths, never 500, and stores nothing', async () => {
    const mid = `bad-${randomUUID()}`;
    const identify = await post('/v1/identify', {
      userId: 'u-1',
      messageId: mid,
      traits: { wechatOpenId: 'bad id!', marketplaceId: 'no-prefix', deviceSerial: 42 },
    });
    expect(identify.status).toBe(400);
    expect(identify.body.issues).toEqual([
      {
        path: '$.traits.marketplaceId',
        message: 'not a marketplace id: "<marketplace>:<buyer id>", like "tmall:buyer-123"',
      },
      { path: '$.traits.wechatOpenId', message: 'not a WeChat openid: 6-64 letters, digits, "-" or "_"' },
      { path: '$.traits.deviceSerial', message: 'must be a string' },
    ]);
    const track = await post('/v1/track', {
      userId: 'u-1',
      event: 'x',
      messageId: mid,
      context: {
        externalIds: [
          { id: 'abc', type: 'twitter' },
          { type: 'email', collection: 'accounts' },
          'oops',
          { id: 'not-an-email', type: 'email', encoding: 'md5' },
        ],
      },
    });
    expect(track.status).toBe(400);
    expect(track.body.issues).toEqual([
      {
        path: '$.context.externalIds[0].type',
        message: 'must be one of "email", "phone", "marketplace_id", "wechat_openid", "device_serial"',
      },
      { path: '$.context.externalIds[1].collection', message: 'must be "users"' },
      { path: '$.context.externalIds[1].id', message: 'required: the identifier' },
      { path: '$.context.externalIds[2]', message: 'must be a JSON object: {id, type, collection, encoding}' },
      { path: '$.context.externalIds[3].encoding', message: 'must be "none"' },
      { path: '$.context.externalIds[3].id', message: 'not an email address' },
    ]);
    const batch = await post('/v1/batch', {
      batch: [{ type: 'track', userId: 'u-1', event: 'x', context: { externalIds: { id: 'x' } } }],
    });
    expect(batch.body).toMatchObject({
      results: [
        {
          index: 0,
          status: 'rejected',
          errors: [
            { path: '$.batch[0].context.externalIds', message: 'must be an array of {id, type, collection, encoding}' },
          ],
        },
      ],
    });
    expect(await db.db.select().from(events).where(eq(events.messageId, mid))).toEqual([]);
  });
});
