/**
 * Child processes that end with their parent. Every server a Perennial process starts (the Temporal
 * dev server, time-skipping servers, a test Postgres, an API under test) is launched through
 * `setpriv --pdeathsig KILL` (util-linux): the kernel kills the child when the process that spawned
 * it dies, even by SIGKILL, when no `finally` or signal handler runs. The signal fires when the
 * spawning *thread* exits; Node spawns from its main thread, so that is the process's life.
 * Without setpriv (not Linux), children are launched as they are and only orderly shutdowns stop them.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** `[command, args]` that run `command args` killed with its parent (see above). */
export function dieWithParent(command: string, args: readonly string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Spawns `command args` so that it dies with this process (see above). */
export function spawnChild(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [file, argv] = dieWithParent(command, args);
  return spawn(file, argv, options);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true once `host:port` accepts a connection, false after `timeoutMs`. */
export function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = () => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Calls `onOrphaned` once when this process's parent dies (it is then re-parented, so its ppid
 * changes): `npm start` and `npm run api` run under a tsx wrapper process, and a SIGKILL of the
 * wrapper must not leave this process (and its servers) running. Returns a function that stops watching.
 */
export function watchParent(onOrphaned: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
