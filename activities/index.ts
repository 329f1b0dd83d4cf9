/**
 * Every side effect of a journey, built from explicit dependencies. The worker is the composition
 * root; tests pass their own deps (or fake this whole object, typed as `Activities`).
 */
import type { Db } from '../drizzle/client';
import type { Enroller } from '../api/enroll';
import { createAssociationActivities } from './associations';
import { createDateEntryActivities } from './date-entry';
import { createEnrollmentActivities } from './enrollments';
import { createProfileActivities } from './profiles';
import { createSegmentActivities } from './segments';
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
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createEnrollmentActivities(deps),
    ...createProfileActivities(deps),
    ...createSendActivities(deps),
    ...createWebhookActivities(deps),
    ...createDateEntryActivities(deps),
    ...createAssociationActivities(deps),
    ...createSegmentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { CustomerFacts } from '../domain/journey/conditions';
export type { SendRequest, SendOutcome } from './send';
export type { RefreshResult } from './segments';
