/**
 * The time-skipping Temporal test server that simulations run on: where the provisioned one is
 * (`npm run provision` builds and caches it; this file only looks), and starting one.
 *
 * The SDK's own start gives the JVM 5 s to accept connections; on a loaded 2-core machine (CI
 * running test files in parallel, or an API simulating while the worker is busy) it sometimes needs
 * more. We spawn the launcher (killed with its parent, see platform/children.ts), wait for its port
 * with a generous limit, and attach the SDK's environment to it as an existing server with the test
 * service enabled. `TestWorkflowEnvironment.create` is SDK-internal (TS-private): @temporalio/testing
 * is pinned to an exact version for this.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort, spawnChild, stopChild, waitForPort } from '../platform/children';

export const TEST_SERVER_VERSION = '1.38.0';

/** A server to run: a local launcher (provisioned), or the SDK's download (needs internet). */
export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

/** Where provisioned servers are cached (PERENNIAL_CACHE_DIR, else ~/.cache/perennial). */
export function cacheDir(): string {
  const base =
    process.env.PERENNIAL_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'perennial');
  mkdirSync(base, { recursive: true });
  return base;
}

/** The test server's launcher in the cache (`npm run provision`). */
export function testServerLauncherPath(): string {
  return join(cacheDir(), `temporal-test-server-${TEST_SERVER_VERSION}`, 'launcher');
}

/**
 * The test server to run: TEMPORAL_TEST_SERVER_PATH, else the provisioned launcher, else the SDK's
 * download. Never builds anything (that is `npm run provision`).
 */
export function locateTestServer(): ServerExecutable {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TEMPORAL_TEST_SERVER_PATH=${fromEnv} does not exist.`);
    return { type: 'existing-path', path: fromEnv };
  }
  const launcher = testServerLauncherPath();
  return existsSync(launcher) ? { type: 'existing-path', path: launcher } : { type: 'cached-download' };
}

interface InternalCreate {
  create(options: {
    server: { type: 'existing' };
    address: string;
    supportsTimeSkipping: true;
    namespace: string;
  }): Promise<TestWorkflowEnvironment>;
}

export async function startTimeSkippingEnvironment(
  executable: ServerExecutable,
  options: { acceptTimeoutMs?: number } = {},
): Promise<TestWorkflowEnvironment> {
  // Without a local launcher (a machine with internet), the SDK's download and start are the fallback.
  if (executable.type !== 'existing-path')
    return TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  const port = await freePort();
  const child = spawnChild(executable.path, [String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`the time-skipping server exited (${code}) before accepting connections: ${stderr.trim()}`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    const timeoutMs = options.acceptTimeoutMs ?? 60_000;
    const accepted = await Promise.race([waitForPort('127.0.0.1', port, timeoutMs), exited]);
    if (!accepted)
      throw new Error(
        `the time-skipping server did not accept connections on port ${port} within ${timeoutMs / 1000} s`,
      );
    const env = await (TestWorkflowEnvironment as unknown as InternalCreate).create({
      server: { type: 'existing' },
      address: `127.0.0.1:${port}`,
      supportsTimeSkipping: true,
      namespace: 'default',
    });
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      try {
        await teardown();
      } finally {
        await stopChild(child);
      }
    };
    return env;
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
