/**
 * Enrollment starts through the event router (stored entry events → re-entry check →
 * signalWithStart with search attributes) vs raw `client.workflow.start` of a trivial workflow on
 * the same dev server. Equal conditions: each side has a worker polling its task queue (started
 * workflows run their first task, as in production), and each has one start in flight — the router
 * delivers events one at a time, in order, by design. Measured: starts per second until the last
 * start call returned.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createEnroller } from '../services/journeys/enroll';
import { createJourneyService } from '../services/journeys/lifecycle';
import { customers, events } from '../drizzle/schema';
import { createJourneyWorker } from '../worker/create';
import { createEventRouter } from '../worker/router';
import { ratioRow, round, timed, type Benchmark } from './env';

export const enrollmentStart: Benchmark = {
  name: 'enrollment-start',
  title:
    'Enrollment starts: router → enroller → signalWithStart vs raw client.workflow.start (trivial workflow), one in flight each, workers running',
  async run(env) {
    const total = env.quick ? 50 : 1_000;
    const db = await env.database('enroll');
    const { client, native } = env.temporal;
    const bundle = await env.workflowBundle();
    const ours = `bench-enroll-${randomUUID()}`;
    const raw = `bench-raw-${randomUUID()}`;
    const enroller = createEnroller({ db: db.db, temporal: client, taskQueue: ours, clock: () => new Date() });
    const journeys = createJourneyService({ db: db.db, temporal: client, taskQueue: ours });
    await journeys.createDraft('bench-nurture', {
      name: 'Bench nurture',
      entry: {
        type: 'event',
        event: 'lead_captured',
        filter: [{ path: 'properties.category', op: 'eq', value: 'phone' }],
      },
      goals: [{ id: 'purchased', event: 'order_completed', matchEntry: ['properties.category'] }],
      start: 'wait',
      steps: { wait: { type: 'wait', duration: { days: 30 }, next: 'done' }, done: { type: 'exit' } },
    });
    await journeys.publish('bench-nurture');
    const ids = (
      await db.db
        .insert(customers)
        .values(Array.from({ length: total }, () => ({})))
        .returning({ id: customers.id })
    ).map((r) => r.id);
    await db.db.insert(events).values(
      ids.map((customerId) => ({
        messageId: randomUUID(),
        customerId,
        name: 'lead_captured',
        properties: { category: 'phone' },
        occurredAt: new Date(),
      })),
    );

    const workers = await Promise.all([
      createJourneyWorker({
        connection: native,
        namespace: 'default',
        taskQueue: ours,
        workflowBundle: bundle,
        activities: createActivities({
          db: db.db,
          transports: {},
          clock: () => new Date(),
          publicUrl: 'http://127.0.0.1',
          enroller,
        }),
      }),
      Worker.create({
        connection: native,
        taskQueue: raw,
        workflowBundle: bundle,
        activities: { benchNoop: async () => {} },
      }),
    ]);
    const running = workers.map((w) => w.run());
    try {
      env.progress(`enrollment-start: ${total} raw starts`);
      const rawSeconds = await timed(async () => {
        for (let i = 0; i < total; i++)
          await client.workflow.start('benchTrivialWorkflow', {
            taskQueue: raw,
            workflowId: `bench-raw/${randomUUID()}`,
          });
      });
      // Not the baseline, but where the gap goes: the same server call the enroller makes, bare.
      const signalWithStartSeconds = await timed(async () => {
        for (let i = 0; i < total; i++) {
          await client.workflow.signalWithStart('benchTrivialWorkflow', {
            taskQueue: raw,
            workflowId: `bench-raw/${randomUUID()}`,
            signal: 'bench',
            signalArgs: [{ i }],
          });
        }
      });
      env.progress(`enrollment-start: ${total} entry events through the router`);
      const router = createEventRouter({ db: db.db, temporal: client, enroller });
      let entered = 0;
      const oursSeconds = await timed(async () => {
        for (;;) {
          const result = await router.routeOnce();
          entered += result.entered;
          if (result.routed === 0) break;
        }
      });
      if (entered !== total) throw new Error(`the router entered ${entered} of ${total} customers`);
      return [
        ratioRow({
          benchmark: 'enrollment-start',
          measure: `${total.toLocaleString('en')} starts, 1 in flight`,
          ours: round(total / oursSeconds, 1),
          raw: round(total / rawSeconds, 1),
          unit: 'starts/s',
          goal: 0.8,
          note: `raw signalWithStart (the call the enroller makes, with no Postgres reads) ${round(total / signalWithStartSeconds, 1)}/s`,
        }),
      ];
    } finally {
      for (const worker of workers) worker.shutdown();
      await Promise.all(running);
    }
  },
};
