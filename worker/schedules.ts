/**
 * Temporal Schedules the system needs, created idempotently at boot (worker and `npm start`):
 * a second boot, or another worker process, finds the schedule and brings its action and interval
 * up to date instead of failing.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { SEGMENT_REFRESH_SCHEDULE_ID, segmentRefreshWorkflow, type SegmentRefreshInput } from '../workflows/segment-refresh';

export interface SegmentRefreshScheduleOptions {
  taskQueue: string;
  /** Default 15 minutes: fresh enough for daily journeys; cheap segments also follow each event. */
  every?: string;
  scheduleId?: string;
}

/** Creates (or updates) the segment-refresh schedule; returns what it did. */
export async function ensureSegmentRefreshSchedule(client: Client, options: SegmentRefreshScheduleOptions): Promise<'created' | 'updated'> {
  const scheduleId = options.scheduleId ?? SEGMENT_REFRESH_SCHEDULE_ID;
  const spec = { intervals: [{ every: options.every ?? '15 minutes' }] } as const;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: segmentRefreshWorkflow,
    taskQueue: options.taskQueue,
    args: [{ v: 1 } satisfies SegmentRefreshInput] as [SegmentRefreshInput],
    workflowExecutionTimeout: '1 hour',
  };
  // Refreshes never pile up: a run still going when the next is due makes that one skip.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' };
  try {
    await client.schedule.create({ scheduleId, spec: { ...spec, intervals: [...spec.intervals] }, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: { ...spec, intervals: [...spec.intervals] }, action, policies: { ...previous.policies, ...policies } }));
  return 'updated';
}
