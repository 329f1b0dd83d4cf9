/**
 * Ops end to end: a real enrollment on the dev server (real worker, real activities, an in-memory
 * email transport) inspected through the API — filters, describe, history timeline in journey
 * terms, cancel with a reason, the customer's timeline — and the 400s for bad input.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import type { OutboundMessage, Transport } from '../../activities/transports';
import type { TimelineEntry } from '../../services/ops/history-timeline';
import type { TimelineItem } from '../../services/ops/customer-timeline';
import { customerIdentities, customers, enrollments, events, templates } from '../../drizzle/schema';
import { eventSignal } from '../../workflows/contracts/enrollment';
import { startApiStack, type ApiStack } from '../setup/api-stack';
import { eventually } from '../setup/harness';

const ADMIN_KEY = 'ops-test-admin-key-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

let stack: ApiStack;
let db: ApiStack['db'];
let temporal: ApiStack['temporal'];
let app: FastifyInstance;
let startedWorkflows: Set<string>;
const outbox: OutboundMessage[] = [];

const memoryEmail: Transport = {
  idempotent: true,
  async send(message) {
    outbox.push(message);
    return { providerMessageId: `mem-${outbox.length}` };
  },
};

beforeAll(async () => {
  stack = await startApiStack({
    name: 'ops',
    adminApiKey: ADMIN_KEY,
    activities: ({ db }) =>
      createActivities({
        db: db.db,
        transports: { email: memoryEmail },
        clock: () => new Date(),
        publicUrl: 'http://127.0.0.1',
      }),
    app: () => ({ temporalUiUrl: 'http://ui.example:8233/' }),
  });
  ({ db, temporal, app, started: startedWorkflows } = stack);
  await db.db.insert(templates).values([
    { id: 'ops-welcome', channel: 'email', subject: 'Welcome', text: 'Hello {{customer.firstName}}' },
    { id: 'ops-promo', channel: 'email', subject: 'Deals', text: 'Deals for you' },
  ]);
});

afterAll(async () => {
  await stack?.close();
});

async function call<T>(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await app.inject({
    method,
    url,
    headers: AUTH,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: response.json<T>() };
}

/** Welcome mail, 2 s, a promotion the customer unsubscribed from (skipped), then a 30-day wait. */
const opsJourney = {
  name: 'Ops walk-through',
  entry: { type: 'api' },
  start: 'welcome',
  steps: {
    welcome: { type: 'send', channel: 'email', template: 'ops-welcome', next: 'pause' },
    pause: { type: 'wait', duration: { seconds: 2 }, next: 'promo' },
    promo: { type: 'send', channel: 'email', template: 'ops-promo', topic: 'promotions', next: 'linger' },
    linger: { type: 'wait', duration: { days: 30 }, next: 'done' },
    done: { type: 'exit', reason: 'waited' },
  },
};

async function newCustomer(): Promise<string> {
  const [row] = await db.db
    .insert(customers)
    .values({ traits: { firstName: 'Mei' }, consent: { channels: { email: true }, topics: { promotions: false } } })
    .returning({ id: customers.id });
  await db.db
    .insert(customerIdentities)
    .values({ kind: 'email', value: `${row!.id}@example.com`, customerId: row!.id });
  return row!.id;
}

interface Row {
  id: string;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  workflowId: string;
  status: string;
  currentStep: string | null;
  nextWakeAt: string | null;
  exitReason: string | null;
  path: { step: string; at: string; outcome?: string }[];
}

const journeyId = `ops-${randomUUID().slice(0, 8)}`;
let customerId: string;
let enrollment: Row;

describe('an enrollment inspected, cancelled and explained', () => {
  beforeAll(async () => {
    expect((await call('PUT', `/v1/journeys/${journeyId}`, opsJourney)).status).toBe(201);
    expect((await call('POST', `/v1/journeys/${journeyId}/publish`)).status).toBe(200);
    customerId = await newCustomer();
    const entered = await call<{ status: string; workflowId: string }>(
      'POST',
      `/v1/journeys/${journeyId}/enrollments`,
      { customerId },
    );
    expect(entered.status).toBe(202);
    startedWorkflows.add(entered.body.workflowId);
    enrollment = await eventually('the enrollment resting in the 30-day wait', async () => {
      const { body } = await call<{ enrollments: Row[] }>(
        'GET',
        `/v1/enrollments?journeyId=${journeyId}&customerId=${customerId}`,
      );
      const row = body.enrollments[0];
      return row?.currentStep === 'linger' && row.nextWakeAt ? row : undefined;
    });
  });

  it('lists it by journey, version, step, status and customer, and not under another step or version', async () => {
    const list = async (query: string) =>
      (await call<{ enrollments: Row[] }>('GET', `/v1/enrollments?${query}`)).body.enrollments.map((r) => r.id);
    expect(await list(`journeyId=${journeyId}&version=1&step=linger&status=active`)).toEqual([enrollment.id]);
    expect(await list(`customerId=${customerId}`)).toEqual([enrollment.id]);
    expect(await list(`journeyId=${journeyId}&step=welcome`)).toEqual([]);
    expect(await list(`journeyId=${journeyId}&version=2`)).toEqual([]);
  });

  it('describes it: current step, next wake-up, path with times, messages sent and skipped with reasons, Web UI link', async () => {
    const { status, body } = await call<{
      enrollment: Row;
      live: { stepId: string; nextWakeAt: string } | null;
      messages: { stepId: string; status: string; reason: string | null; templateId: string }[];
      temporalUiUrl: string;
    }>('GET', `/v1/enrollments/${enrollment.id}`);
    expect(status).toBe(200);
    expect(body.enrollment).toMatchObject({ currentStep: 'linger', status: 'active' });
    expect(Date.parse(body.enrollment.nextWakeAt!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(body.live).toMatchObject({ stepId: 'linger', nextWakeAt: body.enrollment.nextWakeAt });
    expect(body.enrollment.path.map((p) => [p.step, p.outcome ?? null])).toEqual([
      ['welcome', 'sent'],
      ['pause', null],
      ['promo', 'skipped:unsubscribed-topic'],
    ]);
    for (const p of body.enrollment.path) expect(Number.isNaN(Date.parse(p.at))).toBe(false);
    expect(body.messages.map((m) => [m.stepId, m.templateId, m.status, m.reason])).toEqual([
      ['welcome', 'ops-welcome', 'sent', null],
      ['promo', 'ops-promo', 'skipped', 'unsubscribed-topic'],
    ]);
    expect(body.temporalUiUrl).toBe(
      `http://ui.example:8233/namespaces/default/workflows/${encodeURIComponent(enrollment.workflowId)}`,
    );
    expect(outbox.map((m) => m.text)).toContain('Hello Mei');
  });

  it('cancels it with a reason: the workflow ends and the mirror shows cancelled + the reason', async () => {
    const handle = temporal.client.workflow.getHandle(enrollment.workflowId);
    // An ordinary event first, so the timeline shows a signal before the exit request.
    await handle.signal(eventSignal, {
      id: `ev-${randomUUID()}`,
      name: 'page_viewed',
      properties: {},
      timestamp: new Date().toISOString(),
    });
    const sent = await call<{ status: string; reason: string }>('POST', `/v1/enrollments/${enrollment.id}/cancel`, {
      reason: 'customer asked by phone',
    });
    expect(sent).toMatchObject({ status: 202, body: { status: 'cancelling', reason: 'customer asked by phone' } });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'cancelled', reason: 'customer asked by phone' });
    const row = await eventually('the cancelled mirror row', async () => {
      const [r] = await db.db.select().from(enrollments).where(eq(enrollments.id, enrollment.id));
      return r?.status === 'cancelled' ? r : undefined;
    });
    expect(row).toMatchObject({
      status: 'cancelled',
      exitReason: 'customer asked by phone',
      currentStep: null,
      nextWakeAt: null,
    });
    expect(row.exitedAt).toBeInstanceOf(Date);

    const again = await call<{ error: string }>('POST', `/v1/enrollments/${enrollment.id}/cancel`, { reason: 'twice' });
    expect(again).toMatchObject({ status: 409, body: { error: 'conflict' } });
  });

  it('renders its history as a timeline of waits, signals and sends in order', async () => {
    const { status, body } = await call<{ timeline: TimelineEntry[]; temporalUiUrl: string; workflowId: string }>(
      'GET',
      `/v1/enrollments/${enrollment.id}/history`,
    );
    expect(status).toBe(200);
    expect(body.workflowId).toBe(enrollment.workflowId);
    const lines = body.timeline.map((e) => `${e.kind}: ${e.text}`.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<t>'));
    expect(lines).toEqual([
      `entered: entered ${journeyId} v1 on event api_entry`,
      'event: event api_entry received', // the entry event arrives with signalWithStart
      'step: step welcome (send)',
      'send: sent email via template ops-welcome',
      'step: step pause (wait)',
      'wait: waiting until <t>',
      'woke: woke (waited until <t>)',
      'step: step promo (send)',
      'skip: skipped email via template ops-promo: unsubscribed-topic',
      'step: step linger (wait)',
      'wait: waiting until <t>',
      'event: event page_viewed received',
      'control: exit requested: customer asked by phone',
      'wait-ended: wait until <t> ended early',
      'completed: cancelled: customer asked by phone',
    ]);
    // Times ascend, and the waits say when they would have ended.
    const times = body.timeline.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const [shortWait, longWait] = body.timeline.filter((e) => e.kind === 'wait');
    expect(Date.parse(shortWait!.details!.until as string) - Date.parse(shortWait!.at)).toBe(2_000);
    expect(Date.parse(longWait!.details!.until as string) - Date.parse(longWait!.at)).toBeGreaterThan(29 * 86_400_000);
    expect(body.timeline.find((e) => e.kind === 'skip')).toMatchObject({
      step: 'promo',
      details: { status: 'skipped', reason: 'unsubscribed-topic', template: 'ops-promo' },
    });
  });

  it("shows the customer's timeline across journeys, newest first, paged without gaps or repeats", async () => {
    // Events of the customer, some sharing a timestamp, to exercise the keyset cursor.
    const base = Date.parse(enrollment.path[0]!.at) - 60_000;
    await db.db.insert(events).values(
      Array.from({ length: 5 }, (_, i) => ({
        messageId: `tl-${randomUUID()}`,
        customerId,
        name: `browsed_${i}`,
        occurredAt: new Date(base + Math.floor(i / 2) * 1000),
      })),
    );
    const all: TimelineItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { status: number; body: { items: TimelineItem[]; nextCursor: string | null } } = await call(
        'GET',
        `/v1/customers/${customerId}/timeline?${query}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    // 5 events + 2 messages + entry + exit.
    expect(all).toHaveLength(9);
    expect(new Set(all.map((i) => i.id)).size).toBe(9);
    const times = all.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(all[0]).toMatchObject({
      kind: 'exited',
      journeyId,
      text: `left ${journeyId} v1: cancelled (customer asked by phone)`,
    });
    expect(
      all
        .filter((i) => i.kind === 'message')
        .map((i) => i.details.status)
        .sort(),
    ).toEqual(['sent', 'skipped']);
    expect(
      all
        .filter((i) => i.kind === 'event')
        .map((i) => i.text)
        .sort(),
    ).toEqual(['browsed_0', 'browsed_1', 'browsed_2', 'browsed_3', 'browsed_4'].map((n) => `event ${n}`));
    expect(all.at(-1)!.kind).toBe('event');
  });
});

describe('bad input is a 400 naming the JSON path, unknown ids a 404', () => {
  it.each([
    ['/v1/enrollments?limit=0', '$.query.limit'],
    ['/v1/enrollments?version=first', '$.query.version'],
    ['/v1/enrollments?status=sleeping', '$.query.status'],
    ['/v1/enrollments?cursor=not-a-cursor', '$.query.cursor'],
    ['/v1/enrollments?customerId=42', '$.query.customerId'],
    ['/v1/enrollments/not-a-uuid/history', '$.params.id'],
    ['/v1/customers/not-a-uuid/timeline', '$.params.id'],
    [`/v1/customers/${randomUUID()}/timeline?limit=9999`, '$.query.limit'],
  ])('GET %s → 400 at %s', async (url, path) => {
    const sent = await call<{ error: string; issues: { path: string; message: string }[] }>('GET', url);
    expect(sent.status).toBe(400);
    expect(sent.body.error).toBe('invalid_request');
    expect(sent.body.issues.map((i) => i.path)).toContain(path);
  });

  it.each([
    ['no reason', {}, '$.body.reason'],
    ['an empty reason', { reason: '  ' }, '$.body.reason'],
    ['a reason that is not text', { reason: 42 }, '$.body.reason'],
  ])('POST cancel with %s → 400 at %s', async (_what, payload, path) => {
    const sent = await call<{ issues: { path: string }[] }>('POST', `/v1/enrollments/${randomUUID()}/cancel`, payload);
    expect(sent.status).toBe(400);
    expect(sent.body.issues.map((i) => i.path)).toEqual([path]);
  });

  it.each([
    ['GET', `/v1/enrollments/${randomUUID()}`],
    ['GET', `/v1/enrollments/${randomUUID()}/history`],
    ['POST', `/v1/enrollments/${randomUUID()}/cancel`],
    ['GET', `/v1/customers/${randomUUID()}/timeline`],
  ] as const)('%s %s of an unknown id → 404', async (method, url) => {
    const sent = await call<{ error: string }>(method, url, method === 'POST' ? { reason: 'x' } : undefined);
    expect(sent).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });
});
