/**
 * `createDb`: one factory, two drivers. With a URL: postgres.js against a real server (production,
 * tests). Without: PGlite, Postgres compiled to WASM, in-process with its data in a folder — so
 * `npm start` needs no database server. No global: every process builds its own and closes it.
 */
import { mkdirSync } from 'node:fs';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export interface DbHandle {
  db: Db;
  driver: { kind: 'postgres'; sql: postgres.Sql } | { kind: 'pglite' };
  /** What it is connected to, without credentials, for logs and error lines. */
  describe: string;
  close(): Promise<void>;
}

export type DbConfig = { url: string; max?: number } | { pgliteDir: string };

export async function createDb(config: DbConfig): Promise<DbHandle> {
  if ('url' in config) {
    // At least 2: migrate() holds an advisory lock on one connection while migrating on another.
    const sql = postgres(config.url, { max: Math.max(2, config.max ?? 10), onnotice: () => {} });
    const db = drizzlePostgres(sql, { schema }) as unknown as Db;
    return {
      db,
      driver: { kind: 'postgres', sql },
      describe: redact(config.url),
      close: () => sql.end({ timeout: 5 }),
    };
  }
  mkdirSync(config.pgliteDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const client = await PGlite.create(config.pgliteDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return { db, driver: { kind: 'pglite' }, describe: `PGlite at ${config.pgliteDir}`, close: () => client.close() };
}

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Rows of `db.execute(sql…)`: postgres.js returns an array, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
