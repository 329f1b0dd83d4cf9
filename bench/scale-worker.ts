/**
 * The scale benchmark's journey worker, in its own process so its RSS is the worker's alone.
 * Production configuration (createJourneyWorker). Env: SCALE_DATABASE_URL, TEMPORAL_ADDRESS,
 * SCALE_TASK_QUEUE, SCALE_BUNDLE. Prints `ready` once polling; SIGTERM shuts it down.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createDb } from '../drizzle/client';
import { createJourneyWorker } from '../worker/create';

// Warnings and errors only (the SDK logs every worker state change, the core warns about dev-server capabilities).
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});
const need = (name: string) =>
  process.env[name] ?? (console.error(`scale-worker: ${name} is required`), process.exit(2));
const db = await createDb({ url: need('SCALE_DATABASE_URL'), max: 10 });
const connection = await NativeConnection.connect({ address: need('TEMPORAL_ADDRESS') });
const worker = await createJourneyWorker({
  connection,
  namespace: 'default',
  taskQueue: need('SCALE_TASK_QUEUE'),
  workflowBundle: { codePath: need('SCALE_BUNDLE') },
  activities: createActivities({ db: db.db, transports: {}, clock: () => new Date(), publicUrl: 'http://127.0.0.1' }),
});
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('ready');
await running;
await connection.close();
await db.close();
