/**
 * A time-skipping test environment whose server we start ourselves. The SDK's own start gives the
 * JVM 5 s to accept connections; on a loaded 2-core machine (CI running test files in parallel, or
 * an API simulating while the worker is busy) it sometimes needs more. We spawn the launcher, wait
 * for its port with a generous limit, and attach the SDK's environment to it as an existing server
 * with the test service enabled. `TestWorkflowEnvironment.create` is SDK-internal (TS-private):
 * @temporalio/testing is pinned to an exact version for this.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from './dev-server';
import type { ServerExecutable } from './provision';

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
  const child = spawn(executable.path, [String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`the time-skipping server exited (${code}) before accepting connections: ${stderr.trim()}`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port, options.acceptTimeoutMs ?? 60_000), exited]);
    const env = await (TestWorkflowEnvironment as unknown as InternalCreate).create({
      server: { type: 'existing' },
      address: `127.0.0.1:${port}`,
      supportsTimeSkipping: true,
      namespace: 'default',
    });
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      await teardown();
      await stop(child);
    };
    return env;
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(
        `the time-skipping server did not accept connections on port ${port} within ${timeoutMs / 1000} s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stop(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
