/** `npm run db:migrate`: applies migrations to DATABASE_URL (or the embedded PGlite under .data/). */
import { createDb } from '../drizzle/client';
import { migrate } from '../drizzle/migrate';
import { databaseConfigFromEnv } from '../platform/env';

const handle = await createDb(databaseConfigFromEnv(process.env));
try {
  await migrate(handle);
  console.log(`migrated ${handle.describe}`);
} finally {
  await handle.close();
}
