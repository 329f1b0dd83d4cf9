/**
 * The enrollments mirror: one row per enrollment, upserted as the workflow moves. The workflow's
 * customer id may have been merged away since it started: the row gets the survivor's id.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import { customerMerges, enrollments, type EnrollmentStatus } from '../drizzle/schema';
import { isErased } from '../services/customers/erasure';
import { survivorOf } from '../services/customers/merge';
import type { ActivityDeps } from './deps';

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
      const customerId = await survivorOf(db, p.customerId);
      let merged = false;
      if (customerId !== p.customerId && p.status === 'active') {
        // Started before its customer was merged, and first recorded after the merge (so the merge
        // could not see it): if the survivor is already in this journey and key, this one ends too.
        const [other] = await db
          .select({ id: enrollments.id })
          .from(enrollments)
          .where(
            and(
              eq(enrollments.customerId, customerId),
              eq(enrollments.journeyId, p.journeyId),
              eq(enrollments.enrollmentKey, p.enrollmentKey),
              eq(enrollments.status, 'active'),
              ne(enrollments.id, p.enrollmentId),
            ),
          )
          .limit(1);
        const [mine] = await db
          .select({ exitReason: enrollments.exitReason })
          .from(enrollments)
          .where(eq(enrollments.id, p.enrollmentId));
        merged = other !== undefined || mine?.exitReason === 'merged';
        // Not recorded by the merge itself (that one already holds its pending exit): record it now.
        if (other && mine?.exitReason !== 'merged') {
          await db
            .update(customerMerges)
            .set({
              moved: sql`jsonb_set(${customerMerges.moved}, '{pendingExits}', coalesce(${customerMerges.moved} -> 'pendingExits', '[]'::jsonb) || ${JSON.stringify([p.workflowId])}::jsonb)`,
            })
            .where(
              and(
                eq(customerMerges.mergedId, p.customerId),
                sql`not coalesce(${customerMerges.moved} -> 'pendingExits' @> ${JSON.stringify([p.workflowId])}::jsonb, false)`,
              ),
            );
        }
      }
      const row = {
        id: p.enrollmentId,
        journeyId: p.journeyId,
        journeyVersion: p.journeyVersion,
        customerId,
        enrollmentKey: p.enrollmentKey,
        workflowId: p.workflowId,
        ...(merged
          ? { status: 'cancelled' as const, exitReason: 'merged', exitedAt: new Date() }
          : { status: p.status, exitedAt: toDate(p.exitedAt), exitReason: p.exitReason }),
        currentStep: p.currentStep,
        nextWakeAt: merged ? null : toDate(p.nextWakeAt),
        path: p.path,
        enteredAt: new Date(p.enteredAt),
        convertedAt: toDate(p.convertedAt),
      };
      const { id: _id, journeyId: _j, customerId: _c, enteredAt: _e, ...changing } = row;
      await db.transaction(async (tx) => {
        // An erased customer's workflow (told to exit, or mid-step) leaves no row behind.
        if (await isErased(tx, customerId)) return;
        await tx
          .insert(enrollments)
          .values(row)
          // A row a merge ended stays ended while the workflow catches up with its exit signal.
          .onConflictDoUpdate({
            target: enrollments.id,
            set: { ...changing, updatedAt: sql`now()` },
            // `is distinct from`: exit_reason is null on every running row, and `null = 'merged'` is null.
            setWhere: sql`${enrollments.exitReason} is distinct from 'merged' or excluded.status <> 'active'`,
          });
      });
    },
  };
}
