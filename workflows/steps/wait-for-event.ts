/** `waitForEvent`: the first matching event picks a ranked outcome; otherwise the timeout path. */
import type { StepOf } from '../../domain/journey/definition';
import { matchesFilter } from '../../domain/journey/conditions';
import { addDuration } from '../../domain/time';
import type { StepContext, StepResult } from './context';

export async function waitForEventStep(
  ctx: StepContext,
  stepId: string,
  step: StepOf<'waitForEvent'>,
): Promise<StepResult> {
  const { state } = ctx;
  const since = state.eventSeq; // only events that arrive after the step starts
  const matching = () =>
    state.inbox.find((e) => e.seq > since && e.name === step.event && matchesFilter(step.filter, e));
  const deadline = addDuration(ctx.now(), step.timeout, await ctx.timeZone());

  const woke = await ctx.sleepUntil(deadline, () => matching() !== undefined);
  if (woke === 'exit') return { next: step.onTimeout }; // ignored: the loop exits
  const event = matching();
  if (!event) {
    ctx.note(stepId, 'timeout');
    return { next: step.onTimeout };
  }
  state.inbox = state.inbox.filter((e) => e.seq > event.seq);
  const outcome = step.outcomes.find((o) => matchesFilter(o.when, event));
  if (!outcome) {
    ctx.note(stepId, 'unmatched');
    return { next: step.onTimeout };
  }
  ctx.note(stepId, outcome.id);
  return { next: outcome.next };
}
