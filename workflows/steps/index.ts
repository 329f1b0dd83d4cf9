/** Dispatch: one small handler per step type. */
import type { Step, StepOf, StepType } from '../../domain/journey/definition';
import type { StepContext, StepHandler, StepResult } from './context';
import { branchStep } from './branch';
import { exitStep } from './exit';
import { sendStep } from './send';
import { splitStep } from './split';
import { updateStep } from './update';
import { waitStep } from './wait';
import { waitForEventStep } from './wait-for-event';
import { webhookStep } from './webhook';

const handlers: { [T in StepType]: StepHandler<StepOf<T>> } = {
  wait: waitStep,
  waitForEvent: waitForEventStep,
  branch: branchStep,
  split: splitStep,
  send: sendStep,
  update: updateStep,
  webhook: webhookStep,
  exit: exitStep,
};

export function runStep(ctx: StepContext, stepId: string, step: Step): Promise<StepResult> {
  const handler = handlers[step.type] as StepHandler<Step>;
  return handler(ctx, stepId, step);
}
