/**
 * Journey simulation: the real enrollment workflow, on a private time-skipping Temporal server,
 * with simulation activities: the customer's facts come from the request (or a read of the stored
 * profile), templates are really rendered, consent and quiet hours are really checked — and nothing
 * is delivered, written to the mirror or the ledger. Scripted events arrive as signals at their
 * offsets. A 41-day journey runs in about a second of wall time.
 *
 * Each simulation gets its own server (JVM start ≈ 0.7 s, ~145 MB): the server's clock is global
 * and jumps when a result is awaited, so sharing one would skew the dates of the next simulation.
 * A simulation's server is stopped when it ends. At most `maxConcurrent` simulations run at once;
 * more wait their turn. With `keepSpare`, ONE next server and worker (together 1.5–4 s on a loaded
 * 2-core machine, most of a simulation's wall time) are prepared in the background after a
 * simulation ends, so a simulation that finds the spare ready only runs the journey; `close()`
 * stops the spare. So a simulator holds at most `maxConcurrent` + 1 servers, and 1 when idle.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities, SendOutcome, SendRequest } from '../activities';
import type { EnrollmentProgress } from '../activities/enrollments';
import type { ProfileUpdate } from '../activities/profiles';
import {
  createTemplateEngine,
  loadPartials,
  loadTemplate,
  renderContext,
  type TemplateEngine,
} from '../services/messaging/templates';
import type { Db } from '../drizzle/client';
import { suppressions, type Consent } from '../drizzle/schema';
import { and, eq } from 'drizzle-orm';
import { eventCountKey, evaluateConditions, type CustomerFacts, type JourneyEvent } from '../domain/journey/conditions';
import type { JourneyDefinition } from '../domain/journey/definition';
import { capCountSince, decideSend, sendTimeZone, type CountedSend, type SendDecisionFacts } from '../domain/messaging';
import { simulatedDepletion } from './depletion';
import { loadRecommendations, usesRecommendations } from '../services/messaging/recommendations';
import { capCountedSends } from '../services/messaging/cap-counts';
import { startTimeSkippingEnvironment, type ServerExecutable } from './test-server';
import { registerSearchAttributes } from '../platform/search-attributes';
import { enrollmentWorkflow } from '../workflows/enrollment';
import { statusQuery, type EnrollmentInput } from '../workflows/contracts/enrollment';

export interface SimulatedCustomer {
  /** Internal id; a synthetic one when the profile is made up. */
  customerId: string;
  traits: Record<string, unknown>;
  tags: string[];
  aiplStage: string | null;
  timeZone: string | null;
  locale: string | null;
  consent: Consent;
  ownedProducts: { sku: string; category: string }[];
  /** Counts for `eventCount` conditions, keyed like `CustomerFacts.eventCounts` (`30d:app_opened`). */
  eventCounts: Record<string, number>;
  /**
   * The customer's address per channel (a stored customer's identities); a missing channel has no
   * address, as in production. Undefined: a made-up customer, reachable on every channel.
   * Addresses on the suppression list are refused as they would be in production.
   */
  addresses?: Partial<Record<SendRequest['channel'], string>>;
}

export interface ScriptedEvent {
  /** Milliseconds after entry. */
  afterMs: number;
  name: string;
  properties: Record<string, unknown>;
}

export interface SimulationRequest {
  journey: { id: string; version: number; definition: JourneyDefinition };
  customer: SimulatedCustomer;
  /** Properties of the entry event (goals with `matchEntry` compare against them). */
  entryProperties?: Record<string, unknown>;
  events: ScriptedEvent[];
  /** The simulation stops here if the journey has not ended (default 400 days). */
  horizonDays?: number;
  /** Enter at this instant (ISO, not in the past); default now. Local-time steps depend on it. */
  startAt?: string;
}

export class SimulationInputError extends Error {}

export interface SimulatedMessage {
  at: string;
  step: string;
  occurrence: number;
  channel: SendRequest['channel'];
  template: string;
  status: 'would-send' | 'skipped' | 'deferred';
  reason?: string;
  /** For deferrals: when the workflow will try again. */
  until?: string;
  subject?: string;
  text?: string;
  html?: string;
}

export interface SimulationResult {
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  startedAt: string;
  /** When the journey ended in simulated time, or the horizon. */
  endedAt: string;
  outcome: { status: string; reason: string } | { status: 'active-at-horizon'; reason: string };
  /** Steps entered, in order, with simulated times. */
  steps: { at: string; step: string; outcome?: string }[];
  messages: SimulatedMessage[];
  events: { at: string; name: string; delivered: boolean }[];
  updates: {
    at: string;
    traits?: Record<string, unknown>;
    addTags?: string[];
    removeTags?: string[];
    aiplStage?: string;
  }[];
  webhooks: { at: string; url: string }[];
  /** Wall-clock milliseconds the simulation took. */
  wallMs: number;
}

export interface SimulatorDeps {
  db: Db;
  /** The time-skipping server to start (see ./test-server.ts). */
  testServer: () => ServerExecutable | Promise<ServerExecutable>;
  /** The bundled workflow code (bundle once, reuse). */
  workflowBundle: () => Promise<WorkflowBundleOption>;
  /** After each simulation, start the next one's server and worker in the background (see above). */
  keepSpare?: boolean;
  /** Simulations running at once, each on its own server; more wait their turn (default 2). */
  maxConcurrent?: number;
  /** The deployment's do-not-disturb dates and frequency caps: the same configuration the worker sends under. */
  sendPolicy?: SendPolicy;
}

/** The guardrail configuration a send reads besides the customer (see `MessagingConfig`). */
export type SendPolicy = Pick<SendDecisionFacts, 'doNotDisturb' | 'caps'>;

const DAY_MS = 86_400_000;

/** A fresh server with a worker polling it, its activities bound when a simulation takes it. */
interface Prepared {
  env: TestWorkflowEnvironment;
  worker: Worker;
  taskQueue: string;
  bind(activities: Partial<Activities>): void;
}

export type Simulate = (request: SimulationRequest) => Promise<SimulationResult>;

export function createSimulator(deps: SimulatorDeps): Simulate & { ready(): Promise<void>; close(): Promise<void> } {
  const renderer = createTemplateEngine();
  let spare: Promise<Prepared | undefined> | undefined;
  let closed = false;

  async function prepare(): Promise<Prepared> {
    const [executable, workflowBundle] = await Promise.all([deps.testServer(), deps.workflowBundle()]);
    const env = await startTimeSkippingEnvironment(executable);
    try {
      await registerSearchAttributes(env.connection);
      const taskQueue = `simulation-${randomUUID()}`;
      // The worker is created before the request is known: its activities call the request's.
      let bound: Partial<Activities> | undefined;
      const names = Object.keys(
        simulationActivities(structuredClone(placeholderCustomer), newRecord(), deps.db, renderer),
      ) as (keyof Activities)[];
      const activities = Object.fromEntries(
        names.map((name) => [
          name,
          (...args: unknown[]) => {
            const activity = bound?.[name] as ((...a: unknown[]) => unknown) | undefined;
            if (!activity) throw new Error(`simulation activity ${name} called before a simulation took this worker`);
            return activity(...args);
          },
        ]),
      ) as Partial<Activities>;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
      return { env, worker, taskQueue, bind: (a) => (bound = a) };
    } catch (error) {
      await env.teardown();
      throw error;
    }
  }

  function prepareSpare() {
    if (!deps.keepSpare || closed || spare) return;
    // A spare that fails to start is not an error: the next simulation prepares its own.
    spare = prepare().catch(() => undefined);
  }

  // A slot is handed from a finishing simulation to the first waiting one.
  const maxConcurrent = Math.max(1, deps.maxConcurrent ?? 2);
  let running = 0;
  const waiting: (() => void)[] = [];
  async function acquire(): Promise<void> {
    if (running < maxConcurrent) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  }
  function release() {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }

  async function simulate(request: SimulationRequest): Promise<SimulationResult> {
    const wallStart = Date.now();
    await acquire();
    try {
      const taken = spare;
      spare = undefined;
      const prepared = (await taken) ?? (await prepare());
      try {
        const record = newRecord();
        prepared.bind(
          simulationActivities(structuredClone(request.customer), record, deps.db, renderer, {
            policy: deps.sendPolicy,
          }),
        );
        const result = await prepared.worker.runUntil(() => run(prepared.env, prepared.taskQueue, request, record));
        return { ...result, wallMs: Date.now() - wallStart };
      } finally {
        await prepared.env.teardown();
      }
    } finally {
      release();
      prepareSpare();
    }
  }

  return Object.assign(simulate, {
    /** Resolves when the spare (if any) is ready: for callers that measure a simulation served warm. */
    async ready(): Promise<void> {
      await spare;
    },
    /** Stops the spare server, if one is running or starting. */
    async close(): Promise<void> {
      closed = true;
      const pending = spare;
      spare = undefined;
      const prepared = await pending;
      if (prepared) {
        await prepared.worker.runUntil(Promise.resolve()).catch(() => undefined); // a worker never run is shut down by running it
        await prepared.env.teardown();
      }
    },
  });
}

const placeholderCustomer: SimulatedCustomer = {
  customerId: '',
  traits: {},
  tags: [],
  aiplStage: null,
  timeZone: null,
  locale: null,
  consent: { channels: {}, topics: {} },
  ownedProducts: [],
  eventCounts: {},
};

export interface Recording {
  progress: EnrollmentProgress[];
  messages: SimulatedMessage[];
  /** Marketing messages the simulation would have sent: they count toward the frequency caps. */
  counted: CountedSend[];
  updates: SimulationResult['updates'];
  webhooks: SimulationResult['webhooks'];
  /** The entry event and the scripted events delivered so far (consumable predictions read them). */
  entry?: JourneyEvent;
  delivered: JourneyEvent[];
}
export function newRecord(): Recording {
  return { progress: [], messages: [], counted: [], updates: [], webhooks: [], delivered: [] };
}

async function run(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  request: SimulationRequest,
  record: Recording,
): Promise<Omit<SimulationResult, 'wallMs'>> {
  const horizonMs = (request.horizonDays ?? 400) * DAY_MS;
  if (request.startAt !== undefined) {
    const wanted = Date.parse(request.startAt);
    const now = await env.currentTimeMs();
    if (!(wanted >= now - 60_000))
      throw new SimulationInputError(`startAt ${request.startAt} is in the past: a simulation starts now or later`);
    if (wanted > now) await env.sleep(wanted - now);
  }
  const startMs = await env.currentTimeMs();
  const entryEvent: JourneyEvent = {
    id: `simulation-entry`,
    name: 'simulation_entry',
    properties: request.entryProperties ?? {},
    timestamp: new Date(startMs).toISOString(),
  };
  const input: EnrollmentInput = {
    v: 1,
    journey: request.journey,
    customerId: request.customer.customerId,
    enrollmentKey: 'simulation',
    entryEvent,
  };
  record.entry = entryEvent;
  const handle = await env.client.workflow.start(enrollmentWorkflow, {
    taskQueue,
    workflowId: `simulation/${request.journey.id}/${randomUUID()}`,
    args: [input],
    workflowExecutionTimeout: horizonMs,
  });

  const events: SimulationResult['events'] = [];
  for (const [index, scripted] of [...request.events].sort((a, b) => a.afterMs - b.afterMs).entries()) {
    if (scripted.afterMs > horizonMs) break;
    const status = await untilResting(handle);
    const at = startMs + scripted.afterMs;
    if (status.exit) {
      events.push({ at: new Date(at).toISOString(), name: scripted.name, delivered: false });
      continue;
    }
    const now = await env.currentTimeMs();
    if (at > now) await env.sleep(at - now);
    const event: JourneyEvent = {
      id: `simulation-${index}`,
      name: scripted.name,
      properties: scripted.properties,
      timestamp: new Date(at).toISOString(),
    };
    record.delivered.push(event); // before the signal: the prediction it triggers must see it
    const delivered = await handle
      .signal('perennial.event', event)
      .then(() => true)
      .catch(() => false); // ended meanwhile
    events.push({ at: new Date(at).toISOString(), name: scripted.name, delivered });
  }

  let outcome: SimulationResult['outcome'];
  try {
    const result = await handle.result();
    outcome = { status: result.status, reason: result.reason };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    outcome = { status: 'active-at-horizon', reason: `still running after ${request.horizonDays ?? 400} days` };
  }
  const last = record.progress.at(-1);
  const endedAt =
    outcome.status === 'active-at-horizon'
      ? new Date(startMs + horizonMs).toISOString()
      : (last?.exitedAt ?? new Date(startMs).toISOString());
  return {
    journeyId: request.journey.id,
    journeyVersion: request.journey.version,
    customerId: request.customer.customerId,
    // The workflow's own entry time: timers count from it.
    startedAt: record.progress[0]?.enteredAt ?? new Date(startMs).toISOString(),
    endedAt,
    outcome,
    steps: (last?.path ?? []).map((entry) => ({ ...entry })),
    messages: record.messages,
    events,
    updates: record.updates,
    webhooks: record.webhooks,
  };
}

/** Waits until the enrollment sleeps, is paused or has ended: skipping time before that races its task. */
async function untilResting(handle: WorkflowHandle<typeof enrollmentWorkflow>) {
  for (let tries = 0; ; tries++) {
    const status = await handle.query(statusQuery);
    if (status.nextWakeAt !== null || status.paused || status.exit) return status;
    if (tries > 500) throw new Error('the simulated enrollment never came to rest');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * What the send guardrails read, for a simulated customer: consent, time zone and `onlyIf` facts from
 * the simulated profile; the address from it and its suppression from the stored suppression list;
 * for the caps, the stored ledger's counted messages (a stored customer's real sends) and the ones
 * this simulation would have sent.
 */
async function simulatedSendFacts(
  db: Db,
  customer: SimulatedCustomer,
  record: Recording,
  policy: SendPolicy,
  r: SendRequest,
  now: Date,
): Promise<SendDecisionFacts> {
  const address = customer.addresses
    ? (customer.addresses[r.channel] ?? null)
    : `simulated-${customer.customerId}@${r.channel}.invalid`;
  const [suppression] =
    address === null
      ? []
      : await db
          .select({ reason: suppressions.reason })
          .from(suppressions)
          .where(and(eq(suppressions.channel, r.channel), eq(suppressions.address, address)));
  const facts: SendDecisionFacts = {
    customer: { timeZone: customer.timeZone, consent: customer.consent },
    address,
    suppressedReason: suppression?.reason ?? null,
    conditionsHold:
      !r.onlyIf?.length ||
      evaluateConditions(r.onlyIf, {
        traits: customer.traits,
        tags: customer.tags,
        aiplStage: customer.aiplStage,
        timeZone: customer.timeZone,
        ownedProducts: customer.ownedProducts,
        eventCounts: customer.eventCounts,
      }),
    ...policy,
  };
  const since = capCountSince(facts, r, now);
  if (since === null) return facts;
  const stored = await capCountedSends(db, customer.customerId, since);
  return { ...facts, counted: [...stored, ...record.counted] };
}

/** The simulated server's clock for this activity (skipped time, not wall time). */
const simulatedNow = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs);

/**
 * The activities of one simulation. Exported for the guardrail-parity test, which calls
 * `sendMessage` with a pinned `clock` next to the real send activity.
 */
export function simulationActivities(
  customer: SimulatedCustomer,
  record: Recording,
  db: Db,
  renderer: TemplateEngine,
  { policy = {}, clock = simulatedNow }: { policy?: SendPolicy; clock?: () => Date } = {},
): Partial<Activities> {
  const facts = (): CustomerFacts => ({
    traits: customer.traits,
    tags: customer.tags,
    aiplStage: customer.aiplStage,
    timeZone: customer.timeZone,
    ownedProducts: customer.ownedProducts,
    eventCounts: customer.eventCounts,
  });
  return {
    async recordEnrollmentProgress(progress: EnrollmentProgress) {
      record.progress.push(structuredClone(progress));
    },
    async loadCustomerFacts(request) {
      const known = facts();
      // Unscripted counts are 0, as for a customer who never did it.
      for (const { event, withinDays } of request.eventCounts)
        known.eventCounts[eventCountKey(event, withinDays)] ??= 0;
      return known;
    },
    async applyProfileUpdate(update: ProfileUpdate) {
      // Later steps see the update, as they would in production.
      Object.assign(customer.traits, update.traits ?? {});
      const remove = new Set(update.removeTags ?? []);
      customer.tags = [...new Set([...customer.tags, ...(update.addTags ?? [])])].filter((t) => !remove.has(t));
      if (update.aiplStage) customer.aiplStage = update.aiplStage;
      record.updates.push({
        at: simulatedNow().toISOString(),
        traits: update.traits,
        addTags: update.addTags,
        removeTags: update.removeTags,
        aiplStage: update.aiplStage,
      });
    },
    async predictConsumableDepletion(request) {
      const entry = record.entry ?? { properties: {}, timestamp: simulatedNow().toISOString() };
      return simulatedDepletion(db, entry, record.delivered, request.serial, simulatedNow());
    },
    async callWebhook(request) {
      record.webhooks.push({ at: simulatedNow().toISOString(), url: request.url });
      return { status: 200 };
    },
    async sendMessage(r: SendRequest): Promise<SendOutcome> {
      const now = clock();
      const base = {
        at: now.toISOString(),
        step: r.stepId,
        occurrence: r.occurrence,
        channel: r.channel,
        template: r.template,
      };
      const skip = (reason: string): SendOutcome => {
        record.messages.push({ ...base, status: 'skipped', reason });
        return { status: 'skipped', reason };
      };
      // The production guardrails, on the facts of the simulated customer (see `simulatedSendFacts`).
      const decisionFacts = await simulatedSendFacts(db, customer, record, policy, r, now);
      const decision = decideSend(decisionFacts, r, now);
      if (decision.kind === 'skip') return skip(decision.reason);
      if (decision.kind === 'defer') {
        const until = decision.until.toISOString();
        record.messages.push({ ...base, status: 'deferred', reason: decision.reason, until });
        return { status: 'deferred', until, reason: decision.reason };
      }
      const timeZone = sendTimeZone(decisionFacts, r);
      // The same versioned, localized rendering as a real send (latest version, partials, layout).
      const template = await loadTemplate(db, r.template);
      if (!template) return skip('template-not-found');
      const recommendations = usesRecommendations(template)
        ? await loadRecommendations(
            db,
            { ...customer, id: customer.customerId },
            customer.ownedProducts.map((p) => p.category),
          )
        : undefined;
      if (recommendations?.length === 0) return skip('nothing-to-recommend');
      const context = {
        ...renderContext({ ...customer, id: customer.customerId }, timeZone, r.entryEvent?.properties ?? {}, {
          unsubscribe: '#unsubscribe',
          preferences: '#preferences',
        }),
        ...(recommendations && { recommendations }),
      };
      try {
        const rendered = renderer.render(template, context, {
          requestedLocale: customer.locale,
          timeZone,
          partials: await loadPartials(db),
        });
        record.messages.push({
          ...base,
          status: 'would-send',
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
        });
        if (r.kind === 'marketing') record.counted.push({ at: now, channel: r.channel });
      } catch (error) {
        return skip(`render-failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
      }
      return { status: 'sent', messageId: `simulated-${r.stepId}-${r.occurrence}` };
    },
  };
}
