import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { createFakeActivities, newWorld } from '../fixtures/fake-activities';
import { fortyOneDayWait } from '../fixtures/journeys';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../setup/harness';

describe('time-skipping server (provisioned from Maven Central)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps 41 days in a few seconds of wall time', async () => {
    const world = newWorld();
    const taskQueue = uniqueTaskQueue();
    const worker = await createTestWorker({
      connection: env.nativeConnection,
      taskQueue,
      activities: createFakeActivities(world),
    });
    const customerId = randomUUID();
    const startedWall = performance.now();

    const result = await worker.runUntil(
      env.client.workflow.execute(enrollmentWorkflow, {
        taskQueue,
        workflowId: enrollmentWorkflowId('wait-41', customerId, 'default'),
        args: [
          {
            v: 1,
            journey: { id: 'wait-41', version: 1, definition: fortyOneDayWait },
            customerId,
            enrollmentKey: 'default',
          },
        ],
      }),
    );

    // Workflow time, from the mirror rows it wrote: the test server's clock may jump ahead once
    // nothing is pending, so the clock after `result()` says nothing about the workflow.
    const final = world.progress.at(-1)!;
    const serverElapsedDays = (new Date(final.exitedAt!).getTime() - new Date(final.enteredAt).getTime()) / 86_400_000;
    const wallSeconds = (performance.now() - startedWall) / 1000;
    expect(result.status).toBe('completed');
    expect(result.reason).toBe('waited');
    expect(serverElapsedDays).toBeGreaterThanOrEqual(41);
    expect(serverElapsedDays).toBeLessThan(41.01);
    expect(wallSeconds).toBeLessThan(30);
    expect(final).toMatchObject({ status: 'completed', exitReason: 'waited', currentStep: null });
  });
});
