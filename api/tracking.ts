/**
 * Public routes behind links in messages and provider callbacks; no admin key, each request is
 * authenticated by its own signed token (activities/tokens.ts):
 * - `POST /u/:token` one-click unsubscribe (RFC 8058; mail clients POST `List-Unsubscribe=One-Click`).
 *   `GET /u/:token` only shows a confirmation form: link scanners follow GETs.
 * - `GET|POST /preferences/:token` a page of topics; POST saves the checked ones.
 * - `GET /o/:token` open pixel; `GET /c/:token` click redirect, only to a URL the message contained.
 * - `POST /v1/providers/:channel/events` delivery, bounce and complaint callbacks (HMAC-signed like
 *   our outgoing webhooks), stored as events; hard bounces and complaints add a suppression.
 */
import { createHash } from 'node:crypto';
import { and, eq, or } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  verifyLink,
  verifyWebhook,
  webhookHeaders,
  type LinkPayload,
  type LinkPurpose,
} from '../services/messaging/tokens';
import type { Db } from '../drizzle/client';
import { customers, events, messages, suppressions, type Consent } from '../drizzle/schema';
import { channels } from '../domain/journey/definition';
import { documentOnly, parseOr400 } from './http';
import { errors } from './schemas/common';
import { linkNotValid, page as pageResponse, pixel, providerEventAccepted, redirect } from './schemas/tracking';

export interface TrackingOptions {
  db: Db;
  clock: () => Date;
  /** The worker's `MESSAGING_LINK_SECRET`: verifies links in messages. */
  linkSecret: string;
  /** Shared with HTTP providers; without it provider callbacks are refused. */
  providerSecret?: string;
  /** Topics offered on the preference page, besides those in the customer's consent. */
  topics?: { id: string; label: string }[];
}

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const tokenParams = z.object({ token: z.string().min(10).max(4096) });

const providerEvent = z
  .object({
    /** The provider's event id: a resend is a no-op. */
    id: z.string().min(1).max(255),
    type: z.enum(['delivered', 'bounced', 'complained']),
    /** Our idempotency key / Message-ID, or the provider's message id we recorded. */
    messageId: z.string().min(1).max(998),
    bounceType: z.enum(['hard', 'soft']).optional(),
    at: z.iso.datetime({ offset: true }).optional(),
    detail: z.string().max(2000).optional(),
  })
  .strict();

const html = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${html(title)}</title></head><body><main><h1>${html(title)}</h1>${body}</main></body></html>`;

export const trackingRoutes: FastifyPluginAsyncZod<TrackingOptions> = async (app, options) => {
  const { db, clock, linkSecret } = options;
  const tags = ['links'];
  const params = tokenParams;

  // Forms post urlencoded; provider callbacks are verified over the exact bytes received.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const form: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(body as string)) (form[k] ??= []).push(v);
    done(null, form);
  });
  app.removeContentTypeParser('application/json'); // the app's own (api/json-body.ts): these need the text
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  // RFC 8058 allows multipart/form-data for the one-click POST; its content does not matter.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  /** 404: a page for browsers, the API's JSON error for everything else (mail clients' one-click POSTs, scripts). */
  async function notValid(request: FastifyRequest, reply: FastifyReply) {
    if ((request.headers.accept ?? '').includes('text/html')) {
      await reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(page('Link not valid', '<p>This link is not valid. It may have been altered.</p>'));
    } else {
      await reply.code(404).send({
        error: 'not_found',
        message: 'this link is not valid (altered, for another purpose, or for another customer)',
      });
    }
  }

  /** The token's payload and its ledger row, or a 404 (forged, altered, or another purpose). */
  async function resolve(token: string, purpose: LinkPurpose, request: FastifyRequest, reply: FastifyReply) {
    const payload = verifyLink(linkSecret, token, purpose);
    const [row] = payload ? await db.select().from(messages).where(eq(messages.id, payload.m)) : [];
    if (!payload || !row || row.customerId !== payload.c) {
      await notValid(request, reply);
      return null;
    }
    return { payload, row };
  }

  async function recordEvent(customerId: string, messageId: string, name: string, properties: Record<string, unknown>) {
    await db
      .insert(events)
      .values({ messageId, customerId, name, properties, occurredAt: clock() })
      .onConflictDoNothing();
  }

  /** Unsubscribes from the message's topic, or from its channel when it had none. */
  async function unsubscribe(payload: LinkPayload, row: typeof messages.$inferSelect) {
    await db.transaction(async (tx) => {
      const [customer] = await tx
        .select({ consent: customers.consent })
        .from(customers)
        .where(eq(customers.id, payload.c))
        .for('no key update');
      if (!customer) return;
      const consent: Consent = { channels: { ...customer.consent.channels }, topics: { ...customer.consent.topics } };
      if (row.topic) consent.topics[row.topic] = false;
      else consent.channels[row.channel as keyof Consent['channels']] = false;
      await tx.update(customers).set({ consent, updatedAt: new Date() }).where(eq(customers.id, payload.c));
    });
    await recordEvent(payload.c, `unsubscribe:${row.id}`, 'unsubscribed', {
      channel: row.channel,
      topic: row.topic,
      journeyId: row.journeyId,
      ledgerId: row.id,
    });
  }

  app.get(
    '/u/:token',
    {
      schema: {
        tags,
        params,
        summary: 'Unsubscribe confirmation page (a GET never unsubscribes: link scanners follow GETs)',
        response: {
          200: pageResponse('asks to confirm (a form that posts one-click)'),
          400: errors[400],
          404: linkNotValid,
        },
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const found = await resolve(token, 'unsubscribe', request, reply);
      if (!found) return reply;
      const what = found.row.topic ? `“${html(found.row.topic)}” messages` : `all ${html(found.row.channel)} messages`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Unsubscribe',
            `<p>Stop receiving ${what}?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
          ),
        );
    },
  );

  app.post(
    '/u/:token',
    {
      schema: {
        tags,
        params,
        summary: 'One-click unsubscribe (RFC 8058): the topic of the message, else its channel',
        response: { 200: pageResponse('unsubscribed'), 400: errors[400], 404: linkNotValid },
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const found = await resolve(token, 'unsubscribe', request, reply);
      if (!found) return reply;
      await unsubscribe(found.payload, found.row);
      return reply
        .type('text/html; charset=utf-8')
        .send(page('Unsubscribed', '<p>You will not receive these messages any more.</p>'));
    },
  );

  async function preferencePage(customerId: string, saved: boolean) {
    const [customer] = await db
      .select({ consent: customers.consent })
      .from(customers)
      .where(eq(customers.id, customerId));
    const consent = customer?.consent ?? { channels: {}, topics: {} };
    const topics = new Map((options.topics ?? []).map((t) => [t.id, t.label]));
    for (const id of Object.keys(consent.topics)) if (!topics.has(id)) topics.set(id, id);
    const boxes = [...topics]
      .map(
        ([id, label]) =>
          `<label><input type="checkbox" name="topic" value="${html(id)}"${consent.topics[id] === false ? '' : ' checked'}> ${html(label)}</label><br>`,
      )
      .join('');
    const email = `<label><input type="checkbox" name="email" value="on"${consent.channels.email === true ? ' checked' : ''}> Marketing email</label><br>`;
    return page(
      'Email preferences',
      `${saved ? '<p role="status">Saved.</p>' : ''}<form method="post">${email}<fieldset><legend>Topics</legend>${boxes}</fieldset><button type="submit">Save</button></form>`,
    );
  }

  app.get(
    '/preferences/:token',
    {
      schema: {
        tags,
        params,
        summary: 'Preference page: topics and marketing email',
        response: { 200: pageResponse('the preference form'), 400: errors[400], 404: linkNotValid },
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const found = await resolve(token, 'preferences', request, reply);
      if (!found) return reply;
      return reply.type('text/html; charset=utf-8').send(await preferencePage(found.payload.c, false));
    },
  );

  app.post(
    '/preferences/:token',
    {
      schema: {
        tags,
        params,
        summary: 'Save preferences (form: topic=<id>…, email=on)',
        response: { 200: pageResponse('saved: the preference form again'), 400: errors[400], 404: linkNotValid },
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const found = await resolve(token, 'preferences', request, reply);
      if (!found) return reply;
      const form =
        typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, string[]>) : {};
      const checked = new Set(form.topic ?? []);
      await db.transaction(async (tx) => {
        const [customer] = await tx
          .select({ consent: customers.consent })
          .from(customers)
          .where(eq(customers.id, found.payload.c))
          .for('no key update');
        if (!customer) return;
        const offered = new Set([...(options.topics ?? []).map((t) => t.id), ...Object.keys(customer.consent.topics)]);
        const topics = { ...customer.consent.topics };
        // Only offered topics change: a crafted form cannot invent consent for unknown topics.
        for (const id of offered) topics[id] = checked.has(id);
        const channelsConsent = { ...customer.consent.channels, email: form.email?.includes('on') === true };
        await tx
          .update(customers)
          .set({ consent: { channels: channelsConsent, topics }, updatedAt: new Date() })
          .where(eq(customers.id, found.payload.c));
      });
      await recordEvent(found.payload.c, `preferences:${found.row.id}:${clock().getTime()}`, 'preferences_updated', {
        topics: [...checked],
        email: form.email?.includes('on') === true,
      });
      return reply.type('text/html; charset=utf-8').send(await preferencePage(found.payload.c, true));
    },
  );

  app.get(
    '/o/:token',
    { schema: { tags, params, summary: 'Open pixel', response: { 200: pixel, 400: errors[400] } } },
    async (request, reply) => {
      const { token } = request.params;
      const payload = verifyLink(linkSecret, token, 'open');
      // Always a pixel (a broken image helps no one), but only a valid token counts as an open.
      if (payload) {
        const [row] = await db
          .select({ id: messages.id, customerId: messages.customerId, journeyId: messages.journeyId })
          .from(messages)
          .where(eq(messages.id, payload.m));
        if (row && row.customerId === payload.c)
          await recordEvent(payload.c, `open:${row.id}`, 'email_opened', {
            ledgerId: row.id,
            journeyId: row.journeyId,
          });
      }
      return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
    },
  );

  app.get(
    '/c/:token',
    {
      schema: {
        tags,
        params,
        summary: 'Click redirect, only to a URL the message contained',
        response: { 302: redirect, 400: errors[400], 404: linkNotValid },
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const found = await resolve(token, 'click', request, reply);
      if (!found) return reply;
      const url = found.payload.u;
      // No open redirect: even a validly signed URL must be one the message actually contained.
      if (!url || !/^https?:\/\//.test(url) || !(found.row.links ?? []).includes(url)) {
        await notValid(request, reply);
        return reply;
      }
      const urlHash = createHash('sha256').update(url).digest('hex').slice(0, 16);
      await recordEvent(found.payload.c, `click:${found.row.id}:${urlHash}`, 'email_clicked', {
        url,
        ledgerId: found.row.id,
        journeyId: found.row.journeyId,
      });
      return reply.redirect(url, 302);
    },
  );

  const providerSchema = {
    tags: ['providers'],
    summary: 'Delivery, bounce and complaint callbacks (HMAC-signed; hard bounces and complaints suppress the address)',
    params: z.object({ channel: z.enum(channels) }),
    // Verified over the raw bytes first, then parsed by the handler.
    body: documentOnly(providerEvent),
    response: {
      202: providerEventAccepted,
      400: errors[400],
      401: errors[401].describe('the body is not signed with the provider secret'),
      404: errors[404].describe('no message of the channel with that id'),
    },
  };
  app.post('/v1/providers/:channel/events', { schema: providerSchema }, async (request, reply) => {
    const { channel } = request.params;
    const raw = typeof request.body === 'string' ? request.body : '';
    const header = (name: string) => {
      const v = request.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (
      !options.providerSecret ||
      !verifyWebhook(
        options.providerSecret,
        header(webhookHeaders.timestamp),
        header(webhookHeaders.signature),
        raw,
        clock(),
      )
    ) {
      return reply.code(401).send({
        error: 'unauthorized',
        message: `sign the body: ${webhookHeaders.signature}: v1=hex(HMAC-SHA256(secret, timestamp + "." + body)) with ${webhookHeaders.timestamp} within 5 minutes`,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return reply.code(400).send({ error: 'invalid_request', issues: [{ path: '$.body', message: 'must be JSON' }] });
    }
    const event = parseOr400(providerEvent, json, ['$', 'body']);
    // Email providers report our Message-ID (`<key@domain>`); HTTP providers our idempotency key or their id.
    const key = event.messageId.replace(/^<|>$/g, '').replace(/@[^@]*$/, '');
    const ledger = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]+)\.(\d+)$/.exec(key);
    const byKey = ledger
      ? and(
          eq(messages.enrollmentId, ledger[1]!),
          eq(messages.stepId, ledger[2]!),
          eq(messages.occurrence, Number(ledger[3])),
        )
      : undefined;
    const [row] = await db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.channel, channel),
          byKey
            ? or(byKey, eq(messages.providerMessageId, event.messageId))
            : eq(messages.providerMessageId, event.messageId),
        ),
      )
      .limit(1);
    if (!row) return reply.code(404).send({ error: 'not_found', message: `no ${channel} message ${event.messageId}` });
    const name = { delivered: 'message_delivered', bounced: 'message_bounced', complained: 'message_complained' }[
      event.type
    ];
    await db
      .insert(events)
      .values({
        messageId: `provider:${channel}:${event.id}`,
        customerId: row.customerId,
        name,
        properties: {
          channel,
          ledgerId: row.id,
          journeyId: row.journeyId,
          bounceType: event.bounceType ?? null,
          detail: event.detail ?? null,
        },
        occurredAt: event.at ? new Date(event.at) : clock(),
      })
      .onConflictDoNothing();
    const suppress =
      event.type === 'complained'
        ? 'complaint'
        : event.type === 'bounced' && event.bounceType === 'hard'
          ? 'hard-bounce'
          : null;
    if (suppress && row.address) {
      await db
        .insert(suppressions)
        .values({ channel, address: row.address, reason: suppress, source: `provider:${event.id}` })
        .onConflictDoNothing();
    }
    return reply.code(202).send({ accepted: true, event: name, suppressed: suppress !== null && row.address !== null });
  });
};
