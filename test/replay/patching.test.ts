/**
 * A workflow change guarded by `patched()`: window waits now read the customer's current time
 * zone (an extra activity call). Enrollments recorded before the change replay on the old path;
 * new runs record the patch marker and take the new one.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { toLocal } from '../../domain/time';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { createFakeActivities, emptyFacts, newWorld } from '../fixtures/fake-activities';
import { define } from '../fixtures/journeys';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../setup/harness';
import { historiesDir, loadHistory } from '../setup/histories';

const PATCH = 'window-wait-reads-current-time-zone';

/** Patch ids recorded in a history (core's `core_patch` markers carry `{ id }` as a JSON payload). */
function patchIds(history: {
  events?:
    | {
        markerRecordedEventAttributes?: {
          markerName?: string | null;
          details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
        } | null;
      }[]
    | null;
}): string[] {
  return (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => JSON.parse(new TextDecoder().decode(Object.values(m!.details!)[0]!.payloads![0]!.data!)).id as string);
}

describe('patched(): window waits read the current time zone', () => {
  it('a history recorded before the patch has no marker and still replays', async () => {
    const history = loadHistory(readFileSync(join(historiesDir, 'wait-date-and-window.json'), 'utf8'));
    expect(patchIds(history)).toEqual([]);
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, 'pre-patch');
  });

  it('a new run records the marker and uses the zone the customer moved to', async () => {
    const env = await createTimeSkippingEnv();
    try {
      const world = newWorld();
      const customerId = randomUUID();
      world.facts.set(customerId, emptyFacts({ timeZone: 'Asia/Shanghai' }));
      const journey = define({
        name: 'Moved',
        entry: { type: 'api' },
        start: 'wait',
        steps: {
          wait: { type: 'wait', duration: { days: 1 }, next: 'morning' },
          morning: { type: 'wait', window: { start: '09:00', end: '10:00' }, next: 'hello' },
          hello: { type: 'send', channel: 'email', template: 'hello', next: 'done' },
          done: { type: 'exit' },
        },
      });
      const taskQueue = uniqueTaskQueue('patch');
      const worker = await createTestWorker({
        connection: env.nativeConnection,
        taskQueue,
        activities: createFakeActivities(world),
      });
      const handle = await env.client.workflow.start(enrollmentWorkflow, {
        taskQueue,
        workflowId: enrollmentWorkflowId('moved', customerId, 'default'),
        args: [
          { v: 1, journey: { id: 'moved', version: 1, definition: journey }, customerId, enrollmentKey: 'default' },
        ],
      });
      await worker.runUntil(async () => {
        // The first wait read Shanghai; the customer then moves to New York.
        for (
          let i = 0;
          i < 200 &&
          (await handle.query('perennial.status').then((s) => (s as { nextWakeAt: string | null }).nextWakeAt)) ===
            null;
          i++
        ) {
          await new Promise((r) => setTimeout(r, 10));
        }
        world.facts.set(customerId, emptyFacts({ timeZone: 'America/New_York' }));
        await handle.result();
      });
      const [send] = world.sends;
      const local = toLocal(send!.at, 'America/New_York');
      expect([local.hour, local.minute]).toEqual([9, 0]);
      const history = await handle.fetchHistory();
      expect(patchIds(history)).toEqual([PATCH]);
    } finally {
      await env.teardown();
    }
  });
});
