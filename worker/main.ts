/** `npm run worker`: the production worker process. */
import { pino } from 'pino';
import { Client } from '@temporalio/client';
import { createEnroller } from '../api/enroll';
import { createActivities } from '../activities';
import { createSegmentMembership } from '../activities/segments';
import { createSmtpTransport, type Transports } from '../activities/transports';
import { migrate } from '../drizzle/migrate';
import { connectDatabase, connectTemporal, DependencyError } from './connect';
import { createJourneyWorker } from './create';
import { createEventRouter } from './router';
import { ensureSchedules } from './schedules';
import { databaseConfigFromEnv, EnvError, parseEnv, workerEnv } from './env';

async function main() {
  const env = parseEnv(workerEnv, process.env);
  const log = pino({ level: env.LOG_LEVEL });
  const database = await connectDatabase(databaseConfigFromEnv(process.env));
  await migrate(database);
  const temporal = await connectTemporal(env);
  const temporalClient = new Client({ connection: temporal.client, namespace: env.TEMPORAL_NAMESPACE });
  const enroller = createEnroller({ db: database.db, temporal: temporalClient, taskQueue: env.TEMPORAL_TASK_QUEUE, clock: () => new Date() });
  const transports: Transports = env.SMTP_URL ? { email: createSmtpTransport({ url: env.SMTP_URL, from: env.MAIL_FROM }) } : {};
  const worker = await createJourneyWorker({
    connection: temporal.native,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    activities: createActivities({
      db: database.db,
      transports,
      clock: () => new Date(),
      publicUrl: env.PUBLIC_URL,
      enroller,
    }),
  });
  // Segments (every 15 min) and category associations (daily) are recomputed on Temporal Schedules;
  // cheap segments also after each routed batch.
  await ensureSchedules(temporalClient, env.TEMPORAL_TASK_QUEUE);
  log.info('segment and association refresh schedules ensured');
  const segmentMembership = createSegmentMembership({ db: database.db, enroller, clock: () => new Date() });
  // Stored events reach journeys through the router; it resumes from `routed_at` after any restart.
  const afterBatch = async (customerIds: string[]) => void (await segmentMembership.evaluateForCustomers(customerIds));
  const stopRouter = createEventRouter({ db: database.db, temporal: temporalClient, enroller, afterBatch }).start({
    onBatch: (result) => log.debug(result, 'events routed'),
    onError: (error) => log.warn({ err: error }, 'event routing failed; retrying'),
  });
  log.info({ taskQueue: env.TEMPORAL_TASK_QUEUE, namespace: env.TEMPORAL_NAMESPACE, db: database.describe }, 'worker running');
  await worker.run(); // resolves after SIGINT/SIGTERM: the SDK drains in-flight tasks
  await stopRouter();
  await Promise.all([temporal.native.close(), temporal.client.close(), database.close()]);
}

main().catch((error: unknown) => {
  if (error instanceof DependencyError || error instanceof EnvError) {
    console.error(`perennial worker: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
