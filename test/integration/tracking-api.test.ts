/**
 * Public link routes and provider callbacks through `inject()`, against messages really sent by the
 * send activity to a real SMTP server: the links under test are the ones in the received MIME.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendActivities, type SendRequest } from '../../activities/send';
import { signLink, signWebhook } from '../../services/messaging/tokens';
import { createSmtpTransport, type Transport } from '../../activities/transports';
import { buildApp } from '../../api/app';
import {
  customerIdentities,
  customers,
  events,
  messages,
  suppressions,
  templates,
  templateVersions,
  type Consent,
} from '../../drizzle/schema';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';
import { connectDevServer, createTestDatabase } from '../setup/harness';

const LINK_SECRET = 'tracking-test-link-secret-0123456789abcdef';
const PROVIDER_SECRET = 'tracking-test-provider-secret-0123456789';
const PUBLIC_URL = 'https://go.brand.example';
const NOW = new Date('2027-03-10T04:00:00.000Z'); // noon in Shanghai

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let sink: SmtpSink;
let email: Transport;
let app: FastifyInstance;

beforeAll(async () => {
  [db, temporal, sink] = await Promise.all([createTestDatabase(), connectDevServer(), startSmtpSink()]);
  email = createSmtpTransport({ url: sink.url, from: 'Brand <news@brand.example>' });
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: 'tracking-test',
    adminApiKey: 'tracking-test-admin-key-0123',
    clock: () => NOW,
    messaging: {
      linkSecret: LINK_SECRET,
      providerSecret: PROVIDER_SECRET,
      topics: [
        { id: 'offers', label: 'Offers' },
        { id: 'tips', label: 'Care tips' },
      ],
    },
  });
  await app.ready();
  await db.db.insert(templates).values({ id: 'offer', channel: 'email', text: 'x', latestVersion: 1 });
  await db.db.insert(templateVersions).values({
    templateId: 'offer',
    version: 1,
    defaultLocale: 'en',
    locales: {
      en: {
        subject: 'Offer',
        text: 'See https://shop.example/a',
        html: '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b?x=1&y=2">B</a></p>',
      },
    },
  });
});

afterAll(async () => {
  await app?.close();
  email?.close?.();
  await sink?.close();
  await temporal?.close();
  await db?.close();
});

const consent: Consent = { channels: { email: true }, topics: { offers: true, tips: true } };

/** A customer who received one marketing email on topic `offers`; its links as received. */
async function customerWithMail(topic: string | null = 'offers') {
  const [customer] = await db.db
    .insert(customers)
    .values({ traits: {}, consent, timeZone: 'Asia/Shanghai' })
    .returning();
  const address = `c.${randomUUID().slice(0, 8)}@example.com`;
  await db.db.insert(customerIdentities).values({ kind: 'email', value: address, customerId: customer!.id });
  const r: SendRequest = {
    enrollmentId: randomUUID(),
    stepId: 'offer',
    occurrence: 1,
    journeyId: 'j',
    journeyVersion: 1,
    customerId: customer!.id,
    channel: 'email',
    template: 'offer',
    kind: 'marketing',
    topic: topic ?? undefined,
    brandTimeZone: 'Asia/Shanghai',
  };
  const send = createSendActivities({
    db: db.db,
    transports: { email },
    clock: () => NOW,
    publicUrl: PUBLIC_URL,
    messaging: { linkSecret: LINK_SECRET },
  });
  expect(await send.sendMessage(r)).toMatchObject({ status: 'sent' });
  const mail = sink.messages.find((m) => m.envelope.to.includes(address))!;
  const unsubscribe = (mail.parsed.headers.get('list') as { unsubscribe: { url: string } }).unsubscribe.url;
  const hrefs = [...(mail.parsed.html as string).matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
  const [row] = await db.db
    .select()
    .from(messages)
    .where(and(eq(messages.enrollmentId, r.enrollmentId), eq(messages.stepId, 'offer')));
  return {
    id: customer!.id,
    address,
    row: row!,
    unsubscribe: new URL(unsubscribe).pathname,
    clicks: hrefs.filter((h) => h.startsWith(`${PUBLIC_URL}/c/`)).map((h) => new URL(h).pathname),
    pixel: new URL(hrefs.find((h) => h.startsWith(`${PUBLIC_URL}/o/`))!).pathname,
    preferences: `/preferences/${signLink(LINK_SECRET, { p: 'preferences', c: customer!.id, m: row!.id })}`,
  };
}

const consentOf = async (id: string) =>
  (await db.db.select({ consent: customers.consent }).from(customers).where(eq(customers.id, id)))[0]!.consent;
const eventsOf = async (id: string) => db.db.select().from(events).where(eq(events.customerId, id));

describe('one-click unsubscribe (RFC 8058)', () => {
  it('the List-Unsubscribe URL from the received mail unsubscribes from the topic on POST; GET only asks', async () => {
    const c = await customerWithMail();
    const page = await app.inject({ method: 'GET', url: c.unsubscribe });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post">');
    expect((await consentOf(c.id)).topics.offers).toBe(true);

    const res = await app.inject({
      method: 'POST',
      url: c.unsubscribe,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });

    expect(res.statusCode).toBe(200);
    expect(await consentOf(c.id)).toEqual({ channels: { email: true }, topics: { offers: false, tips: true } });
    expect((await eventsOf(c.id)).map((e) => e.name)).toEqual(['unsubscribed']);
  });

  it('a message without a topic unsubscribes from the channel (multipart POST accepted too)', async () => {
    const c = await customerWithMail(null);
    const res = await app.inject({
      method: 'POST',
      url: c.unsubscribe,
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n',
    });
    expect(res.statusCode).toBe(200);
    expect((await consentOf(c.id)).channels.email).toBe(false);
  });

  it('cannot be forged or pointed at another customer', async () => {
    const victim = await customerWithMail();
    const attacker = await customerWithMail();
    const [body, signature] = attacker.unsubscribe.slice('/u/'.length).split('.');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, string>;
    const swapped = Buffer.from(JSON.stringify({ ...payload, c: victim.id })).toString('base64url');
    const attempts = [
      `/u/${swapped}.${signature}`, // the attacker's signature over a changed payload
      `/u/${signLink('a-guessed-secret-that-is-not-ours-0000', { p: 'unsubscribe', c: victim.id, m: victim.row.id })}`,
      `/u/${signLink(LINK_SECRET, { p: 'unsubscribe', c: victim.id, m: attacker.row.id })}`, // even a valid MAC: row belongs to another customer
      `/u/${victim.pixel.slice('/o/'.length)}`, // an open token is not an unsubscribe token
      '/u/not-a-token-at-all',
    ];
    for (const url of attempts) {
      const res = await app.inject({
        method: 'POST',
        url,
        payload: 'List-Unsubscribe=One-Click',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.statusCode, url).toBe(404);
    }
    expect(await consentOf(victim.id)).toEqual(consent);
    const browser = await app.inject({
      method: 'GET',
      url: attempts[0]!.replace('/u/', '/preferences/'),
      headers: { accept: 'text/html' },
    });
    expect(browser.statusCode).toBe(404);
    expect(browser.headers['content-type']).toMatch(/^text\/html/);
  });
});

describe('preference page', () => {
  it('shows the topics with their state and saves the checked ones', async () => {
    const c = await customerWithMail();
    const page = await app.inject({ method: 'GET', url: c.preferences });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<input type="checkbox" name="topic" value="offers" checked> Offers');
    expect(page.body).toContain('<input type="checkbox" name="topic" value="tips" checked> Care tips');

    const saved = await app.inject({
      method: 'POST',
      url: c.preferences,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=on&topic=tips&topic=invented',
    });

    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('<input type="checkbox" name="topic" value="offers"> Offers');
    expect(await consentOf(c.id)).toEqual({ channels: { email: true }, topics: { offers: false, tips: true } });
  });
});

describe('open and click tracking', () => {
  it('records one open per message and always answers with a pixel', async () => {
    const c = await customerWithMail();
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: c.pixel });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/gif');
    }
    expect((await eventsOf(c.id)).filter((e) => e.name === 'email_opened')).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/o/forged.token' })).headers['content-type']).toBe('image/gif');
  });

  it('redirects a click to the URL in the message and records it', async () => {
    const c = await customerWithMail();
    expect(c.clicks).toHaveLength(2);
    const res = await app.inject({ method: 'GET', url: c.clicks[1]! });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://shop.example/b?x=1&y=2');
    expect((await eventsOf(c.id)).filter((e) => e.name === 'email_clicked').map((e) => e.properties.url)).toEqual([
      'https://shop.example/b?x=1&y=2',
    ]);
  });

  it('refuses to redirect to a URL that was not in the message, even with a valid signature, or with an altered one', async () => {
    const c = await customerWithMail();
    const signedElsewhere = signLink(LINK_SECRET, {
      p: 'click',
      c: c.id,
      m: c.row.id,
      u: 'https://evil.example/phish',
    });
    const [body, sig] = c.clicks[0]!.slice('/c/'.length).split('.');
    const altered = Buffer.from(
      JSON.stringify({
        ...(JSON.parse(Buffer.from(body!, 'base64url').toString()) as object),
        u: 'https://evil.example/',
      }),
    ).toString('base64url');
    for (const url of [`/c/${signedElsewhere}`, `/c/${altered}.${sig}`]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers.location).toBeUndefined();
    }
    expect((await eventsOf(c.id)).filter((e) => e.name === 'email_clicked')).toHaveLength(0);
  });
});

describe('provider callbacks', () => {
  const signed = (body: object, at = NOW) => {
    const payload = JSON.stringify(body);
    const timestamp = String(Math.floor(at.getTime() / 1000));
    return {
      payload,
      headers: {
        'content-type': 'application/json',
        'x-perennial-timestamp': timestamp,
        'x-perennial-signature': `v1=${signWebhook(PROVIDER_SECRET, timestamp, payload)}`,
      },
    };
  };

  it('stores a delivery as an event, and a hard bounce as an event plus a suppression that stops the next send', async () => {
    const c = await customerWithMail();
    const messageId = c.row.providerMessageId!; // the Message-ID, as an email provider reports it
    const delivered = await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-1', type: 'delivered', messageId }),
    });
    expect(delivered.statusCode).toBe(202);
    const bounced = await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-2', type: 'bounced', bounceType: 'hard', messageId }),
    });
    expect(bounced.json()).toEqual({ accepted: true, event: 'message_bounced', suppressed: true });
    const again = await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-2', type: 'bounced', bounceType: 'hard', messageId }),
    });
    expect(again.statusCode).toBe(202);

    expect((await eventsOf(c.id)).map((e) => e.name).sort()).toEqual(['message_bounced', 'message_delivered']);
    expect(await db.db.select().from(suppressions).where(eq(suppressions.address, c.address))).toEqual([
      expect.objectContaining({ channel: 'email', reason: 'hard-bounce', source: 'provider:evt-2' }),
    ]);
  });

  it('a complaint suppresses; a soft bounce only records', async () => {
    const soft = await customerWithMail();
    await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-3', type: 'bounced', bounceType: 'soft', messageId: soft.row.providerMessageId! }),
    });
    const angry = await customerWithMail();
    const key = `${angry.row.enrollmentId}.${angry.row.stepId}.${angry.row.occurrence}`;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-4', type: 'complained', messageId: key }),
    });
    expect(res.json()).toMatchObject({ suppressed: true });
    expect(await db.db.select().from(suppressions).where(eq(suppressions.address, soft.address))).toEqual([]);
    expect(
      await db.db
        .select({ reason: suppressions.reason })
        .from(suppressions)
        .where(eq(suppressions.address, angry.address)),
    ).toEqual([{ reason: 'complaint' }]);
  });

  it('refuses unsigned, wrongly signed and stale callbacks (401) and answers bad bodies with 400 paths', async () => {
    const c = await customerWithMail();
    const body = { id: 'evt-5', type: 'complained', messageId: c.row.providerMessageId! };
    const good = signed(body);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/providers/email/events',
          payload: good.payload,
          headers: { 'content-type': 'application/json' },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/providers/email/events',
          payload: good.payload.replace('evt-5', 'evt-6'),
          headers: good.headers,
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/providers/email/events',
          ...signed(body, new Date(NOW.getTime() - 10 * 60_000)),
        })
      ).statusCode,
    ).toBe(401);
    expect(await db.db.select().from(suppressions).where(eq(suppressions.address, c.address))).toEqual([]);

    const bad = await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-7', type: 'exploded', messageId: 'x' }),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: '$.body.type' }] });
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/providers/email/events',
      ...signed({ id: 'evt-8', type: 'delivered', messageId: 'nobody' }),
    });
    expect(unknown.statusCode).toBe(404);
    const channel = await app.inject({ method: 'POST', url: '/v1/providers/fax/events', ...signed(body) });
    expect(channel.statusCode).toBe(400);
  });
});
