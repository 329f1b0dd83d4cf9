/**
 * `send`: the activity decides (consent, suppression, caps, quiet hours) and sends at most once per
 * (enrollment, step, occurrence). Skips move on with their reason; deferrals sleep and try again.
 */
import { condition } from '@temporalio/workflow';
import type { StepOf } from '../../domain/journey/definition';
import type { StepContext, StepResult } from './context';

const MAX_DEFERRALS = 20; // quiet hours + caps cannot keep a message waiting forever

export async function sendStep(ctx: StepContext, stepId: string, step: StepOf<'send'>): Promise<StepResult> {
  const { state, input } = ctx;
  for (let attempt = 0; attempt < MAX_DEFERRALS; attempt++) {
    // A paused journey holds its sends until resumed (or the enrollment exits).
    await condition(() => !state.paused || state.exit !== undefined);
    if (state.exit) return { next: step.next };

    const result = await ctx.activities.sendMessage({
      enrollmentId: state.enrollmentId,
      stepId,
      occurrence: ctx.occurrence(stepId),
      journeyId: input.journey.id,
      journeyVersion: input.journey.version,
      customerId: input.customerId,
      channel: step.channel,
      template: step.template,
      kind: step.kind,
      topic: step.topic,
      onlyIf: step.onlyIf,
      entryEvent: input.entryEvent,
      brandTimeZone: input.journey.definition.settings.timeZone,
      quietHours: input.journey.definition.settings.quietHours,
    });
    if (result.status !== 'deferred') {
      ctx.note(stepId, result.status === 'sent' ? 'sent' : `${result.status}:${result.reason}`);
      return { next: step.next };
    }
    const woke = await ctx.sleepUntil(new Date(result.until));
    if (woke === 'exit') return { next: step.next };
  }
  ctx.note(stepId, 'skipped:deferred-too-often');
  return { next: step.next };
}
