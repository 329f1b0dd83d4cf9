/** `webhook`: POST to an external system, once per (enrollment, step, occurrence). */
import type { StepOf } from '../../domain/journey/definition';
import type { StepContext, StepResult } from './context';

export async function webhookStep(ctx: StepContext, stepId: string, step: StepOf<'webhook'>): Promise<StepResult> {
  const result = await ctx.activities.callWebhook({
    url: step.url,
    bodyTemplate: step.body,
    customerId: ctx.input.customerId,
    entryEvent: ctx.input.entryEvent,
    idempotencyKey: `${ctx.state.enrollmentId}:${stepId}:${ctx.occurrence(stepId)}`,
  });
  ctx.note(stepId, `status:${result.status}`);
  return { next: step.next };
}
