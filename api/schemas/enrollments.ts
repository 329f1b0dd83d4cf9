/** Enrollments (api/ops.ts): the Postgres mirror, live state, history timeline, cancel. */
import { z } from 'zod';
import { timestamp } from './common';

export const enrollmentStatus = z.enum(['active', 'completed', 'exited', 'converted', 'cancelled', 'failed']);
export type EnrollmentStatus = z.infer<typeof enrollmentStatus>;

export const pathEntry = z.strictObject({
  step: z.string(),
  at: z.string(),
  outcome: z.string().optional().describe('the branch, arm or outcome taken: "sent", "skipped:capped", "timeout"…'),
});

export const enrollment = z.strictObject({
  id: z.uuid(),
  journeyId: z.string(),
  journeyVersion: z.number().int(),
  customerId: z.uuid(),
  enrollmentKey: z.string(),
  workflowId: z.string(),
  status: enrollmentStatus,
  currentStep: z.string().nullable(),
  nextWakeAt: timestamp.nullable(),
  path: z.array(pathEntry),
  enteredAt: timestamp,
  exitedAt: timestamp.nullable(),
  exitReason: z.string().nullable(),
  convertedAt: timestamp.nullable(),
  updatedAt: timestamp,
});
export type Enrollment = z.input<typeof enrollment>;

export const enrollmentPage = z
  .strictObject({
    enrollments: z.array(enrollment),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  })
  .describe('a page of enrollments, newest first');
export type EnrollmentPage = z.input<typeof enrollmentPage>;

/** The running workflow's own answer (its status query); null when it has ended or did not answer in time. */
export const liveState = z.strictObject({
  enrollmentId: z.string(),
  journeyId: z.string(),
  journeyVersion: z.number().int(),
  customerId: z.string(),
  stepId: z.string(),
  stepType: z.string(),
  nextWakeAt: z.string().nullable(),
  paused: z.boolean(),
  path: z.array(pathEntry),
  exit: z
    .strictObject({
      status: z.enum(['completed', 'exited', 'converted', 'cancelled']),
      reason: z.string(),
      at: z.string(),
    })
    .optional(),
  converted: z.strictObject({ goal: z.string(), at: z.string() }).optional(),
});

export const enrollmentMessage = z.strictObject({
  stepId: z.string(),
  occurrence: z.number().int(),
  channel: z.string(),
  templateId: z.string(),
  status: z.enum(['sending', 'sent', 'skipped', 'failed', 'uncertain']),
  reason: z.string().nullable(),
  createdAt: timestamp,
  sentAt: timestamp.nullable(),
});
export type EnrollmentMessage = z.input<typeof enrollmentMessage>;

export const enrollmentDetail = z
  .strictObject({
    enrollment,
    live: liveState.nullable(),
    messages: z.array(enrollmentMessage),
    temporalUiUrl: z.string(),
  })
  .describe('the mirror row, live state, and messages sent or skipped');
export type EnrollmentDetail = z.input<typeof enrollmentDetail>;

export const timelineKind = z.enum([
  'entered',
  'continued',
  'step',
  'wait',
  'woke',
  'wait-ended',
  'event',
  'control',
  'send',
  'skip',
  'defer',
  'webhook',
  'update',
  'activity-failed',
  'completed',
  'closed',
]);

/** One line of an enrollment's history, in journey terms. */
export const historyEntry = z.strictObject({
  eventId: z.number().int().describe('the Temporal history event id (ascending)'),
  at: z.string(),
  kind: timelineKind,
  text: z.string(),
  step: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type HistoryEntry = z.input<typeof historyEntry>;

export const enrollmentHistory = z
  .strictObject({
    enrollmentId: z.uuid(),
    workflowId: z.string(),
    temporalUiUrl: z.string(),
    timeline: z.array(historyEntry),
  })
  .describe('the workflow history as a timeline, oldest first');
export type EnrollmentHistory = z.input<typeof enrollmentHistory>;

export const cancelling = z
  .strictObject({
    enrollmentId: z.uuid(),
    workflowId: z.string(),
    status: z.literal('cancelling'),
    reason: z.string(),
  })
  .describe('the exit signal is sent; the workflow writes `cancelled` to the mirror as it leaves');
export type Cancelling = z.input<typeof cancelling>;

/** One line of a customer timeline (GET /v1/customers/:id/timeline), newest first. */
export const customerTimelineItem = z.strictObject({
  kind: z.enum(['event', 'message', 'entered', 'exited']),
  id: z.string().describe('unique across kinds: `e:` event, `m:` message, `n:` entry, `x:` exit, then the row id'),
  at: z.string(),
  journeyId: z.string().nullable(),
  enrollmentId: z.string().nullable(),
  text: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type CustomerTimelineItem = z.input<typeof customerTimelineItem>;

export const customerTimeline = z
  .strictObject({
    customerId: z.uuid(),
    items: z.array(customerTimelineItem),
    nextCursor: z.string().nullable(),
  })
  .describe('events, messages, entries and exits, newest first');
export type CustomerTimeline = z.input<typeof customerTimeline>;
