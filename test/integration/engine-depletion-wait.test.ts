/**
 * The depletion wait on the time-skipping server with fake activities (the prediction is a
 * variable): events about other devices do not wake it, a burst settles into one recompute, a long
 * history continues-as-new mid-wait without losing the date, and no prediction takes `onUnknown`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { ConsumablePrediction } from '../../activities';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { eventSignal, statusQuery } from '../../workflows/contracts/enrollment';
import { SETTLE_MS } from '../../workflows/steps/wait-depletion';
import { createFakeActivities, emptyFacts, newWorld } from '../fixtures/fake-activities';
import { define } from '../fixtures/journeys';
import { untilIdle } from '../fixtures/library';
import { createTestWorker, createTimeSkippingEnv, eventually, uniqueTaskQueue } from '../setup/harness';

const DAY = 86_400_000;
const ZONE = 'UTC';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
const world = newWorld();
/** What the prediction activity answers, per serial; counts its calls. */
const predictions = new Map<string, ConsumablePrediction>();
const calls = new Map<string, number>();

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  taskQueue = uniqueTaskQueue('depletion-wait');
  world.facts.set('customer-1', emptyFacts({ timeZone: ZONE }));
  worker = await createTestWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: {
      ...createFakeActivities(world),
      async predictConsumableDepletion({ serial }) {
        calls.set(serial, (calls.get(serial) ?? 0) + 1);
        return (
          predictions.get(serial) ?? {
            depletesAt: null,
            basis: 'unknown',
            confidence: 0,
            cycleStartedAt: null,
            consumableSku: null,
          }
        );
      },
    },
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const journey = define({
  name: 'Depletion wait',
  entry: { type: 'event', event: 'Product Installed' },
  concurrencyKey: ['properties.serial'],
  start: 'low',
  steps: {
    low: { type: 'wait', depletion: { daysBefore: 7 }, onUnknown: 'gone', next: 'remind' },
    remind: { type: 'send', channel: 'email', template: 'refill', next: 'done' },
    done: { type: 'exit', reason: 'reminded' },
    gone: { type: 'exit', reason: 'no-device' },
  },
});

function start(serial: string, maxHistoryEvents?: number) {
  return env.client.workflow.start(enrollmentWorkflow, {
    taskQueue,
    workflowId: `depletion-${serial}`,
    args: [
      {
        v: 1,
        journey: { id: 'depletion', version: 1, definition: journey },
        customerId: 'customer-1',
        enrollmentKey: serial,
        entryEvent: {
          id: `install-${serial}`,
          name: 'Product Installed',
          properties: { serial },
          timestamp: new Date().toISOString(),
        },
        ...(maxHistoryEvents ? { maxHistoryEvents } : {}),
      },
    ],
  });
}
const reading = (serial: string, n: number) => ({
  id: `${serial}-reading-${n}`,
  name: 'Telemetry Reported',
  properties: { serial, metric: 'litres', value: n },
  timestamp: new Date().toISOString(),
});
const predict = (serial: string, depletesAt: Date) =>
  predictions.set(serial, {
    depletesAt: depletesAt.toISOString(),
    basis: 'telemetry',
    confidence: 0.8,
    cycleStartedAt: '2026-01-01T00:00:00.000Z',
    consumableSku: 'F-1',
  });
const resting = (handle: Awaited<ReturnType<typeof start>>, wakeAt: Date) =>
  eventually(
    `asleep until ${wakeAt.toISOString()}`,
    async () => ((await handle.query(statusQuery)).nextWakeAt === wakeAt.toISOString() ? true : undefined),
    60_000,
  );

describe('the depletion wait', () => {
  it('ignores other devices, settles a burst into one recompute, continues-as-new mid-wait and wakes at the moved date', async () => {
    const now = await env.currentTimeMs();
    predict('SN-1', new Date(now + 60 * DAY));
    const handle = await start('SN-1', 120);
    const firstRun = (await handle.describe()).runId;
    await untilIdle([handle]);
    await resting(handle, new Date(now + 53 * DAY));
    expect(calls.get('SN-1')).toBe(1);

    // Readings of another device: recorded, never a recompute.
    for (let i = 0; i < 5; i++) await handle.signal(eventSignal, reading('SN-OTHER', i));
    await untilIdle([handle]);
    await env.sleep(2 * SETTLE_MS);
    expect(calls.get('SN-1')).toBe(1);

    // Bursts of this device's readings, each settling into one recompute; the date moves earlier.
    predict('SN-1', new Date(now + 40 * DAY));
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 8; i++) await handle.signal(eventSignal, reading('SN-1', burst * 10 + i));
      await untilIdle([handle]);
      await env.sleep(2 * SETTLE_MS);
      await untilIdle([handle]);
    }
    await resting(handle, new Date(now + 33 * DAY));
    console.log(`depletion wait: ${calls.get('SN-1')} predictions for 1 start + 4 bursts of 8 readings`);
    expect(calls.get('SN-1')).toBeLessThanOrEqual(6); // the start, one per burst, and the new run's first look
    // The history passed 120 events: the wait handed over to a new run, which still waits for the same date.
    expect((await handle.describe()).runId).not.toBe(firstRun);

    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', reason: 'reminded' });
    const sent = world.sends.find((s) => s.enrollmentId === result.enrollmentId);
    expect(Math.abs(sent!.at.getTime() - (now + 33 * DAY))).toBeLessThan(60_000);
  });

  it('takes onUnknown when there is no prediction (device gone, no consumable)', async () => {
    const handle = await start('SN-GONE');
    expect(await handle.result()).toMatchObject({
      status: 'completed',
      reason: 'no-device',
      path: [
        expect.objectContaining({ step: 'low', outcome: 'unknown:no-prediction' }),
        expect.objectContaining({ step: 'gone' }),
      ],
    });
  });
});
