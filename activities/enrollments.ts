/** The enrollments mirror: one row per enrollment, upserted as the workflow moves. */
import { sql } from 'drizzle-orm';
import { enrollments, type EnrollmentStatus } from '../drizzle/schema';
import type { ActivityDeps } from './index';

export interface EnrollmentProgress {
  enrollmentId: string;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  enrollmentKey: string;
  workflowId: string;
  status: EnrollmentStatus;
  currentStep: string | null;
  nextWakeAt: string | null;
  path: { step: string; at: string; outcome?: string }[];
  enteredAt: string;
  exitedAt: string | null;
  exitReason: string | null;
  convertedAt: string | null;
}

const toDate = (iso: string | null) => (iso === null ? null : new Date(iso));

export function createEnrollmentActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async recordEnrollmentProgress(p: EnrollmentProgress): Promise<void> {
      const row = {
        id: p.enrollmentId,
        journeyId: p.journeyId,
        journeyVersion: p.journeyVersion,
        customerId: p.customerId,
        enrollmentKey: p.enrollmentKey,
        workflowId: p.workflowId,
        status: p.status,
        currentStep: p.currentStep,
        nextWakeAt: toDate(p.nextWakeAt),
        path: p.path,
        enteredAt: new Date(p.enteredAt),
        exitedAt: toDate(p.exitedAt),
        exitReason: p.exitReason,
        convertedAt: toDate(p.convertedAt),
      };
      const { id: _id, journeyId: _j, customerId: _c, enteredAt: _e, ...changing } = row;
      await db
        .insert(enrollments)
        .values(row)
        .onConflictDoUpdate({ target: enrollments.id, set: { ...changing, updatedAt: sql`now()` } });
    },
  };
}
