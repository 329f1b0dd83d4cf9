/**
 * How a journey message leaves: ledger first, then the provider, exactly once per
 * (enrollment, step, occurrence). A retry that finds the row `sending` (the attempt died during
 * the provider call) sends again under the same key — the same email Message-ID — unless
 * `uncertainSends` is `never`, which records it `uncertain` instead. Business outcomes (no consent, suppressed, capped, quiet hours…)
 * are typed results; a missing template is a permanent failure; provider errors are retried (a
 * refusal that proves nothing left frees the ledger key first), except a permanent refusal (SMTP
 * 5xx, HTTP 4xx), which the ledger records as `failed` and the workflow sees as `skipped`.
 *
 * Order (first match decides): recorded outcome → paused journey (hold) → the guardrails of
 * `decideSend` (domain/messaging/decide.ts, shared with the simulator: customer gone, consent,
 * topic, address, suppression, `onlyIf`, quiet hours and do-not-disturb dates) → template (render
 * failure skips) → provider rate limit (retry later) → frequency caps (marketing only): `decideSend`
 * again with the counted sends, under a lock on the customer row together with the ledger insert,
 * so two journeys cannot both take a cap's last slot.
 *
 * Round trips: everything the guardrails read is one statement (`loadSendFacts`), so a send where no
 * cap applies is three: the facts, the ledger claim (`sending`), the ledger update after the provider.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { rowsOf, type Db } from '../drizzle/client';
import { customers, messages, type Consent, type MessageStatus, type templates } from '../drizzle/schema';
import type { JourneyEvent } from '../domain/journey/conditions';
import type { Condition } from '../domain/journey/definition';
import { conditionNeeds, evaluateConditions } from '../domain/journey/conditions';
import {
  resentReason,
  addressKindOf,
  capCountSince,
  decideSend,
  sendTimeZone,
  type SendDecisionFacts,
} from '../domain/messaging';
import type { ActivityDeps } from './deps';
import { isErased } from '../services/customers/erasure';
import { MAX_CHAIN } from '../services/customers/merge';
import type { Tx } from '../services/customers/identity';
import { createProfileActivities } from './profiles';
import { loadRecommendations, usesRecommendations } from '../services/messaging/recommendations';
import {
  createTemplateEngine,
  renderContext,
  templateContent,
  type PartialMap,
  type RenderedMessage,
  type TemplateVersionRow,
} from '../services/messaging/templates';
import { signLink } from '../services/messaging/tokens';
import { capCountedSends } from '../services/messaging/cap-counts';
import { MessageNotAcceptedError, type Transport } from './transports';

export interface SendRequest {
  enrollmentId: string;
  stepId: string;
  occurrence: number;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  channel: 'email' | 'sms' | 'push' | 'wechat';
  template: string;
  kind: 'marketing' | 'transactional';
  topic?: string;
  onlyIf?: Condition[];
  entryEvent?: JourneyEvent;
  brandTimeZone: string;
  quietHours?: { start: string; end: string };
}

export type SendOutcome =
  | { status: 'sent'; messageId: string }
  | { status: 'skipped'; reason: string }
  | { status: 'uncertain'; reason: string }
  | { status: 'deferred'; until: string; reason: string };

/** The ledger key as one string: the provider idempotency key, and (as `<key@domain>`) the email Message-ID. */
export const ledgerKeyString = (r: Pick<SendRequest, 'enrollmentId' | 'stepId' | 'occurrence'>) =>
  `${r.enrollmentId}.${r.stepId}.${r.occurrence}`;

export function createSendActivities(
  deps: Pick<ActivityDeps, 'db' | 'transports' | 'clock' | 'publicUrl' | 'messaging' | 'uncertainSends'>,
) {
  const { db, transports, clock, messaging, uncertainSends = 'resend' } = deps;
  const engine = createTemplateEngine();
  const profiles = createProfileActivities(deps);
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');

  const ledgerKey = (r: SendRequest) =>
    and(
      eq(messages.enrollmentId, r.enrollmentId),
      eq(messages.stepId, r.stepId),
      eq(messages.occurrence, r.occurrence),
    );

  async function recordSkip(r: SendRequest, reason: string, extra: { address?: string } = {}): Promise<SendOutcome> {
    const erased = await db.transaction(async (tx) => {
      // Erased meanwhile (this send was mid-flight): nothing may be written about the customer again.
      if (await isErased(tx, r.customerId)) return true;
      await tx
        .insert(messages)
        .values({ ...ledgerColumns(r), ...extra, status: 'skipped', reason, createdAt: clock() })
        .onConflictDoNothing();
      return false;
    });
    return erased ? erasedOutcome : { status: 'skipped', reason };
  }

  /**
   * A paused journey holds its sends, also for enrollments that missed the pause broadcast (entered
   * as it was paused): the activity retries, with backoff, until the journey resumes.
   */
  function holdIfPaused(r: SendRequest, journeyStatus: string | null) {
    if (journeyStatus === 'paused')
      throw ApplicationFailure.create({
        type: 'JourneyPaused',
        message: `journey ${r.journeyId} is paused: holding this send until it resumes`,
      });
  }

  /** What a send needs besides the customer: a missing transport retries, a missing template fails. */
  function transportAndTemplate(r: SendRequest, template: SendFacts['template']) {
    const transport = transports[r.channel];
    // A deployment problem, not the customer's: retry (with backoff) until the channel is configured.
    if (!transport) throw new Error(`no ${r.channel} transport is configured on this worker`);
    if (!template)
      throw ApplicationFailure.create({
        type: 'TemplateNotFound',
        message: `template ${r.template} not found`,
        nonRetryable: true,
      });
    return { transport, template };
  }

  /** RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` to this URL. */
  function unsubscribeHeaders(r: SendRequest, token: string | undefined): Record<string, string> | undefined {
    if (r.channel !== 'email' || r.kind !== 'marketing' || !token) return undefined;
    return { 'List-Unsubscribe': `<${publicUrl}/u/${token}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  }

  /** A recorded outcome of this ledger key answers a retry; undefined: go on deciding. */
  async function recordedOutcome(r: SendRequest, previous: SendFacts['previous']): Promise<SendOutcome | undefined> {
    if (!previous) return undefined;
    if (previous.status === 'sent') return { status: 'sent', messageId: previous.providerMessageId ?? previous.id };
    if (previous.status === 'skipped') return { status: 'skipped', reason: previous.reason ?? 'skipped' };
    if (previous.status === 'uncertain') return { status: 'uncertain', reason: previous.reason ?? 'crashed mid-send' };
    if (previous.status === 'failed') return { status: 'skipped', reason: previous.reason ?? 'provider-rejected' };
    if (previous.status === 'sending' && !transports[r.channel]?.idempotent && uncertainSends === 'never') {
      // An earlier attempt died during the provider call: it may have gone out. Never resend.
      await db
        .update(messages)
        .set({ status: 'uncertain', reason: 'attempt died during provider call' })
        .where(ledgerKey(r));
      return { status: 'uncertain', reason: 'attempt died during provider call' };
    }
    return undefined;
  }

  /** The guardrails' facts for `decideSend`: the loaded row, the deployment's policy, `onlyIf` re-checked. */
  async function decisionFacts(r: SendRequest, facts: SendFacts): Promise<SendDecisionFacts> {
    const conditionsHold =
      !r.onlyIf?.length ||
      !facts.customer ||
      evaluateConditions(
        r.onlyIf,
        await profiles.loadCustomerFacts({ customerId: r.customerId, ...conditionNeeds(r.onlyIf) }),
      );
    return {
      customer: facts.customer ?? null,
      address: facts.address,
      suppressedReason: facts.suppressedReason,
      conditionsHold,
      doNotDisturb: messaging?.doNotDisturb,
      caps: messaging?.caps,
    };
  }

  /** Renders the template with signed links (over the ledger row id) and click tracking. */
  async function renderMessage(
    r: SendRequest,
    customer: NonNullable<SendFacts['customer']>,
    template: NonNullable<SendFacts['template']>,
    partials: PartialMap,
    rowId: string,
    timeZone: string,
  ): Promise<{ rendered: RenderedMessage; destinations: string[]; unsubscribeToken?: string } | { skip: string }> {
    const linkToken = (p: 'unsubscribe' | 'preferences') =>
      messaging ? signLink(messaging.linkSecret, { p, c: r.customerId, m: rowId }) : undefined;
    const unsubscribeToken = linkToken('unsubscribe');
    const links = messaging
      ? {
          unsubscribe: `${publicUrl}/u/${unsubscribeToken}`,
          preferences: `${publicUrl}/preferences/${linkToken('preferences')}`,
        }
      : {};
    // Only templates that show recommendations pay for them; with none to show, there is no message.
    const recommendations = usesRecommendations(template) ? await loadRecommendations(db, customer) : undefined;
    if (recommendations?.length === 0) return { skip: 'nothing-to-recommend' };
    const context = {
      ...renderContext(customer, timeZone, r.entryEvent?.properties ?? {}, links),
      ...(recommendations && { recommendations }),
    };
    let rendered: RenderedMessage;
    try {
      rendered = engine.render(template, context, { requestedLocale: customer.locale, timeZone, partials });
    } catch (error) {
      return { skip: `render-failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300) };
    }
    const destinations = linksIn(rendered).filter((url) => !url.startsWith(`${publicUrl}/`));
    if (messaging && r.channel === 'email' && rendered.html && messaging.tracking !== false) {
      rendered.html = addTracking(
        rendered.html,
        (url) => `${publicUrl}/c/${signLink(messaging.linkSecret, { p: 'click', c: r.customerId, m: rowId, u: url })}`,
        `${publicUrl}/o/${signLink(messaging.linkSecret, { p: 'open', c: r.customerId, m: rowId })}`,
        publicUrl,
      );
    }
    return { rendered, destinations, unsubscribeToken };
  }

  /** Not skipped: a full bucket frees up within seconds, and Temporal retries at exactly that delay. */
  function throttle(channel: SendRequest['channel']) {
    const wait = messaging?.rateLimiter?.take(channel) ?? 0;
    if (wait > 0)
      throw ApplicationFailure.create({
        type: 'RateLimited',
        message: `${channel} provider rate limit: retry in ${wait} ms`,
        nextRetryDelay: wait,
      });
  }

  /**
   * The ledger row goes in (`sending`) before the provider call; a concurrent attempt loses the
   * insert. With a cap, the cap is decided here, in the same transaction as the insert. Returns
   * null when claimed, ERASED, or the cap's skip reason (recorded as the row).
   */
  async function claimLedger(
    r: SendRequest,
    row: Omit<typeof messages.$inferInsert, 'status'>,
    decide: { facts: SendDecisionFacts; now: Date },
  ): Promise<null | typeof ERASED | string> {
    const since = capCountSince(decide.facts, r, decide.now);
    const claim = async (tx: Tx) => {
      const inserted = await tx
        .insert(messages)
        .values({ ...row, status: 'sending' })
        .onConflictDoNothing()
        .returning({ id: messages.id });
      if (inserted.length === 0) throw new Error('another attempt holds this ledger row; retrying to read its outcome');
    };
    return db.transaction(async (tx) => {
      // The customer row is held so an erasure (which deletes it) cannot slip between the read
      // above and the claim. With a cap, the lock also serialises this customer's send decisions
      // (the cap count and the insert are one step); without one the row counts toward no cap's
      // window, and a key-share lock suffices.
      const [locked] = await tx
        .select({ id: customers.id })
        .from(customers)
        .where(eq(customers.id, r.customerId))
        .for(since === null ? 'key share' : 'no key update');
      if (!locked) return ERASED; // erased since it was read above: no ledger row, no send
      if (since === null) {
        await claim(tx);
        return null;
      }
      const counted = await capCountedSends(tx, r.customerId, since);
      const decision = decideSend({ ...decide.facts, counted }, r, decide.now);
      if (decision.kind === 'skip') {
        await tx
          .insert(messages)
          .values({ ...row, status: 'skipped', reason: decision.reason })
          .onConflictDoNothing();
        return decision.reason;
      }
      await claim(tx);
      return null;
    });
  }

  /** The provider call, and the ledger update after it (see the header for which errors do what). */
  async function deliver(
    r: SendRequest,
    transport: Transport,
    message: Omit<Parameters<Transport['send']>[0], 'idempotencyKey'>,
    resending: boolean,
  ): Promise<SendOutcome> {
    if (resending && !transport.idempotent) {
      // Counted before the call: whether or not this attempt survives it, the message was resent.
      await db
        .update(messages)
        .set({ reason: resentReason })
        .where(and(ledgerKey(r), eq(messages.status, 'sending')));
    }
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await transport.send({ idempotencyKey: ledgerKeyString(r), ...message }));
    } catch (error) {
      if (error instanceof MessageNotAcceptedError && error.permanent) {
        // Refused for good (e.g. 550 no such user): retrying is pointless; the journey moves on.
        const reason = `provider-rejected: ${error.message}`.slice(0, 300);
        await db
          .update(messages)
          .set({ status: 'failed', reason })
          .where(and(ledgerKey(r), eq(messages.status, 'sending')));
        return { status: 'skipped', reason };
      }
      // Provably not accepted (connection refused, a 4xx reply): free the ledger key so the retry
      // sends, instead of finding `sending` and giving the message up as uncertain. A resend keeps
      // its row (and its count): the retry finds `sending` and resends again.
      if (error instanceof MessageNotAcceptedError && !resending) {
        await db.delete(messages).where(and(ledgerKey(r), eq(messages.status, 'sending')));
      }
      throw error;
    }
    await db
      .update(messages)
      .set({ status: 'sent', providerMessageId, sentAt: sql`now()` })
      .where(ledgerKey(r));
    return { status: 'sent', messageId: providerMessageId };
  }

  /**
   * A skip decided on retry of an attempt that died mid-call (its row is `sending`): that attempt
   * may have gone out, so the row becomes `uncertain` rather than `skipped`.
   */
  async function skipAfter(
    r: SendRequest,
    previous: SendFacts['previous'],
    reason: string,
    extra: { address?: string } = {},
  ): Promise<SendOutcome> {
    if (previous?.status !== 'sending') return recordSkip(r, reason, extra);
    const uncertain = `attempt died during provider call; not resent: ${reason}`.slice(0, 300);
    await db
      .update(messages)
      .set({ status: 'uncertain', reason: uncertain })
      .where(and(ledgerKey(r), eq(messages.status, 'sending')));
    return { status: 'uncertain', reason: uncertain };
  }

  return {
    async sendMessage(request: SendRequest): Promise<SendOutcome> {
      // Everything the guardrails read, in one round trip (see `loadSendFacts`).
      const facts = await loadSendFacts(db, request);
      const r = { ...request, customerId: facts.customerId }; // the workflow may carry a merged id
      const previous = facts.previous;
      const recorded = await recordedOutcome(r, previous);
      if (recorded) return recorded;

      holdIfPaused(r, facts.journeyStatus);
      // Erased (not merely deleted): no ledger row may name the customer again.
      if (!facts.customer && (await isErased(db, r.customerId))) return erasedOutcome;

      const now = clock();
      const decide = { facts: await decisionFacts(r, facts), now };
      const decision = decideSend(decide.facts, r, now);
      if (decision.kind === 'skip')
        // A suppression names the address it refused (the ledger shows which address bounced).
        return skipAfter(
          r,
          previous,
          decision.reason,
          decision.reason.startsWith('suppressed:') ? { address: facts.address! } : {},
        );
      if (decision.kind === 'defer')
        return { status: 'deferred', until: decision.until.toISOString(), reason: decision.reason };
      const customer = facts.customer!; // a send decision implies the customer exists
      const address = facts.address!; // …and has an address on the channel

      const { transport, template } = transportAndTemplate(r, facts.template);

      // The row id is known before rendering: links in the message are signed over it.
      const rowId = previous?.id ?? randomUUID();
      const timeZone = sendTimeZone(decide.facts, r);
      const message = await renderMessage(r, customer, template, facts.partials, rowId, timeZone);
      if ('skip' in message) return skipAfter(r, previous, message.skip);
      const { rendered, destinations, unsubscribeToken } = message;
      throttle(r.channel);

      // A `sending` row that is still here is resent under the same key (see `recordedOutcome`): an
      // idempotent provider deduplicates it, and an email keeps its Message-ID, which mailbox
      // providers collapse.
      if (previous?.status !== 'sending') {
        const row = {
          ...ledgerColumns(r),
          id: rowId,
          address,
          locale: rendered.locale,
          templateVersion: template.version,
          links: destinations,
          createdAt: now,
        };
        const claimed = await claimLedger(r, row, decide);
        if (claimed === ERASED) return erasedOutcome;
        if (claimed) return { status: 'skipped', reason: claimed };
      }

      const headers = unsubscribeHeaders(r, unsubscribeToken);
      return deliver(
        r,
        transport,
        {
          to: address,
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          fields: rendered.fields,
          providerTemplateId: template.providerTemplateId ?? undefined,
          ...(headers && { headers }),
        },
        previous?.status === 'sending',
      );
    },
  };
}

/** A send for a customer erased meanwhile: skipped, and (unlike other skips) no ledger row is written. */
const erasedOutcome: SendOutcome = { status: 'skipped', reason: 'customer-erased' };
const ERASED = Symbol('erased');

function ledgerColumns(r: SendRequest) {
  return {
    enrollmentId: r.enrollmentId,
    stepId: r.stepId,
    occurrence: r.occurrence,
    journeyId: r.journeyId,
    customerId: r.customerId,
    channel: r.channel,
    templateId: r.template,
    kind: r.kind,
    topic: r.topic ?? null,
  };
}

const HREF = /href\s*=\s*"(https?:\/\/[^"]+)"/gi;
const URL_IN_TEXT = /https?:\/\/[^\s<>"')]+/g;

/** Every http(s) URL the reader can follow: HTML hrefs, bare URLs in text and fields. */
export function linksIn(message: Pick<RenderedMessage, 'html' | 'text' | 'fields'>): string[] {
  const urls = new Set<string>();
  for (const m of message.html?.matchAll(HREF) ?? []) urls.add(decodeEntities(m[1]!));
  for (const source of [message.text, ...Object.values(message.fields ?? {})])
    for (const m of source.matchAll(URL_IN_TEXT)) urls.add(m[0]);
  return [...urls];
}

/** Handlebars escapes `&` in attribute values; the reader's browser would follow the decoded URL. */
function decodeEntities(s: string): string {
  return s.replace(
    /&(amp|quot|#x27|#39|lt|gt|#x3D|#x60);/g,
    (_, e: string) =>
      ({ amp: '&', quot: '"', '#x27': "'", '#39': "'", lt: '<', gt: '>', '#x3D': '=', '#x60': '`' })[e] ?? _,
  );
}

/** Click redirects for outbound links (our own links stay direct) and a 1×1 open pixel. */
function addTracking(html: string, clickUrl: (url: string) => string, pixelUrl: string, publicUrl: string): string {
  const tracked = html.replace(HREF, (whole, url: string) =>
    url.startsWith(`${publicUrl}/`) ? whole : `href="${clickUrl(decodeEntities(url))}"`,
  );
  const pixel = `<img src="${pixelUrl}" width="1" height="1" alt="" style="display:none">`;
  return /<\/body>/i.test(tracked) ? tracked.replace(/<\/body>/i, `${pixel}</body>`) : `${tracked}${pixel}`;
}

interface SendFacts {
  /** The request's customer, or its survivor when it was merged (as `survivorOf`). */
  customerId: string;
  /** The ledger row of this (enrollment, step, occurrence). */
  previous: { id: string; status: MessageStatus; reason: string | null; providerMessageId: string | null } | undefined;
  journeyStatus: string | null;
  customer:
    | {
        id: string;
        traits: Record<string, unknown>;
        tags: string[];
        aiplStage: string | null;
        timeZone: string | null;
        locale: string | null;
        consent: Consent;
      }
    | undefined;
  /** The customer's first identity of the channel's kind. */
  address: string | null;
  suppressedReason: string | null;
  /** The template's latest version (undefined: no such template or version). */
  template: ReturnType<typeof templateContent> | undefined;
  partials: PartialMap;
}

interface SendFactsRow {
  customer_id: string;
  previous: unknown;
  journey_status: string | null;
  customer: unknown;
  address: string | null;
  suppressed: string | null;
  template: unknown;
  version: unknown;
  partials: unknown;
}

/** postgres.js parses json columns, PGlite may hand them over as text. */
const json = <T>(value: unknown): T | undefined =>
  value === null || value === undefined ? undefined : ((typeof value === 'string' ? JSON.parse(value) : value) as T);

/**
 * What the guardrails of one send read, in one statement instead of eight round trips: the merge
 * chain to the surviving customer (`survivorOf`), the ledger row, the journey's status, the
 * customer, its address on the channel and that address's suppression, the template with its
 * latest version, and every partial (a small table; sends and previews read it whole). Read
 * together, decided one by one in the guardrail order above.
 */
async function loadSendFacts(db: Db, r: SendRequest): Promise<SendFacts> {
  const [row] = rowsOf<SendFactsRow>(
    await db.execute(sql`
      with recursive chain(id, depth) as (
        select ${r.customerId}::uuid, 0
        union all
        select m.survivor_id, chain.depth + 1 from customer_merges m join chain on m.merged_id = chain.id where chain.depth < ${MAX_CHAIN}
      ),
      survivor as (select id from chain order by depth desc limit 1),
      address as (
        select i.value from customer_identities i, survivor s where i.customer_id = s.id and i.kind = ${addressKindOf[r.channel]} limit 1
      ),
      tpl as (select * from templates where id = ${r.template})
      select
        (select id from survivor)::text as customer_id,
        (select json_build_object('id', m.id, 'status', m.status, 'reason', m.reason, 'providerMessageId', m.provider_message_id)
           from messages m where m.enrollment_id = ${r.enrollmentId}::uuid and m.step_id = ${r.stepId} and m.occurrence = ${r.occurrence}) as previous,
        (select status from journeys where id = ${r.journeyId}) as journey_status,
        (select json_build_object('id', c.id, 'traits', c.traits, 'tags', c.tags, 'aiplStage', c.aipl_stage, 'timeZone', c.time_zone, 'locale', c.locale, 'consent', c.consent)
           from customers c, survivor s where c.id = s.id) as customer,
        (select value from address) as address,
        (select reason from suppressions where channel = ${r.channel} and address = (select value from address)) as suppressed,
        (select json_build_object('id', t.id, 'channel', t.channel, 'subject', t.subject, 'text', t.text, 'html', t.html, 'latestVersion', t.latest_version) from tpl t) as template,
        (select json_build_object('version', v.version, 'defaultLocale', v.default_locale, 'locales', v.locales, 'layout', v.layout, 'providerTemplateId', v.provider_template_id, 'variables', v.variables)
           from template_versions v, tpl t where v.template_id = t.id and v.version = t.latest_version) as version,
        (select json_agg(json_build_object('id', p.id, 'kind', p.kind, 'source', p.source)) from template_partials p) as partials
    `),
  );
  if (!row) throw new Error('unreachable: the send facts query returns one row');
  const template = json<
    Pick<typeof templates.$inferSelect, 'id' | 'channel' | 'subject' | 'text' | 'html' | 'latestVersion'>
  >(row.template);
  const version = json<TemplateVersionRow>(row.version);
  const partials = json<{ id: string; kind: 'partial' | 'layout'; source: string }[]>(row.partials) ?? [];
  return {
    customerId: row.customer_id,
    previous: json(row.previous),
    journeyStatus: row.journey_status,
    customer: json(row.customer),
    address: row.address,
    suppressedReason: row.suppressed,
    template: !template
      ? undefined
      : template.latestVersion === null
        ? templateContent(template, null)
        : version
          ? templateContent(template, version)
          : undefined,
    partials: new Map(partials.map((p) => [p.id, { kind: p.kind, source: p.source }])),
  };
}
