/**
 * The journey interpreter on the time-skipping server, with fake activities: every step type,
 * goals that cut waits short, pause/resume, exits, dedupe, continue-as-new.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { JourneyDefinition } from '../../domain/journey/definition';
import type { JourneyEvent } from '../../domain/journey/conditions';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import {
  controlSignal,
  enrollmentWorkflowId,
  eventSignal,
  statusQuery,
  type EnrollmentInput,
} from '../../workflows/contracts/enrollment';
import { createFakeActivities, emptyFacts, newWorld, type FakeWorld } from '../fixtures/fake-activities';
import { define, phoneNurture } from '../fixtures/journeys';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';
import { saveHistoryIfRecording } from '../setup/histories';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let world: FakeWorld;
let taskQueue: string;
let worker: Worker;
let workerRunning: Promise<void>;

// A fresh server per test: the test server's clock is shared by all its workflows, and after a
// result it may jump to the next pending timer of any of them.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  world = newWorld();
  taskQueue = uniqueTaskQueue('engine');
  worker = await createTestWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: createFakeActivities(world),
  });
  workerRunning = worker.run();
});
afterEach(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await env?.teardown();
});

/** The worker runs for the whole file; this awaits the work (a function or a promise). */
function runWorker<T>(work: Promise<T> | (() => Promise<T>)): Promise<T> {
  return typeof work === 'function' ? work() : work;
}

/**
 * Skips server time once the given enrollments rest (sleeping, held by pause, or done). The test
 * server can skip past a workflow task still in flight, which breaks that task.
 */
async function skip(ms: number, ...handles: WorkflowHandle<typeof enrollmentWorkflow>[]) {
  for (const handle of handles) {
    for (let tries = 0; ; tries++) {
      const status = await handle.query(statusQuery);
      if (status.nextWakeAt !== null || status.paused || status.exit) break;
      if (tries > 200) throw new Error(`${handle.workflowId} never came to rest`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  await env.sleep(ms);
}

/** One result() at a time: each unlocks the test server's clock, and concurrent unlocks unbalance it. */
async function resultsInOrder(handles: WorkflowHandle<typeof enrollmentWorkflow>[]) {
  const results = [];
  for (const handle of handles) results.push(await handle.result());
  return results;
}

function event(name: string, properties: Record<string, unknown> = {}, id = randomUUID()): JourneyEvent {
  return { id, name, properties, timestamp: new Date().toISOString() };
}

function start(
  journeyId: string,
  definition: JourneyDefinition,
  options: { customerId?: string; entryEvent?: JourneyEvent; key?: string; maxHistoryEvents?: number } = {},
) {
  const customerId = options.customerId ?? randomUUID();
  const input: EnrollmentInput = {
    v: 1,
    journey: { id: journeyId, version: 1, definition },
    customerId,
    enrollmentKey: options.key ?? 'default',
    entryEvent: options.entryEvent,
    maxHistoryEvents: options.maxHistoryEvents,
  };
  return env.client.workflow.start(enrollmentWorkflow, {
    taskQueue,
    workflowId: enrollmentWorkflowId(journeyId, customerId, input.enrollmentKey),
    args: [input],
  });
}

const sendsOf = (customerId: string) => world.sends.filter((s) => s.customerId === customerId);
const hours = (n: number) => n * 3_600_000;

describe('41-day phone nurture', () => {
  it('sends on days 0, 10, 20 and 31 and ends at day 41, with fewer than 200 history events', async () => {
    const t0 = await env.currentTimeMs();
    const handle = await start('phone-nurture', phoneNurture, {
      entryEvent: event('lead_captured', { category: 'phone' }),
    });
    const result = await runWorker(handle.result());
    const customerId = handle.workflowId.split('/')[2]!;

    expect(result).toMatchObject({ status: 'completed', reason: 'decision-window-over' });
    const schedule = sendsOf(customerId).map((s) => ({ template: s.template, day: (s.at.getTime() - t0) / DAY }));
    expect(schedule.map((s) => s.template)).toEqual(['phone-welcome', 'phone-compare', 'phone-reviews', 'phone-offer']);
    expect(schedule.map((s) => Math.round(s.day * 1000) / 1000)).toEqual([0, 10, 20, 31]);
    const final = world.progress.filter((p) => p.customerId === customerId).at(-1)!;
    expect((new Date(final.exitedAt!).getTime() - t0) / DAY).toBeCloseTo(41, 2);
    const history = await handle.fetchHistory();
    expect(history.events?.length).toBeLessThan(200);
    await saveHistoryIfRecording('nurture-complete', handle);
  });

  it('a buyer who purchases a phone on day 10 gets no further message and converts once', async () => {
    const customerId = randomUUID();
    const handle = await start('phone-nurture', phoneNurture, {
      customerId,
      entryEvent: event('lead_captured', { category: 'phone' }),
    });
    const result = await runWorker(async () => {
      await skip(10 * DAY + hours(12), handle);
      // A TV purchase is not this journey's goal (matchEntry on category)…
      await handle.signal(eventSignal, event('order_completed', { category: 'tv' }));
      expect((await handle.query(statusQuery)).exit).toBeUndefined();
      // …a phone purchase is; sent twice, it still counts once.
      const purchase = event('order_completed', { category: 'phone' });
      await handle.signal(eventSignal, purchase);
      await handle.signal(eventSignal, purchase);
      await handle.signal(eventSignal, event('order_completed', { category: 'phone' }));
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'converted', reason: 'goal:purchased' });
    expect(sendsOf(customerId).map((s) => s.template)).toEqual(['phone-welcome', 'phone-compare']);
    const final = world.progress.filter((p) => p.customerId === customerId).at(-1)!;
    expect(final).toMatchObject({
      status: 'converted',
      exitReason: 'goal:purchased',
      currentStep: null,
      nextWakeAt: null,
    });
    expect(final.convertedAt).not.toBeNull();
    await saveHistoryIfRecording('nurture-goal-during-wait', handle);
  });

  it('a purchase after the goal window exits without counting a conversion', async () => {
    const shortWindow = define({ ...phoneNurture, settings: { ...phoneNurture.settings, goalWindow: { days: 5 } } });
    const handle = await start('phone-nurture-short', shortWindow, {
      entryEvent: event('lead_captured', { category: 'phone' }),
    });
    const result = await runWorker(async () => {
      await skip(6 * DAY, handle);
      await handle.signal(eventSignal, event('order_completed', { category: 'phone' }));
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'exited', reason: 'goal-late:purchased' });
  });
});

describe('wait steps', () => {
  it('skips a date wait whose attribute is missing, noting why', async () => {
    const customerId = randomUUID();
    world.facts.set(customerId, emptyFacts());
    const journey = define({
      name: 'No date',
      entry: { type: 'api' },
      start: 'wait',
      steps: { wait: { type: 'wait', until: { attribute: 'traits.missing' }, next: 'done' }, done: { type: 'exit' } },
    });
    const result = await runWorker(start('no-date', journey, { customerId }).then((h) => h.result()));
    expect(result.path.map((p) => [p.step, p.outcome])).toEqual([
      ['wait', 'skipped:no-date'],
      ['done', 'completed'],
    ]);
  });
});

describe('waitForEvent', () => {
  const journey = define({
    name: 'App follow-up',
    entry: { type: 'api' },
    start: 'listen',
    steps: {
      listen: {
        type: 'waitForEvent',
        event: 'app_opened',
        timeout: { days: 3 },
        outcomes: [
          { id: 'premium', when: [{ path: 'properties.plan', op: 'eq', value: 'premium' }], next: 'premium' },
          { id: 'any', next: 'basic' },
        ],
        onTimeout: 'nudge',
      },
      premium: { type: 'send', channel: 'push', template: 'premium-tips', next: 'done' },
      basic: { type: 'send', channel: 'push', template: 'basic-tips', next: 'done' },
      nudge: { type: 'send', channel: 'sms', template: 'nudge', next: 'done' },
      done: { type: 'exit' },
    },
  });

  it('takes the first ranked outcome that matches, ignores other events, and times out otherwise', async () => {
    const [premium, basic, silent] = await Promise.all([
      start('app', journey),
      start('app', journey),
      start('app', journey),
    ]);
    const t0 = await env.currentTimeMs();
    await runWorker(async () => {
      await skip(DAY, premium, basic, silent);
      await premium.signal(eventSignal, event('page_viewed', { plan: 'premium' }));
      await premium.signal(eventSignal, event('app_opened', { plan: 'premium' }));
      await skip(DAY, premium, basic, silent);
      await basic.signal(eventSignal, event('app_opened', { plan: 'free' }));
      await resultsInOrder([premium, basic, silent]);
    });
    const templateOf = (h: { workflowId: string }) =>
      world.sends.filter((s) => s.customerId === h.workflowId.split('/')[2]).map((s) => s.template);
    expect(templateOf(premium)).toEqual(['premium-tips']);
    expect(templateOf(basic)).toEqual(['basic-tips']);
    expect(templateOf(silent)).toEqual(['nudge']);
    const nudge = world.sends.find((s) => s.customerId === silent.workflowId.split('/')[2])!;
    expect((nudge.at.getTime() - t0) / DAY).toBeCloseTo(3, 3);
    await saveHistoryIfRecording('wait-for-event-outcomes', premium);
    await saveHistoryIfRecording('wait-for-event-timeout', silent);
  });

  it('drops a duplicate event id, so a resent event cannot satisfy a second wait', async () => {
    const twice = define({
      name: 'Two clicks',
      entry: { type: 'api' },
      start: 'first',
      steps: {
        first: {
          type: 'waitForEvent',
          event: 'click',
          timeout: { days: 1 },
          outcomes: [{ id: 'clicked', next: 'second' }],
          onTimeout: 'done',
        },
        second: {
          type: 'waitForEvent',
          event: 'click',
          timeout: { days: 1 },
          outcomes: [{ id: 'clicked-again', next: 'done' }],
          onTimeout: 'done',
        },
        done: { type: 'exit' },
      },
    });
    const handle = await start('two-clicks', twice);
    const click = event('click');
    const result = await runWorker(async () => {
      await skip(hours(1), handle); // events from before a waitForEvent started do not count
      await handle.signal(eventSignal, click);
      await skip(hours(1), handle);
      await handle.signal(eventSignal, click);
      return handle.result();
    });
    expect(result.path.map((p) => p.outcome)).toEqual(['clicked', 'timeout', 'completed']);
  });
});

describe('branch, split, update, webhook', () => {
  const journey = define({
    name: 'Owners',
    entry: { type: 'api' },
    start: 'who',
    steps: {
      who: {
        type: 'branch',
        branches: [
          { id: 'loyal', when: [{ kind: 'attribute', path: 'aiplStage', op: 'eq', value: 'loyalty' }], next: 'loyal' },
          {
            id: 'purifier-owner',
            when: [
              { kind: 'owns', category: 'water-purifier' },
              { kind: 'eventCount', event: 'app_opened', withinDays: 30, op: 'gte', value: 2 },
            ],
            next: 'owner',
          },
        ],
        else: 'arms',
      },
      loyal: { type: 'update', addTags: ['vip'], aiplStage: 'loyalty', next: 'done' },
      owner: { type: 'webhook', url: 'https://crm.example.com/hooks/owner', next: 'done' },
      arms: {
        type: 'split',
        arms: [
          { id: 'a', weight: 1, next: 'sendA' },
          { id: 'control', weight: 1, holdout: true, next: 'done' },
        ],
      },
      sendA: { type: 'send', channel: 'email', template: 'a', next: 'done' },
      done: { type: 'exit' },
    },
  });

  it('takes the first branch that holds, over fresh facts', async () => {
    const loyal = randomUUID();
    const owner = randomUUID();
    const ownerNotActive = randomUUID();
    world.facts.set(
      loyal,
      emptyFacts({ aiplStage: 'loyalty', ownedProducts: [{ sku: 'P1', category: 'water-purifier' }] }),
    );
    world.facts.set(
      owner,
      emptyFacts({ ownedProducts: [{ sku: 'P1', category: 'water-purifier' }], eventCounts: { '30d:app_opened': 3 } }),
    );
    world.facts.set(
      ownerNotActive,
      emptyFacts({ ownedProducts: [{ sku: 'P1', category: 'water-purifier' }], eventCounts: { '30d:app_opened': 1 } }),
    );
    const results = await resultsInOrder(
      await Promise.all([loyal, owner, ownerNotActive].map((customerId) => start('owners', journey, { customerId }))),
    );
    expect(results.map((r) => r.path[0]!.outcome)).toEqual(['loyal', 'purifier-owner', 'else']);
    expect(world.updates.find((u) => u.customerId === loyal)).toMatchObject({ addTags: ['vip'], aiplStage: 'loyalty' });
    expect(world.webhooks.find((w) => w.customerId === owner)).toMatchObject({
      url: 'https://crm.example.com/hooks/owner',
    });
    expect(world.webhooks.find((w) => w.customerId === owner)!.idempotencyKey).toMatch(/^[0-9a-f-]{36}:owner:1$/);
    await saveHistoryIfRecording(
      'branch-update',
      env.client.workflow.getHandle(enrollmentWorkflowId('owners', loyal, 'default')),
    );
    await saveHistoryIfRecording(
      'branch-webhook',
      env.client.workflow.getHandle(enrollmentWorkflowId('owners', owner, 'default')),
    );
  });

  it('splits customers deterministically, and the holdout arm sends nothing', async () => {
    const customers = Array.from({ length: 40 }, () => randomUUID());
    for (const c of customers) world.facts.set(c, emptyFacts());
    const run = async () =>
      resultsInOrder(await Promise.all(customers.map((customerId) => start('owners', journey, { customerId }))));
    const first = await run();
    const second = await run();
    const arms = (results: typeof first) => results.map((r) => r.path.find((p) => p.step === 'arms')!.outcome);
    expect(arms(second)).toEqual(arms(first));
    const holdouts = customers.filter((_, i) => arms(first)[i] === 'control:holdout');
    expect(holdouts.length).toBeGreaterThan(5);
    expect(holdouts.length).toBeLessThan(35);
    for (const c of holdouts) expect(sendsOf(c)).toEqual([]);
    for (const c of customers.filter((x) => !holdouts.includes(x)))
      expect(sendsOf(c).map((s) => s.template)).toEqual(['a', 'a']);
    await saveHistoryIfRecording(
      'branch-split',
      env.client.workflow.getHandle(enrollmentWorkflowId('owners', customers[0]!, 'default')),
    );
  });
});

describe('lifecycle signals', () => {
  const journey = define({
    name: 'Tomorrow',
    entry: { type: 'api' },
    start: 'wait',
    steps: {
      wait: { type: 'wait', duration: { days: 1 }, next: 'send' },
      send: { type: 'send', channel: 'email', template: 'tomorrow', next: 'done' },
      done: { type: 'exit' },
    },
  });

  it('pause holds a due send until resume; the query shows where the enrollment is', async () => {
    const customerId = randomUUID();
    const handle = await start('tomorrow', journey, { customerId });
    const t0 = await env.currentTimeMs();
    await runWorker(async () => {
      await skip(hours(1), handle);
      const waiting = await handle.query(statusQuery);
      expect(waiting).toMatchObject({ stepId: 'wait', stepType: 'wait', paused: false });
      expect(new Date(waiting.nextWakeAt!).getTime() - t0).toBeCloseTo(DAY, -4);
      await handle.signal(controlSignal, { action: 'pause' });
      await skip(3 * DAY, handle);
      expect(sendsOf(customerId)).toEqual([]);
      expect(await handle.query(statusQuery)).toMatchObject({ stepId: 'send', paused: true });
      await handle.signal(controlSignal, { action: 'resume' });
      await handle.result();
    });
    expect(sendsOf(customerId)).toHaveLength(1);
    expect((sendsOf(customerId)[0]!.at.getTime() - t0) / DAY).toBeGreaterThan(3);
    await saveHistoryIfRecording('pause-resume', handle);
  });

  it('an exit command ends a pending wait at once, with its reason', async () => {
    const customerId = randomUUID();
    const handle = await start('tomorrow', journey, { customerId });
    const t0 = await env.currentTimeMs();
    const result = await runWorker(async () => {
      await skip(hours(2), handle);
      await handle.signal(controlSignal, { action: 'exit', reason: 'ops: customer complained' });
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'cancelled', reason: 'ops: customer complained' });
    const final = world.progress.filter((p) => p.customerId === customerId).at(-1)!;
    expect((new Date(final.exitedAt!).getTime() - t0) / DAY).toBeLessThan(0.5);
    expect(sendsOf(customerId)).toEqual([]);
  });
});

describe('continue-as-new', () => {
  it('carries position, path and send occurrences into the next run', async () => {
    const daily = define({
      name: 'Daily tip (loop)',
      entry: { type: 'api' },
      start: 'wait',
      steps: {
        wait: { type: 'wait', duration: { days: 1 }, next: 'tip' },
        tip: { type: 'send', channel: 'push', template: 'tip', next: 'wait' },
      },
    });
    const customerId = randomUUID();
    const handle = await start('daily', daily, { customerId, maxHistoryEvents: 40 });
    const result = await runWorker(async () => {
      await skip(12 * DAY + hours(1), handle);
      await handle.signal(controlSignal, { action: 'exit', reason: 'test over' });
      return handle.result();
    });
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId);
    expect(sendsOf(customerId).map((s) => s.occurrence)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(result.path.filter((p) => p.step === 'tip')).toHaveLength(12);
    expect(result.status).toBe('cancelled');
  });
});
