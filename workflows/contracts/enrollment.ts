/**
 * The contract of the enrollment workflow (./../enrollment.ts): what the API, the router and the
 * services use to start it, signal it, query it and find it. Persisted names (workflow type,
 * signal/query names, search attributes) are fixed here and must not change: running workflows and
 * saved histories carry them.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { JourneyDefinition } from '../../domain/journey/definition';
import type { JourneyEvent } from '../../domain/journey/conditions';

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

export interface PathEntry {
  step: string;
  at: string;
  /** What happened: the branch/arm/outcome taken, "sent", "skipped:capped", "timeout"… */
  outcome?: string;
}

export interface EnrollmentState {
  enrollmentId: string;
  enteredAt: string;
  stepId: string;
  nextWakeAt: string | null;
  path: PathEntry[];
  /** Recent event ids, to drop duplicates (bounded). */
  seenEventIds: string[];
  /** Events received, numbered, that a waitForEvent step may consume (bounded). */
  inbox: (JourneyEvent & { seq: number })[];
  eventSeq: number;
  /** Times each step was entered: the ledger key of a send is (enrollment, step, occurrence). */
  occurrences: Record<string, number>;
  paused: boolean;
  customerTimeZone?: string | null;
  exit?: { status: 'completed' | 'exited' | 'converted' | 'cancelled'; reason: string; at: string };
  converted?: { goal: string; at: string };
  /** Depletion waits: the consumable cycle (ISO start) last seen per device serial, to notice a new one. */
  depletionCycles?: Record<string, string>;
}

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
/** The workflow's signature, for starting it by type name without importing its body. */
export type EnrollmentWorkflow = (input: EnrollmentInput) => Promise<EnrollmentResult>;

/** Deterministic business key: the same trigger twice reaches the same workflow. */
export function enrollmentWorkflowId(journeyId: string, customerId: string, enrollmentKey: string): string {
  return `enrollment/${journeyId}/${customerId}/${enrollmentKey}`;
}
