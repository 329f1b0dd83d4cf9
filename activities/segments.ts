/** The segment-refresh workflow's activities over the segment membership service. */
import { ApplicationFailure } from '@temporalio/activity';
import {
  createSegmentMembership,
  InvalidStoredRuleError,
  MissingEnrollerError,
  type RefreshResult,
} from '../services/segments/membership';
import type { ActivityDeps } from './deps';

export type { RefreshResult } from '../services/segments/membership';

export function createSegmentActivities(deps: Pick<ActivityDeps, 'db' | 'enroller' | 'clock'>) {
  const membership = createSegmentMembership(deps);
  return {
    async listSegmentIds(): Promise<string[]> {
      return membership.listIds();
    },
    async refreshSegment({ segmentId }: { segmentId: string }): Promise<RefreshResult> {
      try {
        return await membership.refresh(segmentId);
      } catch (error) {
        if (error instanceof InvalidStoredRuleError)
          throw ApplicationFailure.create({ type: 'InvalidSegmentRule', message: error.message, nonRetryable: true });
        if (error instanceof MissingEnrollerError)
          throw ApplicationFailure.create({ type: 'Misconfigured', message: error.message, nonRetryable: true });
        throw error;
      }
    },
  };
}
