import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { createDb, withDatabase } from '../../drizzle/client';
import { migrate, migrationsFolder } from '../../drizzle/migrate';
import * as schema from '../../drizzle/schema';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';

describe('migrations', () => {
  const admin = postgres(inject('postgresUrl'), { max: 1, onnotice: () => {} });
  const name = `perennial_empty_${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('applies every migration to an empty database, and again as a no-op', async () => {
    await admin.unsafe(`create database ${name}`);
    const handle = await createDb({ url: withDatabase(inject('postgresUrl'), name), max: 2 });
    try {
      await migrate(handle);
      await migrate(handle); // idempotent
      const sql = handle.driver.kind === 'postgres' ? handle.driver.sql : undefined;
      const tables =
        await sql!`select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      // Every table the schema declares exists, and nothing else (a table added without a migration fails here).
      const declared = Object.values(schema)
        .filter((value) => is(value, PgTable))
        .map((table) => getTableConfig(table as PgTable).name)
        .sort();
      expect(declared.length).toBeGreaterThan(10);
      expect(tables.map((t) => t.table_name)).toEqual(declared);
      const applied = await sql!`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const files = readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql'));
      expect(applied[0]!.n).toBe(files.length);
    } finally {
      await handle.close();
    }
  });
});
