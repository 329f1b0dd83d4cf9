/**
 * Entering a customer into a journey: re-entry policy checked against the enrollments mirror, then
 * `signalWithStart` on the deterministic workflow ID, so a duplicate trigger only signals the
 * running enrollment (which ignores event ids it has seen).
 */
import { createHash } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../../drizzle/client';
import { enrollments } from '../../drizzle/schema';
import type { JourneyEvent } from '../../domain/journey/conditions';
import { getPath } from '../../domain/journey/conditions';
import type { JourneyDefinition } from '../../domain/journey/definition';
import {
  ENROLLMENT_WORKFLOW_TYPE,
  enrollmentWorkflowId,
  eventSignal,
  searchAttributes,
  type EnrollmentWorkflow,
} from '../../workflows/contracts/enrollment';

export interface EntryRequest {
  journey: { id: string; version: number; definition: JourneyDefinition; status: string };
  customerId: string;
  event?: JourneyEvent;
}

export type EntryOutcome =
  | { status: 'started' | 'signalled'; workflowId: string; enrollmentKey: string }
  | { status: 'rejected'; reason: 'journey-not-live' | 'already-enrolled' | 'cooldown' | 'missing-key' };

/** Concurrency-key values hashed: workflow IDs must never carry personal data. */
export function enrollmentKeyFor(definition: JourneyDefinition, event: JourneyEvent | undefined): string | null {
  if (!definition.concurrencyKey?.length) return 'default';
  const values = definition.concurrencyKey.map((path) => getPath(event, path));
  if (values.some((v) => v === undefined || v === null || v === '')) return null;
  return createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 20);
}

export function createEnroller(deps: { db: Db; temporal: Client; taskQueue: string; clock: () => Date }) {
  return {
    async enter({ journey, customerId, event }: EntryRequest): Promise<EntryOutcome> {
      if (journey.status !== 'published') return { status: 'rejected', reason: 'journey-not-live' };
      const enrollmentKey = enrollmentKeyFor(journey.definition, event);
      if (enrollmentKey === null) return { status: 'rejected', reason: 'missing-key' };
      const workflowId = enrollmentWorkflowId(journey.id, customerId, enrollmentKey);

      const [latest] = await deps.db
        .select({ status: enrollments.status, enteredAt: enrollments.enteredAt, workflowId: enrollments.workflowId })
        .from(enrollments)
        .where(
          and(
            eq(enrollments.journeyId, journey.id),
            eq(enrollments.customerId, customerId),
            eq(enrollments.enrollmentKey, enrollmentKey),
          ),
        )
        .orderBy(desc(enrollments.enteredAt))
        .limit(1);
      const active = latest?.status === 'active';
      if (latest && !active) {
        const policy = journey.definition.reentry;
        if (policy.mode === 'once') return { status: 'rejected', reason: 'already-enrolled' };
        if (
          policy.mode === 'cooldown' &&
          deps.clock().getTime() - latest.enteredAt.getTime() < policy.days * 86_400_000
        ) {
          return { status: 'rejected', reason: 'cooldown' };
        }
      }

      const signal: JourneyEvent = event ?? {
        id: `api:${workflowId}:${deps.clock().toISOString()}`,
        name: 'journey_entered',
        properties: {},
        timestamp: deps.clock().toISOString(),
      };
      if (active && latest.workflowId !== workflowId) {
        // Running under a customer id merged into this one (api/merge.ts): that is the enrollment.
        const signalled = await deps.temporal.workflow
          .getHandle(latest.workflowId)
          .signal(eventSignal, signal)
          .then(() => true)
          .catch((error: unknown) => {
            if (error instanceof WorkflowNotFoundError) return false;
            throw error;
          });
        if (signalled) return { status: 'signalled', workflowId: latest.workflowId, enrollmentKey };
      }
      await deps.temporal.workflow.signalWithStart<EnrollmentWorkflow, [JourneyEvent]>(ENROLLMENT_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [
          {
            v: 1,
            journey: { id: journey.id, version: journey.version, definition: journey.definition },
            customerId,
            enrollmentKey,
            entryEvent: event,
          },
        ],
        signal: eventSignal,
        signalArgs: [signal],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [
          { key: searchAttributes.journeyId, value: journey.id },
          { key: searchAttributes.journeyVersion, value: journey.version },
          { key: searchAttributes.customerId, value: customerId },
        ],
      });
      return { status: active ? 'signalled' : 'started', workflowId, enrollmentKey };
    },
  };
}
export type Enroller = ReturnType<typeof createEnroller>;
