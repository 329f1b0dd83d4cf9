/** Segments (api/segments.ts): rules, members, preview, refresh. */
import { z } from 'zod';
import { timestamp } from './common';

export const segment = z.strictObject({
  id: z.string(),
  name: z.string(),
  rule: z.unknown().describe('the segment rule as saved'),
  evaluatedOnEvent: z.boolean().describe('rules that read only the customer row are re-evaluated on each event'),
  memberCount: z.number().int(),
  refreshedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Segment = z.input<typeof segment>;

export const segmentList = z.strictObject({ segments: z.array(segment) }).describe('every segment, by id');
export const segmentOne = z.strictObject({ segment }).describe('the segment');

export const segmentPreview = z
  .strictObject({
    count: z.number().int(),
    sample: z.array(
      z.strictObject({
        customerId: z.uuid(),
        traits: z.record(z.string(), z.unknown()),
        tags: z.array(z.string()),
        aiplStage: z.string().nullable(),
      }),
    ),
  })
  .describe('how many customers the rule selects now, with a sample');

export const segmentRefresh = z
  .strictObject({
    segmentId: z.string(),
    status: z.literal('refreshed'),
    members: z.number().int(),
    entered: z.number().int(),
    left: z.number().int(),
    enrollments: z.number().int().describe('enrollments the segment-entry journeys started for entered customers'),
  })
  .describe('members recomputed');

export const segmentMembers = z
  .strictObject({
    members: z.array(z.strictObject({ customerId: z.uuid(), enteredAt: timestamp })),
    next: z.uuid().nullable().describe('pass as `after` for the next page; null on the last'),
  })
  .describe('members, by customer id');
