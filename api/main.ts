/** `npm run api`: the production HTTP process. */
import { Client } from '@temporalio/client';
import { migrate } from '../drizzle/migrate';
import { connectDatabase, connectTemporal, DependencyError } from '../platform/connect';
import { databaseConfigFromEnv, EnvError, parseEnv, sendPolicyFromEnv } from '../platform/env';
import { watchParent } from '../platform/children';
import { createProductionSimulator } from '../simulation/production';
import { buildApp } from './app';
import { apiEnv } from './env';

async function main() {
  const env = parseEnv(apiEnv, process.env);
  const database = await connectDatabase(databaseConfigFromEnv(process.env));
  await migrate(database);
  const temporal = await connectTemporal(env);
  const simulator = createProductionSimulator({ db: database.db, sendPolicy: sendPolicyFromEnv(env) });
  const app = await buildApp({
    simulate: simulator,
    db: database.db,
    temporal: new Client({ connection: temporal.client, namespace: env.TEMPORAL_NAMESPACE }),
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    adminApiKey: env.ADMIN_API_KEY,
    temporalUiUrl: env.TEMPORAL_UI_URL,
    logger: { level: env.LOG_LEVEL },
    messaging: {
      linkSecret: env.MESSAGING_LINK_SECRET,
      providerSecret: env.PROVIDER_WEBHOOK_SECRET,
      topics: env.MESSAGING_TOPICS,
    },
    checkOnPublish: true,
    erasureSecret: env.ERASURE_HASH_SECRET ?? env.MESSAGING_LINK_SECRET,
  });
  await app.listen({ host: env.HOST, port: env.PORT });
  // Bounded: a dependency that is gone (Postgres stopped first) must not keep the process alive.
  const shutdown = async () => {
    setTimeout(() => {
      console.error('perennial api: shutdown took over 10 s; exiting anyway');
      process.exit(1);
    }, 10_000).unref();
    await app.close();
    await simulator.close();
    await Promise.all([temporal.native.close(), temporal.client.close(), database.close()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown().catch(() => process.exit(1)));
  process.once('SIGTERM', () => void shutdown().catch(() => process.exit(1)));
  watchParent(() => void shutdown().catch(() => process.exit(1)));
}

main().catch((error: unknown) => {
  if (error instanceof DependencyError || error instanceof EnvError) {
    console.error(`perennial api: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
