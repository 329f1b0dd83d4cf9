/**
 * Segment membership: preview a rule, refresh a segment's materialised members (set-based, one
 * transaction), re-evaluate cheap segments for the customers of an event batch, and start the
 * journeys whose entry is a segment for customers who entered it.
 *
 * Entering is two-phase: the membership commit inserts rows with `entries_checked_at` null, then
 * those rows are offered to the segment-entry journeys (through the enroller, so re-entry rules
 * apply) and stamped. A crash in between leaves them pending for the next refresh or event.
 */
import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Enroller } from '../journeys/enroll';
import { rowsOf, type Db } from '../../drizzle/client';
import { twoKeyLockClasses } from '../../drizzle/locks';
import { customers, journeys, journeyVersions, segmentMembers, segments } from '../../drizzle/schema';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { checkRule, type SegmentRule } from '../../domain/segments/rule';
import { compileRule } from './segment-sql';

const ENTRY_BATCH = 500;

export interface RefreshResult {
  segmentId: string;
  status: 'refreshed' | 'missing';
  members: number;
  entered: number;
  left: number;
  /** Enrollments the segment-entry journeys started (or signalled) for entered customers. */
  enrollments: number;
}

export interface PreviewResult {
  count: number;
  sample: { customerId: string; traits: Record<string, unknown>; tags: string[]; aiplStage: string | null }[];
}

/** A stored rule that no longer passes the checks (the language changed under it): never retried. */
export class InvalidStoredRuleError extends Error {}

/** Segment-entry journeys exist but this process was built without an enroller: a wiring bug, never retried. */
export class MissingEnrollerError extends Error {}

export function parseStoredRule(segmentId: string, value: unknown): SegmentRule {
  const checked = checkRule(value);
  if (!checked.rule)
    throw new InvalidStoredRuleError(
      `segment ${segmentId}: stored rule is invalid: ${checked.issues.map((i) => i.message).join('; ')}`,
    );
  return checked.rule;
}

function counts(result: unknown): Record<string, number> {
  const rows = rowsOf<Record<string, unknown>>(result);
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

export function createSegmentMembership(deps: { db: Db; enroller?: Enroller; clock: () => Date }) {
  const { db, clock } = deps;

  /** Published journeys whose latest version enters on this segment. */
  async function entryJourneys(segmentId: string) {
    const rows = await db
      .select({ id: journeys.id, version: journeyVersions.version, definition: journeyVersions.definition })
      .from(journeys)
      .innerJoin(
        journeyVersions,
        and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
      )
      .where(
        and(
          eq(journeys.status, 'published'),
          sql`${journeyVersions.definition} -> 'entry' ->> 'type' = 'segment'`,
          sql`${journeyVersions.definition} -> 'entry' ->> 'segment' = ${segmentId}::text`,
        ),
      );
    return rows as { id: string; version: number; definition: JourneyDefinition }[];
  }

  /** Offers every pending membership of the segment to its entry journeys; returns enrollments started or signalled. */
  async function startPendingEntries(segmentId: string): Promise<number> {
    const targets = await entryJourneys(segmentId);
    const pending = and(eq(segmentMembers.segmentId, segmentId), isNull(segmentMembers.entriesCheckedAt));
    if (targets.length === 0) {
      await db.update(segmentMembers).set({ entriesCheckedAt: clock() }).where(pending);
      return 0;
    }
    if (!deps.enroller) throw new MissingEnrollerError('segment entries need an enroller in the deps');
    let started = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await db
        .select({ customerId: segmentMembers.customerId, enteredAt: segmentMembers.enteredAt })
        .from(segmentMembers)
        .where(and(pending, gt(segmentMembers.customerId, after)))
        .orderBy(asc(segmentMembers.customerId))
        .limit(ENTRY_BATCH);
      if (batch.length === 0) return started;
      for (const member of batch) {
        for (const journey of targets) {
          const outcome = await deps.enroller.enter({
            journey: { ...journey, status: 'published' },
            customerId: member.customerId,
            event: {
              id: `segment:${segmentId}:${member.customerId}:${member.enteredAt.toISOString()}`,
              name: 'segment_entered',
              properties: { segment: segmentId },
              timestamp: member.enteredAt.toISOString(),
            },
          });
          if (outcome.status !== 'rejected') started++;
        }
      }
      const ids = batch.map((m) => m.customerId);
      await db
        .update(segmentMembers)
        .set({ entriesCheckedAt: clock() })
        .where(and(eq(segmentMembers.segmentId, segmentId), inArray(segmentMembers.customerId, ids)));
      after = ids[ids.length - 1]!;
    }
  }

  /**
   * Membership of the rule, within `scope` when given (a list of customer ids), in one statement:
   * leavers deleted, newcomers inserted (entries pending), counts returned.
   */
  async function apply(segmentId: string, rule: SegmentRule, now: Date, scope?: string[]) {
    const condition = compileRule(rule, { now });
    const inScope: SQL = scope
      ? sql` and ${customers.id} in (${sql.join(
          scope.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`
      : sql``;
    const leaversInScope: SQL = scope
      ? sql` and m.customer_id in (${sql.join(
          scope.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`
      : sql``;
    return db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(${twoKeyLockClasses.segmentMembership}, hashtext(${segmentId}::text))`,
      );
      const result = counts(
        await tx.execute(sql`
          with target as (select ${customers.id} as customer_id from ${customers} where ${condition}${inScope}),
          gone as (
            delete from segment_members m
            where m.segment_id = ${segmentId}::text${leaversInScope}
              and not exists (select 1 from target t where t.customer_id = m.customer_id)
            returning 1),
          came as (
            insert into segment_members (segment_id, customer_id, entered_at)
            select ${segmentId}::text, t.customer_id, ${now.toISOString()}::timestamptz from target t
            where not exists (select 1 from segment_members m where m.segment_id = ${segmentId}::text and m.customer_id = t.customer_id)
            on conflict do nothing
            returning 1)
          select (select count(*) from target) as matched, (select count(*) from gone) as left, (select count(*) from came) as entered`),
      );
      const entered = result.entered ?? 0;
      const left = result.left ?? 0;
      const [row] = await tx
        .update(segments)
        .set(
          scope
            ? { memberCount: sql`${segments.memberCount} + ${entered - left}::int` }
            : { memberCount: result.matched ?? 0, refreshedAt: now },
        )
        .where(eq(segments.id, segmentId))
        .returning({ memberCount: segments.memberCount });
      return { members: row?.memberCount ?? 0, entered, left };
    });
  }

  return {
    /** Every segment id, in order. */
    async listIds(): Promise<string[]> {
      const rows = await db.select({ id: segments.id }).from(segments).orderBy(asc(segments.id));
      return rows.map((r) => r.id);
    },
    startPendingEntries,

    async preview(rule: SegmentRule, limit: number): Promise<PreviewResult> {
      const condition = compileRule(rule, { now: clock() });
      const [total] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(customers)
        .where(condition);
      const sample = await db
        .select({
          customerId: customers.id,
          traits: customers.traits,
          tags: customers.tags,
          aiplStage: customers.aiplStage,
        })
        .from(customers)
        .where(condition)
        .orderBy(asc(customers.id))
        .limit(limit);
      return { count: total?.count ?? 0, sample };
    },

    /** Recomputes the whole segment, then starts entries for newcomers (and any left pending). */
    async refresh(segmentId: string): Promise<RefreshResult> {
      const [segment] = await db.select({ rule: segments.rule }).from(segments).where(eq(segments.id, segmentId));
      if (!segment) return { segmentId, status: 'missing', members: 0, entered: 0, left: 0, enrollments: 0 };
      const applied = await apply(segmentId, parseStoredRule(segmentId, segment.rule), clock());
      const enrollments = await startPendingEntries(segmentId);
      return { segmentId, status: 'refreshed', ...applied, enrollments };
    },

    /**
     * The on-event path: re-evaluates every cheap segment (`evaluated_on_event`) for these
     * customers only, one statement per segment, and starts entries for newcomers.
     */
    async evaluateForCustomers(
      customerIds: string[],
    ): Promise<{ segments: number; entered: number; left: number; enrollments: number }> {
      const ids = [...new Set(customerIds)];
      const total = { segments: 0, entered: 0, left: 0, enrollments: 0 };
      if (ids.length === 0) return total;
      const cheap = await db
        .select({ id: segments.id, rule: segments.rule })
        .from(segments)
        .where(eq(segments.evaluatedOnEvent, true))
        .orderBy(asc(segments.id));
      const now = clock();
      for (const segment of cheap) {
        const checked = checkRule(segment.rule);
        if (!checked.rule) continue; // a stale stored rule: the scheduled refresh reports it
        const applied = await apply(segment.id, checked.rule, now, ids);
        total.segments++;
        total.entered += applied.entered;
        total.left += applied.left;
        if (applied.entered > 0) total.enrollments += await startPendingEntries(segment.id);
      }
      return total;
    },
  };
}
export type SegmentMembership = ReturnType<typeof createSegmentMembership>;
