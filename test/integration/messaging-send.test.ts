/**
 * Messaging end to end through the send activity: versioned, localized templates rendered into real
 * MIME (a real SMTP server, parsed with mailparser), signed HTTP providers (a real node:http
 * server), guardrails recorded in a real Postgres ledger, and exactly-once under injected crashes.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { MessagingConfig } from '../../activities';
import { createRateLimiter } from '../../activities/rate-limiter';
import { createSendActivities, type SendRequest } from '../../activities/send';
import { verifyLink } from '../../services/messaging/tokens';
import {
  createSmtpTransport,
  createWebhookTransport,
  payloadShapers,
  type Transport,
  type Transports,
} from '../../activities/transports';
import {
  customerIdentities,
  customers,
  messages,
  suppressions,
  templatePartials,
  templates,
  templateVersions,
  type Consent,
  type TemplateParts,
} from '../../drizzle/schema';
import { startHttpProvider, type HttpProvider } from '../fixtures/http-provider';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { resentReason } from '../../domain/messaging';
import { createTestDatabase } from '../setup/harness';

/** Wed 2027-03-10 12:00 in Asia/Shanghai. */
const NOON_SHANGHAI = new Date('2027-03-10T04:00:00.000Z');
const SECRET = 'messaging-test-link-secret-0123456789abcdef';
const PROVIDER_SECRET = 'provider-secret-for-tests-0123456789';
const PUBLIC_URL = 'https://go.brand.example';
const FROM = 'Brand <news@brand.example>';
const consented: Consent = { channels: { email: true, sms: true, push: true, wechat: true }, topics: {} };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sink: SmtpSink;
let provider: HttpProvider;
let email: Transport;
let webhooks: Transports;

beforeAll(async () => {
  [db, sink, provider] = await Promise.all([createTestDatabase(), startSmtpSink(), startHttpProvider(PROVIDER_SECRET)]);
  email = createSmtpTransport({ url: sink.url, from: FROM, messageIdDomain: 'mail.brand.example' });
  webhooks = {
    sms: createWebhookTransport({ url: `${provider.url}/sms`, secret: PROVIDER_SECRET, shape: payloadShapers.sms }),
    push: createWebhookTransport({ url: `${provider.url}/push`, secret: PROVIDER_SECRET, shape: payloadShapers.push }),
    wechat: createWebhookTransport({
      url: `${provider.url}/wechat`,
      secret: PROVIDER_SECRET,
      shape: payloadShapers.wechat,
    }),
  };
  await db.db.insert(templatePartials).values([
    { id: 'footer', kind: 'partial', source: '<p class="footer"><a href="{{links.preferences}}">Preferences</a></p>' },
    { id: 'brand', kind: 'layout', source: '<html><body><div class="brand">{{{body}}}</div></body></html>' },
  ]);
  await saveTemplate('order-shipped', 'email', {
    defaultLocale: 'en',
    layout: 'brand',
    locales: {
      en: {
        subject: 'Your {{customer.model}} ships, {{customer.firstName}}',
        text: 'Hi {{customer.firstName}}, {{plural event.items one="# item" other="# items"}} for {{currency event.total "CNY"}} arrive {{date event.deliveredAt "long"}}. Details: https://shop.example/orders/42',
        html: '<p>Hi {{customer.firstName}}, {{plural event.items one="# item" other="# items"}} arrive {{date event.deliveredAt "long"}}.</p><p><a href="https://shop.example/offer?a=1&b=2">Offer</a></p>{{> footer}}',
      },
      'zh-CN': {
        subject: '{{customer.firstName}}，您的{{customer.model}}已发货',
        text: '{{customer.firstName}}您好，{{plural event.items other="# 件商品"}}（{{currency event.total "CNY"}}）预计{{date event.deliveredAt "long"}}送达。',
        html: '<p>{{customer.firstName}}您好，预计{{date event.deliveredAt "long"}}送达。</p><p><a href="https://shop.example/offer?a=1&b=2">优惠</a></p>{{> footer}}',
      },
    },
  });
  await saveTemplate('sms-offer', 'sms', {
    defaultLocale: 'en',
    locales: { en: { text: 'Hi {{customer.firstName}}, 20% off filters: https://shop.example/f' } },
  });
  await saveTemplate('push-offer', 'push', {
    defaultLocale: 'en',
    locales: {
      en: { subject: 'Filters', text: 'Time for a new filter, {{customer.firstName}}', fields: { screen: 'filters' } },
    },
  });
  await saveTemplate('wechat-shipped', 'wechat', {
    defaultLocale: 'zh-CN',
    providerTemplateId: 'TM00015',
    locales: {
      'zh-CN': {
        text: '已发货',
        fields: { first: '{{customer.firstName}}，您的订单已发货', keyword1: '{{customer.model}}', remark: '感谢惠顾' },
      },
    },
  });
});

afterAll(async () => {
  email?.close?.();
  await Promise.all([sink?.close(), provider?.close()]);
  await db?.close();
});

async function saveTemplate(
  id: string,
  channel: 'email' | 'sms' | 'push' | 'wechat',
  v: { defaultLocale: string; locales: Record<string, TemplateParts>; layout?: string; providerTemplateId?: string },
) {
  const parts = v.locales[v.defaultLocale]!;
  await db.db
    .insert(templates)
    .values({ id, channel, subject: parts.subject, text: parts.text, html: parts.html, latestVersion: 1 });
  await db.db.insert(templateVersions).values({
    templateId: id,
    version: 1,
    defaultLocale: v.defaultLocale,
    locales: v.locales,
    layout: v.layout ?? null,
    providerTemplateId: v.providerTemplateId ?? null,
  });
}

function activities(
  options: {
    clock?: Date;
    transports?: Transports;
    messaging?: Partial<MessagingConfig>;
    uncertainSends?: 'resend' | 'never';
  } = {},
) {
  const clock = options.clock ?? NOON_SHANGHAI;
  return createSendActivities({
    db: db.db,
    transports: options.transports ?? { email, ...webhooks },
    clock: () => clock,
    publicUrl: PUBLIC_URL,
    uncertainSends: options.uncertainSends,
    messaging: { linkSecret: SECRET, ...options.messaging },
  });
}

async function createCustomer(
  options: {
    locale?: string | null;
    timeZone?: string;
    kind?: 'email' | 'phone' | 'app_user' | 'wechat_openid';
    address?: string;
  } = {},
) {
  const [customer] = await db.db
    .insert(customers)
    .values({
      traits: { firstName: 'Lin', model: 'AquaPure 5' },
      consent: consented,
      timeZone: options.timeZone ?? 'Asia/Shanghai',
      locale: options.locale ?? null,
    })
    .returning();
  const kind = options.kind ?? 'email';
  const address =
    options.address ??
    (kind === 'email' ? `lin.${randomUUID().slice(0, 8)}@example.com` : `${kind}-${randomUUID().slice(0, 8)}`);
  await db.db.insert(customerIdentities).values({ kind, value: address, customerId: customer!.id });
  return { id: customer!.id, address };
}

function request(customerId: string, overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    enrollmentId: randomUUID(),
    stepId: 'shipped',
    occurrence: 1,
    journeyId: 'post-purchase',
    journeyVersion: 1,
    customerId,
    channel: 'email',
    template: 'order-shipped',
    kind: 'marketing',
    topic: 'orders',
    entryEvent: {
      id: randomUUID(),
      name: 'order_shipped',
      properties: { items: 3, total: 1299, deliveredAt: '2027-03-09T20:30:00Z' },
      timestamp: NOON_SHANGHAI.toISOString(),
    },
    brandTimeZone: 'Asia/Shanghai',
    quietHours: { start: '21:00', end: '08:00' },
    ...overrides,
  };
}

const ledger = async (r: SendRequest) =>
  db.db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.enrollmentId, r.enrollmentId),
        eq(messages.stepId, r.stepId),
        eq(messages.occurrence, r.occurrence),
      ),
    );
const mailTo = (address: string) => sink.messages.filter((m) => m.envelope.to.includes(address));
const messageIdOf = (r: SendRequest) => `<${r.enrollmentId}.${r.stepId}.${r.occurrence}@mail.brand.example>`;

describe('email: localized templates into real MIME', () => {
  it("renders the en version in the customer's zone with helpers, layout and partial; headers carry one-click unsubscribe and the ledger Message-ID", async () => {
    const customer = await createCustomer({ locale: 'en-GB' });
    const r = request(customer.id);

    expect(await activities().sendMessage(r)).toEqual({ status: 'sent', messageId: messageIdOf(r) });

    const [mail] = mailTo(customer.address);
    expect(mail).toBeDefined();
    const parsed = mail!.parsed;
    expect(parsed.messageId).toBe(messageIdOf(r));
    expect(parsed.subject).toBe('Your AquaPure 5 ships, Lin');
    // 2027-03-09T20:30Z is already March 10 in Shanghai.
    expect(parsed.text?.trim()).toBe(
      'Hi Lin, 3 items for CN¥1,299.00 arrive March 10, 2027. Details: https://shop.example/orders/42',
    );
    expect(parsed.html).toMatch(/^<html><body><div class="brand"><p>Hi Lin, 3 items arrive March 10, 2027\.<\/p>/);
    // mailparser groups List-* headers under `list`.
    const unsubscribeUrl = (parsed.headers.get('list') as { unsubscribe: { url: string } }).unsubscribe.url;
    expect(unsubscribeUrl).toMatch(new RegExp(`^${PUBLIC_URL}/u/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    expect(mail!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    const [row] = await ledger(r);
    expect(verifyLink(SECRET, unsubscribeUrl.slice(`${PUBLIC_URL}/u/`.length), 'unsubscribe')).toEqual({
      p: 'unsubscribe',
      c: customer.id,
      m: row!.id,
    });
    expect(row).toMatchObject({
      status: 'sent',
      locale: 'en',
      templateVersion: 1,
      kind: 'marketing',
      topic: 'orders',
      address: customer.address,
    });
    expect(row!.links).toEqual(['https://shop.example/offer?a=1&b=2', 'https://shop.example/orders/42']);
  });

  it('renders zh-CN for a zh-CN reader with Chinese date, currency and plural forms', async () => {
    const customer = await createCustomer({ locale: 'zh-CN' });
    const r = request(customer.id);

    expect(await activities().sendMessage(r)).toMatchObject({ status: 'sent' });

    const parsed = mailTo(customer.address)[0]!.parsed;
    expect(parsed.subject).toBe('Lin，您的AquaPure 5已发货');
    expect(parsed.text?.trim()).toBe('Lin您好，3 件商品（¥1,299.00）预计2027年3月10日送达。');
    expect(parsed.html).toContain('<p>Lin您好，预计2027年3月10日送达。</p>');
    expect((await ledger(r))[0]?.locale).toBe('zh-CN');
  });

  it('falls back by language (zh-TW reads zh-CN) and then to the default locale (fr reads en)', async () => {
    const taiwan = await createCustomer({ locale: 'zh-TW' });
    const french = await createCustomer({ locale: 'fr' });
    const none = await createCustomer({ locale: null });
    for (const c of [taiwan, french, none])
      expect(await activities().sendMessage(request(c.id))).toMatchObject({ status: 'sent' });
    expect(mailTo(taiwan.address)[0]!.parsed.subject).toBe('Lin，您的AquaPure 5已发货');
    expect(mailTo(french.address)[0]!.parsed.subject).toBe('Your AquaPure 5 ships, Lin');
    expect(mailTo(none.address)[0]!.parsed.subject).toBe('Your AquaPure 5 ships, Lin');
  });

  it('rewrites outbound links to signed click redirects, keeps the preference link direct and adds an open pixel', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const r = request(customer.id);
    await activities().sendMessage(r);
    const html = mailTo(customer.address)[0]!.parsed.html as string;
    const [row] = await ledger(r);

    const clicks = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(clicks).toHaveLength(2);
    const click = clicks.find((u) => u.startsWith(`${PUBLIC_URL}/c/`))!;
    expect(verifyLink(SECRET, click.slice(`${PUBLIC_URL}/c/`.length), 'click')).toEqual({
      p: 'click',
      c: customer.id,
      m: row!.id,
      u: 'https://shop.example/offer?a=1&b=2',
    });
    expect(clicks.find((u) => u.startsWith(`${PUBLIC_URL}/preferences/`))).toBeDefined();
    expect(html).not.toContain('https://shop.example/offer');
    expect(html).toMatch(
      new RegExp(`<img src="${PUBLIC_URL}/o/[^"]+" width="1" height="1" alt="" style="display:none"></body></html>$`),
    );
  });

  it('signs mail with DKIM that a verifier accepts, covering List-Unsubscribe and List-Unsubscribe-Post (RFC 8058)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkimEmail = createSmtpTransport({
      url: sink.url,
      from: FROM,
      dkim: {
        domainName: 'brand.example',
        keySelector: 'perennial',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
    // The DNS the verifier asks: the selector's TXT record holding the public key.
    const keyRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const resolver = async (name: string, type: string) => {
      if (name === 'perennial._domainkey.brand.example' && type === 'TXT') return [[keyRecord]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    try {
      const customer = await createCustomer({ locale: 'en' });
      expect(await activities({ transports: { email: dkimEmail } }).sendMessage(request(customer.id))).toMatchObject({
        status: 'sent',
      });
      const mail = mailTo(customer.address)[0]!;
      const unfolded = mail.raw.replace(/\r?\n[ \t]+/g, ' ');
      const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(unfolded)?.[1];
      expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

      const verified = await dkimVerify(Buffer.from(mail.raw), { resolver });

      expect(verified.results).toHaveLength(1);
      const [signature] = verified.results;
      expect(signature!.status.result).toBe('pass');
      expect(signature!.signingDomain).toBe('brand.example');
      expect(signature!.selector).toBe('perennial');
      const signed = signature!.signingHeaders!.keys.toLowerCase().split(': ');
      expect(signed).toEqual(expect.arrayContaining(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']));
      // The one-click link it signs is https.
      expect(header('List-Unsubscribe')).toMatch(/^<https:\/\/go\.brand\.example\/u\//);
    } finally {
      dkimEmail.close?.();
    }
  });

  it('sends transactional mail without List-Unsubscribe', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const r = request(customer.id, { kind: 'transactional', topic: undefined });
    expect(await activities().sendMessage(r)).toMatchObject({ status: 'sent' });
    expect(mailTo(customer.address)[0]!.parsed.headers.has('list')).toBe(false);
    expect(mailTo(customer.address)[0]!.raw).not.toMatch(/^List-Unsubscribe/im);
  });
});

describe('guardrails, each recorded', () => {
  it('skips a suppressed (hard-bounced) address as suppressed:hard-bounce, transactional included', async () => {
    const customer = await createCustomer();
    await db.db
      .insert(suppressions)
      .values({ channel: 'email', address: customer.address, reason: 'hard-bounce', source: 'test' });
    const marketing = request(customer.id);
    const transactional = request(customer.id, { kind: 'transactional', stepId: 'receipt' });

    expect(await activities().sendMessage(marketing)).toEqual({ status: 'skipped', reason: 'suppressed:hard-bounce' });
    expect(await activities().sendMessage(transactional)).toEqual({
      status: 'skipped',
      reason: 'suppressed:hard-bounce',
    });
    expect((await ledger(marketing))[0]).toMatchObject({
      status: 'skipped',
      reason: 'suppressed:hard-bounce',
      address: customer.address,
    });
    expect(mailTo(customer.address)).toHaveLength(0);
  });

  it('caps marketing per customer per local day across journeys and channels, exempting transactional', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const caps = { messaging: { caps: { all: { day: 2 }, email: { day: 1 } } } };
    const first = request(customer.id, { journeyId: 'journey-a' });
    const second = request(customer.id, { journeyId: 'journey-b' });
    const receipt = request(customer.id, { kind: 'transactional', topic: undefined });

    expect(await activities(caps).sendMessage(first)).toMatchObject({ status: 'sent' });
    expect(await activities(caps).sendMessage(second)).toEqual({
      status: 'skipped',
      reason: 'frequency-cap:email/day',
    });
    expect(await activities(caps).sendMessage(receipt)).toMatchObject({ status: 'sent' });
    // The next local day (Thursday 12:00 Shanghai) has room again.
    const tomorrow = new Date(NOON_SHANGHAI.getTime() + 86_400_000);
    expect(await activities({ ...caps, clock: tomorrow }).sendMessage(request(customer.id))).toMatchObject({
      status: 'sent',
    });
    expect((await ledger(second))[0]).toMatchObject({ status: 'skipped', reason: 'frequency-cap:email/day' });
    expect(mailTo(customer.address)).toHaveLength(3);
  });

  it('lets two journeys racing for the last slot of a cap send exactly one message', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const caps = { messaging: { caps: { all: { day: 1 } } } };
    const outcomes = await Promise.all([
      activities(caps).sendMessage(request(customer.id, { journeyId: 'a' })),
      activities(caps).sendMessage(request(customer.id, { journeyId: 'b' })),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['sent', 'skipped']);
    expect(outcomes.find((o) => o.status === 'skipped')).toEqual({
      status: 'skipped',
      reason: 'frequency-cap:all/day',
    });
    expect(mailTo(customer.address)).toHaveLength(1);
  });

  it('defers marketing on a do-not-disturb date to the first allowed time the next local day, and sends transactional', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const dnd = { messaging: { doNotDisturb: ['2027-03-10'] } };
    const r = request(customer.id);

    expect(await activities(dnd).sendMessage(r)).toEqual({
      status: 'deferred',
      until: '2027-03-11T00:00:00.000Z',
      reason: 'do-not-disturb',
    });
    expect(await ledger(r)).toEqual([]);
    expect(await activities(dnd).sendMessage(request(customer.id, { kind: 'transactional' }))).toMatchObject({
      status: 'sent',
    });
  });

  it('does not skip when the provider rate limit is reached: a retryable RateLimited failure with the refill delay', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const limited = {
      messaging: { rateLimiter: createRateLimiter({ email: { ratePerSecond: 0.5, burst: 1 } }, () => 0) },
    };
    const send = activities(limited);
    expect(await send.sendMessage(request(customer.id))).toMatchObject({ status: 'sent' });
    const second = request(customer.id);
    const error = await send.sendMessage(second).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 2000 });
    expect(await ledger(second)).toEqual([]);
  });

  it('skips an unsubscribed topic and records it', async () => {
    const customer = await createCustomer();
    await db.db
      .update(customers)
      .set({ consent: { channels: { email: true }, topics: { orders: false } } })
      .where(eq(customers.id, customer.id));
    const r = request(customer.id);
    expect(await activities().sendMessage(r)).toEqual({ status: 'skipped', reason: 'unsubscribed-topic' });
    expect((await ledger(r))[0]).toMatchObject({ status: 'skipped', reason: 'unsubscribed-topic' });
  });
});

describe('HTTP providers: signed JSON webhooks', () => {
  it('sends SMS, push and a WeChat template message, each signed with HMAC-SHA256 over timestamp.body with the ledger key as Idempotency-Key', async () => {
    const sms = await createCustomer({ kind: 'phone', address: `+86138${Math.floor(Math.random() * 1e8)}` });
    const app = await createCustomer({ kind: 'app_user' });
    const wx = await createCustomer({ kind: 'wechat_openid', address: `oWx${randomUUID().slice(0, 12)}` });
    const rs = request(sms.id, { channel: 'sms', template: 'sms-offer' });
    const rp = request(app.id, { channel: 'push', template: 'push-offer' });
    const rw = request(wx.id, { channel: 'wechat', template: 'wechat-shipped' });
    const before = Math.floor(Date.now() / 1000);

    expect(await activities().sendMessage(rs)).toEqual({
      status: 'sent',
      messageId: `prov-${rs.enrollmentId}.shipped.1`,
    });
    expect(await activities().sendMessage(rp)).toMatchObject({ status: 'sent' });
    expect(await activities().sendMessage(rw)).toMatchObject({ status: 'sent' });

    const byKey = (r: SendRequest) =>
      provider.requests.filter((q) => q.headers['idempotency-key'] === `${r.enrollmentId}.${r.stepId}.${r.occurrence}`);
    const [smsReq, pushReq, wxReq] = [byKey(rs), byKey(rp), byKey(rw)].map((list) => {
      expect(list).toHaveLength(1);
      return list[0]!;
    });
    for (const q of [smsReq!, pushReq!, wxReq!]) {
      expect(q.signatureValid).toBe(true);
      expect(q.headers['x-perennial-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(Number(q.headers['x-perennial-timestamp'])).toBeGreaterThanOrEqual(before);
      expect(q.headers['content-type']).toBe('application/json');
    }
    expect(smsReq!.path).toBe('/sms');
    expect(smsReq!.json).toEqual({
      to: sms.address,
      text: 'Hi Lin, 20% off filters: https://shop.example/f',
      reference: `${rs.enrollmentId}.shipped.1`,
    });
    expect(pushReq!.json).toEqual({
      user: app.address,
      notification: { title: 'Filters', body: 'Time for a new filter, Lin' },
      data: { screen: 'filters' },
      reference: `${rp.enrollmentId}.shipped.1`,
    });
    expect(wxReq!.json).toEqual({
      touser: wx.address,
      template_id: 'TM00015',
      data: {
        first: { value: 'Lin，您的订单已发货' },
        keyword1: { value: 'AquaPure 5' },
        remark: { value: '感谢惠顾' },
      },
      client_msg_id: `${rw.enrollmentId}.shipped.1`,
    });
  });

  it('a provider that refuses the signature (or any 4xx) fails the message for good; a 503 is retried', async () => {
    const customer = await createCustomer({ kind: 'phone', address: `+86139${Math.floor(Math.random() * 1e8)}` });
    const wrongSecret = {
      sms: createWebhookTransport({
        url: `${provider.url}/sms`,
        secret: 'not-the-shared-secret',
        shape: payloadShapers.sms,
      }),
    };
    const refused = request(customer.id, { channel: 'sms', template: 'sms-offer' });
    const outcome = await activities({ transports: wrongSecret }).sendMessage(refused);
    expect(outcome).toEqual({
      status: 'skipped',
      reason: expect.stringMatching(/^provider-rejected: .* answered 401: bad signature$/),
    });
    expect((await ledger(refused))[0]?.status).toBe('failed');
    expect(provider.requests.at(-1)?.signatureValid).toBe(false);

    const busy = request(customer.id, { channel: 'sms', template: 'sms-offer', stepId: 'busy' });
    provider.status = 503;
    try {
      await expect(activities().sendMessage(busy)).rejects.toThrow(/answered 503/);
    } finally {
      provider.status = 200;
    }
    expect(await ledger(busy)).toEqual([]);
    expect(await activities().sendMessage(busy)).toMatchObject({ status: 'sent' });
  });
});

describe('exactly once', () => {
  /** The provider took the message, then the worker died before recording it. */
  const crashAfterAccept = (transport: Transport): Transport => ({
    idempotent: transport.idempotent,
    async send(message) {
      await transport.send(message);
      throw new Error('worker lost after the provider accepted');
    },
  });

  it('SMTP: a retry after the server accepted resends under the same ledger Message-ID (collapsed by mailbox providers), counted as resent', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const r = request(customer.id);
    await expect(activities({ transports: { email: crashAfterAccept(email) } }).sendMessage(r)).rejects.toThrow(
      /worker lost/,
    );

    const retried = await activities().sendMessage(r);

    expect(retried).toEqual({ status: 'sent', messageId: messageIdOf(r) });
    expect(mailTo(customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r), messageIdOf(r)]);
    expect((await ledger(r))[0]).toMatchObject({ status: 'sent', reason: resentReason });
  });

  it('SMTP with the never-resend policy: a retry after the server accepted does not send again (uncertain, one mail)', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const r = request(customer.id);
    await expect(activities({ transports: { email: crashAfterAccept(email) } }).sendMessage(r)).rejects.toThrow(
      /worker lost/,
    );

    const retried = await activities({ uncertainSends: 'never' }).sendMessage(r);

    expect(retried).toEqual({ status: 'uncertain', reason: 'attempt died during provider call' });
    expect(mailTo(customer.address).map((m) => m.parsed.messageId)).toEqual([messageIdOf(r)]);
  });

  it('HTTP provider: the retry resends under the same idempotency key and the provider delivers once; the ledger ends sent', async () => {
    const customer = await createCustomer({ kind: 'app_user' });
    const r = request(customer.id, { channel: 'push', template: 'push-offer' });
    await expect(activities({ transports: { push: crashAfterAccept(webhooks.push!) } }).sendMessage(r)).rejects.toThrow(
      /worker lost/,
    );
    expect((await ledger(r))[0]?.status).toBe('sending');

    const retried = await activities().sendMessage(r);

    const key = `${r.enrollmentId}.${r.stepId}.${r.occurrence}`;
    expect(retried).toEqual({ status: 'sent', messageId: `prov-${key}` });
    expect(provider.requests.filter((q) => q.headers['idempotency-key'] === key)).toHaveLength(2);
    expect([...provider.delivered.keys()].filter((k) => k === key)).toHaveLength(1);
    expect((await ledger(r))[0]).toMatchObject({ status: 'sent', providerMessageId: `prov-${key}` });
  });

  it('a duplicate run of the same step (same ledger key, concurrently and again later) sends one email', async () => {
    const customer = await createCustomer({ locale: 'en' });
    const r = request(customer.id);
    const results = await Promise.allSettled([activities().sendMessage(r), activities().sendMessage(r)]);
    const again = await activities().sendMessage(r);

    expect(
      results.filter((x) => x.status === 'fulfilled').map((x) => (x as PromiseFulfilledResult<unknown>).value),
    ).toContainEqual({ status: 'sent', messageId: messageIdOf(r) });
    expect(again).toEqual({ status: 'sent', messageId: messageIdOf(r) });
    expect(mailTo(customer.address)).toHaveLength(1);
  });
});
