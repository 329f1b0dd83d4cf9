/**
 * Segment refresh: recomputes the membership of every segment (or the ones given), one activity
 * per segment, and through it starts the journeys whose entry is a segment for customers who
 * entered. Started by the Temporal Schedule `perennial-segment-refresh` (worker/schedules.ts);
 * cheap segments are also re-evaluated per event batch by the router.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities, RefreshResult } from '../activities';
import type { SegmentRefreshInput, SegmentRefreshSummary } from './contracts/segment-refresh';

const activities = proxyActivities<Pick<Activities, 'listSegmentIds' | 'refreshSegment'>>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function segmentRefreshWorkflow(input: SegmentRefreshInput): Promise<SegmentRefreshSummary> {
  const ids = input.segmentIds ?? (await activities.listSegmentIds());
  const summary: SegmentRefreshSummary = { refreshed: 0, entered: 0, left: 0, enrollments: 0, failed: [] };
  for (const segmentId of ids) {
    let result: RefreshResult;
    try {
      result = await activities.refreshSegment({ segmentId });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      summary.failed.push({ segmentId, message: error.cause?.message ?? error.message });
      continue;
    }
    if (result.status !== 'refreshed') continue;
    summary.refreshed++;
    summary.entered += result.entered;
    summary.left += result.left;
    summary.enrollments += result.enrollments;
  }
  return summary;
}
