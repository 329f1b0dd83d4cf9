/**
 * A Temporal workflow history rendered in journey terms: "waiting until …", "woke", "event X
 * received", "sent email via template T", "skipped: no-consent". Reads the events a real enrollment
 * produces (workflows/enrollment.ts and workflows/steps/*); unknown events are left out, never
 * guessed at. Payloads are decoded with the default (JSON) converter, as the worker encodes them.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { EnrollmentInput, EnrollmentResult } from '../../workflows/contracts/enrollment';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/**
 * What the timeline reads of a `sendMessage` activity's input and result, as recorded in history
 * (activities/send.ts `SendRequest` / `SendOutcome`; services do not import activities, and a
 * history may be older than today's types anyway).
 */
interface RecordedSendRequest {
  channel: string;
  template: string;
  occurrence: number;
}
type RecordedSendOutcome =
  | { status: 'sent'; messageId: string }
  | { status: 'skipped' | 'uncertain'; reason: string }
  | { status: 'deferred'; until: string; reason: string };

export const timelineKinds = [
  'entered',
  'continued',
  'step',
  'wait',
  'woke',
  'wait-ended',
  'event',
  'control',
  'send',
  'skip',
  'defer',
  'webhook',
  'update',
  'activity-failed',
  'completed',
  'closed',
] as const;
export type TimelineKind = (typeof timelineKinds)[number];

export interface TimelineEntry {
  /** The Temporal history event id (ascending). */
  eventId: number;
  at: string;
  kind: TimelineKind;
  /** One readable line. */
  text: string;
  /** The step it belongs to, when known. */
  step?: string;
  details?: Record<string, unknown>;
}

interface LongLike {
  toString(): string;
}
const num = (value: number | LongLike | null | undefined): number =>
  value == null ? 0 : typeof value === 'number' ? value : Number(value.toString());
const millis = (ts: { seconds?: number | LongLike | null; nanos?: number | null } | null | undefined): number =>
  ts ? num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : 0;

function firstPayload<T>(payloads: Payloads): T | undefined {
  const payload = payloads?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    return undefined; // an encoding this API does not read (e.g. a codec): show the event without details
  }
}

type Control = { action: 'pause' } | { action: 'resume' } | { action: 'exit'; reason: string };

/** Step types whose choice leaves no event of its own: the path outcome says which way it went. */
const choosingSteps = new Set(['branch', 'split', 'waitForEvent']);

/**
 * The readable timeline of one enrollment workflow run, in history order. With the enrollment's
 * `path` (the mirror row's), each step entry of a first run gets the outcome it noted (the branch
 * or arm taken): the k-th entry into a step matches the k-th path entry for it, since a step notes
 * once per pass and only the step an enrollment leaves from may lack its note.
 */
export function renderHistory(
  events: readonly HistoryEvent[],
  path?: readonly { step: string; outcome?: string }[],
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const timers = new Map<string, { until: string; step?: string }>();
  const scheduled = new Map<number, { type: string; input: unknown; step?: string }>();
  let stepTypes: Record<string, string> = {};
  let currentStep: string | undefined;
  let matchPath = path !== undefined && path.length < 200; // the mirror keeps the last 200 entries
  const passes = new Map<string, number>();
  const outcomeOf = (step: string): string | undefined => {
    if (!matchPath || !path) return undefined;
    const pass = passes.get(step) ?? 0;
    passes.set(step, pass + 1);
    return path.filter((p) => p.step === step)[pass]?.outcome;
  };

  for (const event of events) {
    const eventId = num(event.eventId);
    const atMs = millis(event.eventTime);
    const at = new Date(atMs).toISOString();
    const push = (kind: TimelineKind, text: string, details?: Record<string, unknown>, step = currentStep) =>
      out.push({ eventId, at, kind, text, ...(step ? { step } : {}), ...(details ? { details } : {}) });

    if (event.workflowExecutionStartedEventAttributes) {
      const input = firstPayload<EnrollmentInput>(event.workflowExecutionStartedEventAttributes.input);
      if (!input) {
        push('entered', 'workflow started');
        continue;
      }
      stepTypes = Object.fromEntries(
        Object.entries(input.journey.definition.steps).map(([id, step]) => [id, step.type]),
      );
      const journey = `${input.journey.id} v${input.journey.version}`;
      if (input.state) {
        matchPath = false; // a continued run starts mid-path
        currentStep = input.state.stepId;
        push('continued', `continued as a new run of ${journey} at step ${input.state.stepId}`, {
          journeyId: input.journey.id,
          journeyVersion: input.journey.version,
          stepId: input.state.stepId,
        });
      } else {
        const trigger = input.entryEvent ? ` on event ${input.entryEvent.name}` : '';
        push(
          'entered',
          `entered ${journey}${trigger}`,
          {
            journeyId: input.journey.id,
            journeyVersion: input.journey.version,
            entryEvent: input.entryEvent?.name ?? null,
          },
          undefined,
        );
      }
    } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      // The loop upserts PerennialStep on every step: the step transitions of the journey.
      const field = event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields?.PerennialStep;
      const value = field ? defaultPayloadConverter.fromPayload<unknown>(field) : undefined;
      const step = Array.isArray(value) ? value[0] : value;
      if (typeof step === 'string') {
        currentStep = step;
        const type = stepTypes[step];
        const outcome = outcomeOf(step);
        const shown = outcome !== undefined && type !== undefined && choosingSteps.has(type) ? ` → ${outcome}` : '';
        push(
          'step',
          `step ${step}${type ? ` (${type})` : ''}${shown}`,
          { stepType: type ?? null, ...(outcome !== undefined ? { outcome } : {}) },
          step,
        );
      }
    } else if (event.timerStartedEventAttributes) {
      const { timerId, startToFireTimeout } = event.timerStartedEventAttributes;
      const until = new Date(atMs + millis(startToFireTimeout)).toISOString();
      timers.set(timerId ?? '', { until, step: currentStep });
      push('wait', `waiting until ${until}`, { until });
    } else if (event.timerFiredEventAttributes) {
      const timer = timers.get(event.timerFiredEventAttributes.timerId ?? '');
      push(
        'woke',
        timer ? `woke (waited until ${timer.until})` : 'woke',
        timer ? { until: timer.until } : undefined,
        timer?.step ?? currentStep,
      );
    } else if (event.timerCanceledEventAttributes) {
      const timer = timers.get(event.timerCanceledEventAttributes.timerId ?? '');
      push(
        'wait-ended',
        timer ? `wait until ${timer.until} ended early` : 'wait ended early',
        timer ? { until: timer.until } : undefined,
        timer?.step ?? currentStep,
      );
    } else if (event.workflowExecutionSignaledEventAttributes) {
      const { signalName, input } = event.workflowExecutionSignaledEventAttributes;
      if (signalName === 'perennial.event') {
        const received = firstPayload<{ id: string; name: string }>(input);
        push(
          'event',
          `event ${received?.name ?? '?'} received`,
          received ? { eventId: received.id, name: received.name } : undefined,
        );
      } else if (signalName === 'perennial.control') {
        const command = firstPayload<Control>(input);
        if (command?.action === 'exit')
          push('control', `exit requested: ${command.reason}`, { action: 'exit', reason: command.reason });
        else if (command?.action === 'pause') push('control', 'paused', { action: 'pause' });
        else if (command?.action === 'resume') push('control', 'resumed', { action: 'resume' });
        else push('control', 'control signal', undefined);
      } else {
        push('control', `signal ${signalName ?? '?'}`);
      }
    } else if (event.activityTaskScheduledEventAttributes) {
      const { activityType, input } = event.activityTaskScheduledEventAttributes;
      scheduled.set(eventId, {
        type: activityType?.name ?? '',
        input: firstPayload<unknown>(input),
        step: currentStep,
      });
    } else if (event.activityTaskCompletedEventAttributes) {
      const { scheduledEventId, result } = event.activityTaskCompletedEventAttributes;
      const activity = scheduled.get(num(scheduledEventId));
      if (!activity) continue;
      if (activity.type === 'sendMessage') {
        const request = activity.input as RecordedSendRequest | undefined;
        const outcome = firstPayload<RecordedSendOutcome>(result);
        const via = request ? `${request.channel} via template ${request.template}` : 'message';
        const details = {
          channel: request?.channel,
          template: request?.template,
          occurrence: request?.occurrence,
          ...outcome,
        };
        if (outcome?.status === 'sent') push('send', `sent ${via}`, details, activity.step);
        else if (outcome?.status === 'deferred')
          push('defer', `deferred ${via} until ${outcome.until} (${outcome.reason})`, details, activity.step);
        else if (outcome)
          push(
            'skip',
            `skipped ${via}: ${outcome.reason}${outcome.status === 'uncertain' ? ' (uncertain)' : ''}`,
            details,
            activity.step,
          );
      } else if (activity.type === 'callWebhook') {
        const request = activity.input as { url?: string } | undefined;
        const outcome = firstPayload<{ status: number }>(result);
        push(
          'webhook',
          `webhook ${request?.url ?? ''} answered ${outcome?.status ?? '?'}`,
          { url: request?.url, status: outcome?.status },
          activity.step,
        );
      } else if (activity.type === 'applyProfileUpdate') {
        const update = activity.input as
          { aiplStage?: string; addTags?: string[]; traits?: Record<string, unknown> } | undefined;
        const parts = [
          update?.aiplStage && `stage ${update.aiplStage}`,
          update?.addTags?.length && `tags +${update.addTags.join(',')}`,
          update?.traits && `traits ${Object.keys(update.traits).join(',')}`,
        ].filter(Boolean);
        push(
          'update',
          `profile updated${parts.length ? `: ${parts.join('; ')}` : ''}`,
          update as Record<string, unknown> | undefined,
          activity.step,
        );
      }
      // loadCustomerFacts and other reads are not journey events.
    } else if (event.activityTaskFailedEventAttributes || event.activityTaskTimedOutEventAttributes) {
      const attributes = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      const activity = scheduled.get(num(attributes?.scheduledEventId));
      push(
        'activity-failed',
        `${activity?.type ?? 'activity'} failed: ${attributes?.failure?.message ?? 'timed out'}`,
        { activity: activity?.type },
        activity?.step,
      );
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      push('continued', 'continued as new (history compacted; the timeline goes on in the next run)');
    } else if (event.workflowExecutionCompletedEventAttributes) {
      const result = firstPayload<EnrollmentResult>(event.workflowExecutionCompletedEventAttributes.result);
      push(
        'completed',
        result ? `${result.status}: ${result.reason}` : 'completed',
        result ? { status: result.status, reason: result.reason } : undefined,
      );
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      push('closed', `terminated: ${event.workflowExecutionTerminatedEventAttributes.reason ?? ''}`, {
        status: 'terminated',
      });
    } else if (event.workflowExecutionFailedEventAttributes) {
      push('closed', `failed: ${event.workflowExecutionFailedEventAttributes.failure?.message ?? ''}`, {
        status: 'failed',
      });
    } else if (event.workflowExecutionCanceledEventAttributes) {
      push('closed', 'workflow cancelled', { status: 'cancelled' });
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      push('closed', 'workflow timed out', { status: 'timed-out' });
    }
  }
  return out;
}
