/**
 * The fault scenario: a journey that sends two emails three seconds apart, N customers ingested in
 * Segment batches through the API, faults injected on a schedule drawn from a seeded RNG, then a
 * count of what arrived at the SMTP sink against the ledger, the events and the enrollments.
 *
 * Runs may follow each other on one harness: each has its own customers (user ids and emails carry
 * the run id), and counts only its own events, enrollments, ledger rows, arrivals and faults.
 */
import { randomUUID } from 'node:crypto';
import type { FaultHarness, FaultKind } from './harness';
import { resentReason } from '../../domain/messaging';

export interface FaultPlan {
  customers: number;
  seed: number;
  /** Customers per `/v1/batch` request (two messages each: identify, then lead_captured). */
  customersPerBatch?: number;
  workerKills?: number;
  postgresRestarts?: number;
  temporalRestarts?: number;
  apiKills?: number;
  /** How long to wait for every enrollment to end once ingest is done. */
  settleTimeoutMs?: number;
}

export interface FaultReport {
  customers: number;
  injected: Record<FaultKind, number>;
  unexpectedExits: { worker: number; api: number };
  batches: { sent: number; retried: number };
  events: { acknowledged: number; stored: number; unrouted: number; duplicates: number };
  enrollments: { total: number; customersWithOne: number; ended: number; completed: number };
  messages: {
    expected: number;
    /** Ledger rows by status. */
    ledger: Record<string, number>;
    received: number;
    /**
     * Extra copies of a Message-ID that already arrived: resends after an attempt died mid-call
     * (mailbox providers collapse them; each must come from a ledger row counted as resent).
     */
    sameIdCopies: number;
    /** Ledger rows resent after an attempt died during the SMTP call. */
    resent: number;
    /** The same (customer, step) sent under more than one ledger key, i.e. different Message-IDs. */
    differentIdDuplicates: number;
    /** Ledger says sent (or nothing at all) but the sink has no copy. */
    lost: number;
    /** Ledger `uncertain`: a crash between the provider's acceptance and the ledger update. */
    uncertain: number;
    uncertainDelivered: number;
    /** Arrivals no ledger row accounts for. */
    unaccounted: number;
  };
  seconds: number;
  /** Seconds spent publishing the journey, ingesting (with the faults), and settling after. */
  phases: { publish: number; ingest: number; settle: number };
  /**
   * Set when the run did not settle in time: who was connected to Postgres, in what state, waiting
   * on what and behind whom (`pg_stat_activity`, `pg_blocking_pids`), to tell a stall from slowness.
   */
  stalled?: string;
}

export const FAULT_JOURNEY_ID = 'faults-two-sends';

export const faultJourney = {
  name: 'Fault injection: two sends',
  entry: { type: 'event', event: 'lead_captured' },
  settings: { timeZone: 'UTC' },
  start: 'first',
  steps: {
    first: { type: 'send', channel: 'email', template: 'faults-first', next: 'pause' },
    pause: { type: 'wait', duration: { seconds: 3 }, next: 'second' },
    second: { type: 'send', channel: 'email', template: 'faults-second', next: 'done' },
    done: { type: 'exit', reason: 'sent-both' },
  },
};
const SENDS_PER_CUSTOMER = 2;

/** mulberry32: small, seedable, good enough to schedule faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Puts and publishes the journey through the API, once per harness (a later run finds it published). */
export async function publishFaultJourney(h: FaultHarness): Promise<void> {
  const [existing] = await h.sql<{ status: string }[]>`select status from journeys where id = ${FAULT_JOURNEY_ID}`;
  if (existing?.status === 'published') return;
  await h.sql`insert into templates (id, channel, subject, text) values
    ('faults-first', 'email', 'Welcome', 'Hello {{customer.firstName}}'),
    ('faults-second', 'email', 'Still thinking?', 'Hello again {{customer.firstName}}')
    on conflict (id) do nothing`;
  const auth = { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' };
  const put = await fetch(`${h.apiUrl}/v1/journeys/${FAULT_JOURNEY_ID}`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify(faultJourney),
  });
  if (put.status !== 201 && put.status !== 200) throw new Error(`PUT journey: ${put.status} ${await put.text()}`);
  const published = await fetch(`${h.apiUrl}/v1/journeys/${FAULT_JOURNEY_ID}/publish`, {
    method: 'POST',
    headers: { authorization: auth.authorization },
  });
  if (published.status !== 200) throw new Error(`publish: ${published.status} ${await published.text()}`);
}

export function customerEmail(runId: string, i: number) {
  return `customer-${runId}-${i}@faults.test`;
}

/** Two messages per customer with fixed messageIds: a resent batch is the same batch. */
function batchFor(from: number, to: number, runId: string) {
  const batch: object[] = [];
  for (let i = from; i < to; i++) {
    const userId = `faults-${runId}-${i}`;
    batch.push({
      type: 'identify',
      messageId: `${runId}-identify-${i}`,
      userId,
      traits: { email: customerEmail(runId, i), firstName: `C${i}`, consent: { channels: { email: true } } },
    });
    batch.push({
      type: 'track',
      messageId: `${runId}-lead-${i}`,
      userId,
      event: 'lead_captured',
      properties: { source: 'faults' },
    });
  }
  return batch;
}

/**
 * Runs the plan and returns the counts; asserting them is the caller's business. Faults other than
 * API kills are injected one at a time, spread over ingest and the journeys' run.
 */
export async function runFaultScenario(h: FaultHarness, plan: FaultPlan): Promise<FaultReport> {
  const started = Date.now();
  const random = seededRandom(plan.seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const runId = randomUUID().slice(0, 8);
  const perBatch = plan.customersPerBatch ?? 25;
  const writeAuth = `Basic ${Buffer.from(`${h.adminKey}:`).toString('base64')}`;
  // What earlier runs on this harness left: their faults, exits and arrivals are not this run's.
  const before = { injected: { ...h.injected }, exits: { ...h.unexpectedExits }, arrivals: h.sink.messages.length };
  const since = (t: number) => Math.round((Date.now() - t) / 1000);
  await publishFaultJourney(h);
  const published = Date.now();

  // Ingest: every batch is retried with the same body until the API answers 200 (Segment semantics).
  const acknowledged = new Set<string>();
  const batches = { sent: 0, retried: 0 };
  let inFlight = 0;
  let ingestDone = false;
  const ingest = (async () => {
    for (let from = 0; from < plan.customers; from += perBatch) {
      const body = JSON.stringify({ batch: batchFor(from, Math.min(plan.customers, from + perBatch), runId) });
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) batches.retried++;
        inFlight++;
        const response = await fetch(`${h.apiUrl}/v1/batch`, {
          method: 'POST',
          headers: { authorization: writeAuth, 'content-type': 'application/json' },
          body,
        })
          .then(async (r) => ({
            status: r.status,
            json: (await r.json().catch(() => null)) as { results?: { status: string; messageId?: string }[] } | null,
          }))
          .catch(() => null)
          .finally(() => inFlight--);
        if (response?.status === 200 && response.json?.results) {
          for (const result of response.json.results) {
            if (result.status === 'rejected' || !result.messageId)
              throw new Error(`batch item rejected: ${JSON.stringify(result)}`);
            acknowledged.add(result.messageId);
          }
          batches.sent++;
          break;
        }
        if (attempt > 600)
          throw new Error(`batch from ${from} never acknowledged: last ${response?.status ?? 'no answer'}`);
        await sleep(250);
      }
    }
    ingestDone = true;
  })();

  // API kills: at random moments while a batch is being processed (mid-batch).
  const apiKills = (async () => {
    for (let i = 0; i < (plan.apiKills ?? 0); i++) {
      await sleep(between(300, 1_500));
      while (inFlight === 0 && !ingestDone) await sleep(1);
      if (ingestDone) break;
      await sleep(between(0, 15));
      h.killApi();
      await sleep(between(200, 1_500));
      await h.startApi();
    }
  })();

  // Worker, Postgres and Temporal faults, in a seeded order, spread over ingest and the journeys.
  const queue: FaultKind[] = [
    ...Array<FaultKind>(plan.workerKills ?? 0).fill('worker-kill'),
    ...Array<FaultKind>(plan.postgresRestarts ?? 0).fill('postgres-restart'),
    ...Array<FaultKind>(plan.temporalRestarts ?? 0).fill('temporal-restart'),
  ];
  for (let i = queue.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [queue[i], queue[j]] = [queue[j]!, queue[i]!];
  }
  const infrastructure = (async () => {
    for (const fault of queue) {
      await sleep(between(500, 3_500));
      if (fault === 'worker-kill') {
        h.killWorker();
        await sleep(between(100, 3_000));
        await h.startWorker();
      } else if (fault === 'postgres-restart') {
        await h.restartPostgres(between(200, 3_000));
      } else {
        await h.restartTemporal(between(200, 3_000));
      }
    }
  })();

  await Promise.all([ingest, apiKills, infrastructure]);
  const ingested = Date.now();

  // Every enrollment ends (or the timeout says what did not).
  const deadline = Date.now() + (plan.settleTimeoutMs ?? 300_000);
  let stalled: string | undefined;
  for (;;) {
    const state = await query(
      () => h.sql<{ ended: number; unrouted: number; sending: number }[]>`
      select (select count(*)::int from enrollments where journey_id = ${FAULT_JOURNEY_ID} and status <> 'active'
                and customer_id in (select customer_id from events where message_id like ${`${runId}-%`})) as ended,
             (select count(*)::int from events where routed_at is null) as unrouted,
             (select count(*)::int from messages where status = 'sending') as sending`,
    );
    const row = state[0]!;
    if (row.ended >= plan.customers && row.unrouted === 0 && row.sending === 0) break;
    if (Date.now() > deadline) {
      stalled = `not settled after ${plan.settleTimeoutMs ?? 300_000} ms: ${JSON.stringify(row)}\n${await query(() => activity(h))}`;
      break;
    }
    await sleep(500);
  }
  await sleep(500); // the last SMTP sessions close

  const phases = {
    publish: Math.round((published - started) / 1000),
    ingest: Math.round((ingested - published) / 1000),
    settle: since(ingested),
  };
  const counted = await count(h, plan.customers, runId, acknowledged, before.arrivals);
  const injected = Object.fromEntries(
    Object.entries(h.injected).map(([kind, n]) => [kind, n - before.injected[kind as FaultKind]]),
  ) as Record<FaultKind, number>;
  const unexpectedExits = {
    worker: h.unexpectedExits.worker - before.exits.worker,
    api: h.unexpectedExits.api - before.exits.api,
  };
  return {
    ...counted,
    injected,
    unexpectedExits,
    batches,
    seconds: since(started),
    phases,
    ...(stalled ? { stalled } : {}),
  };
}

/** Every other session on the database: state, wait, blockers, transaction age, query. */
async function activity(h: FaultHarness): Promise<string> {
  const rows = await h.sql<
    {
      pid: number;
      app: string;
      state: string | null;
      wait: string | null;
      blocked_by: number[];
      xact_s: number | null;
      query: string;
    }[]
  >`
    select pid, application_name as app, state, wait_event_type || ':' || wait_event as wait, pg_blocking_pids(pid) as blocked_by,
           round(extract(epoch from now() - xact_start))::int as xact_s, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 140) as query
    from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() order by xact_start nulls last`;
  return rows
    .map(
      (r) =>
        `pid=${r.pid} ${r.app} ${r.state ?? '-'} wait=${r.wait ?? '-'} blocked-by=[${r.blocked_by.join(',')}] xact=${r.xact_s ?? '-'}s ${r.query}`,
    )
    .join('\n');
}

/** Retries a read while Postgres is coming back. */
async function query<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt > 60) throw error;
      await sleep(500);
    }
  }
}

async function count(
  h: FaultHarness,
  customers: number,
  runId: string,
  acknowledged: Set<string>,
  arrivalsBefore: number,
): Promise<Omit<FaultReport, 'batches' | 'seconds' | 'phases' | 'injected' | 'unexpectedExits'>> {
  const ids = [...acknowledged];
  const mine = `${runId}-%`;
  const [events] = await h.sql<{ stored: number; unrouted: number; total: number }[]>`
    select count(*) filter (where message_id = any(${ids}))::int as stored,
           count(*) filter (where message_id = any(${ids}) and routed_at is null)::int as unrouted,
           count(*)::int as total
    from events where message_id like ${mine}`;
  const runCustomers = () => h.sql`select customer_id from events where message_id like ${mine}`;
  const enrollmentRows = await h.sql<{ customer_id: string; status: string; id: string }[]>`
    select customer_id, status, id from enrollments where journey_id = ${FAULT_JOURNEY_ID} and customer_id in (${runCustomers()})`;
  const perCustomer = new Map<string, number>();
  for (const e of enrollmentRows) perCustomer.set(e.customer_id, (perCustomer.get(e.customer_id) ?? 0) + 1);
  const ledgerRows = await h.sql<
    {
      status: string;
      reason: string | null;
      provider_message_id: string | null;
      customer_id: string;
      enrollment_id: string;
      step_id: string;
      occurrence: number;
    }[]
  >`
    select status, reason, provider_message_id, customer_id, enrollment_id, step_id, occurrence from messages where journey_id = ${FAULT_JOURNEY_ID} and customer_id in (${runCustomers()})`;

  const arrivals = new Map<string, number>();
  const arrived = h.sink.messages.slice(arrivalsBefore);
  for (const mail of arrived) {
    const id = mail.parsed.messageId ?? '(none)';
    arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
  }
  // The Message-ID derives from the ledger key: `<enrollment.step.occurrence@perennial.local>`.
  const expectedId = (r: { enrollment_id: string; step_id: string; occurrence: number }) =>
    `<${r.enrollment_id}.${r.step_id}.${r.occurrence}@perennial.local>`;
  const ledger: Record<string, number> = {};
  let lost = 0;
  let uncertain = 0;
  let uncertainDelivered = 0;
  let resent = 0;
  const accounted = new Set<string>();
  const keysPerStep = new Map<string, number>();
  for (const row of ledgerRows) {
    ledger[row.status] = (ledger[row.status] ?? 0) + 1;
    if (row.reason === resentReason) resent++;
    const step = `${row.customer_id}/${row.step_id}`;
    keysPerStep.set(step, (keysPerStep.get(step) ?? 0) + 1);
    const id = row.provider_message_id ?? expectedId(row);
    accounted.add(id);
    const arrived = arrivals.get(id) ?? 0;
    if (row.status === 'uncertain') {
      uncertain++;
      if (arrived > 0) uncertainDelivered++;
    } else if (arrived === 0) lost++;
  }
  const expected = customers * SENDS_PER_CUSTOMER;
  lost += Math.max(0, expected - ledgerRows.length); // sends that never reached the ledger
  let sameIdCopies = 0;
  let unaccounted = 0;
  for (const [id, n] of arrivals) {
    sameIdCopies += n - 1;
    if (!accounted.has(id)) unaccounted += n;
  }
  return {
    customers,
    events: {
      acknowledged: acknowledged.size,
      stored: events!.stored,
      unrouted: events!.unrouted,
      duplicates: events!.total - events!.stored,
    },
    enrollments: {
      total: enrollmentRows.length,
      customersWithOne: [...perCustomer.values()].filter((n) => n === 1).length,
      ended: enrollmentRows.filter((e) => e.status !== 'active').length,
      completed: enrollmentRows.filter((e) => e.status === 'completed').length,
    },
    messages: {
      expected,
      ledger,
      received: arrived.length,
      sameIdCopies,
      resent,
      differentIdDuplicates: [...keysPerStep.values()].reduce((sum, n) => sum + n - 1, 0),
      lost,
      uncertain,
      uncertainDelivered,
      unaccounted,
    },
  };
}

export function summaryLine(r: FaultReport): string {
  const faults = Object.entries(r.injected)
    .map(([kind, n]) => `${kind}=${n}`)
    .join(' ');
  const m = r.messages;
  return (
    `faults: customers=${r.customers} ${faults} unexpected-exits(worker=${r.unexpectedExits.worker} api=${r.unexpectedExits.api}) ` +
    `batches=${r.batches.sent} retried=${r.batches.retried} | events acknowledged=${r.events.acknowledged} stored=${r.events.stored} unrouted=${r.events.unrouted} | ` +
    `enrollments=${r.enrollments.total} completed=${r.enrollments.completed} | messages expected=${m.expected} received=${m.received} ` +
    `same-id-copies=${m.sameIdCopies} resent=${m.resent} different-id-duplicates=${m.differentIdDuplicates} lost=${m.lost} uncertain=${m.uncertain} (delivered ${m.uncertainDelivered}) unaccounted=${m.unaccounted} | ${r.seconds} s (publish ${r.phases.publish}, ingest ${r.phases.ingest}, settle ${r.phases.settle})`
  );
}
