/** `wait`: a duration, until a date attribute ± offset, or until the next allowed local window. */
import type { StepOf } from '../../domain/journey/definition';
import { getPath } from '../../domain/journey/conditions';
import { addDuration, dateFromAttribute, nextWindowStart } from '../../domain/time';
import type { StepContext, StepResult } from './context';

export async function waitStep(ctx: StepContext, stepId: string, step: StepOf<'wait'>): Promise<StepResult> {
  const target = await wakeTime(ctx, step);
  if (!target) {
    ctx.note(stepId, 'skipped:no-date');
    return { next: step.next };
  }
  const woke = await ctx.sleepUntil(target);
  ctx.note(stepId, woke === 'elapsed' ? undefined : woke);
  return { next: step.next };
}

async function wakeTime(ctx: StepContext, step: StepOf<'wait'>): Promise<Date | null> {
  const timeZone = await ctx.timeZone();
  if (step.duration) return addDuration(ctx.now(), step.duration, timeZone);
  if (step.window) return nextWindowStart(ctx.now(), step.window, timeZone);
  if (step.until) {
    const facts = await ctx.activities.loadCustomerFacts({ customerId: ctx.input.customerId, eventCounts: [] });
    // `entry.properties.x` reads the entry event; anything else the profile (`traits.x`).
    const root = { ...facts, entry: ctx.input.entryEvent };
    return dateFromAttribute(getPath(root, step.until.attribute), step.until.offset, timeZone);
  }
  return null;
}
