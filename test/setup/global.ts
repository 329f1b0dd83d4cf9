/**
 * Once per `npm test`: provision the Temporal servers (cached), start one Postgres (or use
 * TEST_DATABASE_URL) with a migrated template database, start one dev server, bundle workflows once.
 * Test files get what they need through `inject()`; time-skipping servers are per file (their clock
 * is global to the server, so files must not share one).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb, withDatabase } from '../../drizzle/client';
import { migrate } from '../../drizzle/migrate';
import { startDevServer, freePort } from '../../scripts/dev-server';
import { startPostgresCluster } from '../../scripts/postgres-cluster';
import { provisionDevServer, provisionTestServer, type ServerExecutable } from '../../scripts/provision';
import { workflowsPath } from '../../worker/create';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    templateDatabase: string;
    devServerAddress: string;
    testServerExecutable: ServerExecutable;
    workflowBundlePath: string;
  }
}

export const TEMPLATE_DATABASE = 'perennial_template';

export default async function setup(project: TestProject) {
  const log = (line: string) => console.log(`[setup] ${line}`);
  const started = Date.now();
  const [devExecutable, testExecutable] = [await provisionDevServer(log), await provisionTestServer(log)];

  const cluster = process.env.TEST_DATABASE_URL ? undefined : await startPostgresCluster(await freePort());
  const postgresUrl = process.env.TEST_DATABASE_URL ?? cluster!.url;
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  try {
    return await startTheRest();
  } catch (error) {
    await admin.end();
    await cluster?.stop();
    throw error;
  }

  async function startTheRest() {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
    const template = await createDb({ url: withDatabase(postgresUrl, TEMPLATE_DATABASE), max: 1 });
    await migrate(template);
    await template.close();

    const [devServer, bundle] = await Promise.all([
      startDevServer({ executable: devExecutable }),
      bundleWorkflowCode({
        workflowsPath,
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
      }),
    ]);
    const bundleDir = join(process.cwd(), '.cache', 'test');
    mkdirSync(bundleDir, { recursive: true });
    const workflowBundlePath = join(bundleDir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, bundle.code);

    project.provide('postgresUrl', postgresUrl);
    project.provide('templateDatabase', TEMPLATE_DATABASE);
    project.provide('devServerAddress', devServer.address);
    project.provide('testServerExecutable', testExecutable);
    project.provide('workflowBundlePath', workflowBundlePath);
    log(
      `ready in ${((Date.now() - started) / 1000).toFixed(1)} s (postgres ${cluster ? 'started' : 'from TEST_DATABASE_URL'}, dev server ${devServer.address})`,
    );

    return async () => {
      await devServer.stop();
      await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`).catch(() => undefined);
      await admin.end();
      await cluster?.stop();
    };
  }
}
