/** What every step handler gets: the enrollment's state, its journey, activities and timers. */
import { condition, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { JourneyDefinition, Step } from '../../domain/journey/definition';
import type { EnrollmentInput, EnrollmentState } from '../contracts/enrollment';
import { resolveTimeZone } from '../../domain/time';

export const MAX_SEEN_EVENT_IDS = 500;
export const MAX_INBOX = 50;
/** Continue-as-new after this many history events even if the server does not suggest it yet. */
export const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
const MAX_PATH = 200;

// Activities retry transient failures forever with backoff; permanent ones are non-retryable.
const allActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
});
// A send waiting out a provider outage (SMTP down) goes out within about 30 s of its return, not up
// to 10 minutes later. Retry options are not part of replay's determinism check (it compares the
// activity's type and id), so saved histories replay unchanged without a `patched()` guard.
const { sendMessage } = proxyActivities<Pick<Activities, 'sendMessage'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds' },
});
const activities: Activities = Object.assign(Object.create(allActivities) as Activities, { sendMessage });
// The mirror row is cheap and frequent: local activities add one marker, not three events.
const localActivities = proxyLocalActivities<Pick<Activities, 'recordEnrollmentProgress'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export type StepContext = ReturnType<typeof createStepContext>;

export function createStepContext(input: EnrollmentInput, state: EnrollmentState) {
  const definition: JourneyDefinition = input.journey.definition;
  return {
    input,
    state,
    definition,
    activities,
    now: () => new Date(),
    /** The customer's zone when known and valid, else the brand's (loaded once per run). */
    async timeZone(): Promise<string> {
      if (state.customerTimeZone === undefined) return this.refreshTimeZone();
      return resolveTimeZone(state.customerTimeZone, definition.settings.timeZone);
    },
    /** Reads the customer's zone again (they may have moved since entry). */
    async refreshTimeZone(): Promise<string> {
      const facts = await activities.loadCustomerFacts({ customerId: input.customerId, eventCounts: [] });
      state.customerTimeZone = facts.timeZone;
      return resolveTimeZone(facts.timeZone, definition.settings.timeZone);
    },
    /**
     * Sleeps durably until `at` unless the enrollment must leave first (goal, exit, cancel) or
     * `alsoWakeWhen` holds. Returns what woke it.
     */
    async sleepUntil(at: Date, alsoWakeWhen: () => boolean = () => false): Promise<'elapsed' | 'exit' | 'woken'> {
      const ms = Math.max(0, at.getTime() - Date.now());
      state.nextWakeAt = at.toISOString();
      await this.recordProgress();
      const woke = await condition(() => state.exit !== undefined || alsoWakeWhen(), ms);
      state.nextWakeAt = null;
      if (state.exit) return 'exit';
      return woke ? 'woken' : 'elapsed';
    },
    enterStep(stepId: string) {
      state.stepId = stepId;
      state.occurrences[stepId] = (state.occurrences[stepId] ?? 0) + 1;
    },
    occurrence(stepId: string): number {
      return state.occurrences[stepId] ?? 1;
    },
    note(step: string, outcome?: string) {
      state.path.push({ step, at: new Date().toISOString(), ...(outcome ? { outcome } : {}) });
      if (state.path.length > MAX_PATH) state.path.splice(0, state.path.length - MAX_PATH);
    },
    async recordProgress(): Promise<void> {
      await localActivities.recordEnrollmentProgress({
        enrollmentId: state.enrollmentId,
        journeyId: input.journey.id,
        journeyVersion: input.journey.version,
        customerId: input.customerId,
        enrollmentKey: input.enrollmentKey,
        workflowId: workflowInfo().workflowId,
        status: state.exit?.status ?? 'active',
        currentStep: state.exit ? null : state.stepId,
        nextWakeAt: state.nextWakeAt,
        path: state.path,
        enteredAt: state.enteredAt,
        exitedAt: state.exit?.at ?? null,
        exitReason: state.exit?.reason ?? null,
        convertedAt: state.converted?.at ?? null,
      });
    },
  };
}

export type StepResult = { next: string } | { exit: string };
export type StepHandler<S extends Step> = (ctx: StepContext, stepId: string, step: S) => Promise<StepResult>;
