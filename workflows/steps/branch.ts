/** `branch`: ranked conditions over fresh customer facts (and the entry event, `entry.*`); the first that holds wins, else `else`. */
import type { StepOf } from '../../domain/journey/definition';
import { conditionNeeds, evaluateConditions } from '../../domain/journey/conditions';
import type { StepContext, StepResult } from './context';

export async function branchStep(ctx: StepContext, stepId: string, step: StepOf<'branch'>): Promise<StepResult> {
  const needs = conditionNeeds(step.branches.flatMap((b) => b.when));
  const facts = await ctx.activities.loadCustomerFacts({
    customerId: ctx.input.customerId,
    eventCounts: needs.eventCounts,
  });
  const taken = step.branches.find((b) => evaluateConditions(b.when, facts, ctx.input.entryEvent));
  ctx.note(stepId, taken?.id ?? 'else');
  return { next: taken?.next ?? step.else };
}
