/**
 * One ID merges. When a message names identities of two or more customers, they become one: the
 * oldest customer survives (created first; ties by id), the others are moved into it and deleted,
 * all inside the ingest transaction. Rows are locked in id order, so concurrent joins of overlapping
 * customers wait for each other instead of deadlocking.
 *
 * What moves: identities, events, owned products (their telemetry follows by foreign key), orders,
 * AIPL history, segment memberships (deduplicated), send-ledger rows and enrollment mirror rows.
 * Profiles combine: traits key by key, the more recently updated profile winning a conflict; tags are
 * the union; consent keeps a `false` from either side (else a `true`); time zone and locale come from
 * the more recently updated profile when it has them; the AIPL stage is the more advanced one.
 *
 * Enrollments: running enrollments of the merged customer keep their workflows (the mirror rows now
 * carry the survivor's id, which is how the router finds them). When both customers have an active
 * enrollment for the same journey and key, the merged customer's is ended: its mirror row is marked
 * `cancelled` / `merged` here, and its workflow id is recorded in the merge row
 * (`moved.pendingExits`). Temporal is only told after the commit: the event router sends
 * `controlSignal {exit, reason: 'merged'}` for every pending exit before each batch and then clears
 * it (`driveMergeExits`), so a crash at any point re-drives it; the signal is idempotent.
 *
 * An old customer id keeps resolving (`survivorOf`): running workflows carry it in their input.
 */
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { rowsOf, type Db } from '../../drizzle/client';
import {
  aiplStages,
  customerIdentities,
  customerMerges,
  customers,
  enrollments,
  type Consent,
} from '../../drizzle/schema';
import { controlSignal } from '../../workflows/contracts/enrollment';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Customer = typeof customers.$inferSelect;

/** What one merge moved: stored as `customer_merges.moved`. */
export interface MergeMoved {
  identities: { kind: string; value: string }[];
  counts: Record<
    'events' | 'ownedProducts' | 'orders' | 'aiplHistory' | 'segmentMembers' | 'messages' | 'enrollments',
    number
  >;
  /** The merged customer's enrollments ended because the survivor was in the same journey and key. */
  exitedEnrollments: { enrollmentId: string; workflowId: string; journeyId: string; enrollmentKey: string }[];
  /** Workflow ids still to be sent `exit: merged`; removed once delivered (see `driveMergeExits`). */
  pendingExits?: string[];
}

export interface MergeOutcome {
  id: string;
  survivorId: string;
  mergedId: string;
  moved: MergeMoved;
}

export const MAX_CHAIN = 64;

/**
 * Merges `customerIds` (two or more, as found owning a message's identities) into the oldest of
 * them. Ids merged away concurrently (committed before our lock) are followed to their survivors.
 */
export async function mergeCustomers(
  tx: Tx,
  customerIds: readonly string[],
  messageId: string | null,
): Promise<{ survivorId: string; merges: MergeOutcome[] }> {
  let ids = [...new Set(customerIds)];
  let locked: Customer[] = [];
  for (let round = 0; ; round++) {
    // One statement, rows locked in id order: every merge takes its locks in the same order.
    locked = await tx.select().from(customers).where(inArray(customers.id, ids)).orderBy(customers.id).for('update');
    if (locked.length === ids.length) break;
    if (round > MAX_CHAIN) throw new Error(`customers ${ids.join(', ')} keep changing while being merged`);
    // Some were merged (and deleted) by a transaction that committed while we waited: follow them.
    const survivors = await survivorsOf(tx, ids);
    ids = [...new Set(ids.map((id) => survivors.get(id) ?? id))];
  }
  const [survivor, ...others] = [...locked].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id),
  );
  const merges: MergeOutcome[] = [];
  let current = survivor!;
  for (const merged of others) {
    const outcome = await mergeInto(tx, current, merged, messageId);
    merges.push(outcome.merge);
    current = outcome.survivor;
  }
  return { survivorId: current.id, merges };
}

async function mergeInto(
  tx: Tx,
  survivor: Customer,
  merged: Customer,
  messageId: string | null,
): Promise<{ survivor: Customer; merge: MergeOutcome }> {
  const [s, m] = [survivor.id, merged.id];
  const identities = await tx
    .update(customerIdentities)
    .set({ customerId: s })
    .where(eq(customerIdentities.customerId, m))
    .returning({ kind: customerIdentities.kind, value: customerIdentities.value });

  const move = async (table: string) =>
    count(
      await tx.execute(
        sql`with moved as (update ${sql.identifier(table)} set customer_id = ${s} where customer_id = ${m} returning 1) select count(*)::int as n from moved`,
      ),
    );
  const events = await move('events');
  const ownedProducts = await move('owned_products');
  const orders = await move('orders');
  const aiplHistory = await move('aipl_history');
  const messages = await move('messages');
  // Memberships both have are kept once (the survivor's, with its entry time).
  await tx.execute(
    sql`delete from segment_members mine where mine.customer_id = ${m} and exists (select 1 from segment_members theirs where theirs.segment_id = mine.segment_id and theirs.customer_id = ${s})`,
  );
  const segmentMembers = await move('segment_members');

  // Both in the same journey and key: the merged customer's enrollment ends (no duplicate journeys).
  const duplicates = await tx
    .update(enrollments)
    .set({ status: 'cancelled', exitReason: 'merged', exitedAt: sql`now()`, nextWakeAt: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(enrollments.customerId, m),
        eq(enrollments.status, 'active'),
        sql`exists (select 1 from ${enrollments} e where e.customer_id = ${s} and e.status = 'active' and e.journey_id = ${enrollments.journeyId} and e.enrollment_key = ${enrollments.enrollmentKey})`,
      ),
    )
    .returning({
      enrollmentId: enrollments.id,
      workflowId: enrollments.workflowId,
      journeyId: enrollments.journeyId,
      enrollmentKey: enrollments.enrollmentKey,
    });
  const enrollmentCount = await move('enrollments');

  const [updated] = await tx
    .update(customers)
    .set({ ...combinedProfile(survivor, merged), updatedAt: sql`now()` })
    .where(eq(customers.id, s))
    .returning();

  const moved: MergeMoved = {
    identities,
    counts: { events, ownedProducts, orders, aiplHistory, segmentMembers, messages, enrollments: enrollmentCount },
    exitedEnrollments: duplicates,
    ...(duplicates.length > 0 ? { pendingExits: duplicates.map((d) => d.workflowId) } : {}),
  };
  const [row] = await tx
    .insert(customerMerges)
    .values({
      survivorId: s,
      mergedId: m,
      eventMessageId: messageId,
      moved: moved as unknown as Record<string, unknown>,
    })
    .returning({ id: customerMerges.id });
  await tx.delete(customers).where(eq(customers.id, m));
  return { survivor: updated!, merge: { id: row!.id, survivorId: s, mergedId: m, moved } };
}

/** The documented conflict rules, as a pure function of the two rows. */
export function combinedProfile(
  survivor: Customer,
  merged: Customer,
): Pick<Customer, 'traits' | 'tags' | 'consent' | 'timeZone' | 'locale' | 'aiplStage'> {
  const [older, newer] =
    merged.updatedAt.getTime() > survivor.updatedAt.getTime() ? [survivor, merged] : [merged, survivor];
  const rank = (stage: string | null) =>
    stage === null ? -1 : aiplStages.indexOf(stage as (typeof aiplStages)[number]);
  return {
    traits: { ...older.traits, ...newer.traits },
    tags: [...new Set([...survivor.tags, ...merged.tags])].sort(),
    consent: combinedConsent(survivor.consent, merged.consent),
    timeZone: newer.timeZone ?? older.timeZone,
    locale: newer.locale ?? older.locale,
    aiplStage: rank(merged.aiplStage) > rank(survivor.aiplStage) ? merged.aiplStage : survivor.aiplStage,
  };
}

/** The more restrictive wins: a `false` on either side stays false; otherwise a `true` is kept. */
export function combinedConsent(a: Consent, b: Consent): Consent {
  const combine = <K extends string>(x: Partial<Record<K, boolean>>, y: Partial<Record<K, boolean>>) => {
    const out: Partial<Record<K, boolean>> = {};
    for (const key of new Set([...Object.keys(x ?? {}), ...Object.keys(y ?? {})]) as Set<K>) {
      const values = [x?.[key], y?.[key]];
      if (values.includes(false)) out[key] = false;
      else if (values.includes(true)) out[key] = true;
    }
    return out;
  };
  return { channels: combine(a.channels, b.channels), topics: combine(a.topics, b.topics) as Record<string, boolean> };
}

/**
 * Where each of `ids` lives now: the survivor at the end of its merge chain (A → B → C gives C).
 * Ids never merged are absent from the map.
 */
export async function survivorsOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, string>> {
  const current = new Map<string, string>(); // original id → where it has been followed to so far
  let frontier = [...new Set(ids)];
  const origins = new Map<string, string[]>(frontier.map((id) => [id, [id]])); // followed id → originals there
  for (let depth = 0; frontier.length > 0 && depth < MAX_CHAIN; depth++) {
    const rows = await db
      .select({ mergedId: customerMerges.mergedId, survivorId: customerMerges.survivorId })
      .from(customerMerges)
      .where(inArray(customerMerges.mergedId, frontier));
    const next = new Map<string, string[]>();
    for (const row of rows) {
      const originals = origins.get(row.mergedId) ?? [];
      for (const original of originals) current.set(original, row.survivorId);
      next.set(row.survivorId, [...(next.get(row.survivorId) ?? []), ...originals]);
    }
    for (const [id, originals] of next) origins.set(id, originals);
    frontier = [...next.keys()];
  }
  return current;
}

/** The customer id to use for `id`: itself, or its survivor when it was merged. */
export async function survivorOf(db: Db | Tx, id: string): Promise<string> {
  return (await survivorsOf(db, [id])).get(id) ?? id;
}

/**
 * Sends `exit: merged` to every enrollment a merge ended and clears the merge row's pending list.
 * Run after commits (the event router runs it before each batch): safe to repeat.
 */
export async function driveMergeExits(db: Db | Tx, temporal: Client): Promise<number> {
  const pending = await db
    .select({ id: customerMerges.id, moved: customerMerges.moved })
    .from(customerMerges)
    .where(isNotNull(sql`${customerMerges.moved} -> 'pendingExits'`));
  let signalled = 0;
  for (const merge of pending) {
    for (const workflowId of (merge.moved as Partial<MergeMoved>).pendingExits ?? []) {
      await temporal.workflow
        .getHandle(workflowId)
        .signal(controlSignal, { action: 'exit', reason: 'merged' })
        .then(() => signalled++)
        .catch((error: unknown) => {
          if (!(error instanceof WorkflowNotFoundError)) throw error; // already ended: nothing to do
        });
    }
    await db
      .update(customerMerges)
      .set({ moved: sql`${customerMerges.moved} - 'pendingExits'` })
      .where(eq(customerMerges.id, merge.id));
  }
  return signalled;
}

function count(result: unknown): number {
  const rows = rowsOf<{ n: number }>(result);
  return Number(rows[0]?.n ?? 0);
}
