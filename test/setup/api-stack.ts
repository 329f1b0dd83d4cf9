/**
 * What API-level integration tests start: a private database, the dev server, a worker with real
 * activities on its own task queue, and the app (`app.inject` needs no port). `close()` terminates
 * the workflows the file noted in `started` (journeys sleep for weeks) and stops everything.
 */
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { buildApp, type AppDeps } from '../../api/app';
import { connectDevServer, createTestDatabase, createTestWorker, uniqueTaskQueue } from './harness';

export interface ApiStack {
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  temporal: Awaited<ReturnType<typeof connectDevServer>>;
  taskQueue: string;
  worker: Worker;
  app: FastifyInstance;
  /** Workflow ids to terminate in `close()`. */
  started: Set<string>;
  close(): Promise<void>;
}

export async function startApiStack(options: {
  name: string;
  adminApiKey: string;
  /** Default: real activities with no transports. */
  activities?: (stack: Pick<ApiStack, 'db' | 'temporal' | 'taskQueue'>) => Partial<Activities>;
  app?: (stack: Pick<ApiStack, 'db' | 'temporal' | 'taskQueue'>) => Partial<AppDeps>;
}): Promise<ApiStack> {
  const [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  const taskQueue = uniqueTaskQueue(options.name);
  const base = { db, temporal, taskQueue };
  const activities =
    options.activities?.(base) ??
    createActivities({ db: db.db, transports: {}, clock: () => new Date(), publicUrl: 'http://127.0.0.1' });
  const worker = await createTestWorker({ connection: temporal.native, taskQueue, activities });
  const workerRunning = worker.run();
  const app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue,
    adminApiKey: options.adminApiKey,
    ...options.app?.(base),
  });
  await app.ready();
  const started = new Set<string>();
  return {
    ...base,
    worker,
    app,
    started,
    async close() {
      await app.close();
      await Promise.all(
        [...started].map((id) =>
          temporal.client.workflow
            .getHandle(id)
            .terminate(`${options.name} test cleanup`)
            .catch(() => undefined),
        ),
      );
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRunning;
      await temporal.close();
      await db.close();
    },
  };
}
