/** Journey results, the AIPL funnel and category associations (api/analytics.ts, api/associations.ts). */
import { z } from 'zod';
import { durationSchema } from '../../domain/journey/definition';
import { timestamp } from './common';

export const armStats = z.strictObject({
  arm: z.string(),
  holdout: z.boolean(),
  entered: z.number().int(),
  conversions: z.number().int(),
  rate: z.number().nullable(),
  revenueCents: z.number(),
  uplift: z.number().nullable().describe('against the pooled holdout arms (null for holdouts or without one)'),
  upliftInterval: z.strictObject({ low: z.number(), high: z.number() }).nullable(),
  relativeUplift: z.number().nullable(),
  significant: z.boolean().nullable(),
});
export type ArmStats = z.input<typeof armStats>;

export const stepStats = z.strictObject({
  step: z.string(),
  entered: z.number().int().describe('enrollments that reached the step (passed it, or wait there now)'),
  passed: z.number().int().describe('enrollments whose path notes the step'),
  active: z.number().int().describe('active enrollments at the step now'),
});
export type StepStats = z.input<typeof stepStats>;

export const versionStats = z.strictObject({
  version: z.number().int(),
  goalWindow: durationSchema.nullable(),
  entered: z.number().int(),
  active: z.number().int(),
  activeByStep: z.array(z.strictObject({ step: z.string(), count: z.number().int() })),
  steps: z.array(stepStats),
  exits: z.array(z.strictObject({ status: z.string(), reason: z.string().nullable(), count: z.number().int() })),
  messages: z.array(
    z.strictObject({
      channel: z.string(),
      status: z.string(),
      count: z.number().int(),
      resent: z.number().int().describe('of them, sent again under the same Message-ID after an attempt died mid-call'),
    }),
  ),
  conversions: z.number().int(),
  conversionRate: z.number().nullable(),
  revenue: z.strictObject({ orders: z.number().int(), cents: z.number() }),
  splits: z.array(
    z.strictObject({
      step: z.string(),
      holdout: z
        .strictObject({ entered: z.number().int(), conversions: z.number().int(), rate: z.number().nullable() })
        .nullable(),
      arms: z.array(armStats),
    }),
  ),
});
export type VersionStats = z.input<typeof versionStats>;

export const journeyStats = z
  .strictObject({ journeyId: z.string(), versions: z.array(versionStats) })
  .describe('per published version (or the one asked for)');
export type JourneyStats = z.input<typeof journeyStats>;

export const journeySummary = z.strictObject({
  journeyId: z.string(),
  entered: z.number().int(),
  active: z.number().int(),
  converted: z.number().int().describe("conversions inside each version's goal window"),
  conversionRate: z.number().nullable(),
  messagesSent: z.number().int().describe('ledger rows sent in [from, to)'),
});
export type JourneySummary = z.input<typeof journeySummary>;

export const journeySummaries = z
  .strictObject({ from: z.string(), to: z.string(), journeys: z.array(journeySummary) })
  .describe("every journey's headline numbers");
export type JourneySummaries = z.input<typeof journeySummaries>;

export const funnel = z
  .strictObject({
    from: z.string(),
    to: z.string(),
    interval: z.enum(['day', 'week']),
    stages: z.array(z.strictObject({ stage: z.string().nullable(), customers: z.number().int() })),
    transitions: z.array(
      z.strictObject({ period: z.string(), from: z.string().nullable(), to: z.string(), count: z.number().int() }),
    ),
  })
  .describe('customers per AIPL stage, and stage transitions per period');
export type Funnel = z.input<typeof funnel>;

export const associationRule = z.strictObject({
  fromCategory: z.string(),
  toCategory: z.string(),
  count: z.number().int().describe('customers holding both'),
  support: z.number(),
  confidence: z.number(),
  lift: z.number(),
  baskets: z.number().int().describe('customers with at least one category when mined'),
  computedAt: timestamp,
});
export type AssociationRule = z.input<typeof associationRule>;

export const associationRules = z
  .strictObject({ rules: z.array(associationRule), computedAt: timestamp.nullable() })
  .describe('rules, strongest first');
export type AssociationRules = z.input<typeof associationRules>;

export const associationsRefresh = z
  .strictObject({ workflowId: z.string(), status: z.enum(['started', 'already-running']) })
  .describe('the mining workflow is running');

export const recommendations = z
  .strictObject({
    customerId: z.uuid(),
    owned: z.array(z.string()),
    recommendations: z.array(
      z.strictObject({
        category: z.string(),
        because: z.string().describe('the owned category whose rule recommends it most strongly'),
        lift: z.number(),
        confidence: z.number(),
      }),
    ),
  })
  .describe('categories to recommend, most associated first');
