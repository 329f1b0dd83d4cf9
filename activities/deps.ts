/** What the activities are built from; the worker is the composition root, tests pass their own. */
import type { Db } from '../drizzle/client';
import type { Enroller } from '../services/journeys/enroll';
import type { FrequencyCaps } from '../domain/messaging';
import type { RateLimiter } from './rate-limiter';
import type { Transports } from './transports';

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
