/**
 * Crash safety of ingest → routing. The real API process (`tsx api/main.ts`) accepts events over
 * plain HTTP and from `@segment/analytics-node`, and is SIGKILLed right after the responses, before
 * any router ran; a router started later delivers every acknowledged event exactly once. A router
 * that dies mid-batch (its transaction rolled back) re-drives the batch without duplicate
 * enrollments.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnChild } from '../../platform/children';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { eq, inArray, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createEnroller, type Enroller } from '../../services/journeys/enroll';
import { ingestMessage } from '../../services/customers/ingest';
import { parseMessage } from '../../api/segment-wire-format';
import { createJourneyService } from '../../services/journeys/lifecycle';
import { createApiKey } from '../../api/keys';
import { customerIdentities, enrollments, events } from '../../drizzle/schema';
import { createEventRouter } from '../../worker/router';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from '../setup/harness';

const ADMIN_KEY = 'crash-test-bootstrap-admin-key-0123';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let taskQueue: string;
let enroller: Enroller;
let worker: Worker | undefined;
let workerRunning: Promise<void> | undefined;
let api: ChildProcess | undefined;
const workflows = new Set<string>();

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  taskQueue = uniqueTaskQueue('crash');
  enroller = createEnroller({ db: db.db, temporal: temporal.client, taskQueue, clock: () => new Date() });
  const service = createJourneyService({ db: db.db, temporal: temporal.client, taskQueue });
  await service.createDraft('welcome', {
    name: 'Welcome series',
    entry: { type: 'event', event: 'signed_up' },
    goals: [{ id: 'ordered', event: 'first_order' }],
    start: 'wait',
    steps: { wait: { type: 'wait', duration: { days: 7 }, next: 'done' }, done: { type: 'exit' } },
  });
  await service.publish('welcome');
});

afterAll(async () => {
  if (api && api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
  for (const id of workflows)
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await temporal?.close();
  await db?.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startWorker() {
  if (worker) return;
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({
      db: db.db,
      transports: {},
      clock: () => new Date(),
      publicUrl: 'http://127.0.0.1',
      enroller,
    }),
  });
  workerRunning = worker.run();
}

async function routeAll(router: ReturnType<typeof createEventRouter>) {
  let routed = 0;
  for (let i = 0; i < 50; i++) {
    const result = await router.routeOnce();
    if (result.ran && result.routed === 0) return routed;
    routed += result.routed;
  }
  throw new Error('router never drained');
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  // Generous: a process start on a loaded 2-core CI machine takes seconds just to import.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function customerOf(userId: string): Promise<string> {
  const [row] = await db.db.select().from(customerIdentities).where(eq(customerIdentities.value, userId));
  return row!.customerId;
}

/** The `perennial.event` signals in a workflow's history. */
async function eventSignals(workflowId: string): Promise<string[]> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'perennial.event')
    .map((e) => e.eventId?.toString() ?? '');
}

describe('crash safety', () => {
  it(
    'killing the API right after it acknowledged events loses none: a router started later routes each exactly once',
    { timeout: 180_000 },
    async () => {
      const writeKey = (await createApiKey(db.db, 'write', 'crash test')).key;
      const port = await freePort();
      // One process (no tsx wrapper), killed with this test's process whatever happens.
      api = spawnChild(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATABASE_URL: db.url,
          DATABASE_POOL_MAX: '4',
          TEMPORAL_ADDRESS: inject('devServerAddress'),
          TEMPORAL_TASK_QUEUE: taskQueue,
          ADMIN_API_KEY: ADMIN_KEY,
          MESSAGING_LINK_SECRET: 'crash-safety-link-secret-0123456789abcdef',
          HOST: '127.0.0.1',
          PORT: String(port),
          LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      api.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        api!.once('exit', (code, signal) => resolve(signal ?? code)),
      );
      const base = `http://127.0.0.1:${port}`;
      await until(
        () =>
          fetch(`${base}/health`)
            .then((r) => r.ok)
            .catch(() => false),
        (up) => up || api!.exitCode !== null,
        'the API to listen',
      );
      expect(api.exitCode, stderr).toBeNull();

      // Plain HTTP: 6 sign-ups, 3 of which also order; each acknowledged with 200.
      const acked: string[] = [];
      const httpUsers = Array.from({ length: 6 }, (_, i) => `http-${i}-${randomUUID().slice(0, 6)}`);
      const auth = {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      };
      for (const [i, userId] of httpUsers.entries()) {
        const messages = [{ type: 'track', userId, event: 'signed_up', messageId: `m-${randomUUID()}` }];
        if (i % 2 === 0) messages.push({ type: 'track', userId, event: 'first_order', messageId: `m-${randomUUID()}` });
        const response = await fetch(`${base}/v1/batch`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ batch: messages }),
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { results: { status: string; messageId: string }[] };
        for (const result of body.results) if (result.status === 'accepted') acked.push(result.messageId);
      }
      // Segment's client: 6 more sign-ups with an identify each, acknowledged through its callbacks.
      const analytics = new Analytics({ writeKey, host: base, flushAt: 4, flushInterval: 20, maxRetries: 0 });
      const segmentUsers = Array.from({ length: 6 }, (_, i) => `sdk-${i}-${randomUUID().slice(0, 6)}`);
      await Promise.all(
        segmentUsers.flatMap((userId) =>
          [
            { kind: 'identify' as const, messageId: `s-${randomUUID()}` },
            { kind: 'track' as const, messageId: `s-${randomUUID()}` },
          ].map(
            ({ kind, messageId }) =>
              new Promise<void>((resolve, reject) => {
                const done = (err?: unknown) => {
                  if (err) reject(new Error(`not acknowledged: ${JSON.stringify(err)}`));
                  else {
                    acked.push(messageId);
                    resolve();
                  }
                };
                if (kind === 'identify') analytics.identify({ userId, messageId, traits: { plan: 'free' } }, done);
                else analytics.track({ userId, messageId, event: 'signed_up' }, done);
              }),
          ),
        ),
      );
      await analytics.closeAndFlush();

      // Killed at once: no graceful shutdown, and no router has run.
      api.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(acked).toHaveLength(6 + 3 + 12);
      const stored = await db.db.select().from(events).where(inArray(events.messageId, acked));
      expect(stored).toHaveLength(acked.length);
      expect(stored.every((row) => row.routedAt === null && row.customerId !== null)).toBe(true);

      // Later: a worker and a router come up and drain everything.
      await startWorker();
      const router = createEventRouter({ db: db.db, temporal: temporal.client, enroller, batchSize: 7 });
      expect(await routeAll(router)).toBe(acked.length);
      expect(await router.routeOnce()).toMatchObject({ ran: true, routed: 0 });
      const routed = await db.db.select().from(events).where(inArray(events.messageId, acked));
      expect(routed.every((row) => row.routedAt !== null)).toBe(true);

      for (const [i, userId] of [...httpUsers, ...segmentUsers].entries()) {
        const customerId = await customerOf(userId);
        const ordered = i < httpUsers.length && i % 2 === 0;
        const rows = await until(
          () => db.db.select().from(enrollments).where(eq(enrollments.customerId, customerId)),
          (r) => r.length === 1 && r[0]!.status === (ordered ? 'converted' : 'active'),
          `the enrollment of ${userId}`,
        );
        workflows.add(rows[0]!.workflowId);
        // One entry signal, plus one for the order: nothing was delivered twice.
        expect(await eventSignals(rows[0]!.workflowId)).toHaveLength(ordered ? 2 : 1);
      }
    },
  );

  it('a router that crashes mid-batch (transaction rolled back) re-drives the batch without duplicate enrollments', async () => {
    await startWorker();
    const users = Array.from({ length: 5 }, (_, i) => `redrive-${i}-${randomUUID().slice(0, 6)}`);
    const now = new Date();
    for (const userId of users) {
      const parsed = parseMessage('track', { userId, event: 'signed_up' }, ['$'], now);
      if (!('message' in parsed)) throw new Error('invalid test message');
      expect((await ingestMessage(db.db, parsed.message)).status).toBe('accepted');
    }
    let entries = 0;
    const crashing: Enroller = {
      async enter(request) {
        if (++entries === 4) throw new Error('simulated crash: the process dies mid-batch');
        return enroller.enter(request);
      },
    };
    const doomed = createEventRouter({ db: db.db, temporal: temporal.client, enroller: crashing, batchSize: 50 });
    await expect(doomed.routeOnce()).rejects.toThrow('simulated crash');
    // Nothing was marked routed, though three enrollments already started in Temporal.
    expect(await db.db.select().from(events).where(isNull(events.routedAt))).toHaveLength(users.length);
    const customerIds = await Promise.all(users.map(customerOf));
    await until(
      () => db.db.select().from(enrollments).where(inArray(enrollments.customerId, customerIds)),
      (rows) => rows.length === 3,
      'the three enrollments started before the crash',
    );

    const router = createEventRouter({ db: db.db, temporal: temporal.client, enroller, batchSize: 50 });
    expect(await routeAll(router)).toBe(users.length);
    const rows = await until(
      () => db.db.select().from(enrollments).where(inArray(enrollments.customerId, customerIds)),
      (r) => r.length === users.length,
      'one enrollment per customer',
    );
    for (const row of rows) workflows.add(row.workflowId);
    expect(new Set(rows.map((r) => r.customerId)).size).toBe(users.length);
    expect(rows.every((r) => r.status === 'active')).toBe(true);
    for (const row of rows) {
      const description = await temporal.client.workflow.getHandle(row.workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
    }
  });
});
