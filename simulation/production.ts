/**
 * The simulator a process runs (`npm run api`, `npm start`): the provisioned time-skipping server,
 * the workflow code bundled on the first simulation (once per process), one spare kept warm.
 * Built by the process's main and handed to the API; the process closes it on shutdown.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import type { Db } from '../drizzle/client';
import { createSimulator, type SendPolicy } from './simulate';
import { locateTestServer, type ServerExecutable } from './test-server';

const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export function createProductionSimulator(options: {
  db: Db;
  /** Default: TEMPORAL_TEST_SERVER_PATH or the provisioned launcher (see ./test-server.ts). */
  testServer?: () => ServerExecutable | Promise<ServerExecutable>;
  /** The deployment's do-not-disturb dates and frequency caps: the ones the worker sends under. */
  sendPolicy?: SendPolicy;
}): ReturnType<typeof createSimulator> {
  let bundle: Promise<WorkflowBundleOption> | undefined;
  return createSimulator({
    db: options.db,
    testServer: options.testServer ?? locateTestServer,
    workflowBundle: () => (bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger })),
    keepSpare: true,
    sendPolicy: options.sendPolicy,
  });
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
