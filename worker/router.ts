/**
 * The event router: drains stored, un-routed events in arrival order and delivers each to the
 * journeys that care: entry triggers start enrollments (signalWithStart through the enroller),
 * running enrollments that wait for or exit on that event get it as a signal, everything else is
 * just marked routed (one UPDATE, nothing in Temporal). Progress is the `routed_at` column, so a
 * crash re-drives what was not marked.
 *
 * One batch at a time cluster-wide (a transaction-scoped advisory lock): several worker processes
 * may run routers, but a customer's events are never delivered out of order.
 *
 * Merges (api/merge.ts): before each batch the router sends the pending `exit: merged` signals of
 * committed merges. The batch's customer rows are held `for key share`, so a merge of one of them
 * waits for the batch (and a batch waits for a merge in flight); an event read with a customer id
 * merged meanwhile is routed as its survivor's, never under the old id. `for key share` conflicts
 * with nothing else: profile writers lock customers `for no key update`.
 *
 * A batch's transaction stays open across its Temporal calls, so it is bounded: it stops taking
 * events after `maxBatchMs` (the rest follow at once in the next batch), each event's Temporal calls
 * have a deadline, its statements and lock waits time out, and Postgres ends it if the process stalls
 * mid-batch (`idle_in_transaction_session_timeout`). A merge waits at most about one bounded batch.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Enroller } from '../services/journeys/enroll';
import { driveMergeExits, survivorsOf } from '../services/customers/merge';
import { singleKeyLocks } from '../drizzle/locks';
import { rowsOf, type Db } from '../drizzle/client';
import { customers, enrollments, events, journeys, journeyVersions } from '../drizzle/schema';
import { matchesFilter, type JourneyEvent } from '../domain/journey/conditions';
import { depletionWaitEvents, type JourneyDefinition } from '../domain/journey/definition';
import { enrollmentWorkflowId, eventSignal } from '../workflows/contracts/enrollment';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]; // arbitrary, fixed: 'perennial router'

export interface RouteResult {
  routed: number;
  entered: number;
  signalled: number;
  /** False when another router holds the lock: nothing was done. */
  ran: boolean;
  /** Un-routed events were left for the next batch (a full batch, or one cut at `maxBatchMs`). */
  more: boolean;
  /** How long the batch took, lock to commit. */
  ms: number;
}

interface PublishedJourney {
  id: string;
  version: number;
  definition: JourneyDefinition;
}

/** Event names a journey version listens to while running: goals, waitForEvent steps, depletion waits. */
export function listenedEvents(definition: JourneyDefinition): Set<string> {
  const names = new Set(definition.goals.map((g) => g.event));
  for (const step of Object.values(definition.steps))
    if (step.type === 'waitForEvent') names.add(step.event);
    else if (step.type === 'wait' && step.depletion) depletionWaitEvents.forEach((name) => names.add(name));
  return names;
}

export interface EventRouterDeps {
  db: Db;
  temporal: Client;
  enroller: Enroller;
  batchSize?: number;
  /**
   * A batch takes no further events after this long (default 5 s): its customers' rows are held
   * until it commits, and a merge of one of them waits for that.
   */
  maxBatchMs?: number;
  /** Deadline for one event's Temporal calls (default 20 s); a batch that hits it is re-driven. */
  temporalCallMs?: number;
  /**
   * Runs after each committed batch with the customers it touched (e.g. re-evaluating cheap
   * segments). The events are already routed: a failure here is reported, not re-driven.
   */
  afterBatch?: (customerIds: string[]) => Promise<void>;
  /**
   * PGlite (npm start): one connection and one process. A transaction there holds the connection,
   * so the journey index, the enroller and the mirror reads made during a batch would wait for it
   * forever; and there is no other router to lock out. Batches then run without a transaction; a
   * crash re-drives the unmarked events, which enrollments deduplicate by event id.
   */
  singleConnection?: boolean;
}

export function createEventRouter(deps: EventRouterDeps) {
  const { db } = deps;
  const batchSize = deps.batchSize ?? 200;
  const maxBatchMs = deps.maxBatchMs ?? 5_000;
  const temporalCallMs = deps.temporalCallMs ?? 20_000;
  let index:
    { stamp: string; entries: Map<string, PublishedJourney[]>; listeners: Map<string, PublishedJourney[]> } | undefined;
  const listening = new Map<string, Set<string>>(); // `${journeyId}@${version}` → event names (versions are immutable)

  /**
   * From the live journeys' latest versions: which journeys an event name enters, and which ones
   * listen to it while running. Reloaded when any journey changed.
   */
  async function journeyIndex() {
    const [state] = await db
      .select({ stamp: sql<string>`coalesce(max(${journeys.updatedAt})::text, '') || ':' || count(*)` })
      .from(journeys);
    const stamp = state?.stamp ?? '';
    if (index?.stamp === stamp) return index;
    const rows = await db
      .select({
        id: journeys.id,
        status: journeys.status,
        version: journeyVersions.version,
        definition: journeyVersions.definition,
      })
      .from(journeys)
      .innerJoin(
        journeyVersions,
        and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
      )
      .where(inArray(journeys.status, ['published', 'paused']));
    const entries = new Map<string, PublishedJourney[]>();
    const listeners = new Map<string, PublishedJourney[]>();
    const add = (map: Map<string, PublishedJourney[]>, name: string, journey: PublishedJourney) =>
      map.set(name, [...(map.get(name) ?? []), journey]);
    for (const row of rows) {
      if (row.status === 'published' && row.definition.entry.type === 'event')
        add(entries, row.definition.entry.event, row);
      for (const name of listenedEvents(row.definition)) add(listeners, name, row);
    }
    index = { stamp, entries, listeners };
    return index;
  }

  async function listensTo(journeyId: string, version: number, eventName: string): Promise<boolean> {
    const key = `${journeyId}@${version}`;
    let names = listening.get(key);
    if (!names) {
      const [row] = await db
        .select({ definition: journeyVersions.definition })
        .from(journeyVersions)
        .where(and(eq(journeyVersions.journeyId, journeyId), eq(journeyVersions.version, version)));
      names = row ? listenedEvents(row.definition) : new Set();
      listening.set(key, names);
    }
    return names.has(eventName);
  }

  async function routeOnce(): Promise<RouteResult> {
    const { result, customerIds } = await routeBatch();
    if (deps.afterBatch && customerIds.length > 0) await deps.afterBatch(customerIds);
    return result;
  }

  async function routeBatch(): Promise<{ result: RouteResult; customerIds: string[] }> {
    const started = Date.now();
    const inTransaction = <T>(work: (tx: Tx) => Promise<T>): Promise<T> =>
      deps.singleConnection ? work(db as unknown as Tx) : db.transaction(work);
    return inTransaction(async (tx) => {
      const nothing = (ran: boolean) => ({
        result: { routed: 0, entered: 0, signalled: 0, ran, more: false, ms: Date.now() - started },
        customerIds: [] as string[],
      });
      if (!deps.singleConnection) {
        // Nothing in this transaction may wait or linger unboundedly: it holds the batch's rows.
        await tx.execute(sql`select set_config('statement_timeout', '30s', true), set_config('lock_timeout', '10s', true),
          set_config('idle_in_transaction_session_timeout', ${`${Math.max(60_000, 3 * temporalCallMs)}ms`}, true)`);
      }
      const [lock] = rowsOf<{ locked: boolean }>(
        await tx.execute(sql`select pg_try_advisory_xact_lock(${singleKeyLocks.router}) as locked`),
      );
      if (!lock?.locked) return nothing(false);
      // Autocommit statements on the pool: no merge row stays locked while this batch runs.
      await driveMergeExits(db, deps.temporal);
      const batch = await tx
        .select()
        .from(events)
        .where(isNull(events.routedAt))
        .orderBy(asc(events.receivedAt), asc(events.id))
        .limit(batchSize);
      if (batch.length === 0) return nothing(true);
      const survivor = await currentCustomers(
        tx,
        batch.map((row) => row.customerId),
      );
      const { entries, listeners } = await journeyIndex();
      // The batch's customers' running enrollments in one read (not one per event): events of
      // customers in no journey, the common case, then cost nothing more than their UPDATE.
      const running = await activeEnrollments(
        tx,
        batch.map((row) => (row.customerId ? (survivor.get(row.customerId) ?? row.customerId) : null)),
      );
      let entered = 0;
      let signalled = 0;
      // Enrollments this batch started: their mirror rows may not exist yet when the next event comes.
      const startedNow = new Map<string, { workflowId: string; journeyId: string; journeyVersion: number }[]>();
      const done: typeof batch = [];
      for (const row of batch) {
        if (done.length > 0 && Date.now() - started > maxBatchMs) break; // the rest: next batch, at once
        done.push(row);
        if (!row.customerId) continue;
        const customerId = survivor.get(row.customerId) ?? row.customerId;
        const event: JourneyEvent = {
          id: row.id,
          name: row.name,
          properties: row.properties,
          timestamp: row.occurredAt.toISOString(),
        };

        // Running enrollments first: a purchase must reach the nurture before it could re-enter anything.
        const targets = new Set<string>();
        for (const enrollment of [...(running.get(customerId) ?? []), ...(startedNow.get(customerId) ?? [])]) {
          if (await listensTo(enrollment.journeyId, enrollment.journeyVersion, row.name))
            targets.add(enrollment.workflowId);
        }
        // An enrollment may be running before its first mirror write (worker slow or down): its ID
        // is known without the key for journeys without concurrency keys.
        for (const journey of listeners.get(row.name) ?? []) {
          if (!journey.definition.concurrencyKey?.length)
            targets.add(enrollmentWorkflowId(journey.id, customerId, 'default'));
        }
        const entering = (entries.get(row.name) ?? []).filter(
          (journey) =>
            journey.definition.entry.type === 'event' && matchesFilter(journey.definition.entry.filter, event),
        );

        // Every Temporal call of this event under one deadline (the enroller's calls share the client).
        await deps.temporal.withDeadline(Date.now() + temporalCallMs, async () => {
          for (const workflowId of targets) {
            const delivered = await deps.temporal.workflow
              .getHandle(workflowId)
              .signal(eventSignal, event)
              .then(() => true)
              .catch((error: unknown) => {
                // Not running (never started, or already ended): nothing to deliver to.
                if (error instanceof WorkflowNotFoundError) return false;
                throw error;
              });
            if (delivered) signalled++;
          }
          for (const journey of entering) {
            const outcome = await deps.enroller.enter({
              journey: { ...journey, status: 'published' },
              customerId,
              event,
            });
            if (outcome.status === 'rejected') continue;
            entered++;
            startedNow.set(customerId, [
              ...(startedNow.get(customerId) ?? []),
              { workflowId: outcome.workflowId, journeyId: journey.id, journeyVersion: journey.version },
            ]);
          }
        });
      }
      await tx
        .update(events)
        .set({ routedAt: sql`now()` })
        .where(
          inArray(
            events.id,
            done.map((r) => r.id),
          ),
        );
      // Survivors, not ids merged away while the events waited: segment checks need live customers.
      const customerIds = [
        ...new Set(done.flatMap((row) => (row.customerId ? [survivor.get(row.customerId) ?? row.customerId] : []))),
      ];
      const more = done.length < batch.length || batch.length === batchSize;
      return {
        result: { routed: done.length, entered, signalled, ran: true, more, ms: Date.now() - started },
        customerIds,
      };
    });
  }

  return {
    routeOnce,
    /**
     * Routes until stopped: immediately again while events are left, else every `idleMs`. After a
     * failure (Postgres or Temporal away, a deadline hit) it retries soon and backs off to 5 s.
     */
    start(
      options: { idleMs?: number; onBatch?: (result: RouteResult) => void; onError?: (error: unknown) => void } = {},
    ) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      let failures = 0;
      const tick = () => {
        running = routeOnce()
          .then((result) => {
            failures = 0;
            if (result.routed > 0) options.onBatch?.(result);
            if (!stopped) timer = setTimeout(tick, result.more ? 0 : (options.idleMs ?? 250));
          })
          .catch((error: unknown) => {
            options.onError?.(error);
            failures++;
            if (!stopped) timer = setTimeout(tick, Math.min(5_000, 250 * 2 ** Math.min(failures - 1, 5)));
          });
      };
      tick();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
}
export type EventRouter = ReturnType<typeof createEventRouter>;

type RunningEnrollment = { workflowId: string; journeyId: string; journeyVersion: number };

/** Active enrollments (mirror rows) of the given customers, by customer. */
async function activeEnrollments(tx: Tx, ids: (string | null)[]): Promise<Map<string, RunningEnrollment[]>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const byCustomer = new Map<string, RunningEnrollment[]>();
  if (wanted.length === 0) return byCustomer;
  const rows = await tx
    .select({
      customerId: enrollments.customerId,
      workflowId: enrollments.workflowId,
      journeyId: enrollments.journeyId,
      journeyVersion: enrollments.journeyVersion,
    })
    .from(enrollments)
    .where(and(inArray(enrollments.customerId, wanted), eq(enrollments.status, 'active')));
  for (const { customerId, ...enrollment } of rows)
    byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), enrollment]);
  return byCustomer;
}

/**
 * Holds the batch's customers (`for key share`, in id order like merges) and maps ids merged away
 * before the lock to their survivors.
 */
async function currentCustomers(tx: Tx, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const present = await tx
    .select({ id: customers.id })
    .from(customers)
    .where(inArray(customers.id, wanted))
    .orderBy(customers.id)
    .for('key share');
  const have = new Set(present.map((row) => row.id));
  const gone = wanted.filter((id) => !have.has(id));
  return gone.length === 0 ? new Map() : survivorsOf(tx, gone);
}
