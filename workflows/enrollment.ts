/**
 * The enrollment workflow: one per (journey, customer, concurrency key). It interprets the frozen
 * journey version it entered with, one small handler per step type (./steps), and listens for
 * events as signals: a goal event ends it at once, even mid-wait.
 *
 * Its contract (input, signals, queries, ID helper, search attributes) is ./contracts/enrollment.ts.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { runStep } from './steps';
import { createStepContext, DEFAULT_MAX_HISTORY_EVENTS } from './steps/context';
import {
  controlSignal,
  eventSignal,
  searchAttributes,
  statusQuery,
  type EnrollmentInput,
  type EnrollmentResult,
  type EnrollmentState,
} from './contracts/enrollment';
import { applyEvent } from './steps/events';

export async function enrollmentWorkflow(input: EnrollmentInput): Promise<EnrollmentResult> {
  const firstRun = input.state === undefined;
  const state: EnrollmentState = input.state ?? {
    enrollmentId: uuid4(),
    enteredAt: new Date().toISOString(), // workflow time: deterministic
    stepId: input.journey.definition.start,
    nextWakeAt: null,
    path: [],
    seenEventIds: [],
    inbox: [],
    eventSeq: 0,
    occurrences: {},
    paused: false,
  };
  const ctx = createStepContext(input, state);

  setHandler(eventSignal, (event) => applyEvent(ctx, event));
  setHandler(controlSignal, (command) => {
    if (command.action === 'pause') state.paused = true;
    else if (command.action === 'resume') state.paused = false;
    else state.exit ??= { status: 'cancelled', reason: command.reason, at: new Date().toISOString() };
  });
  setHandler(statusQuery, () => ({
    enrollmentId: state.enrollmentId,
    journeyId: input.journey.id,
    journeyVersion: input.journey.version,
    customerId: input.customerId,
    stepId: state.stepId,
    stepType: input.journey.definition.steps[state.stepId]?.type ?? 'unknown',
    nextWakeAt: state.nextWakeAt,
    paused: state.paused,
    path: state.path,
    exit: state.exit,
    converted: state.converted,
  }));

  if (firstRun) {
    upsertSearchAttributes([
      { key: searchAttributes.journeyId, value: input.journey.id },
      { key: searchAttributes.journeyVersion, value: input.journey.version },
      { key: searchAttributes.customerId, value: input.customerId },
    ]);
    await ctx.recordProgress();
  }

  const maxHistory = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  while (!state.exit) {
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof enrollmentWorkflow>({ ...input, state });
    }
    const step = input.journey.definition.steps[state.stepId];
    if (!step)
      throw new Error(`step "${state.stepId}" is not in journey ${input.journey.id} v${input.journey.version}`);
    upsertSearchAttributes([{ key: searchAttributes.step, value: state.stepId }]);

    const outcome = await runStep(ctx, state.stepId, step);
    if (state.exit) break; // a goal or exit arrived while the step ran: leave at once
    if ('exit' in outcome) {
      state.exit = { status: 'completed', reason: outcome.exit, at: new Date().toISOString() };
      break;
    }
    ctx.enterStep(outcome.next);
    await ctx.recordProgress();
  }

  state.nextWakeAt = null;
  await ctx.recordProgress();
  await condition(allHandlersFinished);
  const exit = state.exit;
  if (!exit) throw new Error('unreachable: the loop ends only with an exit');
  return { enrollmentId: state.enrollmentId, status: exit.status, reason: exit.reason, path: state.path };
}
