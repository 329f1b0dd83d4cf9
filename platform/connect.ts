/** Connections with one clear line when a dependency is missing, instead of a stack trace. */
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import { createDb, type DbConfig, type DbHandle } from '../drizzle/client';
import { temporalConnectionOptions, type TemporalEnv } from './env';

export class DependencyError extends Error {
  override name = 'DependencyError';
}

export async function connectTemporal(env: TemporalEnv): Promise<{ native: NativeConnection; client: Connection }> {
  const options = temporalConnectionOptions(env);
  try {
    const native = await NativeConnection.connect(options);
    const client = await Connection.connect({ ...options, connectTimeout: 10_000 });
    return { native, client };
  } catch (error) {
    throw new DependencyError(
      `Temporal is not reachable at ${env.TEMPORAL_ADDRESS} (${firstLine(error)}). ` +
        'Start everything embedded with `npm start`, run `temporal server start-dev`, or set TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TEMPORAL_TLS_* for a cluster).',
    );
  }
}

export async function connectDatabase(config: DbConfig): Promise<DbHandle> {
  let handle: DbHandle | undefined;
  try {
    handle = await createDb(config);
    await handle.db.execute(sql`select 1`);
    return handle;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    const where = 'url' in config ? (handle?.describe ?? 'DATABASE_URL') : `PGlite at ${config.pgliteDir}`;
    throw new DependencyError(
      `Postgres is not reachable at ${where} (${firstLine(error)}). ` +
        'Set DATABASE_URL=postgres://user:pass@host:5432/db to a running server, or unset it to use the embedded PGlite.',
    );
  }
}

/** A short reason: drivers wrap the cause (drizzle) or print a transport dump (tonic). */
function firstLine(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? `${(cause as { code?: string }).code ?? ''} ${cause.message}` : String(cause);
  if (/ECONNREFUSED|Connection refused/i.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|dns error|failed to lookup/i.test(text)) return 'host not found';
  if (/timed? ?out|ETIMEDOUT/i.test(text)) return 'timed out';
  return text.trim().split('\n')[0]?.slice(0, 200) ?? 'unknown error';
}
