import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { customers, enrollments } from '../../drizzle/schema';
import { enrollmentWorkflow } from '../../workflows/enrollment';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { define } from '../fixtures/journeys';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from '../setup/harness';

const tagAndExit = define({
  name: 'Tag and exit',
  entry: { type: 'api' },
  start: 'tag',
  steps: {
    tag: { type: 'update', addTags: ['welcomed'], aiplStage: 'interest', next: 'done' },
    done: { type: 'exit', reason: 'tagged' },
  },
});

describe('dev server + real Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  beforeAll(async () => {
    [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  });
  afterAll(async () => {
    await temporal?.close();
    await db?.close();
  });

  it('runs a workflow whose activities write rows to Postgres that read back', async () => {
    const [customer] = await db.db
      .insert(customers)
      .values({ traits: { firstName: 'Lin' } })
      .returning();
    const customerId = customer!.id;
    const taskQueue = uniqueTaskQueue();
    const worker = await createTestWorker({
      connection: temporal.native,
      taskQueue,
      activities: createActivities({
        db: db.db,
        transports: {},
        clock: () => new Date(),
        publicUrl: 'http://127.0.0.1',
      }),
    });
    const workflowId = enrollmentWorkflowId('tag-and-exit', customerId, 'default');

    const result = await worker.runUntil(
      temporal.client.workflow.execute(enrollmentWorkflow, {
        taskQueue,
        workflowId,
        args: [
          {
            v: 1,
            journey: { id: 'tag-and-exit', version: 3, definition: tagAndExit },
            customerId,
            enrollmentKey: 'default',
          },
        ],
      }),
    );

    expect(result.status).toBe('completed');
    const [row] = await db.db.select().from(enrollments).where(eq(enrollments.id, result.enrollmentId));
    expect(row).toMatchObject({
      journeyId: 'tag-and-exit',
      journeyVersion: 3,
      customerId,
      workflowId,
      status: 'completed',
      exitReason: 'tagged',
      currentStep: null,
    });
    expect(row!.exitedAt).toBeInstanceOf(Date);
    const [updated] = await db.db.select().from(customers).where(eq(customers.id, customerId));
    expect(updated!.tags).toEqual(['welcomed']);
    expect(updated!.aiplStage).toBe('interest');
  });
});
