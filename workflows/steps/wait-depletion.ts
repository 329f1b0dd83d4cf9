/**
 * A `wait` with `depletion`: until `daysBefore` days before the predicted depletion of the consumable
 * in the entry event's device. The prediction comes from an activity (telemetry since the cycle
 * started, rated life as fallback) and is recomputed when an event concerning the device arrives —
 * a usage reading, a replacement, an order of the consumable — so the wake time moves earlier or
 * later. A burst of readings costs one recompute: after the first, the wait settles for
 * `SETTLE_MS` before asking again. A new cycle (consumable bought or replaced) continues at
 * `onNewCycle` when given, else the wait goes on toward the new cycle's date.
 *
 * History is bounded: each delivered event costs its signal and one workflow task; recomputes are
 * at most one per settle period; when the history is long the step hands over to continue-as-new
 * (it is re-entered from the top, which simply asks again).
 */
import { workflowInfo } from '@temporalio/workflow';
import type { StepOf } from '../../domain/journey/definition';
import { getPath } from '../../domain/journey/conditions';
import { concernsDevice } from '../../domain/journey/depletion';
import { addDuration } from '../../domain/time';
import { DEFAULT_MAX_HISTORY_EVENTS, type StepContext, type StepResult } from './context';

/** After an event moved the prediction, readings arriving within this long join the next recompute. */
export const SETTLE_MS = 60 * 60 * 1000;

type DepletionWait = StepOf<'wait'> & { depletion: NonNullable<StepOf<'wait'>['depletion']> };

export async function depletionWait(ctx: StepContext, stepId: string, step: DepletionWait): Promise<StepResult> {
  const { state, input } = ctx;
  const found = getPath({ entry: input.entryEvent }, step.depletion.serial);
  const serial = typeof found === 'string' ? found.trim() : '';
  if (serial === '') {
    ctx.note(stepId, 'unknown:no-serial');
    return { next: step.onUnknown ?? step.next };
  }
  const timeZone = await ctx.timeZone();
  const maxHistory = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  let recomputes = 0;
  for (;;) {
    const since = state.eventSeq; // events from here on may not be reflected in the prediction
    const prediction = await ctx.activities.predictConsumableDepletion({ customerId: input.customerId, serial });
    if (prediction.depletesAt === null || prediction.cycleStartedAt === null) {
      ctx.note(stepId, 'unknown:no-prediction');
      return { next: step.onUnknown ?? step.next };
    }
    const cycles = (state.depletionCycles ??= {});
    const known = cycles[serial];
    cycles[serial] = prediction.cycleStartedAt;
    if (known !== undefined && prediction.cycleStartedAt > known && step.onNewCycle !== undefined) {
      ctx.note(stepId, 'new-cycle');
      return { next: step.onNewCycle };
    }

    const target = addDuration(new Date(prediction.depletesAt), { days: -step.depletion.daysBefore }, timeZone);
    const moved = () => state.inbox.some((e) => e.seq > since && concernsDevice(e, serial, prediction.consumableSku));
    const woke = await ctx.sleepUntil(target, moved);
    if (woke === 'exit') return { next: step.next };
    if (woke === 'elapsed') {
      ctx.note(stepId, `${prediction.basis}${recomputes > 0 ? `:recomputed-${recomputes}` : ''}`);
      return { next: step.next };
    }
    // Let a burst of readings settle, then recompute once (never later than the current target).
    const settled = await ctx.sleepUntil(new Date(Math.min(target.getTime(), Date.now() + SETTLE_MS)));
    if (settled === 'exit') return { next: step.next };
    recomputes++;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= maxHistory) return { next: stepId }; // continue-as-new, then ask again
  }
}
