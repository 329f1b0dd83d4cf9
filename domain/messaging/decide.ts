/**
 * The send guardrails as one pure decision: the send activity and the journey simulator gather the
 * same facts (from Postgres, or from a simulated customer) and ask `decideSend`, so a simulation
 * cannot promise a message that production would not send.
 *
 * Order (first match decides): customer gone → channel consent → topic subscription → address →
 * suppression → `onlyIf` → quiet hours and do-not-disturb dates (defer; marketing only) → frequency
 * caps (marketing only). The reasons are the strings the ledger records; keep them stable.
 */
import type { Channel } from '../journey/definition';
import { quietHoursEnd, type QuietHours } from '../time/window';
import { resolveTimeZone } from '../time/zone';
import { applicableCaps, capExceeded, capWindowStart, countInWindows, type FrequencyCaps } from './caps';
import { nextAllowedSendTime } from './schedule';

/** What one send asks for (the journey step's settings). */
export interface SendDecisionRequest {
  channel: Channel;
  kind: 'marketing' | 'transactional';
  topic?: string;
  brandTimeZone: string;
  quietHours?: QuietHours;
}

/** Ledger statuses counted toward the frequency caps: anything that went out or may have. */
export const capCountedStatuses = ['sending', 'sent', 'uncertain'] as const;

/**
 * The ledger reason of a message sent again after an attempt died during a provider call that
 * cannot deduplicate (SMTP), under the same Message-ID. Reports count resent messages by it.
 */
export const resentReason = 'resent: an attempt died during the provider call';

/** The identity kind that is a customer's address on each channel. */
export const addressKindOf = { email: 'email', sms: 'phone', push: 'app_user', wechat: 'wechat_openid' } as const;

/** A marketing message counted toward the frequency caps (see `capCountedStatuses`). */
export interface CountedSend {
  at: Date;
  channel: string;
}

export interface SendDecisionFacts {
  /** null: the customer no longer exists. */
  customer: {
    timeZone: string | null;
    consent: { channels: Partial<Record<Channel, boolean>>; topics: Record<string, boolean> };
  } | null;
  /** The customer's address on the request's channel. */
  address: string | null;
  /** Why that address is on the suppression list (hard bounce, complaint…), or null. */
  suppressedReason: string | null;
  /** The step's `onlyIf` re-checked against the customer now (true when the step has none). */
  conditionsHold: boolean;
  /** Local dates without marketing (deployment configuration: `DO_NOT_DISTURB_DATES`). */
  doNotDisturb?: readonly string[];
  /** Frequency caps across journeys (deployment configuration: `MESSAGING_CAPS`). */
  caps?: FrequencyCaps;
  /**
   * Marketing messages counted toward the caps, at least since `capCountSince(...)`. Undefined: not
   * counted yet, and the caps are not checked. The send activity counts them under a lock on the
   * customer row, together with its ledger insert, and decides again with them there.
   */
  counted?: readonly CountedSend[];
}

export type SendDecision =
  | { kind: 'send' }
  | { kind: 'skip'; reason: string }
  | { kind: 'defer'; until: Date; reason: 'quiet-hours' | 'do-not-disturb' };

/** The zone the customer's calendar is read in: theirs when valid, else the brand's. */
export const sendTimeZone = (facts: Pick<SendDecisionFacts, 'customer'>, request: SendDecisionRequest): string =>
  resolveTimeZone(facts.customer?.timeZone, request.brandTimeZone);

export function decideSend(facts: SendDecisionFacts, request: SendDecisionRequest, now: Date): SendDecision {
  const { customer } = facts;
  if (!customer) return skip('customer-deleted');
  const marketing = request.kind === 'marketing';
  // Marketing needs consent given; a transactional message is refused only by an explicit no.
  const consentGiven = customer.consent.channels[request.channel];
  if (marketing ? consentGiven !== true : consentGiven === false) return skip('no-consent');
  if (marketing && request.topic && customer.consent.topics[request.topic] === false) return skip('unsubscribed-topic');
  if (facts.address === null) return skip('no-address');
  // Suppression holds for transactional messages too: a hard-bounced address does not exist, and a
  // complaint is a demand to stop that the provider will enforce against our reputation anyway.
  if (facts.suppressedReason !== null) return skip(`suppressed:${facts.suppressedReason}`);
  if (!facts.conditionsHold) return skip('condition-failed');
  if (!marketing) return { kind: 'send' };

  const timeZone = sendTimeZone(facts, request);
  const until = nextAllowedSendTime(
    now,
    { quietHours: request.quietHours, doNotDisturb: facts.doNotDisturb },
    timeZone,
  );
  if (until) {
    const reason =
      request.quietHours && quietHoursEnd(now, request.quietHours, timeZone) ? 'quiet-hours' : 'do-not-disturb';
    return { kind: 'defer', until, reason };
  }

  if (facts.counted && facts.caps) {
    const over = capExceeded(countInWindows(now, facts.counted, applicableCaps(facts.caps, request.channel), timeZone));
    if (over) return skip(`frequency-cap:${over.scope}/${over.period}`);
  }
  return { kind: 'send' };
}

/**
 * The instant from which sends must be counted for the caps that apply to this send, or null when
 * none applies (transactional, no caps configured, none for this channel).
 */
export function capCountSince(
  facts: Pick<SendDecisionFacts, 'customer' | 'caps'>,
  request: SendDecisionRequest,
  now: Date,
): Date | null {
  if (request.kind !== 'marketing' || !facts.caps) return null;
  const limits = applicableCaps(facts.caps, request.channel);
  if (limits.length === 0) return null;
  const timeZone = sendTimeZone(facts, request);
  return new Date(Math.min(...limits.map((l) => capWindowStart(now, l.period, timeZone).getTime())));
}

const skip = (reason: string): SendDecision => ({ kind: 'skip', reason });
