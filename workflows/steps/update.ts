/** `update`: set traits, tags, AIPL stage on the profile. */
import type { StepOf } from '../../domain/journey/definition';
import type { StepContext, StepResult } from './context';

export async function updateStep(ctx: StepContext, stepId: string, step: StepOf<'update'>): Promise<StepResult> {
  await ctx.activities.applyProfileUpdate({
    customerId: ctx.input.customerId,
    traits: step.traits,
    addTags: step.addTags,
    removeTags: step.removeTags,
    aiplStage: step.aiplStage,
    reason: `journey:${ctx.input.journey.id}/${stepId}`,
  });
  ctx.note(stepId);
  return { next: step.next };
}
