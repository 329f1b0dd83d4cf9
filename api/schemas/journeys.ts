/** Journeys, their versions and API entry (api/app.ts). */
import { z } from 'zod';
import { issue, timestamp } from './common';

export const journeyStatus = z.enum(['draft', 'published', 'paused', 'archived']);
export type JourneyStatus = z.infer<typeof journeyStatus>;

export const journey = z.strictObject({
  id: z.string(),
  name: z.string(),
  status: journeyStatus,
  draft: z.unknown().describe('the draft definition as last saved'),
  latestVersion: z.number().int().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Journey = z.input<typeof journey>;

export const journeyVersion = z.strictObject({
  journeyId: z.string(),
  version: z.number().int(),
  definition: z.unknown().describe('the published definition (see docs/design.md)'),
  publishedAt: timestamp,
});
export type JourneyVersion = z.input<typeof journeyVersion>;

export const journeyList = z.strictObject({ journeys: z.array(journey) }).describe('every journey, by id');
export const journeyDetail = z
  .strictObject({ journey, versions: z.array(journeyVersion) })
  .describe('the journey and its published versions');
/** Remarks on an accepted journey (e.g. an entry, goal or wait-for event never received, with the closest known names). */
export const journeyWarnings = z
  .array(issue)
  .optional()
  .describe('remarks that do not stop the save or publish: events never received, with the closest known names');

export const journeySaved = z.strictObject({ journey, warnings: journeyWarnings }).describe('the saved draft');

export const publishCheck = z.strictObject({
  samples: z.array(
    z.strictObject({
      customer: z.string(),
      outcome: z.string(),
      messages: z.number().int(),
      problems: z.array(z.strictObject({ step: z.string(), reason: z.string() })),
    }),
  ),
});
export type PublishCheck = z.infer<typeof publishCheck>;

export const published = z
  .strictObject({
    id: z.string(),
    version: z.number().int(),
    check: publishCheck.optional(),
    warnings: journeyWarnings,
  })
  .describe('the new version (and the pre-publish simulation, when enabled)');
export type Published = z.input<typeof published>;

export const journeyTransition = z
  .strictObject({ id: z.string(), status: journeyStatus, signalled: z.number().int().optional() })
  .describe('the status after the action; `signalled`: running enrollments told (pause, resume)');
export type JourneyTransition = z.input<typeof journeyTransition>;

export const entryStarted = z
  .strictObject({ status: z.enum(['started', 'signalled']), workflowId: z.string(), enrollmentKey: z.string() })
  .describe('entered: a new enrollment, or an event for the running one');
export const entryRejected = z
  .strictObject({
    status: z.literal('rejected'),
    reason: z.enum(['journey-not-live', 'already-enrolled', 'cooldown', 'missing-key']),
  })
  .describe('not entered, with the reason');
export type JourneyList = z.input<typeof journeyList>;
export type JourneyDetail = z.input<typeof journeyDetail>;
export type JourneySaved = z.input<typeof journeySaved>;
