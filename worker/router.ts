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
 * merged meanwhile is routed as its survivor's, never under the old id.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Enroller } from '../api/enroll';
import { driveMergeExits, survivorsOf } from '../api/merge';
import { rowsOf, type Db } from '../drizzle/client';
import { customers, enrollments, events, journeys, journeyVersions } from '../drizzle/schema';
import { matchesFilter, type JourneyEvent } from '../domain/journey/conditions';
import { depletionWaitEvents, type JourneyDefinition } from '../domain/journey/definition';
import { enrollmentWorkflowId, eventSignal } from '../workflows/enrollment';

const ROUTER_LOCK = 727_275; // arbitrary, fixed: 'perennial router'

export interface RouteResult {
  routed: number;
  entered: number;
  signalled: number;
  /** False when another router holds the lock: nothing was done. */
  ran: boolean;
}

interface PublishedJourney {
  id: string;
  version: number;
  definition: JourneyDefinition;
}

/** Event names a journey version listens to while running: goals, waitForEvent steps, depletion waits. */
export function listenedEvents(definition: JourneyDefinition): Set<string> {
  const names = new Set(definition.goals.map((g) => g.event));
  for (const step of Object.values(definition.steps)) if (step.type === 'waitForEvent') names.add(step.event); else if (step.type === 'wait' && step.depletion) depletionWaitEvents.forEach((name) => names.add(name));
  return names;
}

export interface EventRouterDeps {
  db: Db;
  temporal: Client;
  enroller: Enroller;
  batchSize?: number;
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
  let index: { stamp: string; entries: Map<string, PublishedJourney[]>; listeners: Map<string, PublishedJourney[]> } | undefined;
  const listening = new Map<string, Set<string>>(); // `${journeyId}@${version}` → event names (versions are immutable)

  /**
   * From the live journeys' latest versions: which journeys an event name enters, and which ones
   * listen to it while running. Reloaded when any journey changed.
   */
  async function journeyIndex() {
    const [state] = await db.select({ stamp: sql<string>`coalesce(max(${journeys.updatedAt})::text, '') || ':' || count(*)` }).from(journeys);
    const stamp = state?.stamp ?? '';
    if (index?.stamp === stamp) return index;
    const rows = await db
      .select({ id: journeys.id, status: journeys.status, version: journeyVersions.version, definition: journeyVersions.definition })
      .from(journeys)
      .innerJoin(journeyVersions, and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)))
      .where(inArray(journeys.status, ['published', 'paused']));
    const entries = new Map<string, PublishedJourney[]>();
    const listeners = new Map<string, PublishedJourney[]>();
    const add = (map: Map<string, PublishedJourney[]>, name: string, journey: PublishedJourney) => map.set(name, [...(map.get(name) ?? []), journey]);
    for (const row of rows) {
      if (row.status === 'published' && row.definition.entry.type === 'event') add(entries, row.definition.entry.event, row);
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
    const inTransaction = <T>(work: (tx: Parameters<Parameters<Db['transaction']>[0]>[0]) => Promise<T>): Promise<T> =>
      deps.singleConnection ? work(db as unknown as Parameters<Parameters<Db['transaction']>[0]>[0]) : db.transaction(work);
    const routed = await inTransaction(async (tx) => {
      const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${ROUTER_LOCK}) as locked`));
      if (!lock?.locked) return { result: { routed: 0, entered: 0, signalled: 0, ran: false }, customerIds: [] as string[] };
      await driveMergeExits(tx, deps.temporal);
      const batch = await tx
        .select()
        .from(events)
        .where(isNull(events.routedAt))
        .orderBy(asc(events.receivedAt), asc(events.id))
        .limit(batchSize);
      const survivor = await currentCustomers(tx, batch.map((row) => row.customerId));
      const { entries, listeners } = await journeyIndex();
      let entered = 0;
      let signalled = 0;
      // Enrollments this batch started: their mirror rows may not exist yet when the next event comes.
      const startedNow = new Map<string, { workflowId: string; journeyId: string; journeyVersion: number }[]>();
      for (const row of batch) {
        if (!row.customerId) continue;
        const customerId = survivor.get(row.customerId) ?? row.customerId;
        const event: JourneyEvent = { id: row.id, name: row.name, properties: row.properties, timestamp: row.occurredAt.toISOString() };

        // Running enrollments first: a purchase must reach the nurture before it could re-enter anything.
        const targets = new Set<string>();
        const running = await tx
          .select({ workflowId: enrollments.workflowId, journeyId: enrollments.journeyId, journeyVersion: enrollments.journeyVersion })
          .from(enrollments)
          .where(and(eq(enrollments.customerId, customerId), eq(enrollments.status, 'active')));
        for (const enrollment of [...running, ...(startedNow.get(customerId) ?? [])]) {
          if (await listensTo(enrollment.journeyId, enrollment.journeyVersion, row.name)) targets.add(enrollment.workflowId);
        }
        // An enrollment may be running before its first mirror write (worker slow or down): its ID
        // is known without the key for journeys without concurrency keys.
        for (const journey of listeners.get(row.name) ?? []) {
          if (!journey.definition.concurrencyKey?.length) targets.add(enrollmentWorkflowId(journey.id, customerId, 'default'));
        }
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

        for (const journey of entries.get(row.name) ?? []) {
          const entry = journey.definition.entry;
          if (entry.type !== 'event' || !matchesFilter(entry.filter, event)) continue;
          const outcome = await deps.enroller.enter({ journey: { ...journey, status: 'published' }, customerId, event });
          if (outcome.status === 'rejected') continue;
          entered++;
          startedNow.set(customerId, [...(startedNow.get(customerId) ?? []), { workflowId: outcome.workflowId, journeyId: journey.id, journeyVersion: journey.version }]);
        }
      }
      if (batch.length > 0) {
        await tx
          .update(events)
          .set({ routedAt: sql`now()` })
          .where(inArray(events.id, batch.map((r) => r.id)));
      }
      // Survivors, not ids merged away while the events waited: segment checks need live customers.
      const customerIds = [...new Set(batch.flatMap((row) => (row.customerId ? [survivor.get(row.customerId) ?? row.customerId] : [])))];
      return { result: { routed: batch.length, entered, signalled, ran: true }, customerIds };
    });
    return routed;
  }

  return {
    routeOnce,
    /** Routes until stopped: immediately again after a full batch, else every `idleMs`. */
    start(options: { idleMs?: number; onBatch?: (result: RouteResult) => void; onError?: (error: unknown) => void } = {}) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      const tick = () => {
        running = routeOnce()
          .then((result) => {
            if (result.routed > 0) options.onBatch?.(result);
            if (!stopped) timer = setTimeout(tick, result.routed === batchSize ? 0 : (options.idleMs ?? 250));
          })
          .catch((error: unknown) => {
            options.onError?.(error);
            if (!stopped) timer = setTimeout(tick, 2_000); // Temporal or Postgres away: try again shortly
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

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Holds the batch's customers (`for key share`, in id order like merges) and maps ids merged away
 * before the lock to their survivors.
 */
async function currentCustomers(tx: Tx, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const present = await tx.select({ id: customers.id }).from(customers).where(inArray(customers.id, wanted)).orderBy(customers.id).for('key share');
  const have = new Set(present.map((row) => row.id));
  const gone = wanted.filter((id) => !have.has(id));
  return gone.length === 0 ? new Map() : survivorsOf(tx, gone);
}

