/** Journey simulation (api/simulation.ts): what a run takes, and its dated schedule on a time-skipping server. */
import { z } from 'zod';
import { channels } from '../../domain/journey/definition';
import { isValidTimeZone } from '../../domain/time';
import { INT4_MAX } from './common';

const duration = z
  .object({
    // Bounded by the longest horizon (800 days): a script past it could never run.
    days: z.number().min(0).max(800).optional(),
    hours: z
      .number()
      .min(0)
      .max(800 * 24)
      .optional(),
    minutes: z
      .number()
      .min(0)
      .max(800 * 24 * 60)
      .optional(),
  })
  .strict()
  .refine(
    (d) => d.days !== undefined || d.hours !== undefined || d.minutes !== undefined,
    'give days, hours or minutes',
  );

export const simulatedProfile = z
  .object({
    traits: z.record(z.string(), z.unknown()).default({}),
    tags: z.array(z.string().max(100)).max(200).default([]),
    aiplStage: z.enum(['awareness', 'interest', 'purchase', 'loyalty']).nullable().default('interest'),
    timeZone: z.string().refine(isValidTimeZone, 'not an IANA time zone').nullable().default(null),
    locale: z.string().max(35).nullable().default(null),
    consent: z
      .object({
        channels: z.partialRecord(z.enum(['email', 'sms', 'push', 'wechat']), z.boolean()).default({}),
        topics: z.record(z.string(), z.boolean()).default({}),
      })
      .default({ channels: { email: true, sms: true, push: true, wechat: true }, topics: {} }),
    ownedProducts: z
      .array(z.object({ sku: z.string(), category: z.string() }).strict())
      .max(100)
      .default([]),
    eventCounts: z.record(z.string(), z.number().int().min(0).max(INT4_MAX)).default({}),
    addresses: z
      .partialRecord(z.enum(channels), z.string().min(1).max(320))
      .optional()
      .describe(
        'addresses per channel (a suppressed one is refused as in production); default: reachable on every channel',
      ),
  })
  .strict();

const scriptedEvent = z
  .object({
    after: duration,
    name: z.string().min(1).max(255),
    properties: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** What POST /v1/journeys/:id/simulate takes. */
export const simulationBody = z
  .object({
    version: z
      .union([z.number().int().min(1).max(INT4_MAX), z.literal('draft')])
      .optional()
      .describe('a published version, or "draft"; default: the draft'),
    customerId: z.uuid().optional().describe('a stored customer: their profile is read, nothing is written'),
    profile: simulatedProfile.optional().describe('a made-up customer (used when no customerId is given)'),
    entry: z
      .object({ properties: z.record(z.string(), z.unknown()).default({}) })
      .strict()
      .default({ properties: {} }),
    events: z.array(scriptedEvent).max(200).default([]),
    horizonDays: z.number().int().min(1).max(800).default(400),
    startAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((b) => !(b.customerId && b.profile), { message: 'give customerId or profile, not both', path: ['profile'] })
  // The refinement above, in the document's terms.
  .meta({ not: { required: ['customerId', 'profile'] } });

export type SimulationRequest = z.input<typeof simulationBody>;
export type SimulationProfile = z.input<typeof simulatedProfile>;
export type ScriptedEvent = z.input<typeof scriptedEvent>;

export const simulatedMessage = z.strictObject({
  at: z.string(),
  step: z.string(),
  occurrence: z.number().int(),
  channel: z.string(),
  template: z.string(),
  status: z.enum(['would-send', 'skipped', 'deferred']),
  reason: z.string().optional(),
  until: z.string().optional().describe('deferrals: when the workflow tries again'),
  subject: z.string().optional(),
  text: z.string().optional(),
  html: z.string().optional(),
});

export const simulationResult = z.strictObject({
  journeyId: z.string(),
  journeyVersion: z.number().int().describe('0: the draft'),
  customerId: z.string(),
  startedAt: z.string(),
  endedAt: z.string().describe('when the journey ended in simulated time, or the horizon'),
  outcome: z.strictObject({ status: z.string(), reason: z.string() }),
  steps: z.array(z.strictObject({ at: z.string(), step: z.string(), outcome: z.string().optional() })),
  messages: z.array(simulatedMessage),
  events: z.array(z.strictObject({ at: z.string(), name: z.string(), delivered: z.boolean() })),
  updates: z.array(
    z.strictObject({
      at: z.string(),
      traits: z.record(z.string(), z.unknown()).optional(),
      addTags: z.array(z.string()).optional(),
      removeTags: z.array(z.string()).optional(),
      aiplStage: z.string().optional(),
    }),
  ),
  webhooks: z.array(z.strictObject({ at: z.string(), url: z.string() })),
  wallMs: z.number().describe('wall-clock milliseconds the simulation took'),
});
export type SimulationResult = z.input<typeof simulationResult>;

export const simulation = z.strictObject({ simulation: simulationResult }).describe('the simulated schedule');
export type Simulation = z.input<typeof simulation>;
