/**
 * Temporal Schedules the system needs, created idempotently at boot (worker and `npm start`):
 * a second boot, or another worker process, finds the schedule and brings its action and interval
 * up to date instead of failing.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import {
  ASSOCIATIONS_REFRESH_WORKFLOW_TYPE,
  ASSOCIATIONS_SCHEDULE_ID,
  type AssociationsRefreshInput,
} from '../workflows/contracts/associations';
import {
  SEGMENT_REFRESH_SCHEDULE_ID,
  SEGMENT_REFRESH_WORKFLOW_TYPE,
  type SegmentRefreshInput,
} from '../workflows/contracts/segment-refresh';

export interface SegmentRefreshScheduleOptions {
  taskQueue: string;
  /** Default 15 minutes: fresh enough for daily journeys; cheap segments also follow each event. */
  every?: string;
  scheduleId?: string;
}

/** Creates (or updates) the segment-refresh schedule; returns what it did. */
export function ensureSegmentRefreshSchedule(
  client: Client,
  options: SegmentRefreshScheduleOptions,
): Promise<'created' | 'updated'> {
  return ensureSchedule(client, {
    scheduleId: options.scheduleId ?? SEGMENT_REFRESH_SCHEDULE_ID,
    every: options.every ?? '15 minutes',
    action: {
      type: 'startWorkflow' as const,
      workflowType: SEGMENT_REFRESH_WORKFLOW_TYPE,
      taskQueue: options.taskQueue,
      args: [{ v: 1 } satisfies SegmentRefreshInput] as [SegmentRefreshInput],
      workflowExecutionTimeout: '1 hour',
    },
  });
}

/** Daily category-association mining (baskets change slowly; the query scans every order line). */
export function ensureAssociationsRefreshSchedule(
  client: Client,
  options: { taskQueue: string; every?: string; scheduleId?: string },
): Promise<'created' | 'updated'> {
  return ensureSchedule(client, {
    scheduleId: options.scheduleId ?? ASSOCIATIONS_SCHEDULE_ID,
    every: options.every ?? '1 day',
    action: {
      type: 'startWorkflow' as const,
      workflowType: ASSOCIATIONS_REFRESH_WORKFLOW_TYPE,
      taskQueue: options.taskQueue,
      args: [{ v: 1 } satisfies AssociationsRefreshInput] as [AssociationsRefreshInput],
      workflowExecutionTimeout: '2 hours',
    },
  });
}

/** Both schedules, at boot. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  await ensureSegmentRefreshSchedule(client, { taskQueue });
  await ensureAssociationsRefreshSchedule(client, { taskQueue });
}

async function ensureSchedule(
  client: Client,
  {
    scheduleId,
    every,
    action,
  }: { scheduleId: string; every: string; action: Parameters<Client['schedule']['create']>[0]['action'] },
): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every }] };
  // Runs never pile up: a run still going when the next is due makes that one skip.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule
    .getHandle(scheduleId)
    .update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  return 'updated';
}
