/** Per-test-file helpers: a private Postgres database, a time-skipping server, the dev server. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDb, withDatabase, type DbHandle } from '../../drizzle/client';
import { migrate } from '../../drizzle/migrate';
import type { Activities } from '../../activities';
import { registerSearchAttributes } from '../../platform/search-attributes';
import { startTimeSkippingEnvironment } from '../../simulation/test-server';

/** A fresh, migrated database cloned from the template (milliseconds), dropped by `close()`. */
export async function createTestDatabase(): Promise<DbHandle & { url: string }> {
  const base = inject('postgresUrl');
  const name = `perennial_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${inject('templateDatabase')}`);
  const url = withDatabase(base, name);
  const handle = await createDb({ url, max: 5 });
  return {
    ...handle,
    url,
    async close() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A fresh, migrated embedded database (PGlite, what `npm start` runs on) in a temp dir, removed by `close()`. */
export async function createPgliteDatabase(): Promise<DbHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'perennial-pglite-'));
  const handle = await createDb({ pgliteDir: dir });
  await migrate(handle);
  return {
    ...handle,
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await startTimeSkippingEnvironment(inject('testServerExecutable'));
  await registerSearchAttributes(env.connection);
  return env;
}

export async function connectDevServer(): Promise<{
  client: Client;
  native: NativeConnection;
  close(): Promise<void>;
}> {
  const address = inject('devServerAddress');
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    native,
    async close() {
      await connection.close();
      await native.close();
    },
  };
}

export function workflowBundle() {
  return { codePath: inject('workflowBundlePath') };
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export function createTestWorker(options: {
  connection: NativeConnection;
  taskQueue: string;
  activities: Partial<Activities>;
  namespace?: string;
}) {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    activities: options.activities,
    workflowBundle: workflowBundle(),
  });
}

/** Polls `probe` every 100 ms until it returns something, or fails naming `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
