/**
 * Every side effect of a journey, built from explicit dependencies. The worker is the composition
 * root; tests pass their own deps (or fake this whole object, typed as `Activities`).
 */
import { createAssociationActivities } from './associations';
import { createDateEntryActivities } from './date-entry';
import { createDepletionActivities } from './depletion';
import { createEnrollmentActivities } from './enrollments';
import { createProfileActivities } from './profiles';
import { createSegmentActivities } from './segments';
import { createSendActivities } from './send';
import { createWebhookActivities } from './webhook';
import type { ActivityDeps } from './deps';

export type { ActivityDeps, MessagingConfig, UncertainSendPolicy } from './deps';

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
export type { RefreshResult } from '../services/segments/membership';
export type { ConsumablePrediction } from '../services/devices/depletion';
