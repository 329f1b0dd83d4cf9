import { fileURLToPath } from 'node:url';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { singleKeyLocks } from './locks';
import type { DbHandle } from './client';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies every pending migration; idempotent, and concurrent boots wait on an advisory lock. */
export async function migrate(handle: DbHandle): Promise<void> {
  const { db, driver } = handle;
  if (driver.kind === 'pglite') {
    await migratePglite(db as unknown as PgliteDatabase, { migrationsFolder });
    return;
  }
  // Two processes booting together must not both migrate: hold a session lock on one connection.
  const lockConnection = await driver.sql.reserve();
  try {
    await lockConnection`select pg_advisory_lock(${singleKeyLocks.migration})`;
    await migratePostgres(db as unknown as PostgresJsDatabase, { migrationsFolder });
  } finally {
    await lockConnection`select pg_advisory_unlock(${singleKeyLocks.migration})`.catch(() => undefined);
    lockConnection.release();
  }
}
