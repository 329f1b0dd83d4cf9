/**
 * Every side effect of a journey, built from explicit dependencies. The worker is the composition
 * root; tests pass their own deps (or fake this whole object, typed as `Activities`).
 */
import type { Db } from '../drizzle/client';
import type { Enroller } from '../api/enroll';
import { createAssociationActivities } from './associations';
import { createDateEntryActivities } from './date-entry';
import { createDepletionActivities } from './depletion';
import { createEnrollmentActivities } from './enrollments';
import type { FrequencyCaps } from '../domain/messaging';
import { createProfileActivities } from './profiles';
import { createSegmentActivities } from './segments';
import type { RateLimiter } from './rate-limiter';
import { createSendActivities } from './send';
import type { Transports } from './transports';
import { createWebhookActivities } from './webhook';

export interface ActivityDeps {
  db: Db;
  transports: Transports;
  /** Wall clock for business decisions (quiet hours, caps); tests pin it. */
  clock: () => Date;
  /** Public base URL for links in messages (unsubscribe, tracking). */
  publicUrl: string;
  /** Starts enrollments (date and segment entries); the worker builds it over its Temporal client. */
  enroller?: Enroller;
  /**
   * A send found `sending` on retry died during a provider call that cannot deduplicate (SMTP): the
   * message may or may not have gone out. `resend` (default) sends it again under the same
   * Message-ID, which mailbox providers collapse; `never` records it `uncertain` and sends nothing.
   */
  uncertainSends?: UncertainSendPolicy;
  /** Guardrails and links; without it there are no caps, no DND dates, no unsubscribe or tracking links. */
  messaging?: MessagingConfig;
}

export type UncertainSendPolicy = 'resend' | 'never';

export interface MessagingConfig {
  /** Signs unsubscribe, preference and tracking links (the API verifies them with the same secret). */
  linkSecret: string;
  /** Across all journeys, per customer, on the customer's calendar. Transactional messages are exempt. */
  caps?: FrequencyCaps;
  /** Local dates (YYYY-MM-DD or MM-DD) without marketing: deferred to the next allowed time. */
  doNotDisturb?: readonly string[];
  rateLimiter?: RateLimiter;
  /** Rewrite links for click tracking and add an open pixel to HTML email (default true). */
  tracking?: boolean;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createEnrollmentActivities(deps),
    ...createProfileActivities(deps),
    ...createSendActivities(deps),
    ...createWebhookActivities(deps),
    ...createDateEntryActivities(deps),
    ...createAssociationActivities(deps),
    ...createDepletionActivities(deps),
    ...createSegmentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { CustomerFacts } from '../domain/journey/conditions';
export type { SendRequest, SendOutcome } from './send';
export type { RefreshResult } from './segments';
export type { ConsumablePrediction } from './depletion';
