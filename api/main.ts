/** `npm run api`: the production HTTP process. */
import { Client } from '@temporalio/client';
import { migrate } from '../drizzle/migrate';
import { connectDatabase, connectTemporal, DependencyError } from '../worker/connect';
import { databaseConfigFromEnv, EnvError, parseEnv, sendPolicyFromEnv } from '../worker/env';
import { buildApp } from './app';
import { apiEnv } from './env';

async function main() {
  const env = parseEnv(apiEnv, process.env);
  const database = await connectDatabase(databaseConfigFromEnv(process.env));
  await migrate(database);
  const temporal = await connectTemporal(env);
  const app = await buildApp({
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
    sendPolicy: sendPolicyFromEnv(env),
    erasureSecret: env.ERASURE_HASH_SECRET ?? env.MESSAGING_LINK_SECRET,
  });
  await app.listen({ host: env.HOST, port: env.PORT });
  const shutdown = async () => {
    await app.close();
    await Promise.all([temporal.native.close(), temporal.client.close(), database.close()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  if (error instanceof DependencyError || error instanceof EnvError) {
    console.error(`perennial api: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
