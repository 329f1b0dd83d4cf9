/**
 * `wait`: a duration, until a date attribute ± offset, until the next allowed local window, until the
 * next yearly date (seasonal), or until before a consumable's predicted depletion (./wait-depletion).
 */
import { patched } from '@temporalio/workflow';
import type { StepOf } from '../../domain/journey/definition';
import { getPath } from '../../domain/journey/conditions';
import { addDuration, dateFromAttribute, nextWindowStart, nextYearlyDate } from '../../domain/time';
import { depletionWait } from './wait-depletion';
import type { StepContext, StepResult } from './context';

export async function waitStep(ctx: StepContext, stepId: string, step: StepOf<'wait'>): Promise<StepResult> {
  if (step.depletion) return depletionWait(ctx, stepId, { ...step, depletion: step.depletion });
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
  // The season comes by the customer's current zone (they may have moved since entry).
  if (step.yearly) return nextYearlyDate(ctx.now(), step.yearly, await ctx.refreshTimeZone());
  if (step.window) {
    // A local-time window uses the customer's zone as it is now, not as it was at entry. Added
    // after enrollments were running: their histories have no such read, hence the patch.
    const timeZone = patched('window-wait-reads-current-time-zone')
      ? await ctx.refreshTimeZone()
      : await ctx.timeZone();
    return nextWindowStart(ctx.now(), step.window, timeZone);
  }
  const timeZone = await ctx.timeZone();
  if (step.duration) return addDuration(ctx.now(), step.duration, timeZone);
  if (step.until) {
    const facts = await ctx.activities.loadCustomerFacts({ customerId: ctx.input.customerId, eventCounts: [] });
    // `entry.properties.x` reads the entry event; anything else the profile (`traits.x`).
    const root = { ...facts, entry: ctx.input.entryEvent };
    return dateFromAttribute(getPath(root, step.until.attribute), step.until.offset, timeZone);
  }
  return null;
}
