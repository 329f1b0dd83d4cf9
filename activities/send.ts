/**
 * How a journey message leaves: ledger first, then the provider, exactly once per
 * (enrollment, step, occurrence). Business outcomes (no consent, quiet hours…) are typed results;
 * a missing template is a permanent failure; provider errors are retried (a refusal that proves
 * nothing left frees the ledger key first), except a permanent refusal (SMTP 5xx), which the ledger
 * records as `failed` and the workflow sees as `skipped`.
 */
import { and, eq, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { customerIdentities, customers, messages, templates, journeys } from '../drizzle/schema';
import type { JourneyEvent } from '../domain/journey/conditions';
import type { Condition } from '../domain/journey/definition';
import { conditionNeeds, evaluateConditions } from '../domain/journey/conditions';
import { quietHoursEnd, resolveTimeZone } from '../domain/time';
import type { ActivityDeps } from './index';
import { survivorOf } from '../api/merge';
import { createProfileActivities } from './profiles';
import { createRenderer } from './render';
import { MessageNotAcceptedError } from './transports';

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

const identityKindFor = { email: 'email', sms: 'phone', push: 'app_user', wechat: 'wechat_openid' } as const;

export function createSendActivities(deps: Pick<ActivityDeps, 'db' | 'transports' | 'clock' | 'publicUrl'>) {
  const { db, transports, clock } = deps;
  const renderer = createRenderer();
  const profiles = createProfileActivities(deps);

  const ledgerKey = (r: SendRequest) =>
    and(eq(messages.enrollmentId, r.enrollmentId), eq(messages.stepId, r.stepId), eq(messages.occurrence, r.occurrence));

  async function recordSkip(r: SendRequest, reason: string): Promise<SendOutcome> {
    await db
      .insert(messages)
      .values({ ...ledgerColumns(r), status: 'skipped', reason })
      .onConflictDoNothing();
    return { status: 'skipped', reason };
  }

  return {
    async sendMessage(request: SendRequest): Promise<SendOutcome> {
      const r = { ...request, customerId: await survivorOf(db, request.customerId) }; // the workflow may carry a merged id
      const [previous] = await db.select().from(messages).where(ledgerKey(r));
      if (previous) {
        if (previous.status === 'sent') return { status: 'sent', messageId: previous.providerMessageId ?? previous.id };
        if (previous.status === 'skipped') return { status: 'skipped', reason: previous.reason ?? 'skipped' };
        if (previous.status === 'uncertain') return { status: 'uncertain', reason: previous.reason ?? 'crashed mid-send' };
        if (previous.status === 'failed') return { status: 'skipped', reason: previous.reason ?? 'provider-rejected' };
        if (previous.status === 'sending' && !transports[r.channel]?.idempotent) {
          // An earlier attempt died during the provider call: it may have gone out. Never resend.
          await db.update(messages).set({ status: 'uncertain', reason: 'attempt died during provider call' }).where(ledgerKey(r));
          return { status: 'uncertain', reason: 'attempt died during provider call' };
        }
      }

      // A paused journey holds its sends, also for enrollments that missed the pause broadcast
      // (entered as it was paused): the activity retries, with backoff, until the journey resumes.
      const [journey] = await db.select({ status: journeys.status }).from(journeys).where(eq(journeys.id, r.journeyId));
      if (journey?.status === 'paused') {
        throw ApplicationFailure.create({ type: 'JourneyPaused', message: `journey ${r.journeyId} is paused: holding this send until it resumes` });
      }

      const [customer] = await db.select().from(customers).where(eq(customers.id, r.customerId));
      if (!customer) return recordSkip(r, 'customer-deleted');
      const consentGiven = customer.consent.channels[r.channel];
      if (r.kind === 'marketing' ? consentGiven !== true : consentGiven === false) return recordSkip(r, 'no-consent');
      if (r.kind === 'marketing' && r.topic && customer.consent.topics[r.topic] === false) return recordSkip(r, 'unsubscribed-topic');

      const [address] = await db
        .select({ value: customerIdentities.value })
        .from(customerIdentities)
        .where(and(eq(customerIdentities.customerId, r.customerId), eq(customerIdentities.kind, identityKindFor[r.channel])))
        .limit(1);
      if (!address) return recordSkip(r, 'no-address');

      if (r.onlyIf?.length) {
        const facts = await profiles.loadCustomerFacts({ customerId: r.customerId, ...conditionNeeds(r.onlyIf) });
        if (!evaluateConditions(r.onlyIf, facts)) return recordSkip(r, 'condition-failed');
      }

      const timeZone = resolveTimeZone(customer.timeZone, r.brandTimeZone);
      if (r.kind === 'marketing' && r.quietHours) {
        const until = quietHoursEnd(clock(), r.quietHours, timeZone);
        if (until) return { status: 'deferred', until: until.toISOString(), reason: 'quiet-hours' };
      }

      const transport = transports[r.channel];
      // A deployment problem, not the customer's: retry (with backoff) until the channel is configured.
      if (!transport) throw new Error(`no ${r.channel} transport is configured on this worker`);
      const [template] = await db.select().from(templates).where(eq(templates.id, r.template));
      if (!template) throw ApplicationFailure.create({ type: 'TemplateNotFound', message: `template ${r.template} not found`, nonRetryable: true });
      const context = { customer: { ...customer.traits, tags: customer.tags, aiplStage: customer.aiplStage, locale: customer.locale }, event: r.entryEvent?.properties ?? {} };
      let rendered: { subject?: string; text: string; html?: string };
      try {
        rendered = {
          // Only the HTML part is HTML-escaped: entities in a subject or text/plain part reach the reader literally.
          subject: template.subject ? renderer.render(template.subject, context, { escapeHtml: false }) : undefined,
          text: renderer.render(template.text, context, { escapeHtml: false }),
          html: template.html ? renderer.render(template.html, context) : undefined,
        };
      } catch (error) {
        return recordSkip(r, `render-failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
      }

      // The ledger row goes in before the provider call; a concurrent attempt loses the insert. A
      // `sending` row that is still here belongs to an idempotent transport (see above): resend
      // under the same key and let the provider deduplicate.
      if (previous?.status !== 'sending') {
        const inserted = await db
          .insert(messages)
          .values({ ...ledgerColumns(r), status: 'sending' })
          .onConflictDoNothing()
          .returning({ id: messages.id });
        if (inserted.length === 0) throw new Error('another attempt holds this ledger row; retrying to read its outcome');
      }

      const idempotencyKey = `${r.enrollmentId}.${r.stepId}.${r.occurrence}`;
      let providerMessageId: string;
      try {
        ({ providerMessageId } = await transport.send({ idempotencyKey, to: address.value, ...rendered }));
      } catch (error) {
        if (error instanceof MessageNotAcceptedError && error.permanent) {
          // Refused for good (e.g. 550 no such user): retrying is pointless; the journey moves on.
          const reason = `provider-rejected: ${error.message}`.slice(0, 300);
          await db.update(messages).set({ status: 'failed', reason }).where(and(ledgerKey(r), eq(messages.status, 'sending')));
          return { status: 'skipped', reason };
        }
        // Provably not accepted (connection refused, a 4xx reply): free the ledger key so the retry
        // sends, instead of finding `sending` and giving the message up as uncertain.
        if (error instanceof MessageNotAcceptedError) {
          await db.delete(messages).where(and(ledgerKey(r), eq(messages.status, 'sending')));
        }
        throw error;
      }
      await db.update(messages).set({ status: 'sent', providerMessageId, sentAt: sql`now()` }).where(ledgerKey(r));
      return { status: 'sent', messageId: providerMessageId };
    },
  };
}

function ledgerColumns(r: SendRequest) {
  return {
    enrollmentId: r.enrollmentId,
    stepId: r.stepId,
    occurrence: r.occurrence,
    journeyId: r.journeyId,
    customerId: r.customerId,
    channel: r.channel,
    templateId: r.template,
  };
}
