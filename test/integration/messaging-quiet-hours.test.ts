/**
 * Quiet hours end to end on the time-skipping server: the real enrollment workflow with the real
 * activities (Postgres ledger, SMTP to a real server). A window wait brings the customer to 23:00
 * local; the send finds quiet hours (21:00–08:00), returns `deferred`, the workflow sleeps durably,
 * and the message goes out at 08:00 local, once. Activity clocks read the server's (skipped) time.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { createActivities } from '../../activities';
import { createSmtpTransport, type Transport } from '../../activities/transports';
import { customerIdentities, customers, messages, templates, templateVersions } from '../../drizzle/schema';
import { toLocal } from '../../domain/time';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { define } from '../fixtures/journeys';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';
import { createTestDatabase, createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';

/** The server's clock: when this activity attempt was scheduled (skipped time included). */
const serverNow = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sink: SmtpSink;
let email: Transport;

beforeAll(async () => {
  [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  email = createSmtpTransport({ url: sink.url, from: 'Brand <news@brand.example>' });
  await db.db.insert(templates).values({ id: 'evening-offer', channel: 'email', text: 'x', latestVersion: 1 });
  await db.db.insert(templateVersions).values({
    templateId: 'evening-offer',
    version: 1,
    defaultLocale: 'en',
    locales: {
      en: { subject: 'Good morning, {{customer.firstName}}', text: 'Filters are 20% off today.' },
      'zh-CN': { subject: '早上好，{{customer.firstName}}', text: '滤芯今日八折。' },
    },
  });
});

afterAll(async () => {
  email?.close?.();
  await sink?.close();
  await db?.close();
});

describe('quiet hours on the time-skipping server', () => {
  it('a marketing send due at 23:00 local is delivered once at 08:00 local, when quiet hours end', async () => {
    const [customer] = await db.db
      .insert(customers)
      .values({
        traits: { firstName: '林' },
        locale: 'zh-CN',
        timeZone: 'Asia/Shanghai',
        consent: { channels: { email: true }, topics: {} },
      })
      .returning();
    const address = `night.${randomUUID().slice(0, 8)}@example.com`;
    await db.db.insert(customerIdentities).values({ kind: 'email', value: address, customerId: customer!.id });
    const journey = define({
      name: 'Evening offer',
      entry: { type: 'api' },
      settings: { timeZone: 'Asia/Shanghai', quietHours: { start: '21:00', end: '08:00' } },
      start: 'evening',
      steps: {
        evening: { type: 'wait', window: { start: '23:00', end: '23:30' }, next: 'offer' },
        offer: { type: 'send', channel: 'email', template: 'evening-offer', kind: 'marketing', next: 'done' },
        done: { type: 'exit' },
      },
    });

    const env = await createTimeSkippingEnv();
    try {
      const taskQueue = uniqueTaskQueue('quiet');
      const worker = await createTestWorker({
        connection: env.nativeConnection,
        taskQueue,
        activities: createActivities({
          db: db.db,
          transports: { email },
          clock: serverNow,
          publicUrl: 'https://go.brand.example',
          messaging: { linkSecret: 'quiet-hours-test-link-secret-0123456789' },
        }),
      });
      const handle = await env.client.workflow.start(enrollmentWorkflow, {
        taskQueue,
        workflowId: enrollmentWorkflowId('evening-offer', customer!.id, 'default'),
        args: [
          {
            v: 1,
            journey: { id: 'evening-offer', version: 1, definition: journey },
            customerId: customer!.id,
            enrollmentKey: 'default',
          },
        ],
      });
      const result = await worker.runUntil(handle.result());
      expect(result).toMatchObject({ status: 'completed' });

      // Timeline from the workflow's own history: the window opened at 23:00 local, the send
      // activity ran then (deferred) and again after the durable sleep.
      const history = await handle.fetchHistory();
      const sendAttempts = (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendMessage')
        .map((e) => new Date(Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6)));
      expect(sendAttempts).toHaveLength(2);
      const [deferredAt, sentAt] = sendAttempts.map((d) => toLocal(d, 'Asia/Shanghai'));
      expect([deferredAt!.hour, deferredAt!.minute]).toEqual([23, 0]);
      expect([sentAt!.hour, sentAt!.minute]).toEqual([8, 0]);
      expect(sendAttempts[1]!.getTime() - sendAttempts[0]!.getTime()).toBeGreaterThanOrEqual(9 * 3_600_000 - 1_000);
      expect(sendAttempts[1]!.getTime() - sendAttempts[0]!.getTime()).toBeLessThan(9 * 3_600_000 + 60_000);
    } finally {
      await env.teardown();
    }

    const received = sink.messages.filter((m) => m.envelope.to.includes(address));
    expect(received).toHaveLength(1);
    expect(received[0]!.parsed.subject).toBe('早上好，林');
    const rows = await db.db.select().from(messages).where(eq(messages.customerId, customer!.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'sent', stepId: 'offer', locale: 'zh-CN' });
    const ledgerLocal = toLocal(rows[0]!.createdAt, 'Asia/Shanghai');
    expect([ledgerLocal.hour, ledgerLocal.minute]).toEqual([8, 0]);
  });
});
