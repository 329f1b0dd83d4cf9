/** `split`: weighted arms, the same arm for a customer every time (hash of journey + customer). */
import type { StepOf } from '../../domain/journey/definition';
import { chooseArm } from '../../domain/journey/split';
import type { StepContext, StepResult } from './context';

export async function splitStep(ctx: StepContext, stepId: string, step: StepOf<'split'>): Promise<StepResult> {
  const arm = chooseArm(step.arms, `${ctx.input.journey.id}:${stepId}:${ctx.input.customerId}`);
  ctx.note(stepId, arm.holdout ? `${arm.id}:holdout` : arm.id);
  return { next: arm.next };
}
