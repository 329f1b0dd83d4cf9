/** Starts a Temporal dev server (the provisioned `temporal` CLI) with Perennial's search attributes. */
import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributes } from '../workflows/contracts/enrollment';
import { freePort, spawnChild, waitForPort } from '../platform/children';
import type { ServerExecutable } from './provision';

export { freePort };

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** The server process and the command line it was launched with (absent for the SDK's download). */
  process?: { pid: number; commandLine: string };
  stop(): Promise<void>;
}

export interface DevServerOptions {
  executable: ServerExecutable;
  port?: number;
  /** Web UI port; omit for headless. */
  uiPort?: number;
  /** Persistent SQLite file; omit for in-memory. */
  dbFile?: string;
  namespace?: string;
  /** SQLite pragmas for the persistent store, e.g. `{ journal_mode: 'wal', synchronous: 'normal' }`. */
  sqlitePragmas?: Record<string, string>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  if (options.executable.type === 'cached-download') {
    // No local binary: let the SDK download one (needs internet).
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        ui: options.uiPort !== undefined,
        uiPort: options.uiPort,
        dbFilename: options.dbFile,
        namespace: options.namespace,
        searchAttributes: Object.values(searchAttributes),
      },
    });
    return {
      address: env.address,
      uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : null,
      stop: () => env.teardown(),
    };
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  args.push(...(options.uiPort !== undefined ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  args.push('--db-filename', options.dbFile ?? '');
  for (const [pragma, value] of Object.entries(options.sqlitePragmas ?? {}))
    args.push('--sqlite-pragma', `${pragma}=${value}`);
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const key of Object.values(searchAttributes))
    args.push('--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`);

  // Something already listening would look like our server starting: refuse instead of running on it.
  for (const taken of [port, options.uiPort])
    if (taken !== undefined && (await waitForPort('127.0.0.1', taken, 0)))
      throw new PortInUseError(`port ${taken} is already in use: the Temporal dev server cannot listen on it`);
  const child = spawnChild(options.executable.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = await Promise.race([waitForPort('127.0.0.1', port, 60_000), exited.then(() => false)]);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`the Temporal dev server did not start on port ${port}: ${stderr.trim() || 'no output'}`);
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : null,
    process: child.pid ? { pid: child.pid, commandLine: [options.executable.path, ...args].join(' ') } : undefined,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}
