/** Journey simulation (api/simulation.ts): the dated schedule of a run on a time-skipping server. */
import { z } from 'zod';

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
