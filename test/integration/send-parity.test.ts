/**
 * Guardrail parity: for the same facts and the same `now`, the real send activity (real Postgres
 * ledger, a recording transport) and the simulator's send decide the same — send, skip with the
 * same reason, or defer to the same instant. Both call `decideSend`; this test guards the facts each
 * of them gathers (do-not-disturb dates and suppressions included).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendActivities, type SendOutcome, type SendRequest } from '../../activities/send';
import { createTemplateEngine } from '../../services/messaging/templates';
import type { Transport } from '../../activities/transports';
import { customerIdentities, customers, messages, suppressions, templates, type Consent } from '../../drizzle/schema';
import { newRecord, simulationActivities, type SendPolicy, type SimulatedCustomer } from '../../simulation/simulate';
import { createTestDatabase } from '../setup/harness';

/** 12:00 in Asia/Shanghai (Wednesday 2027-03-10). */
const NOON = new Date('2027-03-10T04:00:00.000Z');
/** 23:00 in Asia/Shanghai: inside 21:00-08:00 quiet hours. */
const ELEVEN_PM = new Date('2027-03-10T15:00:00.000Z');
const POLICY: SendPolicy = { doNotDisturb: ['2027-03-11'], caps: { all: { day: 2 } } };
/** 12:00 in Asia/Shanghai on the do-not-disturb date. */
const DND_NOON = new Date('2027-03-11T04:00:00.000Z');

interface Case {
  name: string;
  consent?: Consent;
  address?: string | null;
  suppressed?: 'hard-bounce' | 'complaint';
  /** Marketing messages already sent today (ledger rows), for the cap. */
  sentToday?: number;
  tags?: string[];
  now: Date;
  request?: Partial<SendRequest>;
  expected: Pick<SendOutcome, 'status'> & { reason?: string; until?: string };
}

const consented: Consent = { channels: { email: true }, topics: {} };
const cases: Case[] = [
  { name: 'consented marketing at noon', now: NOON, expected: { status: 'sent' } },
  {
    name: 'marketing with channel consent off',
    consent: { channels: { email: false }, topics: {} },
    now: NOON,
    expected: { status: 'skipped', reason: 'no-consent' },
  },
  {
    name: 'transactional with consent never given',
    consent: { channels: {}, topics: {} },
    now: NOON,
    request: { kind: 'transactional' },
    expected: { status: 'sent' },
  },
  {
    name: 'marketing on an unsubscribed topic',
    consent: { channels: { email: true }, topics: { promotions: false } },
    now: NOON,
    expected: { status: 'skipped', reason: 'unsubscribed-topic' },
  },
  { name: 'no email address', address: null, now: NOON, expected: { status: 'skipped', reason: 'no-address' } },
  {
    name: 'a suppressed address (marketing)',
    suppressed: 'hard-bounce',
    now: NOON,
    expected: { status: 'skipped', reason: 'suppressed:hard-bounce' },
  },
  {
    name: 'a suppressed address (transactional, in quiet hours)',
    suppressed: 'complaint',
    now: ELEVEN_PM,
    request: { kind: 'transactional' },
    expected: { status: 'skipped', reason: 'suppressed:complaint' },
  },
  {
    name: 'onlyIf no longer holds',
    tags: ['vip'],
    now: NOON,
    request: { onlyIf: [{ kind: 'attribute', path: 'tags', op: 'contains', value: 'churned' }] },
    expected: { status: 'skipped', reason: 'condition-failed' },
  },
  {
    name: 'onlyIf holds',
    tags: ['vip'],
    now: NOON,
    request: { onlyIf: [{ kind: 'attribute', path: 'tags', op: 'contains', value: 'vip' }] },
    expected: { status: 'sent' },
  },
  {
    name: 'marketing in quiet hours',
    now: new Date('2027-03-09T15:00:00.000Z'), // 23:00 on the 9th: until 08:00 on the 10th
    expected: { status: 'deferred', reason: 'quiet-hours', until: '2027-03-10T00:00:00.000Z' },
  },
  {
    name: 'marketing on a do-not-disturb date',
    now: DND_NOON,
    expected: { status: 'deferred', reason: 'do-not-disturb', until: '2027-03-12T00:00:00.000Z' },
  },
  {
    name: 'quiet hours ending on a do-not-disturb date',
    now: ELEVEN_PM,
    // 08:00 on the 11th is DND; the 12th starts at midnight, inside quiet hours again: 08:00 on the 12th.
    expected: { status: 'deferred', reason: 'quiet-hours', until: '2027-03-12T00:00:00.000Z' },
  },
  {
    name: 'transactional on a do-not-disturb date, in quiet hours',
    now: new Date('2027-03-11T15:00:00.000Z'),
    request: { kind: 'transactional' },
    expected: { status: 'sent' },
  },
  { name: 'one marketing message sent today, cap 2', sentToday: 1, now: NOON, expected: { status: 'sent' } },
  {
    name: 'cap reached: two marketing messages sent today',
    sentToday: 2,
    now: NOON,
    expected: { status: 'skipped', reason: 'frequency-cap:all/day' },
  },
  {
    name: 'cap reached, transactional bypasses it',
    sentToday: 2,
    now: NOON,
    request: { kind: 'transactional' },
    expected: { status: 'sent' },
  },
];

describe('guardrail parity: the send activity and the simulator decide the same', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const delivered: string[] = [];
  const recording: Transport = {
    idempotent: false,
    async send(message) {
      delivered.push(message.to);
      return { providerMessageId: `<${message.idempotencyKey}@test>` };
    },
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.db.insert(templates).values({
      id: 'parity-email',
      channel: 'email',
      subject: 'Hello {{customer.firstName}}',
      text: 'Hi {{customer.firstName}}.',
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  /** The case's customer, stored for the activity and as the simulator's customer. */
  async function arrange(c: Case): Promise<{ customer: SimulatedCustomer; address: string | null }> {
    const consent = c.consent ?? consented;
    const [row] = await db.db
      .insert(customers)
      .values({ traits: { firstName: 'Lin' }, tags: c.tags ?? [], consent, timeZone: 'Asia/Shanghai' })
      .returning();
    const customerId = row!.id;
    const address = c.address === null ? null : `lin.${randomUUID().slice(0, 8)}@example.com`;
    if (address) await db.db.insert(customerIdentities).values({ kind: 'email', value: address, customerId });
    if (address && c.suppressed)
      await db.db.insert(suppressions).values({ channel: 'email', address, reason: c.suppressed });
    for (let i = 0; i < (c.sentToday ?? 0); i++)
      await db.db.insert(messages).values({
        enrollmentId: randomUUID(),
        stepId: 'earlier',
        occurrence: 1,
        journeyId: 'other-journey',
        customerId,
        channel: 'email',
        templateId: 'parity-email',
        kind: 'marketing',
        status: 'sent',
        createdAt: new Date(c.now.getTime() - (i + 1) * 60_000),
      });
    const customer: SimulatedCustomer = {
      customerId,
      traits: { firstName: 'Lin' },
      tags: c.tags ?? [],
      aiplStage: null,
      timeZone: 'Asia/Shanghai',
      locale: null,
      consent,
      ownedProducts: [],
      eventCounts: {},
      addresses: address ? { email: address } : {},
    };
    return { customer, address };
  }

  function request(customerId: string, overrides: Partial<SendRequest> = {}): SendRequest {
    return {
      enrollmentId: randomUUID(),
      stepId: 'parity',
      occurrence: 1,
      journeyId: 'parity-journey',
      journeyVersion: 1,
      customerId,
      channel: 'email',
      template: 'parity-email',
      kind: 'marketing',
      topic: 'promotions',
      brandTimeZone: 'Europe/Berlin',
      quietHours: { start: '21:00', end: '08:00' },
      ...overrides,
    };
  }

  const decisionOf = (o: SendOutcome) =>
    o.status === 'sent'
      ? { status: o.status }
      : { status: o.status, reason: o.reason, ...('until' in o && { until: o.until }) };

  it.each(cases)('$name', async (c) => {
    const { customer, address } = await arrange(c);
    const r = request(customer.customerId, c.request);

    // The simulator first: it only reads, and the activity's ledger row would count toward the cap.
    const record = newRecord();
    const simulated = await simulationActivities(customer, record, db.db, createTemplateEngine(), {
      policy: POLICY,
      clock: () => c.now,
    }).sendMessage!({ ...r, enrollmentId: randomUUID() });

    const production = await createSendActivities({
      db: db.db,
      transports: { email: recording },
      clock: () => c.now,
      publicUrl: 'http://127.0.0.1',
      messaging: { linkSecret: 'x'.repeat(32), ...POLICY, tracking: false },
    }).sendMessage!(r);
    expect(decisionOf(production)).toEqual(c.expected);
    expect(decisionOf(simulated)).toEqual(decisionOf(production));
    // What the activity decided is what reached the transport; the simulation records the same.
    expect(delivered.filter((to) => to === address)).toHaveLength(c.expected.status === 'sent' ? 1 : 0);
    expect(record.messages.map((m) => m.status)).toEqual([
      { sent: 'would-send', skipped: 'skipped', deferred: 'deferred', uncertain: 'uncertain' }[c.expected.status],
    ]);
  });
});
