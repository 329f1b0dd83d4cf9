/**
 * The send activity against a real Postgres ledger and a real SMTP server receiving real MIME.
 * `sendMessage` is called directly: it needs no activity Context.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createSendActivities, type SendOutcome, type SendRequest } from '../../activities/send';
import { createSmtpTransport, MessageNotAcceptedError, type Transport } from '../../activities/transports';
import { resentReason } from '../../domain/messaging';
import {
  customerIdentities,
  customers,
  events,
  journeys,
  messages,
  ownedProducts,
  templates,
  type Consent,
} from '../../drizzle/schema';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';
import { createTestDatabase } from '../setup/harness';

/** 12:00 in Asia/Shanghai, outside the 21:00-08:00 quiet hours. */
const NOON_SHANGHAI = new Date('2027-03-10T04:00:00.000Z');
/** 23:00 in Asia/Shanghai (16:00 in the brand's Europe/Berlin, which is not quiet). */
const ELEVEN_PM_SHANGHAI = new Date('2027-03-10T15:00:00.000Z');
const QUIET_HOURS = { start: '21:00', end: '08:00' };
const FROM = 'Perennial <news@brand.example>';

const consented: Consent = { channels: { email: true }, topics: {} };

describe('sendMessage: real Postgres ledger, real SMTP', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sink: SmtpSink;
  let flaky: SmtpSink;
  let email: Transport;
  let flakyEmail: Transport;
  const sinks: SmtpSink[] = [];
  const transports: Transport[] = [];

  beforeAll(async () => {
    [db, sink, flaky] = await Promise.all([createTestDatabase(), startSmtpSink(), startSmtpSink()]);
    sinks.push(sink, flaky);
    email = track(createSmtpTransport({ url: sink.url, from: FROM }));
    flakyEmail = track(createSmtpTransport({ url: flaky.url, from: FROM }));
    await db.db.insert(templates).values([
      {
        id: 'welcome-email',
        channel: 'email',
        subject: 'Welcome, {{customer.firstName}}',
        text: 'Hi {{customer.firstName}}, your {{customer.model}} is waiting.',
        html: '<p>Hi {{customer.firstName}}, your <b>{{customer.model}}</b> is waiting.</p>',
      },
      { id: 'nickname-email', channel: 'email', subject: 'Hey', text: 'Hey {{customer.nickname}}!' },
    ]);
  });

  afterAll(async () => {
    for (const transport of transports) transport.close?.();
    await Promise.all(sinks.map((s) => s.close()));
    await db?.close();
  });

  function track(transport: Transport): Transport {
    transports.push(transport);
    return transport;
  }

  function activities(options: { clock?: Date; transport?: Transport; uncertainSends?: 'resend' | 'never' } = {}) {
    const clock = options.clock ?? NOON_SHANGHAI;
    return createSendActivities({
      db: db.db,
      transports: { email: options.transport ?? email },
      clock: () => clock,
      publicUrl: 'http://127.0.0.1',
      uncertainSends: options.uncertainSends,
    });
  }

  async function createCustomer(
    options: { consent?: Consent; traits?: Record<string, unknown>; address?: string | null; timeZone?: string } = {},
  ) {
    const [customer] = await db.db
      .insert(customers)
      .values({
        traits: options.traits ?? { firstName: 'Lin', model: 'Mate X7' },
        consent: options.consent ?? consented,
        timeZone: options.timeZone ?? 'Asia/Shanghai',
      })
      .returning();
    const address = options.address === undefined ? `lin.${randomUUID().slice(0, 8)}@example.com` : options.address;
    if (address !== null)
      await db.db.insert(customerIdentities).values({ kind: 'email', value: address, customerId: customer!.id });
    return { id: customer!.id, address };
  }

  function request(customerId: string, overrides: Partial<SendRequest> = {}): SendRequest {
    return {
      enrollmentId: randomUUID(),
      stepId: 'welcome',
      occurrence: 1,
      journeyId: 'phone-nurture',
      journeyVersion: 1,
      customerId,
      channel: 'email',
      template: 'welcome-email',
      kind: 'marketing',
      topic: 'promotions',
      brandTimeZone: 'Europe/Berlin',
      quietHours: QUIET_HOURS,
      ...overrides,
    };
  }

  const messageIdOf = (r: SendRequest) => `<${r.enrollmentId}.${r.stepId}.${r.occurrence}@perennial.local>`;

  async function ledger(r: SendRequest) {
    return db.db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.enrollmentId, r.enrollmentId),
          eq(messages.stepId, r.stepId),
          eq(messages.occurrence, r.occurrence),
        ),
      );
  }

  const deliveredTo = (s: SmtpSink, address: string | null) =>
    s.messages.filter((m) => address !== null && m.envelope.to.includes(address));

  async function expectSkipRecorded(r: SendRequest, outcome: SendOutcome, reason: string) {
    expect(outcome).toEqual({ status: 'skipped', reason });
    const rows = await ledger(r);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'skipped',
      reason,
      providerMessageId: null,
      sentAt: null,
      customerId: r.customerId,
      templateId: r.template,
    });
  }

  describe('sending', () => {
    it('sends a consented customer exactly one message rendered from the template row, with a Message-ID from the ledger key, and records it as sent', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);

      const outcome = await activities().sendMessage(r);

      const messageId = messageIdOf(r);
      expect(messageId).toBe(`<${r.enrollmentId}.welcome.1@perennial.local>`);
      expect(outcome).toEqual({ status: 'sent', messageId });
      const received = deliveredTo(sink, customer.address);
      expect(received).toHaveLength(1);
      const mail = received[0]!;
      expect(mail.envelope).toEqual({ from: 'news@brand.example', to: [customer.address] });
      expect(mail.parsed.messageId).toBe(messageId);
      expect(mail.parsed.subject).toBe('Welcome, Lin');
      expect(mail.parsed.text?.trim()).toBe('Hi Lin, your Mate X7 is waiting.');
      expect(mail.parsed.html).toBe('<p>Hi Lin, your <b>Mate X7</b> is waiting.</p>');
      expect(mail.parsed.from?.value).toEqual([{ address: 'news@brand.example', name: 'Perennial' }]);

      const rows = await ledger(r);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        status: 'sent',
        providerMessageId: messageId,
        reason: null,
        journeyId: 'phone-nurture',
        customerId: customer.id,
        channel: 'email',
        templateId: 'welcome-email',
      });
      expect(rows[0]!.sentAt).toBeInstanceOf(Date);
    });

    it('returns the recorded sent outcome without sending again for the same (enrollment, step, occurrence), and sends again for the next occurrence', async () => {
      const customer = await createCustomer();
      const first = request(customer.id);
      const send = activities();

      const outcome = await send.sendMessage(first);
      const again = await send.sendMessage(first);
      const afterRetry = deliveredTo(sink, customer.address).length;
      const second = { ...first, occurrence: 2 };
      const next = await send.sendMessage(second);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(first) });
      expect(again).toEqual(outcome);
      expect(afterRetry).toBe(1);
      expect(next).toEqual({ status: 'sent', messageId: `<${first.enrollmentId}.welcome.2@perennial.local>` });
      expect(deliveredTo(sink, customer.address).map((m) => m.parsed.messageId)).toEqual([
        messageIdOf(first),
        messageIdOf(second),
      ]);
      expect((await ledger(first))[0]?.status).toBe('sent');
      expect((await ledger(second))[0]?.status).toBe('sent');
    });
  });

  describe('an attempt that may have reached the provider is resent under the same Message-ID, or (policy never) recorded uncertain', () => {
    const sendingRow = (r: SendRequest) => ({
      enrollmentId: r.enrollmentId,
      stepId: r.stepId,
      occurrence: r.occurrence,
      journeyId: r.journeyId,
      customerId: r.customerId,
      channel: r.channel,
      templateId: r.template,
      kind: r.kind,
      status: 'sending' as const,
    });

    it("resends a ledger row left in sending (an attempt that died mid-call) with the ledger key's Message-ID, counted as resent", async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      await db.db.insert(messages).values(sendingRow(r));

      const outcome = await activities().sendMessage(r);
      const retried = await activities().sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(retried).toEqual(outcome);
      expect(deliveredTo(sink, customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r)]);
      expect(await ledger(r)).toMatchObject([
        { status: 'sent', reason: resentReason, providerMessageId: messageIdOf(r) },
      ]);
    });

    it('a send interrupted after the server took it but before the ledger says sent is resent with the identical Message-ID', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      flaky.mode = { kind: 'hang-up-after-data' };
      try {
        await expect(activities({ transport: flakyEmail }).sendMessage(r)).rejects.toThrow(
          /Connection closed unexpectedly/,
        );
      } finally {
        flaky.mode = { kind: 'accept' };
      }
      expect((await ledger(r))[0]?.status).toBe('sending');

      const retried = await activities({ transport: flakyEmail }).sendMessage(r);

      expect(retried).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      // Both copies carry one Message-ID: the mailbox provider keeps one. Nothing is lost.
      const received = deliveredTo(flaky, customer.address);
      expect(received.map((m) => m.parsed.messageId)).toEqual([messageIdOf(r), messageIdOf(r)]);
      expect(received[1]!.parsed.subject).toBe(received[0]!.parsed.subject);
      expect(await ledger(r)).toMatchObject([{ status: 'sent', reason: resentReason }]);
    });

    it('a resend that the server refuses (connection refused) keeps its row and resends on the next retry', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      await db.db.insert(messages).values(sendingRow(r));
      const probe = await startSmtpSink();
      const port = probe.port;
      await probe.close();
      const downEmail = track(createSmtpTransport({ url: `smtp://127.0.0.1:${port}`, from: FROM }));
      await expect(activities({ transport: downEmail }).sendMessage(r)).rejects.toBeInstanceOf(MessageNotAcceptedError);
      expect(await ledger(r)).toMatchObject([{ status: 'sending', reason: resentReason }]);

      expect(await activities({ transport: flakyEmail }).sendMessage(r)).toEqual({
        status: 'sent',
        messageId: messageIdOf(r),
      });
      expect(deliveredTo(flaky, customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r)]);
    });

    it('a retry whose guardrails now refuse (consent withdrawn) records the died attempt uncertain, not skipped', async () => {
      const customer = await createCustomer({ consent: { channels: { email: false }, topics: {} } });
      const r = request(customer.id);
      await db.db.insert(messages).values(sendingRow(r));

      const outcome = await activities().sendMessage(r);

      const reason = 'attempt died during provider call; not resent: no-consent';
      expect(outcome).toEqual({ status: 'uncertain', reason });
      expect(await ledger(r)).toMatchObject([{ status: 'uncertain', reason }]);
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('with SMTP_UNCERTAIN_POLICY=never, marks a ledger row left in sending (an attempt that died mid-call) as uncertain and sends nothing', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      await db.db.insert(messages).values({
        enrollmentId: r.enrollmentId,
        stepId: r.stepId,
        occurrence: r.occurrence,
        journeyId: r.journeyId,
        customerId: r.customerId,
        channel: r.channel,
        templateId: r.template,
        status: 'sending',
      });

      const outcome = await activities({ uncertainSends: 'never' }).sendMessage(r);
      const retried = await activities({ uncertainSends: 'never' }).sendMessage(r);

      expect(outcome).toEqual({ status: 'uncertain', reason: 'attempt died during provider call' });
      expect(retried).toEqual(outcome);
      const rows = await ledger(r);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        status: 'uncertain',
        reason: 'attempt died during provider call',
        providerMessageId: null,
        sentAt: null,
      });
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('with SMTP_UNCERTAIN_POLICY=never, a message the server took in full but never acknowledged throws, and its retry is uncertain rather than a duplicate', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      flaky.mode = { kind: 'hang-up-after-data' };
      try {
        await expect(activities({ transport: flakyEmail, uncertainSends: 'never' }).sendMessage(r)).rejects.toThrow(
          /Connection closed unexpectedly/,
        );
      } finally {
        flaky.mode = { kind: 'accept' };
      }
      expect((await ledger(r))[0]?.status).toBe('sending');

      const retried = await activities({ transport: flakyEmail, uncertainSends: 'never' }).sendMessage(r);

      expect(retried).toEqual({ status: 'uncertain', reason: 'attempt died during provider call' });
      expect(deliveredTo(flaky, customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r)]);
      expect((await ledger(r))[0]?.status).toBe('uncertain');
    });

    it('a transport that deduplicates by idempotency key resumes a sending row with the same Message-ID instead of giving up', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      const dedupingEmail: Transport = { idempotent: true, send: (message) => email.send(message) };
      await db.db.insert(messages).values({
        enrollmentId: r.enrollmentId,
        stepId: r.stepId,
        occurrence: r.occurrence,
        journeyId: r.journeyId,
        customerId: r.customerId,
        channel: r.channel,
        templateId: r.template,
        status: 'sending',
      });

      const outcome = await activities({ transport: dedupingEmail }).sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(deliveredTo(sink, customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r)]);
      expect((await ledger(r))[0]).toMatchObject({ status: 'sent', providerMessageId: messageIdOf(r) });
    });
  });

  describe('provider errors that prove nothing was accepted', () => {
    it('throws a retryable error while the SMTP server refuses connections, records nothing, and the retry once it is up sends exactly once', async () => {
      const probe = await startSmtpSink();
      const port = probe.port;
      await probe.close();
      const downEmail = track(createSmtpTransport({ url: `smtp://127.0.0.1:${port}`, from: FROM }));
      const customer = await createCustomer();
      const r = request(customer.id);

      const failure = await activities({ transport: downEmail })
        .sendMessage(r)
        .then(
          () => undefined,
          (error: unknown) => error,
        );

      expect(failure).toBeInstanceOf(MessageNotAcceptedError);
      expect(failure).not.toBeInstanceOf(ApplicationFailure); // a plain error: Temporal retries it
      expect((failure as Error).message).toMatch(/ECONNREFUSED/);
      expect(await ledger(r)).toEqual([]);

      const revived = await startSmtpSink({ port });
      sinks.push(revived);
      const outcome = await activities({ transport: downEmail }).sendMessage(r);
      const again = await activities({ transport: downEmail }).sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(again).toEqual(outcome);
      expect(revived.withMessageId(messageIdOf(r))).toHaveLength(1);
      expect(revived.messages).toHaveLength(1);
      expect((await ledger(r))[0]).toMatchObject({ status: 'sent', providerMessageId: messageIdOf(r) });
    });

    it('throws when the server refuses the recipient with 451, records nothing, and the retry sends exactly once', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      flaky.mode = { kind: 'refuse-recipient', code: 451, message: 'Try again later' };
      try {
        await expect(activities({ transport: flakyEmail }).sendMessage(r)).rejects.toThrow(
          expect.objectContaining({
            name: 'MessageNotAcceptedError',
            message: expect.stringMatching(/451 Try again later/),
          }),
        );
      } finally {
        flaky.mode = { kind: 'accept' };
      }
      expect(await ledger(r)).toEqual([]);
      expect(deliveredTo(flaky, customer.address)).toHaveLength(0);

      const outcome = await activities({ transport: flakyEmail }).sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(deliveredTo(flaky, customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r)]);
      expect((await ledger(r))[0]?.status).toBe('sent');
    });
  });

  describe('a permanent refusal', () => {
    it('records a recipient refused with 550 as failed and reports it skipped with the reply, without retrying or sending', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      flaky.mode = { kind: 'refuse-recipient', code: 550, message: 'No such user' };
      let outcome: SendOutcome;
      try {
        outcome = await activities({ transport: flakyEmail }).sendMessage(r);
      } finally {
        flaky.mode = { kind: 'accept' };
      }
      const again = await activities({ transport: flakyEmail }).sendMessage(r);

      expect(outcome).toEqual({
        status: 'skipped',
        reason: expect.stringMatching(/^provider-rejected: .*550 No such user/),
      });
      expect(again).toEqual(outcome);
      const rows = await ledger(r);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        status: 'failed',
        reason: outcome.status === 'skipped' ? outcome.reason : null,
        providerMessageId: null,
        sentAt: null,
      });
      expect(deliveredTo(flaky, customer.address)).toHaveLength(0);
    });
  });

  describe('consent, suppression and conditions', () => {
    it('skips marketing without channel consent as no-consent and records the skip', async () => {
      const customer = await createCustomer({ consent: { channels: {}, topics: {} } });
      const r = request(customer.id);

      await expectSkipRecorded(r, await activities().sendMessage(r), 'no-consent');
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('sends a transactional message when channel consent was never given', async () => {
      const customer = await createCustomer({ consent: { channels: {}, topics: {} } });
      const r = request(customer.id, { kind: 'transactional', topic: undefined });

      const outcome = await activities().sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(deliveredTo(sink, customer.address)).toHaveLength(1);
    });

    it('skips a transactional message when the customer explicitly refused the channel', async () => {
      const customer = await createCustomer({ consent: { channels: { email: false }, topics: {} } });
      const r = request(customer.id, { kind: 'transactional', topic: undefined });

      await expectSkipRecorded(r, await activities().sendMessage(r), 'no-consent');
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('skips marketing on a topic the customer unsubscribed from as unsubscribed-topic', async () => {
      const customer = await createCustomer({
        consent: { channels: { email: true }, topics: { promotions: false, service: true } },
      });
      const r = request(customer.id, { topic: 'promotions' });

      await expectSkipRecorded(r, await activities().sendMessage(r), 'unsubscribed-topic');
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('skips a customer without an email identity as no-address', async () => {
      const customer = await createCustomer({ address: null });
      await db.db
        .insert(customerIdentities)
        .values({ kind: 'phone', value: `+86138${randomUUID().slice(0, 8)}`, customerId: customer.id });
      const r = request(customer.id);

      await expectSkipRecorded(r, await activities().sendMessage(r), 'no-address');
    });

    it('skips as condition-failed when onlyIf requires owning a category the customer does not own', async () => {
      const customer = await createCustomer();
      await db.db.insert(ownedProducts).values({ customerId: customer.id, sku: 'MX7-256', category: 'phone' });
      const r = request(customer.id, { onlyIf: [{ kind: 'owns', category: 'washer' }] });

      await expectSkipRecorded(r, await activities().sendMessage(r), 'condition-failed');
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('sends when onlyIf holds: owns the category and has an event inside the eventCount window', async () => {
      const customer = await createCustomer();
      await db.db.insert(ownedProducts).values({ customerId: customer.id, sku: 'MX7-256', category: 'phone' });
      await db.db.insert(events).values({
        messageId: randomUUID(),
        customerId: customer.id,
        name: 'viewed_accessory',
        occurredAt: new Date(NOON_SHANGHAI.getTime() - 2 * 86_400_000),
      });
      const r = request(customer.id, {
        onlyIf: [
          { kind: 'owns', category: 'phone' },
          { kind: 'eventCount', event: 'viewed_accessory', withinDays: 7, op: 'gte', value: 1 },
        ],
      });

      const outcome = await activities().sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(deliveredTo(sink, customer.address)).toHaveLength(1);
    });
  });

  describe('quiet hours', () => {
    it("defers marketing at 23:00 in the customer's zone until the next 08:00 local, recording nothing", async () => {
      const customer = await createCustomer({ timeZone: 'Asia/Shanghai' });
      const r = request(customer.id);

      const outcome = await activities({ clock: ELEVEN_PM_SHANGHAI }).sendMessage(r);

      // 08:00 on 2027-03-11 in Asia/Shanghai (UTC+8).
      expect(outcome).toEqual({ status: 'deferred', until: '2027-03-11T00:00:00.000Z', reason: 'quiet-hours' });
      expect(await ledger(r)).toEqual([]);
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('sends transactional messages during quiet hours', async () => {
      const customer = await createCustomer({ timeZone: 'Asia/Shanghai' });
      const r = request(customer.id, { kind: 'transactional', topic: undefined });

      const outcome = await activities({ clock: ELEVEN_PM_SHANGHAI }).sendMessage(r);

      expect(outcome).toEqual({ status: 'sent', messageId: messageIdOf(r) });
      expect(deliveredTo(sink, customer.address)).toHaveLength(1);
    });
  });

  describe('templates', () => {
    it('throws a non-retryable TemplateNotFound ApplicationFailure for a missing template, recording nothing', async () => {
      const customer = await createCustomer();
      const r = request(customer.id, { template: 'no-such-template' });

      const failure = await activities()
        .sendMessage(r)
        .then(
          () => undefined,
          (error: unknown) => error,
        );

      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({
        type: 'TemplateNotFound',
        nonRetryable: true,
        message: 'template no-such-template not found',
      });
      expect(await ledger(r)).toEqual([]);
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });

    it('HTML-escapes traits in the html part and keeps them literal in the subject and text part', async () => {
      const name = 'Tom & "Jerry" <script>alert(1)</script>';
      const customer = await createCustomer({ traits: { firstName: name, model: 'Mate X7' } });
      const r = request(customer.id);

      expect(await activities().sendMessage(r)).toEqual({ status: 'sent', messageId: messageIdOf(r) });

      const [mail] = deliveredTo(sink, customer.address);
      expect(mail?.parsed.html).toBe(
        '<p>Hi Tom &amp; &quot;Jerry&quot; &lt;script&gt;alert(1)&lt;/script&gt;, your <b>Mate X7</b> is waiting.</p>',
      );
      expect(mail?.parsed.subject).toBe(`Welcome, ${name}`);
      expect(mail?.parsed.text?.trim()).toBe(`Hi ${name}, your Mate X7 is waiting.`);
    });

    it('skips with a render-failed reason when the template references a variable the customer lacks (strict mode)', async () => {
      const customer = await createCustomer();
      const r = request(customer.id, { template: 'nickname-email' });

      const outcome = await activities().sendMessage(r);

      const reason = outcome.status === 'skipped' ? outcome.reason : `not skipped: ${outcome.status}`;
      expect(reason).toMatch(/^render-failed: "nickname" not defined/);
      await expectSkipRecorded(r, outcome, reason);
      expect(deliveredTo(sink, customer.address)).toHaveLength(0);
    });
  });

  describe('holds and configuration', () => {
    it('holds the send of a paused journey (a retryable JourneyPaused failure) and sends once it resumes', async () => {
      const customer = await createCustomer();
      const journeyId = `paused-${randomUUID().slice(0, 8)}`;
      await db.db.insert(journeys).values({ id: journeyId, name: 'Paused', draft: {}, status: 'paused' });
      const r = request(customer.id, { journeyId });
      const held = await activities()
        .sendMessage(r)
        .catch((error: unknown) => error);
      expect(held).toBeInstanceOf(ApplicationFailure);
      expect(held).toMatchObject({ type: 'JourneyPaused', nonRetryable: false });
      expect(await ledger(r)).toEqual([]);
      expect(deliveredTo(sink, customer.address)).toEqual([]);
      await db.db.update(journeys).set({ status: 'published' }).where(eq(journeys.id, journeyId));
      expect(await activities().sendMessage(r)).toMatchObject({ status: 'sent' });
      expect(deliveredTo(sink, customer.address)).toHaveLength(1);
    });

    it('a worker without a transport for the channel retries instead of skipping the customer for good', async () => {
      const customer = await createCustomer();
      const r = request(customer.id);
      const noEmail = createSendActivities({
        db: db.db,
        transports: {},
        clock: () => NOON_SHANGHAI,
        publicUrl: 'http://127.0.0.1',
      });
      const error = await noEmail.sendMessage(r).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ApplicationFailure);
      expect((error as Error).message).toBe('no email transport is configured on this worker');
      expect(await ledger(r)).toEqual([]);
    });
  });
});
