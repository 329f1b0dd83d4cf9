/** `npm run worker`: the production worker process. */
import { pino } from 'pino';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createEnroller } from '../services/journeys/enroll';
import { createActivities } from '../activities';
import { createRateLimiter } from '../activities/rate-limiter';
import { createSegmentMembership } from '../services/segments/membership';
import { createSmtpTransport, createWebhookTransport, payloadShapers, type Transports } from '../activities/transports';
import { migrate } from '../drizzle/migrate';
import { connectDatabase, connectTemporal, DependencyError } from '../platform/connect';
import { createJourneyWorker } from './create';
import { createEventRouter } from './router';
import { ensureSchedules } from './schedules';
import { privateLoggerOptions, safeError, scrubPii } from '../platform/logging';
import { databaseConfigFromEnv, EnvError, parseEnv, sendPolicyFromEnv } from '../platform/env';
import { emailDeliveryCheck, workerEnv, type WorkerEnv } from './env';

async function main() {
  const env = parseEnv(workerEnv, process.env);
  const log = pino(privateLoggerOptions(env.LOG_LEVEL));
  const email = emailDeliveryCheck(env);
  if (email.errors.length) throw new EnvError(`invalid environment:\n${email.errors.join('\n')}`);
  for (const warning of email.warnings) log.warn(warning);
  // Temporal's own log lines (activity and workflow failures) go through the same scrubbing.
  Runtime.install({ logger: runtimeLogger(log, env.LOG_LEVEL) });
  const database = await connectDatabase(databaseConfigFromEnv(process.env));
  await migrate(database);
  const temporal = await connectTemporal(env);
  const temporalClient = new Client({ connection: temporal.client, namespace: env.TEMPORAL_NAMESPACE });
  const enroller = createEnroller({
    db: database.db,
    temporal: temporalClient,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    clock: () => new Date(),
  });
  const transports = transportsFromEnv(env);
  const worker = await createJourneyWorker({
    connection: temporal.native,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    activities: createActivities({
      db: database.db,
      transports,
      clock: () => new Date(),
      publicUrl: env.PUBLIC_URL,
      uncertainSends: env.SMTP_UNCERTAIN_POLICY,
      messaging: {
        linkSecret: env.MESSAGING_LINK_SECRET,
        ...sendPolicyFromEnv(env),
        rateLimiter: env.PROVIDER_RATE_LIMITS ? createRateLimiter(env.PROVIDER_RATE_LIMITS) : undefined,
      },
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
  const stopRouter = createEventRouter({
    db: database.db,
    temporal: temporalClient,
    enroller,
    afterBatch,
    singleConnection: database.driver.kind === 'pglite',
  }).start({
    // A batch is bounded (about 5 s, plus one event's Temporal calls): a slower one is worth a line.
    onBatch: (result) =>
      result.ms > 10_000 ? log.warn(result, 'slow event-routing batch') : log.debug(result, 'events routed'),
    onError: (error) => log.warn({ err: error }, 'event routing failed; retrying'),
  });
  log.info(
    { taskQueue: env.TEMPORAL_TASK_QUEUE, namespace: env.TEMPORAL_NAMESPACE, db: database.describe },
    'worker running',
  );
  // Bounded: the SDK drains on SIGINT/SIGTERM, but a dependency that is gone (Postgres stopped
  // first) must not keep the process alive.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () =>
      setTimeout(() => {
        log.error('shutdown took over 10 s; exiting anyway');
        process.exit(1);
      }, 10_000).unref(),
    );
  await worker.run(); // resolves after SIGINT/SIGTERM: the SDK drains in-flight tasks
  await stopRouter();
  await Promise.all([temporal.native.close(), temporal.client.close(), database.close()]);
}

const temporalLevels: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

function runtimeLogger(log: Logger, level: string): DefaultLogger {
  return new DefaultLogger(temporalLevels[level] ?? 'INFO', (entry) => {
    const meta = Object.fromEntries(
      Object.entries(entry.meta ?? {}).map(([k, v]) => [
        k,
        v instanceof Error ? safeError(v) : typeof v === 'string' ? scrubPii(v) : v,
      ]),
    );
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[
      entry.level
    ];
    log[method]({ ...meta, source: 'temporal' }, scrubPii(entry.message));
  });
}

function transportsFromEnv(env: WorkerEnv): Transports {
  const transports: Transports = {};
  const dkim =
    env.DKIM_DOMAIN && env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY
      ? { domainName: env.DKIM_DOMAIN, keySelector: env.DKIM_SELECTOR, privateKey: env.DKIM_PRIVATE_KEY }
      : undefined;
  if (env.SMTP_URL) transports.email = createSmtpTransport({ url: env.SMTP_URL, from: env.MAIL_FROM, dkim });
  const http = { sms: env.SMS_WEBHOOK_URL, push: env.PUSH_WEBHOOK_URL, wechat: env.WECHAT_WEBHOOK_URL };
  for (const channel of ['sms', 'push', 'wechat'] as const) {
    const url = http[channel];
    if (!url) continue;
    if (!env.PROVIDER_WEBHOOK_SECRET)
      throw new EnvError(
        `invalid environment:\n  PROVIDER_WEBHOOK_SECRET: required with ${channel.toUpperCase()}_WEBHOOK_URL`,
      );
    transports[channel] = createWebhookTransport({
      url,
      secret: env.PROVIDER_WEBHOOK_SECRET,
      shape: payloadShapers[channel],
    });
  }
  return transports;
}

main().catch((error: unknown) => {
  if (error instanceof DependencyError || error instanceof EnvError) {
    console.error(`perennial worker: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
