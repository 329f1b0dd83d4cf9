/**
 * Simulation: the real enrollment workflow on a private time-skipping server with simulation
 * activities — real rendering and guardrails, no delivery, nothing written.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollments, messages, suppressions, templates } from '../../drizzle/schema';
import { fromLocal, addCivilDays, toLocal } from '../../domain/time';
import { createSimulator, SimulationInputError, type SimulatedCustomer } from '../../simulation/simulate';
import { define, phoneNurture } from '../fixtures/journeys';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';
import { connectDevServer, createTestDatabase, uniqueTaskQueue, workflowBundle } from '../setup/harness';
import { buildApp } from '../../api/app';
import { descendants, eventually, isTimeSkippingServer } from '../setup/processes';

const DAY = 86_400_000;
const ZONE = 'Asia/Shanghai';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sink: SmtpSink;
let simulate: ReturnType<typeof createSimulator>;

beforeAll(async () => {
  [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  await db.db.insert(templates).values([
    {
      id: 'phone-welcome',
      channel: 'email',
      subject: '{{customer.firstName}}, your next phone',
      text: 'Hi {{customer.firstName}}, here are phones for you.',
    },
    {
      id: 'phone-compare',
      channel: 'email',
      subject: 'Compare {{event.model}}',
      text: 'Compare {{event.model}} with others.',
      html: '<p>Compare <b>{{event.model}}</b></p>',
    },
    { id: 'phone-reviews', channel: 'email', subject: 'Reviews', text: 'What owners say.' },
    { id: 'phone-offer', channel: 'sms', text: '{{customer.firstName}}: 200 off this week.' },
  ]);
  simulate = createSimulator({
    db: db.db,
    testServer: async () => inject('testServerExecutable'),
    workflowBundle: async () => workflowBundle(),
  });
});

afterAll(async () => {
  await sink?.close();
  await db?.close();
});

function customer(overrides: Partial<SimulatedCustomer> = {}): SimulatedCustomer {
  return {
    customerId: randomUUID(),
    traits: { firstName: 'Mei' },
    tags: [],
    aiplStage: 'interest',
    timeZone: ZONE,
    locale: 'zh-CN',
    consent: { channels: { email: true, sms: true }, topics: {} },
    ownedProducts: [],
    eventCounts: {},
    ...overrides,
  };
}

/** 22:30 in Shanghai, two days from now: inside the 21:00–09:00 quiet hours. */
function lateEveningSoon(): Date {
  const today = toLocal(new Date(), ZONE);
  return fromLocal({ ...addCivilDays(today, 2), hour: 22, minute: 30, second: 0, millisecond: 0 }, ZONE);
}
const seconds = (iso: string) => Date.parse(iso) / 1000;
const local = (date: string) => {
  const l = toLocal(new Date(date), ZONE);
  return `${l.year}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')} ${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`;
};

const quietNurture = define({
  ...phoneNurture,
  settings: { ...phoneNurture.settings, quietHours: { start: '21:00', end: '09:00' } },
} as Parameters<typeof define>[0]);

describe('simulating the 41-day phone nurture', () => {
  it('returns the exact dated schedule: the 22:30 welcome deferred to 09:00, then touches 10, 20 and 31 days later, exit on day 41', async () => {
    const startAt = lateEveningSoon();
    const result = await simulate({
      journey: { id: 'phone-nurture', version: 1, definition: quietNurture },
      customer: customer(),
      entryProperties: { category: 'phone', model: 'MX7' },
      events: [],
      startAt: startAt.toISOString(),
    });

    const nineAm = fromLocal(
      { ...addCivilDays(toLocal(startAt, ZONE), 1), hour: 9, minute: 0, second: 0, millisecond: 0 },
      ZONE,
    );
    const at = (days: number) => new Date(nineAm.getTime() + days * DAY).toISOString();
    // Simulated time is exact to the second: only the milliseconds the worker spends on each step are added.
    expect(seconds(result.startedAt)).toBeCloseTo(seconds(startAt.toISOString()), -1);
    expect(result.messages.map((m) => [m.status, m.step, m.channel, seconds(m.at), m.until ?? null])).toEqual([
      ['deferred', 'welcome', 'email', expect.closeTo(seconds(startAt.toISOString()), -1), nineAm.toISOString()],
      ['would-send', 'welcome', 'email', expect.closeTo(seconds(at(0)), -1), null],
      ['would-send', 'compare', 'email', expect.closeTo(seconds(at(10)), -1), null],
      ['would-send', 'reviews', 'email', expect.closeTo(seconds(at(20)), -1), null],
      ['would-send', 'offer', 'sms', expect.closeTo(seconds(at(31)), -1), null],
    ]);
    expect(result.messages.map((m) => local(m.at))).toEqual([
      local(startAt.toISOString()),
      ...[0, 10, 20, 31].map((d) => local(at(d))),
    ]);
    expect(result.messages[1]).toMatchObject({
      subject: 'Mei, your next phone',
      text: 'Hi Mei, here are phones for you.',
    });
    expect(result.messages[2]).toMatchObject({ subject: 'Compare MX7', html: '<p>Compare <b>MX7</b></p>' });
    expect(result.messages[4]).toMatchObject({ text: 'Mei: 200 off this week.' });
    expect(result.outcome).toEqual({ status: 'completed', reason: 'decision-window-over' });
    expect(seconds(result.endedAt)).toBeCloseTo(seconds(at(41)), -1);
    expect(result.steps.map((s) => s.step)).toEqual([
      'welcome',
      'wait1',
      'compare',
      'wait2',
      'reviews',
      'wait3',
      'offer',
      'wait4',
      'done',
    ]);
    expect(result.wallMs).toBeLessThan(20_000); // the benchmark holds the real target; this only catches a hang
  });

  it('a scripted purchase on day 15 converts: only the first two touches, and nothing after', async () => {
    const result = await simulate({
      journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
      customer: customer(),
      entryProperties: { category: 'phone', model: 'MX7' },
      events: [
        { afterMs: 15 * DAY, name: 'order_completed', properties: { category: 'phone' } },
        { afterMs: 16 * DAY, name: 'app_opened', properties: {} },
      ],
    });
    expect(result.messages.filter((m) => m.status === 'would-send').map((m) => m.step)).toEqual(['welcome', 'compare']);
    expect(result.outcome.status).toBe('converted');
    expect(seconds(result.endedAt) - seconds(result.startedAt)).toBeCloseTo(15 * 86_400, -1);
    expect(result.events.map((e) => [e.name, e.delivered, seconds(e.at) - seconds(result.startedAt)])).toEqual([
      ['order_completed', true, expect.closeTo(15 * 86_400, -1)],
      ['app_opened', false, expect.closeTo(16 * 86_400, -1)],
    ]);
  });

  it('guardrails apply: without SMS consent the offer is skipped with its reason; a missing template is reported', async () => {
    const broken = define({
      ...phoneNurture,
      steps: {
        ...phoneNurture.steps,
        reviews: { type: 'send', channel: 'email', template: 'no-such-template', next: 'wait3' },
      },
    } as Parameters<typeof define>[0]);
    const result = await simulate({
      journey: { id: 'phone-nurture', version: 2, definition: broken },
      customer: customer({ consent: { channels: { email: true }, topics: {} } }),
      entryProperties: { category: 'phone', model: 'MX7' },
      events: [],
    });
    expect(result.messages.map((m) => [m.step, m.status, m.reason ?? null])).toEqual([
      ['welcome', 'would-send', null],
      ['compare', 'would-send', null],
      ['reviews', 'skipped', 'template-not-found'],
      ['offer', 'skipped', 'no-consent'],
    ]);
  });

  it('the production guardrails apply: a suppressed address is skipped and a do-not-disturb date defers, as the worker would', async () => {
    // Noon in Shanghai, two days from now: the deployment's do-not-disturb date.
    const noon = fromLocal(
      { ...addCivilDays(toLocal(new Date(), ZONE), 2), hour: 12, minute: 0, second: 0, millisecond: 0 },
      ZONE,
    );
    const l = toLocal(noon, ZONE);
    const dndDate = `${l.year}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')}`;
    const nextMidnight = fromLocal({ ...addCivilDays(l, 1), hour: 0, minute: 0, second: 0, millisecond: 0 }, ZONE);
    const address = `bounced.${randomUUID().slice(0, 8)}@example.com`;
    await db.db.insert(suppressions).values({ channel: 'email', address, reason: 'hard-bounce' });
    const withPolicy = createSimulator({
      db: db.db,
      testServer: async () => inject('testServerExecutable'),
      workflowBundle: async () => workflowBundle(),
      sendPolicy: { doNotDisturb: [dndDate] },
    });
    try {
      const suppressed = await withPolicy({
        journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
        customer: customer({ addresses: { email: address, sms: '+8613800000000' } }),
        entryProperties: { category: 'phone', model: 'MX7' },
        events: [],
        startAt: new Date(nextMidnight.getTime() + 10 * 3_600_000).toISOString(), // 10:00 the day after
      });
      expect(suppressed.messages.map((m) => [m.step, m.status, m.reason ?? null])).toEqual([
        ['welcome', 'skipped', 'suppressed:hard-bounce'],
        ['compare', 'skipped', 'suppressed:hard-bounce'],
        ['reviews', 'skipped', 'suppressed:hard-bounce'],
        ['offer', 'would-send', null],
      ]);

      const onDnd = await withPolicy({
        journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
        customer: customer(),
        entryProperties: { category: 'phone', model: 'MX7' },
        events: [],
        startAt: noon.toISOString(),
        horizonDays: 2,
      });
      expect(onDnd.messages.map((m) => [m.step, m.status, m.reason ?? null, m.until ?? null])).toEqual([
        ['welcome', 'deferred', 'do-not-disturb', nextMidnight.toISOString()],
        ['welcome', 'would-send', null, null],
      ]);
      expect(seconds(onDnd.messages[1]!.at)).toBeCloseTo(seconds(nextMidnight.toISOString()), -1);
    } finally {
      await withPolicy.close();
    }
  });

  it('stops at the horizon when the journey is still running, and refuses a start in the past', async () => {
    const result = await simulate({
      journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
      customer: customer(),
      entryProperties: { category: 'phone', model: 'MX7' },
      events: [],
      horizonDays: 12,
    });
    expect(result.outcome.status).toBe('active-at-horizon');
    expect(Date.parse(result.endedAt) - Date.parse(result.startedAt)).toBeCloseTo(12 * DAY, -4);
    expect(result.messages.filter((m) => m.status === 'would-send').map((m) => m.step)).toEqual(['welcome', 'compare']);

    await expect(
      simulate({
        journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
        customer: customer(),
        events: [],
        startAt: '2020-01-01T00:00:00Z',
      }),
    ).rejects.toBeInstanceOf(SimulationInputError);
  });

  it('never delivers or writes: the SMTP server receives nothing, and no ledger or enrollment rows exist', async () => {
    expect(sink.messages).toHaveLength(0);
    expect(await db.db.select().from(messages)).toEqual([]);
    expect(await db.db.select().from(enrollments)).toEqual([]);
  });
});

describe('POST /v1/journeys/:id/simulate', () => {
  const KEY = 'simulation-test-admin-key-000000001';
  const auth = { authorization: `Bearer ${KEY}` };
  let app: Awaited<ReturnType<typeof buildApp>>;
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  beforeAll(async () => {
    temporal = await connectDevServer();
    app = await buildApp({
      db: db.db,
      temporal: temporal.client,
      taskQueue: uniqueTaskQueue('sim'),
      adminApiKey: KEY,
      simulate,
      checkOnPublish: true,
    });
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/journeys/phone-nurture',
      headers: auth,
      payload: phoneNurture,
    });
    expect(put.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await temporal?.close();
  });

  it('simulates the draft for a made-up profile with a scripted purchase', async () => {
    const sent = await app.inject({
      method: 'POST',
      url: '/v1/journeys/phone-nurture/simulate',
      headers: auth,
      payload: {
        profile: { traits: { firstName: 'Li' }, consent: { channels: { email: true } }, timeZone: 'Asia/Shanghai' },
        entry: { properties: { category: 'phone', model: 'P60' } },
        events: [{ after: { days: 12 }, name: 'order_completed', properties: { category: 'phone' } }],
      },
    });
    expect(sent.statusCode).toBe(200);
    const { simulation } = sent.json<{
      simulation: {
        journeyVersion: number;
        outcome: { status: string };
        messages: { step: string; status: string; subject?: string }[];
      };
    }>();
    expect(simulation.journeyVersion).toBe(0); // the draft
    expect(simulation.outcome.status).toBe('converted');
    expect(simulation.messages.map((m) => [m.step, m.status, m.subject ?? null])).toEqual([
      ['welcome', 'would-send', 'Li, your next phone'],
      ['compare', 'would-send', 'Compare P60'],
    ]);
  });

  it('publishing simulates the draft on sample customers first and reports templates that do not render', async () => {
    const draft = { ...phoneNurture, name: 'checked' };
    expect(
      (await app.inject({ method: 'PUT', url: '/v1/journeys/checked-nurture', headers: auth, payload: draft }))
        .statusCode,
    ).toBe(201);
    const published = await app.inject({ method: 'POST', url: '/v1/journeys/checked-nurture/publish', headers: auth });
    expect(published.statusCode).toBe(200);
    const body = published.json<{
      version: number;
      check: {
        samples: {
          customer: string;
          outcome: string;
          messages: number;
          problems: { step: string; reason: string }[];
        }[];
      };
    }>();
    expect(body.version).toBe(1);
    // The synthetic sample consents to everything but has no `event.model` from an entry event: the
    // compare template fails to render for it, which is what the check is for.
    expect(body.check.samples[0]).toMatchObject({ customer: 'synthetic', outcome: 'completed' });
    expect(body.check.samples[0]!.problems).toEqual([
      { step: 'compare', reason: expect.stringMatching(/^render-failed: .*model/) },
    ]);
  });

  it('answers 400 with JSON paths for a bad script, a start in the past and a profile with a customerId', async () => {
    const cases: [unknown, string][] = [
      [{ events: [{ after: {}, name: 'x' }] }, '$.body.events[0].after'],
      [{ events: [{ after: { days: -1 }, name: 'x' }] }, '$.body.events[0].after.days'],
      [{ horizonDays: 5000 }, '$.body.horizonDays'],
      [{ profile: { timeZone: 'Mars/Olympus' } }, '$.body.profile.timeZone'],
      [{ customerId: '00000000-0000-4000-8000-000000000000', profile: {} }, '$.body.profile'],
      [{ startAt: '2020-01-01T00:00:00Z' }, '$.body.startAt'],
    ];
    for (const [payload, path] of cases) {
      const sent = await app.inject({
        method: 'POST',
        url: '/v1/journeys/phone-nurture/simulate',
        headers: auth,
        payload: payload as object,
      });
      expect(sent.statusCode, JSON.stringify(payload)).toBe(400);
      expect(sent.json<{ issues: { path: string }[] }>().issues.map((i) => i.path)).toContain(path);
    }
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/journeys/phone-nurture/simulate',
      headers: auth,
      payload: { customerId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknown.statusCode).toBe(404);
    const noJourney = await app.inject({
      method: 'POST',
      url: '/v1/journeys/nope/simulate',
      headers: auth,
      payload: {},
    });
    expect(noJourney.statusCode).toBe(404);
  });
});

describe('a simulator keeping a spare server', () => {
  it('serves the next simulation from the spare with the same dated schedule, starting now (not where the last one left the clock), and stops it on close', async () => {
    const warm = createSimulator({
      db: db.db,
      testServer: async () => inject('testServerExecutable'),
      workflowBundle: async () => workflowBundle(),
      keepSpare: true,
    });
    try {
      const request = {
        journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
        customer: customer(),
        entryProperties: { category: 'phone', model: 'MX7' },
        events: [],
      };
      const schedule = (result: Awaited<ReturnType<typeof simulate>>) =>
        result.messages.map((m) => [
          m.status,
          m.step,
          Math.round((Date.parse(m.at) - Date.parse(result.startedAt)) / DAY),
        ]);
      const cold = await warm(request);
      await warm.ready();
      const before = Date.now();
      const served = await warm(request);
      expect(Date.parse(served.startedAt)).toBeGreaterThanOrEqual(before - 60_000);
      expect(Date.parse(served.startedAt)).toBeLessThan(Date.now() + 60_000); // not 41 days on, where the cold run's server ended
      expect(schedule(served)).toEqual(schedule(cold));
      expect(served.outcome).toEqual(cold.outcome);
      expect(served.messages.filter((m) => m.status === 'would-send')).toHaveLength(4);
    } finally {
      await warm.close();
    }
    await warm.ready(); // nothing left starting after close
  }, 180_000);
});

describe('concurrent simulations through the API', () => {
  it('share a bounded set of servers and leave at most one spare running afterwards', async () => {
    const KEY = 'simulation-test-admin-key-000000002';
    const temporal = await connectDevServer();
    const simulator = createSimulator({
      db: db.db,
      testServer: async () => inject('testServerExecutable'),
      workflowBundle: async () => workflowBundle(),
      keepSpare: true,
      maxConcurrent: 2,
    });
    const app = await buildApp({
      db: db.db,
      temporal: temporal.client,
      taskQueue: uniqueTaskQueue('sim-many'),
      adminApiKey: KEY,
      simulate: simulator,
    });
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/journeys/many-nurture',
      headers: { authorization: `Bearer ${KEY}` },
      payload: phoneNurture,
    });
    expect(put.statusCode).toBe(201);
    const servers = () => descendants(process.pid).filter(isTimeSkippingServer);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, servers().length)), 100);
    try {
      const responses = await Promise.all(
        Array.from({ length: 4 }, () =>
          app.inject({
            method: 'POST',
            url: '/v1/journeys/many-nurture/simulate',
            headers: { authorization: `Bearer ${KEY}` },
            payload: { entry: { properties: { category: 'phone', model: 'P60' } } },
          }),
        ),
      );
      expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
      await simulator.ready();
      expect(servers()).toHaveLength(1); // the spare
      expect(peak).toBeLessThanOrEqual(3); // two running, one spare starting
    } finally {
      clearInterval(sampler);
      await app.close();
      await simulator.close();
      await temporal.close();
    }
    expect(await eventually(servers, (left) => left.length === 0)).toEqual([]);
  }, 240_000);
});
