/**
 * Waits at absolute local times across DST changes, on the time-skipping server. Each test gets a
 * fresh server: their dates are absolute, and a test server's clock only moves forward.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { createFakeActivities, emptyFacts, newWorld, type FakeWorld } from '../fixtures/fake-activities';
import { define } from '../fixtures/journeys';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';
import { saveHistoryIfRecording } from '../setup/histories';

async function runOnFreshServer(
  definition: JourneyDefinition,
  world: FakeWorld,
  customerId: string,
  historyName?: string,
) {
  const env = await createTimeSkippingEnv();
  try {
    const taskQueue = uniqueTaskQueue('dst');
    const worker = await createTestWorker({
      connection: env.nativeConnection,
      taskQueue,
      activities: createFakeActivities(world),
    });
    const handle = await env.client.workflow.start(enrollmentWorkflow, {
      taskQueue,
      workflowId: enrollmentWorkflowId('dst', customerId, 'default'),
      args: [{ v: 1, journey: { id: 'dst', version: 1, definition }, customerId, enrollmentKey: 'default' }],
    });
    await worker.runUntil(handle.result());
    if (historyName) await saveHistoryIfRecording(historyName, handle);
  } finally {
    await env.teardown();
  }
}

// Activities are scheduled a few milliseconds after the timer fires.
const toSecond = (at: Date) => new Date(Math.round(at.getTime() / 1000) * 1000).toISOString();

describe('wait steps at local times across DST', () => {
  it('waits until a date attribute minus an offset, then to the next weekday window across the US spring-forward', async () => {
    const world = newWorld();
    const customerId = randomUUID();
    // Warranty ends 2027-03-20 (local). 6 days before = 2027-03-14, the day New York springs forward.
    world.facts.set(customerId, emptyFacts({ timeZone: 'America/New_York', traits: { warrantyEndsAt: '2027-03-20' } }));
    const journey = define({
      name: 'Warranty reminder',
      entry: { type: 'api' },
      settings: { timeZone: 'Asia/Shanghai' },
      start: 'before',
      steps: {
        before: { type: 'wait', until: { attribute: 'traits.warrantyEndsAt', offset: { days: -6 } }, next: 'morning' },
        morning: { type: 'wait', window: { weekdays: [1, 2, 3, 4, 5], start: '09:30', end: '11:00' }, next: 'remind' },
        remind: { type: 'send', channel: 'email', template: 'warranty', next: 'done' },
        done: { type: 'exit' },
      },
    });
    await runOnFreshServer(journey, world, customerId, 'wait-date-and-window');
    // 2027-03-14 is a Sunday: the window opens Monday 2027-03-15 09:30 EDT (UTC-4) = 13:30Z.
    expect(world.sends.map((s) => toSecond(s.at))).toEqual(['2027-03-15T13:30:00.000Z']);
  });

  it('a wait in calendar days keeps the local wall-clock time across the Berlin fall-back', async () => {
    const world = newWorld();
    const customerId = randomUUID();
    world.facts.set(
      customerId,
      emptyFacts({ timeZone: 'Europe/Berlin', traits: { visitAt: '2027-10-30T08:00:00.000Z' } }),
    );
    const journey = define({
      name: 'Day after',
      entry: { type: 'api' },
      start: 'visit',
      steps: {
        visit: { type: 'wait', until: { attribute: 'traits.visitAt' }, next: 'dayAfter' },
        dayAfter: { type: 'wait', duration: { days: 1 }, next: 'thanks' },
        thanks: { type: 'send', channel: 'email', template: 'thanks', next: 'done' },
        done: { type: 'exit' },
      },
    });
    await runOnFreshServer(journey, world, customerId);
    // 10:00 CEST (UTC+2) on the 30th → 10:00 CET (UTC+1) on the 31st: 25 hours later.
    expect(world.sends.map((s) => toSecond(s.at))).toEqual(['2027-10-31T09:00:00.000Z']);
  });

  it('a local-morning window in Shanghai (no DST) lands at 09:00 +08:00 the next day when entered in the evening', async () => {
    const world = newWorld();
    const customerId = randomUUID();
    world.facts.set(customerId, emptyFacts({ traits: { visitAt: '2027-06-01T12:00:00.000Z' } })); // 20:00 local
    const journey = define({
      name: 'Morning after',
      entry: { type: 'api' },
      settings: { timeZone: 'Asia/Shanghai' },
      start: 'visit',
      steps: {
        visit: { type: 'wait', until: { attribute: 'traits.visitAt' }, next: 'morning' },
        morning: { type: 'wait', window: { start: '09:00', end: '12:00' }, next: 'hello' },
        hello: { type: 'send', channel: 'sms', template: 'hello', next: 'done' },
        done: { type: 'exit' },
      },
    });
    await runOnFreshServer(journey, world, customerId);
    expect(world.sends.map((s) => toSecond(s.at))).toEqual(['2027-06-02T01:00:00.000Z']);
  });
});
