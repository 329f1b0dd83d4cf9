/**
 * Segments end to end: the admin API (save, validate with JSON paths, preview, refresh, members),
 * journeys entered by segment membership (through a refresh and through the router's on-event
 * path), the refresh workflow and its Schedule — real Postgres, the dev server, a real worker.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import type { Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { createSegmentMembership } from '../../services/segments/membership';
import { buildApp } from '../../api/app';
import { createEnroller } from '../../services/journeys/enroll';
import { createJourneyService } from '../../services/journeys/lifecycle';
import { customers, enrollments, events, orders, segmentMembers, segments, type Consent } from '../../drizzle/schema';
import { createEventRouter } from '../../worker/router';
import { ensureSegmentRefreshSchedule } from '../../worker/schedules';
import { segmentRefreshWorkflow } from '../../workflows/segment-refresh';
import { SEGMENT_REFRESH_SCHEDULE_ID, segmentRefreshWorkflowId } from '../../workflows/contracts/segment-refresh';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from '../setup/harness';
import { saveHistoryIfRecording } from '../setup/histories';

const ADMIN_KEY = 'segments-test-admin-key-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let app: FastifyInstance;
let router: ReturnType<typeof createEventRouter>;
let journeysService: ReturnType<typeof createJourneyService>;
let taskQueue: string;
const startedWorkflows = new Set<string>();

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  taskQueue = uniqueTaskQueue('segments');
  const clock = () => new Date();
  const enroller = createEnroller({ db: db.db, temporal: temporal.client, taskQueue, clock });
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({ db: db.db, transports: {}, clock, publicUrl: 'http://127.0.0.1', enroller }),
  });
  workerRunning = worker.run();
  app = await buildApp({ db: db.db, temporal: temporal.client, taskQueue, adminApiKey: ADMIN_KEY });
  await app.ready();
  const membership = createSegmentMembership({ db: db.db, enroller, clock });
  router = createEventRouter({
    db: db.db,
    temporal: temporal.client,
    enroller,
    afterBatch: async (ids) => void (await membership.evaluateForCustomers(ids)),
  });
  journeysService = createJourneyService({ db: db.db, temporal: temporal.client, taskQueue });
});

afterAll(async () => {
  await app?.close();
  if (temporal) {
    const rows = db ? await db.db.select({ workflowId: enrollments.workflowId }).from(enrollments) : [];
    for (const id of [...startedWorkflows, ...rows.map((r) => r.workflowId)])
      await temporal.client.workflow
        .getHandle(id)
        .terminate('segments.test.ts cleanup')
        .catch(() => undefined);
    await temporal.client.schedule
      .getHandle(SEGMENT_REFRESH_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
  }
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await temporal?.close();
  await db?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

interface Issue {
  path: string;
  message: string;
}

/** A string payload is sent as it is (JSON too deep for JSON.stringify on this side). */
async function request(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const headers = typeof payload === 'string' ? { ...AUTH, 'content-type': 'application/json' } : AUTH;
  const response = await app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return {
    status: response.statusCode,
    body: (response.body ? response.json() : undefined) as Record<string, unknown> & { issues?: Issue[] },
  };
}

async function newCustomer(
  values: { traits?: Record<string, unknown>; tags?: string[]; aiplStage?: string; consent?: Consent } = {},
): Promise<string> {
  const [row] = await db.db.insert(customers).values(values).returning({ id: customers.id });
  return row!.id;
}

async function members(segmentId: string): Promise<string[]> {
  const rows = await db.db
    .select({ id: segmentMembers.customerId })
    .from(segmentMembers)
    .where(eq(segmentMembers.segmentId, segmentId));
  return rows.map((r) => r.id).sort();
}

async function enrollmentsOf(journeyId: string, customerIds: string[], expected: number) {
  for (let i = 0; i < 300; i++) {
    const rows = await db.db
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.journeyId, journeyId), inArray(enrollments.customerId, customerIds)));
    if (rows.length >= expected) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${expected} enrollments in ${journeyId}`);
}

async function publishSegmentJourney(
  id: string,
  segment: string,
  reentry: { mode: 'once' } | { mode: 'afterExit' } = { mode: 'once' },
) {
  await journeysService.createDraft(id, {
    name: `Entered ${segment}`,
    entry: { type: 'segment', segment },
    reentry,
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 30 }, next: 'done' }, done: { type: 'exit' } },
  });
  await journeysService.publish(id);
}

const sorted = (ids: string[]) => [...ids].sort();

// ---- the admin API ---------------------------------------------------------------------------

describe('segments API', () => {
  it('saves (201, then 200), reads, lists and deletes a segment; cheapness is derived from the rule', async () => {
    const created = await request('PUT', '/v1/segments/api-crud', {
      name: 'Shanghai VIPs',
      rule: { all: [{ trait: 'city', op: 'eq', value: 'Shanghai' }, { tag: 'vip' }] },
    });
    expect(created.status).toBe(201);
    expect(created.body.segment).toMatchObject({
      id: 'api-crud',
      name: 'Shanghai VIPs',
      evaluatedOnEvent: true,
      rule: { all: [{ trait: 'city' }, { tag: 'vip', has: true }] },
    });

    const replaced = await request('PUT', '/v1/segments/api-crud', {
      name: 'Buyers',
      rule: { orders: { withinDays: 30 } },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.segment).toMatchObject({ name: 'Buyers', evaluatedOnEvent: false });

    expect((await request('GET', '/v1/segments/api-crud')).body.segment).toMatchObject({
      name: 'Buyers',
      memberCount: 0,
      refreshedAt: null,
    });
    const list = await request('GET', '/v1/segments');
    expect((list.body.segments as { id: string }[]).map((s) => s.id)).toContain('api-crud');

    // Admin scope: no key, no segments.
    expect((await app.inject({ method: 'GET', url: '/v1/segments' })).statusCode).toBe(401);
    expect((await request('DELETE', '/v1/segments/api-crud')).status).toBe(204);
    expect((await request('GET', '/v1/segments/api-crud')).status).toBe(404);
    expect((await request('DELETE', '/v1/segments/api-crud')).status).toBe(404);
  });

  it('the routes are in the OpenAPI document, the rule described', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json<{
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown;
            requestBody?: {
              content: Record<string, { schema: { properties: Record<string, { description?: string }> } }>;
            };
          }
        >
      >;
    }>();
    for (const [path, method] of [
      ['/v1/segments', 'get'],
      ['/v1/segments/{id}', 'put'],
      ['/v1/segments/{id}', 'get'],
      ['/v1/segments/{id}', 'delete'],
      ['/v1/segments/preview', 'post'],
      ['/v1/segments/{id}/refresh', 'post'],
      ['/v1/segments/{id}/members', 'get'],
    ] as const) {
      expect(spec.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([{ adminKey: [] }]);
    }
    expect(
      spec.paths['/v1/segments/{id}']!.put!.requestBody!.content['application/json']!.schema.properties.rule!
        .description,
    ).toContain('segment rule');
  });

  it('an invalid rule is a 400 naming the JSON path of each problem', async () => {
    const bad = await request('PUT', '/v1/segments/bad', {
      name: 'x',
      rule: { all: [{ trait: 'city', op: 'like', value: 'x' }, { any: [{ orders: { withinDays: -1 } }] }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    expect(bad.body.issues?.map((i) => i.path)).toEqual([
      '$.body.rule.all[0].op',
      '$.body.rule.all[1].any[0].orders.withinDays',
    ]);
    const preview = await request('POST', '/v1/segments/preview', {
      rule: { not: { eventCount: { event: 'a', withinDays: 7, op: 'gte' } } },
      limit: 5,
    });
    expect(preview.status).toBe(400);
    expect(preview.body.issues?.map((i) => i.path)).toEqual(['$.body.rule.not.eventCount.value']);
    const params = await request('PUT', "/v1/segments/Robert');drop", { name: 'x', rule: { tag: 'a' } });
    expect(params.status).toBe(400);
    expect(params.body.issues?.[0]?.path).toBe('$.params.id');
    expect((await request('GET', '/v1/segments/x/members?limit=0')).body.issues?.[0]?.path).toBe('$.query.limit');
    expect(await db.db.select().from(segments).where(eq(segments.id, 'bad'))).toEqual([]);
  });

  it('hostile input is a 400 with a JSON path or plain data, never a 500, and the tables survive', async () => {
    const deep = `{"name":"x","rule":${'{"any":['.repeat(10_000)}{"tag":"vip"}${']}'.repeat(10_000)}}`;
    const hostile: { body: unknown; path?: string }[] = [
      {
        body: { name: 'x', rule: { trait: "city'); drop table customers; --", op: 'eq', value: 1 } },
        path: '$.body.rule.trait',
      },
      {
        body: { name: 'x', rule: { trait: 'city', op: 'eq; drop table customers', value: 1 } },
        path: '$.body.rule.op',
      },
      {
        body: { name: 'x', rule: { all: [{ tag: 'vip' }, { trait: '城市', op: 'exists' }] } },
        path: '$.body.rule.all[1].trait',
      },
      { body: { name: 'x', rule: { tag: 'nul\u0000byte' } }, path: '$.body.rule.tag' },
      {
        body: { name: 'x', rule: { trait: 'city', op: 'eq', value: 'lone \uD800 surrogate' } },
        path: '$.body.rule.value',
      },
      { body: deep, path: '$.body.rule.any[0].any[0].any[0].any[0].any[0].any[0].any[0].any[0].any' },
      { body: { name: 'x', rule: { aiplStage: ["interest') or 1=1 --"] } }, path: '$.body.rule.aiplStage[0]' },
      { body: { name: 'x', rule: { consent: { channel: 'email"; --' } } }, path: '$.body.rule.consent.channel' },
      {
        body: { name: 'x', rule: { orders: { count: { op: 'gte', value: '1 or 1=1' } } } },
        path: '$.body.rule.orders.count.value',
      },
      {
        body: { name: 'x', rule: { eventCount: { event: 'a', withinDays: 1e308, op: 'gte', value: 1 } } },
        path: '$.body.rule.eventCount.withinDays',
      },
      { body: { name: 'x', rule: [] }, path: '$.body.rule' },
      { body: { name: 'nul\u0000', rule: { tag: 'a' } }, path: '$.body.name' },
      { body: { name: 'x' }, path: '$.body.rule' },
      { body: { name: 'x', rule: { tag: 'a' }, extra: 1 } },
    ];
    for (const { body, path } of hostile) {
      const response = await request('PUT', '/v1/segments/hostile', body);
      expect(response.status, (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 200)).toBe(400);
      if (path) expect(response.body.issues?.map((i) => i.path)).toContain(path);
    }
    // As data: quotes, semicolons and comments in values select customers holding exactly that value.
    const value = "'); drop table customers; --";
    const holder = await newCustomer({ traits: { city: value, note: 'x' }, tags: [value] });
    const saved = await request('PUT', '/v1/segments/hostile', {
      name: value,
      rule: { all: [{ trait: 'city', op: 'eq', value }, { tag: value }, { not: { owns: { category: value } } }] },
    });
    expect(saved.status).toBe(201);
    const refreshed = await request('POST', '/v1/segments/hostile/refresh');
    expect(refreshed.body).toMatchObject({ status: 'refreshed', members: 1, entered: 1 });
    expect(await members('hostile')).toEqual([holder]);
    const preview = await request('POST', '/v1/segments/preview', {
      rule: { trait: 'city', op: 'contains', value: '; --' },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.count).toBe(1);
    const tables = await db.db.execute(
      sql`select to_regclass('public.customers') is not null as c, to_regclass('public.segment_members') is not null as m`,
    );
    expect((Array.isArray(tables) ? tables : (tables as { rows: unknown[] }).rows)[0]).toEqual({ c: true, m: true });
  });

  it('fuzzed rules (random JSON and random mixes of rule keys) give 200 or a 400 with JSON paths, never a 500', async () => {
    const key = fc.constantFrom(
      'all',
      'any',
      'not',
      'trait',
      'op',
      'value',
      'tag',
      'has',
      'aiplStage',
      'owns',
      'orders',
      'eventCount',
      'consent',
      'category',
      'sku',
      'withinDays',
      'count',
      'totalCents',
      'event',
      'channel',
      'topic',
      "'; drop table x; --",
    );
    const leafValue = fc.oneof(
      fc.string(),
      fc.constantFrom('eq', 'in', 'gt', 'contains', 'exists', 'startsWith', 'email', 'interest', 'city', 'a.b', "x'y"),
      fc.integer({ min: -5, max: 400 }),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
    );
    const ruleLike = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leafValue,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(fc.oneof(ruleLike, fc.jsonValue()), async (rule) => {
        const response = await request('POST', '/v1/segments/preview', { rule, limit: 3 });
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) {
          expect(response.body.issues?.length).toBeGreaterThan(0);
          for (const issue of response.body.issues ?? []) expect(issue.path).toMatch(/^\$\.body/);
        }
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('preview counts the customers a rule selects now and returns a sample of them', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map((i) =>
        newCustomer({ traits: { city: 'Preview City', rank: i }, tags: ['preview'], aiplStage: 'interest' }),
      ),
    );
    await newCustomer({ traits: { city: 'Preview City', rank: 9 }, aiplStage: 'loyalty' });
    const response = await request('POST', '/v1/segments/preview', {
      rule: { all: [{ trait: 'city', op: 'eq', value: 'Preview City' }, { aiplStage: ['interest'] }] },
      limit: 2,
    });
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(3);
    const sample = response.body.sample as {
      customerId: string;
      traits: Record<string, unknown>;
      tags: string[];
      aiplStage: string;
    }[];
    expect(sample).toHaveLength(2);
    for (const s of sample) {
      expect(ids).toContain(s.customerId);
      expect(s).toMatchObject({ traits: { city: 'Preview City' }, tags: ['preview'], aiplStage: 'interest' });
    }
    expect((await request('POST', '/v1/segments/preview', { rule: { tag: 'preview' } })).body).toMatchObject({
      count: 3,
    });
  });

  it('refresh computes who entered and who left; members are paged by customer id', async () => {
    const a = await newCustomer({ traits: { city: 'Refreshville' } });
    const b = await newCustomer({ traits: { city: 'Refreshville' } });
    const c = await newCustomer({ traits: { city: 'Refreshville' } });
    await request('PUT', '/v1/segments/refreshville', {
      name: 'R',
      rule: { trait: 'city', op: 'eq', value: 'Refreshville' },
    });
    expect((await request('POST', '/v1/segments/refreshville/refresh')).body).toMatchObject({
      status: 'refreshed',
      members: 3,
      entered: 3,
      left: 0,
      enrollments: 0,
    });
    expect(await members('refreshville')).toEqual(sorted([a, b, c]));

    await db.db
      .update(customers)
      .set({ traits: { city: 'Elsewhere' } })
      .where(eq(customers.id, b));
    const d = await newCustomer({ traits: { city: 'Refreshville' } });
    expect((await request('POST', '/v1/segments/refreshville/refresh')).body).toMatchObject({
      members: 3,
      entered: 1,
      left: 1,
    });
    expect(await members('refreshville')).toEqual(sorted([a, c, d]));
    expect((await request('POST', '/v1/segments/refreshville/refresh')).body).toMatchObject({
      members: 3,
      entered: 0,
      left: 0,
    });
    const segment = (await request('GET', '/v1/segments/refreshville')).body.segment as {
      memberCount: number;
      refreshedAt: string | null;
    };
    expect(segment.memberCount).toBe(3);
    expect(segment.refreshedAt).not.toBeNull();

    const first = await request('GET', '/v1/segments/refreshville/members?limit=2');
    const second = await request('GET', `/v1/segments/refreshville/members?limit=2&after=${String(first.body.next)}`);
    const paged = [
      ...(first.body.members as { customerId: string }[]),
      ...(second.body.members as { customerId: string }[]),
    ].map((m) => m.customerId);
    expect(paged).toEqual(sorted([a, c, d]));
    expect(second.body.next).toBeNull();
    expect((await request('POST', '/v1/segments/nope/refresh')).status).toBe(404);
    expect((await request('GET', '/v1/segments/nope/members')).status).toBe(404);
  });
});

// ---- journeys entered by segment membership --------------------------------------------------

describe('segment-entry journeys', () => {
  it('a refresh starts enrollments for customers entering the segment, once each', async () => {
    const buyer1 = await newCustomer({ traits: { tier: 'gold' } });
    const buyer2 = await newCustomer({ traits: { tier: 'gold' } });
    // A purchase in the last 30 days: not cheap, so only refreshes see it.
    await request('PUT', '/v1/segments/gold-buyers', {
      name: 'Gold buyers',
      rule: { all: [{ trait: 'tier', op: 'eq', value: 'gold' }, { orders: { withinDays: 30 } }] },
    });
    for (const id of [buyer1, buyer2])
      await db.db.insert(orders).values({
        customerId: id,
        externalId: randomUUID(),
        orderedAt: new Date(Date.now() - 86_400_000),
        totalCents: 1000,
      });
    await publishSegmentJourney('gold-welcome', 'gold-buyers');

    expect((await request('POST', '/v1/segments/gold-buyers/refresh')).body).toMatchObject({
      entered: 2,
      enrollments: 2,
    });
    const rows = await enrollmentsOf('gold-welcome', [buyer1, buyer2], 2);
    expect(sorted(rows.map((r) => r.customerId))).toEqual(sorted([buyer1, buyer2]));
    expect(rows.every((r) => r.status === 'active' && r.currentStep === 'wait')).toBe(true);

    // Nothing new: no new enrollments. Leaving and coming back: `once` refuses a second entry.
    expect((await request('POST', '/v1/segments/gold-buyers/refresh')).body).toMatchObject({
      entered: 0,
      enrollments: 0,
    });
    await db.db
      .update(customers)
      .set({ traits: { tier: 'silver' } })
      .where(eq(customers.id, buyer1));
    expect((await request('POST', '/v1/segments/gold-buyers/refresh')).body).toMatchObject({ left: 1 });
    await db.db
      .update(customers)
      .set({ traits: { tier: 'gold' } })
      .where(eq(customers.id, buyer1));
    expect((await request('POST', '/v1/segments/gold-buyers/refresh')).body).toMatchObject({
      entered: 1,
      enrollments: 1,
    }); // still active: signalled, not restarted
    expect(await db.db.select().from(enrollments).where(eq(enrollments.journeyId, 'gold-welcome'))).toHaveLength(2);
    // A live journey enters on it: the segment cannot be deleted.
    expect((await request('DELETE', '/v1/segments/gold-buyers')).status).toBe(409);
  });

  it('publishing a journey whose entry segment does not exist is a 400 at $.entry.segment', async () => {
    await journeysService.createDraft('ghost-entry', {
      name: 'x',
      entry: { type: 'segment', segment: 'ghost' },
      start: 'done',
      steps: { done: { type: 'exit' } },
    });
    const response = await request('POST', '/v1/journeys/ghost-entry/publish');
    expect(response.status).toBe(400);
    expect(response.body.issues?.map((i) => i.path)).toEqual(['$.entry.segment']);
  });

  it('on each routed event batch, cheap segments are re-evaluated for its customers and newcomers enter', async () => {
    await request('PUT', '/v1/segments/email-vips', {
      name: 'Emailable VIPs',
      rule: { all: [{ tag: 'vip' }, { consent: { channel: 'email' } }] },
    });
    await request('PUT', '/v1/segments/app-fans', {
      name: 'App fans',
      rule: { eventCount: { event: 'app_opened', withinDays: 7, op: 'gte', value: 1 } },
    });
    await publishSegmentJourney('vip-welcome', 'email-vips');
    const vip = await newCustomer({ tags: ['vip'], consent: { channels: { email: true }, topics: {} } });
    const other = await newCustomer({ tags: ['vip'], consent: { channels: { email: false }, topics: {} } });
    const bystander = await newCustomer({ tags: ['vip'], consent: { channels: { email: true }, topics: {} } }); // no event: waits for a refresh
    for (const id of [vip, other])
      await db.db
        .insert(events)
        .values({ messageId: randomUUID(), customerId: id, name: 'app_opened', occurredAt: new Date() });

    expect(await router.routeOnce()).toMatchObject({ ran: true, routed: 2 });
    expect(await members('email-vips')).toEqual([vip]);
    expect(await members('app-fans')).toEqual([]); // not cheap: refreshed on the schedule only
    const [row] = await enrollmentsOf('vip-welcome', [vip], 1);
    expect(row).toMatchObject({ customerId: vip, status: 'active' });
    expect(
      await db.db
        .select()
        .from(enrollments)
        .where(inArray(enrollments.customerId, [other, bystander])),
    ).toEqual([]);
    const [pending] = await db.db
      .select()
      .from(segmentMembers)
      .where(and(eq(segmentMembers.segmentId, 'email-vips'), eq(segmentMembers.customerId, vip)));
    expect(pending?.entriesCheckedAt).not.toBeNull();

    // Consent withdrawn (an identify in production): the next batch takes the customer out.
    await db.db
      .update(customers)
      .set({ consent: { channels: { email: false }, topics: {} } })
      .where(eq(customers.id, vip));
    await db.db
      .insert(events)
      .values({ messageId: randomUUID(), customerId: vip, name: 'identify', occurredAt: new Date() });
    await router.routeOnce();
    expect(await members('email-vips')).toEqual([]);
    expect(
      (await db.db.select({ n: segments.memberCount }).from(segments).where(eq(segments.id, 'email-vips')))[0]?.n,
    ).toBe(0);
  });
});

// ---- the refresh workflow and its schedule ----------------------------------------------------

describe('segment refresh on a Temporal Schedule', () => {
  it('the boot function creates the schedule, a second boot updates it; triggered, it refreshes every segment', async () => {
    expect(['created', 'updated']).toContain(await ensureSegmentRefreshSchedule(temporal.client, { taskQueue }));
    expect(await ensureSegmentRefreshSchedule(temporal.client, { taskQueue })).toBe('updated');
    const handle = temporal.client.schedule.getHandle(SEGMENT_REFRESH_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'segmentRefreshWorkflow',
      taskQueue,
    });
    expect(described.spec.intervals?.[0]?.every).toBe(15 * 60_000);
    expect(described.state.paused).toBe(false);

    const lateComer = await newCustomer({ traits: { city: 'Refreshville' } });
    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 250 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 20));
    }
    expect(workflowId).toBeDefined();
    const summary = await temporal.client.workflow.getHandle<typeof segmentRefreshWorkflow>(workflowId!).result();
    const total = (await db.db.select({ id: segments.id }).from(segments)).length;
    expect(summary).toMatchObject({ refreshed: total, failed: [] });
    expect(await members('refreshville')).toContain(lateComer);
  });

  it('a segment whose refresh fails for good is reported; the others still refresh', async () => {
    const fakeQueue = uniqueTaskQueue('segment-refresh-fake');
    const refreshed: string[] = [];
    const fakes: Pick<Activities, 'listSegmentIds' | 'refreshSegment'> = {
      async listSegmentIds() {
        return ['a', 'broken', 'c'];
      },
      async refreshSegment({ segmentId }) {
        if (segmentId === 'broken')
          throw ApplicationFailure.create({
            type: 'InvalidSegmentRule',
            message: 'stored rule is invalid',
            nonRetryable: true,
          });
        refreshed.push(segmentId);
        return { segmentId, status: 'refreshed', members: 5, entered: 2, left: 1, enrollments: 2 };
      },
    };
    const fakeWorker = await createTestWorker({ connection: temporal.native, taskQueue: fakeQueue, activities: fakes });
    const summary = await fakeWorker.runUntil(async () => {
      const handle = await temporal.client.workflow.start(segmentRefreshWorkflow, {
        taskQueue: fakeQueue,
        workflowId: segmentRefreshWorkflowId(randomUUID()),
        args: [{ v: 1 }],
      });
      const result = await handle.result();
      await saveHistoryIfRecording('segment-refresh-one-failing', handle);
      return result;
    });
    expect(refreshed).toEqual(['a', 'c']);
    expect(summary).toEqual({
      refreshed: 2,
      entered: 4,
      left: 2,
      enrollments: 4,
      failed: [{ segmentId: 'broken', message: 'stored rule is invalid' }],
    });
  });
});
