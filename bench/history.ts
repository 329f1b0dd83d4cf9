/**
 * History length of a 41-day phone-nurture enrollment on a time-skipping server: all four touches,
 * then a purchase on day 38 converts it. Compared with a bare workflow doing the same four
 * activities and waits (the least Temporal can record for that schedule).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { startTimeSkippingEnvironment } from '../simulation/test-server';
import { Worker } from '@temporalio/worker';
import { registerSearchAttributes } from '../platform/search-attributes';
import { enrollmentWorkflow } from '../workflows/enrollment';
import { eventSignal, statusQuery, type EnrollmentInput } from '../workflows/contracts/enrollment';
import { createFakeActivities, newWorld } from '../test/fixtures/fake-activities';
import { phoneNurture } from '../test/fixtures/journeys';
import { NURTURE_WAITS_MS } from './simulation';
import type { Benchmark } from './env';

const DAY_MS = 86_400_000;

/** Waits until the enrollment sleeps or has ended: skipping time before that races its workflow task. */
async function untilResting(handle: WorkflowHandle<typeof enrollmentWorkflow>) {
  for (let tries = 0; tries < 1_000; tries++) {
    const status = await handle.query(statusQuery);
    if (status.nextWakeAt !== null || status.paused || status.exit) return status;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the enrollment never came to rest');
}

export const history: Benchmark = {
  name: 'history',
  title:
    'History events of a 41-day phone-nurture enrollment (4 touches, purchase on day 38) vs a bare workflow with the same activities and waits',
  async run(env) {
    const server = await startTimeSkippingEnvironment(await env.testServer());
    try {
      await registerSearchAttributes(server.connection);
      const taskQueue = `bench-history-${randomUUID()}`;
      const world = newWorld();
      const worker = await Worker.create({
        connection: server.nativeConnection,
        taskQueue,
        workflowBundle: await env.workflowBundle(),
        activities: { ...createFakeActivities(world), benchNoop: async () => {} },
      });
      return await worker.runUntil(async () => {
        const start = await server.currentTimeMs();
        const input: EnrollmentInput = {
          v: 1,
          journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
          customerId: randomUUID(),
          enrollmentKey: 'default',
          entryEvent: {
            id: 'entry',
            name: 'lead_captured',
            properties: { category: 'phone' },
            timestamp: new Date(start).toISOString(),
          },
        };
        const handle = await server.client.workflow.start(enrollmentWorkflow, {
          taskQueue,
          workflowId: `bench-history/${randomUUID()}`,
          args: [input],
        });
        // Step through the waits one at a time (each skip only after the workflow rests).
        const purchaseAt = start + 38 * DAY_MS;
        for (;;) {
          const status = await untilResting(handle);
          if (status.exit) throw new Error(`ended before the purchase: ${JSON.stringify(status.exit)}`);
          const wake = Date.parse(status.nextWakeAt!);
          if (wake > purchaseAt) break;
          const now = await server.currentTimeMs();
          // A wake-up in the past: the timer fired and its task is still in flight.
          if (wake <= now) await new Promise((resolve) => setTimeout(resolve, 10));
          else await server.sleep(wake - now + 1_000);
        }
        await server.sleep(purchaseAt - (await server.currentTimeMs()));
        await handle.signal(eventSignal, {
          id: 'purchase',
          name: 'order_completed',
          properties: { category: 'phone' },
          timestamp: new Date(purchaseAt).toISOString(),
        });
        const result = await handle.result();
        if (result.status !== 'converted' || world.sends.length !== 4)
          throw new Error(`expected 4 sends and a conversion, got ${world.sends.length} sends, ${result.status}`);
        const ours = (await handle.fetchHistory()).events?.length ?? 0;

        const bare = await server.client.workflow.start('benchSleeperWorkflow', {
          taskQueue,
          workflowId: `bench-sleeper/${randomUUID()}`,
          args: [NURTURE_WAITS_MS],
        });
        await bare.result();
        const raw = (await bare.fetchHistory()).events?.length ?? 0;
        return [
          {
            benchmark: 'history',
            measure: '41-day nurture, 4 sends + purchase',
            ours,
            raw,
            unit: 'events',
            goal: '< 200',
            met: ours < 200,
          },
        ];
      });
    } finally {
      await server.teardown();
    }
  },
};
