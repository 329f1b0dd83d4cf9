/**
 * Real processes that fault tests break on purpose: a Postgres cluster restarted on the same data
 * directory and port, a Temporal dev server restarted on the same SQLite file and port, the worker
 * (`worker/main.ts`) and API (`api/main.ts`) processes killed with SIGKILL and started again, and an
 * SMTP sink in the test process that records every message it accepts.
 *
 * Processes that die on their own (a worker booting while Temporal is away exits with code 2) are
 * started again after a second, as a supervisor would; those restarts are counted, not hidden.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { spawnChild } from '../../platform/children';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createDb } from '../../drizzle/client';
import { migrate } from '../../drizzle/migrate';
import { freePort, startDevServer, type DevServer } from '../../scripts/dev-server';
import { findPostgresBin } from '../../scripts/postgres-cluster';
import { provisionDevServer, waitForPort, type ServerExecutable } from '../../scripts/provision';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';

export type FaultKind = 'worker-kill' | 'postgres-restart' | 'temporal-restart' | 'api-kill';

export interface FaultHarness {
  apiUrl: string;
  adminKey: string;
  sink: SmtpSink;
  /** The test's own connection (postgres.js reconnects after a Postgres restart). */
  sql: postgres.Sql;
  /** Faults injected so far, by kind. */
  injected: Record<FaultKind, number>;
  /** Processes that exited without being killed, restarted by the supervisor. */
  unexpectedExits: { worker: number; api: number };
  /** The last output of each unexpected exit. */
  exitReasons: string[];
  killWorker(): void;
  startWorker(): Promise<void>;
  killApi(): void;
  startApi(): Promise<void>;
  restartPostgres(downMs: number): Promise<void>;
  restartTemporal(downMs: number): Promise<void>;
  /** Recent output of the worker and API processes (for failure messages). */
  logs(): string;
  close(): Promise<void>;
}

/**
 * `node --import tsx entry.ts`: one process. `node_modules/.bin/tsx` would run the entry in a child
 * process, and a SIGKILL to the wrapper would leave that child running.
 */
const tsx = [process.execPath, '--import', 'tsx'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** If the test process ends without `close()` (a timed-out hook), its children must not outlive it. */
const onExit = new Set<() => void>();
process.once('exit', () => {
  for (const stop of onExit) stop();
});

export async function startFaultHarness(options: { taskQueue?: string } = {}): Promise<FaultHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'perennial-faults-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const postgresCluster = await startRestartablePostgres(dir);
    cleanups.unshift(() => postgresCluster.stop());
    const executable = await provisionDevServer(() => {});
    if (executable.type !== 'existing-path') throw new Error('fault tests need the temporal CLI (npm run provision)');
    const temporal = await startRestartableTemporal(executable, join(dir, 'temporal.sqlite'));
    cleanups.unshift(() => temporal.stop());
    const sink = await startSmtpSink();
    cleanups.unshift(() => sink.close());
    const sql = postgres(postgresCluster.url, { max: 2, onnotice: () => {} });
    cleanups.unshift(() => sql.end({ timeout: 1 }));

    const adminKey = 'fault-admin-key-0123456789';
    const apiPort = await freePort();
    const common = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: postgresCluster.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: options.taskQueue ?? 'perennial-faults',
      LOG_LEVEL: 'info',
      MESSAGING_LINK_SECRET: 'fault-suite-link-secret-0123456789abcdef',
    };
    const injected: Record<FaultKind, number> = {
      'worker-kill': 0,
      'postgres-restart': 0,
      'temporal-restart': 0,
      'api-kill': 0,
    };
    const unexpectedExits = { worker: 0, api: 0 };
    const exitReasons: string[] = [];
    // PGAPPNAME names each process's sessions in pg_stat_activity (stall diagnostics).
    const api = supervised(
      'api',
      [...tsx, 'api/main.ts'],
      { ...common, PGAPPNAME: 'perennial-api', PORT: String(apiPort), ADMIN_API_KEY: adminKey },
      { port: apiPort },
      (why) => {
        unexpectedExits.api++;
        exitReasons.push(why);
      },
    );
    cleanups.unshift(() => api.stop());
    const worker = supervised(
      'worker',
      [...tsx, 'worker/main.ts'],
      { ...common, PGAPPNAME: 'perennial-worker', SMTP_URL: sink.url },
      { outputIncludes: 'worker running' },
      (why) => {
        unexpectedExits.worker++;
        exitReasons.push(why);
      },
    );
    cleanups.unshift(() => worker.stop());
    // Migrated here first: the processes then find the schema in place and can boot side by side.
    const migrator = await createDb({ url: postgresCluster.url, max: 1 });
    await migrate(migrator);
    await migrator.close();
    await Promise.all([api.start(), worker.start()]);

    return {
      apiUrl: `http://127.0.0.1:${apiPort}`,
      adminKey,
      sink,
      sql,
      injected,
      unexpectedExits,
      exitReasons,
      killWorker() {
        injected['worker-kill']++;
        worker.kill();
      },
      startWorker: () => worker.start(),
      killApi() {
        injected['api-kill']++;
        api.kill();
      },
      startApi: () => api.start(),
      async restartPostgres(downMs) {
        injected['postgres-restart']++;
        await postgresCluster.restart(downMs);
      },
      async restartTemporal(downMs) {
        injected['temporal-restart']++;
        await temporal.restart(downMs);
      },
      logs: () => `--- worker ---\n${worker.output()}\n--- api ---\n${api.output()}`,
      close: () => runCleanups(cleanups),
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

async function runCleanups(cleanups: (() => Promise<void> | void)[]) {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch {
      // best effort: the rest must still run
    }
  }
}

/**
 * A child process kept running: `start()` resolves once it is ready; `kill()` is SIGKILL and leaves
 * it down until the next `start()`. An exit nobody asked for restarts it after a second.
 */
type Readiness = { port: number } | { outputIncludes: string };

function supervised(
  name: string,
  command: string[],
  env: Record<string, string>,
  ready: Readiness,
  onUnexpectedExit: (why: string) => void,
) {
  let child: ChildProcess | undefined;
  let wanted = false;
  let tail = '';
  let starting: Promise<void> | undefined;

  function spawnOnce(): Promise<void> {
    const [file, ...args] = command;
    const proc = spawnChild(file!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const killOnExit = () => proc.kill('SIGKILL');
    onExit.add(killOnExit);
    proc.once('exit', () => onExit.delete(killOnExit));
    let output = '';
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        resolve();
      };
      const check = (chunk: Buffer) => {
        const text = chunk.toString();
        output = (output + text).slice(-4000);
        tail = (tail + text).slice(-8000);
        if ('outputIncludes' in ready && output.includes(ready.outputIncludes)) done();
      };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', check);
      proc.once('exit', (code, signal) => {
        if (child === proc) child = undefined;
        if (!settled) {
          settled = true;
          reject(new Error(`${name} exited during start (${signal ?? code}): ${output.slice(-1000)}`));
        } else if (wanted && signal !== 'SIGKILL') {
          onUnexpectedExit(`${name} exited (${signal ?? code}): ${output.slice(-3000)}`);
          setTimeout(() => {
            if (wanted && !child) void start().catch(() => undefined);
          }, 1_000);
        }
      });
      if ('port' in ready) {
        void waitForPort('127.0.0.1', ready.port, 60_000).then((ok) => {
          if (ok && child === proc) done();
        });
      }
    });
  }

  /** Starts (retrying boots that fail, e.g. while a dependency is down) until ready. */
  function start(): Promise<void> {
    wanted = true;
    starting ??= (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await spawnOnce();
          return;
        } catch (error) {
          if (attempt >= 30 || !wanted) throw error;
          onUnexpectedExit(error instanceof Error ? error.message.slice(0, 600) : String(error));
          await sleep(1_000);
        }
      }
    })().finally(() => (starting = undefined));
    return starting;
  }

  return {
    start,
    kill() {
      child?.kill('SIGKILL');
      child = undefined;
    },
    output: () => tail,
    async stop() {
      wanted = false;
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** A cluster like scripts/postgres-cluster.ts, that can be stopped and started on its data directory. */
async function startRestartablePostgres(dir: string) {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found: `apt-get install postgresql`');
  const pgDir = join(dir, 'pg');
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${(result.stderr || result.stdout || '').trim()}`);
  };
  spawnSync('mkdir', ['-p', pgDir]);
  if (asRoot) {
    spawnSync('chown', ['postgres:postgres', pgDir]);
    spawnSync('chmod', ['755', dir]);
  } else chownSync(pgDir, userInfo().uid, userInfo().gid);
  const data = join(pgDir, 'data');
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${pgDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-w', '-l', join(pgDir, 'log'), 'start']);
  start();
  const stopOnExit = () =>
    spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), [
      ...(asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl')] : []),
      '-D',
      data,
      '-m',
      'immediate',
      'stop',
    ]);
  onExit.add(stopOnExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** Immediate stop (every connection cut, crash recovery on start), down for `downMs`, start. */
    async restart(downMs: number) {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await sleep(downMs);
      start();
    },
    stop() {
      onExit.delete(stopOnExit);
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    },
  };
}

/** The dev server on a fixed port and a persistent SQLite file: a restart keeps every workflow. */
async function startRestartableTemporal(executable: ServerExecutable, dbFile: string) {
  const port = await freePort();
  let server: DevServer | undefined = await startDevServer({ executable, port, dbFile });
  return {
    address: server.address,
    async restart(downMs: number) {
      await server?.stop();
      server = undefined;
      await sleep(downMs);
      server = await startDevServer({ executable, port, dbFile });
    },
    async stop() {
      await server?.stop();
    },
  };
}
