/**
 * Email send: `sendMessage` (ledger row, consent, address, template from Postgres, render, pooled
 * SMTP, ledger update) vs a raw nodemailer pool sending the same rendered message to the same local
 * SMTP server (which reads and discards). Same number in flight on both sides.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Handlebars from 'handlebars';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { createActivities, type SendRequest } from '../activities';
import { createSmtpTransport } from '../activities/transports';
import { customerIdentities, customers, templates } from '../drizzle/schema';
import { pool, ratioRow, round, timed, type Benchmark } from './env';

const IN_FLIGHT = 10;
const FROM = 'Perennial <news@brand.example>';
const template = {
  id: 'bench-welcome',
  channel: 'email' as const,
  subject: 'Welcome, {{customer.firstName}}',
  text: 'Hi {{customer.firstName}}, your {{customer.model}} is waiting. Reply STOP to unsubscribe.',
  html: '<p>Hi {{customer.firstName}}, your <b>{{customer.model}}</b> is waiting.</p>',
};

/** A local SMTP server that reads each message and throws it away. */
async function startDiscardingSmtp(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        received++;
        callback();
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const emailSend: Benchmark = {
  name: 'email-send',
  title: 'Email send: sendMessage with the exactly-once ledger vs raw nodemailer pool, same local SMTP server',
  async run(env) {
    const total = env.quick ? 100 : 3_000;
    const db = await env.database('send');
    const smtp = await startDiscardingSmtp();
    await db.db.insert(templates).values(template);
    const people = Array.from({ length: total }, (_, i) => ({
      firstName: `Lin${i}`,
      model: 'Mate X7',
      email: `lin.${i}@example.com`,
    }));
    const ids = (
      await db.db
        .insert(customers)
        .values(
          people.map((p) => ({
            traits: { firstName: p.firstName, model: p.model },
            consent: { channels: { email: true }, topics: {} },
            timeZone: 'Asia/Shanghai',
          })),
        )
        .returning({ id: customers.id })
    ).map((r) => r.id);
    await db.db
      .insert(customerIdentities)
      .values(ids.map((customerId, i) => ({ kind: 'email' as const, value: people[i]!.email, customerId })));

    const transport = createSmtpTransport({ url: smtp.url, from: FROM });
    const rawTransport = nodemailer.createTransport(`${smtp.url}?pool=true`);
    try {
      const compiled = Handlebars.create();
      const [subject, text, html] = [template.subject, template.text, template.html].map((s) =>
        compiled.compile(s, { strict: true }),
      );
      env.progress(`email-send: ${total} raw nodemailer sends`);
      const rawSeconds = await timed(() =>
        pool(people, IN_FLIGHT, async (p, i) => {
          const context = { customer: p };
          await rawTransport.sendMail({
            from: FROM,
            to: p.email,
            subject: subject!(context),
            text: text!(context),
            html: html!(context),
            messageId: `<raw.${i}@perennial.local>`,
          });
        }),
      );

      const { sendMessage } = createActivities({
        db: db.db,
        transports: { email: transport },
        clock: () => new Date(),
        publicUrl: 'http://127.0.0.1',
      });
      env.progress(`email-send: ${total} sends through the ledger`);
      let sent = 0;
      const oursSeconds = await timed(() =>
        pool(ids, IN_FLIGHT, async (customerId) => {
          const request: SendRequest = {
            enrollmentId: randomUUID(),
            stepId: 'welcome',
            occurrence: 1,
            journeyId: 'bench',
            journeyVersion: 1,
            customerId,
            channel: 'email',
            template: template.id,
            kind: 'marketing',
            brandTimeZone: 'Asia/Shanghai',
          };
          const outcome = await sendMessage(request);
          if (outcome.status !== 'sent') throw new Error(`sendMessage: ${JSON.stringify(outcome)}`);
          sent++;
        }),
      );
      if (sent !== total || smtp.received() !== 2 * total)
        throw new Error(`sent ${sent}, SMTP server received ${smtp.received()} of ${2 * total}`);
      return [
        ratioRow({
          benchmark: 'email-send',
          measure: `${total.toLocaleString('en')} emails, ${IN_FLIGHT} in flight`,
          ours: round(total / oursSeconds),
          raw: round(total / rawSeconds),
          unit: 'emails/s',
          goal: 0.8,
        }),
      ];
    } finally {
      transport.close?.();
      rawTransport.close();
      await smtp.close();
    }
  },
};
