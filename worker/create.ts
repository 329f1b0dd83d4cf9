/** Builds the journey worker from its parts; used by `npm run worker`, `npm start` and tests. */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities } from '../activities';
import { scrubActivityError } from '../platform/logging';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once (webpack, a few seconds); reuse the result across workers. */
export function bundleWorkflows(): Promise<WorkflowBundleOption> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

export interface JourneyWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  workflowBundle?: WorkflowBundleOption;
}

export function createJourneyWorker(options: JourneyWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    // Sleeping enrollments hold no memory: evict idle workflows from the cache freely.
    maxCachedWorkflows: 2_000,
    // A failure's message is kept in the workflow history and logged: no email or phone in it.
    interceptors: {
      activity: [
        () => ({
          inbound: {
            execute: (input, next) => next(input).catch((error: unknown) => Promise.reject(scrubActivityError(error))),
          },
        }),
      ],
    },
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
