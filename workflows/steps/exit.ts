import type { StepOf } from '../../domain/journey/definition';
import type { StepContext, StepResult } from './context';

export async function exitStep(ctx: StepContext, stepId: string, step: StepOf<'exit'>): Promise<StepResult> {
  ctx.note(stepId, step.reason);
  return { exit: step.reason };
}
