/**
 * The enrollment workflow: one per (journey, customer, concurrency key). It interprets the frozen
 * journey version it entered with, one small handler per step type (./steps), and listens for
 * events as signals: a goal event ends it at once, even mid-wait.
 *
 * This file owns the contract the API and router use: versioned input, signals, queries and the
 * workflow-ID helper. Persisted names (workflow type, signal/query names, search attributes) are
 * fixed here and must not change.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { JourneyDefinition } from '../domain/journey/definition';
import type { JourneyEvent } from '../domain/journey/conditions';
import { runStep } from './steps';
import { createStepContext, DEFAULT_MAX_HISTORY_EVENTS, type EnrollmentState, type PathEntry } from './steps/context';
import { applyEvent } from './steps/events';

// ---- contract --------------------------------------------------------------------------------

export interface EnrollmentInputV1 {
  v: 1;
  journey: { id: string; version: number; definition: JourneyDefinition };
  /** Internal customer id (uuid): never an email or phone number. */
  customerId: string;
  /** Concurrency key (hashed entry-property values) or "default". */
  enrollmentKey: string;
  /** The event that triggered entry, if any: goals may match against it. */
  entryEvent?: JourneyEvent;
  /** Carried across continue-as-new; absent on the first run. */
  state?: EnrollmentState;
  /** Continue-as-new after this many history events even if the server does not suggest it yet. */
  maxHistoryEvents?: number;
}
export type EnrollmentInput = EnrollmentInputV1;

export interface EnrollmentResult {
  enrollmentId: string;
  status: 'completed' | 'exited' | 'converted' | 'cancelled';
  reason: string;
  path: PathEntry[];
}

export interface EnrollmentStatus {
  enrollmentId: string;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  stepId: string;
  stepType: string;
  nextWakeAt: string | null;
  paused: boolean;
  path: PathEntry[];
  exit: EnrollmentState['exit'];
  converted: EnrollmentState['converted'];
}

/** An event for this customer (deduplicated by `id`). */
export const eventSignal = defineSignal<[JourneyEvent]>('perennial.event');
/** Ops/lifecycle: pause holds sends, resume releases them, exit ends the enrollment with a reason. */
export const controlSignal =
  defineSignal<[{ action: 'pause' } | { action: 'resume' } | { action: 'exit'; reason: string }]>('perennial.control');
export const statusQuery = defineQuery<EnrollmentStatus>('perennial.status');

export const searchAttributes = {
  journeyId: defineSearchAttributeKey('PerennialJourneyId', SearchAttributeType.KEYWORD),
  journeyVersion: defineSearchAttributeKey('PerennialJourneyVersion', SearchAttributeType.INT),
  customerId: defineSearchAttributeKey('PerennialCustomerId', SearchAttributeType.KEYWORD),
  step: defineSearchAttributeKey('PerennialStep', SearchAttributeType.KEYWORD),
} as const;

export const ENROLLMENT_WORKFLOW_TYPE = 'enrollmentWorkflow';

/** Deterministic business key: the same trigger twice reaches the same workflow. */
export function enrollmentWorkflowId(journeyId: string, customerId: string, enrollmentKey: string): string {
  return `enrollment/${journeyId}/${customerId}/${enrollmentKey}`;
}

// ---- workflow --------------------------------------------------------------------------------

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
