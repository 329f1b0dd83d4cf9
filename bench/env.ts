/**
 * What every benchmark runs against, started once per `npm run bench`: a real Postgres (a throwaway
 * cluster, or BENCH_DATABASE_URL) with a fresh migrated database per benchmark, a real Temporal dev
 * server (the provisioned CLI, SQLite on disk so its size can be measured), one workflow bundle.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { createDb, withDatabase, type DbHandle } from '../drizzle/client';
import { migrate } from '../drizzle/migrate';
import { freePort, startDevServer, type DevServer } from '../scripts/dev-server';
import { startPostgresCluster, type PostgresCluster } from '../scripts/postgres-cluster';
import { provisionDevServer, provisionTestServer, type ServerExecutable } from '../scripts/provision';

export interface BenchDatabase extends DbHandle {
  url: string;
  sql: postgres.Sql;
}

export interface BenchEnv {
  quick: boolean;
  /** A progress line on stderr (stdout is the table). */
  progress(line: string): void;
  /** A fresh, migrated database; dropped when the run ends. */
  database(label: string): Promise<BenchDatabase>;
  temporal: { address: string; client: Client; native: NativeConnection; namespace: string };
  /** The dev server's SQLite files (main, -wal, -shm) in bytes. */
  devServerDbBytes(): number;
  /** Perennial's workflows plus the raw baselines (bench/workflows.ts), bundled once; `codePath` for child processes. */
  workflowBundle(): Promise<{ codePath: string }>;
  testServer(): Promise<ServerExecutable>;
}

/** One row of the results table. `ratio` is ours ÷ raw for throughputs (higher is better). */
export interface Row {
  benchmark: string;
  measure: string;
  ours: number;
  raw?: number;
  unit: string;
  ratio?: number;
  /** Human-readable goal: `≥ 0.5×`, `≤ 2 s`. */
  goal?: string;
  met?: boolean;
  note?: string;
}

export interface Benchmark {
  name: string;
  /** One line for the table's legend and BENCHMARKS.md. */
  title: string;
  run(env: BenchEnv): Promise<Row[]>;
}

export function ratioRow(row: Omit<Row, 'ratio' | 'met' | 'goal'> & { raw: number; goal: number }): Row {
  const ratio = row.ours / row.raw;
  return { ...row, ratio: round(ratio, 2), goal: `≥ ${row.goal}×`, met: ratio >= row.goal };
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * The dev server's SQLite in write-ahead-log mode with `synchronous=normal` (durable at checkpoints):
 * in its default rollback-journal mode every server transaction waits for an fsync, which bounds the
 * whole server at a few dozen workflow tasks a second on this machine.
 */
export const DEV_SERVER_PRAGMAS = { journal_mode: 'wal', synchronous: 'normal' };

const benchWorkflows = fileURLToPath(new URL('./workflows.ts', import.meta.url));
const cacheDirectory = fileURLToPath(new URL('../.cache/bench/', import.meta.url));

export async function startBenchEnv(options: { quick: boolean }): Promise<BenchEnv & { close(): Promise<void> }> {
  const progress = (line: string) =>
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse())
      await Promise.resolve(cleanup()).catch((error: unknown) => progress(`cleanup failed: ${String(error)}`));
  };
  try {
    const quiet = () => {};
    const [devExecutable, postgresUrl] = await Promise.all([provisionDevServer(quiet), startPostgres()]);
    const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
    const databases: string[] = [];
    cleanups.push(async () => {
      for (const name of databases) await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    });

    const dir = mkdtempSync(join(tmpdir(), 'perennial-bench-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbFile = join(dir, 'temporal.sqlite');
    const devServer: DevServer = await startDevServer({
      executable: devExecutable,
      dbFile,
      sqlitePragmas: DEV_SERVER_PRAGMAS,
    });
    cleanups.push(() => devServer.stop());
    const connection = await Connection.connect({ address: devServer.address });
    const native = await NativeConnection.connect({ address: devServer.address });
    cleanups.push(() => connection.close());
    cleanups.push(() => native.close());
    progress(
      `postgres ${process.env.BENCH_DATABASE_URL ? 'from BENCH_DATABASE_URL' : 'cluster started'}; dev server ${devServer.address} (SQLite ${dbFile})`,
    );

    let bundle: Promise<{ codePath: string }> | undefined;
    let testServer: Promise<ServerExecutable> | undefined;
    return {
      quick: options.quick,
      progress,
      async database(label) {
        const name = `perennial_bench_${label.replace(/[^a-z0-9]/g, '_')}_${Date.now().toString(36)}`;
        await admin.unsafe(`create database ${name}`);
        databases.push(name);
        const url = withDatabase(postgresUrl, name);
        const handle = await createDb({ url, max: 10 });
        await migrate(handle);
        cleanups.push(() => handle.close());
        if (handle.driver.kind !== 'postgres') throw new Error('unreachable: a URL gives postgres.js');
        return { ...handle, url, sql: handle.driver.sql };
      },
      temporal: { address: devServer.address, client: new Client({ connection }), native, namespace: 'default' },
      devServerDbBytes: () => ['', '-wal', '-shm'].reduce((sum, suffix) => sum + fileSize(dbFile + suffix), 0),
      workflowBundle: () =>
        (bundle ??= (async () => {
          // Cached by the hash of what goes into it: webpack takes 8-30 s on this machine.
          const codePath = join(cacheDirectory, `workflow-bundle-${bundleInputsHash()}.js`);
          if (existsSync(codePath)) return { codePath };
          const started = Date.now();
          const { code } = await bundleWorkflowCode({
            workflowsPath: benchWorkflows,
            logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
          });
          mkdirSync(cacheDirectory, { recursive: true });
          writeFileSync(`${codePath}.partial`, code);
          renameSync(`${codePath}.partial`, codePath);
          progress(`workflows bundled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          return { codePath };
        })()),
      testServer: () => (testServer ??= provisionTestServer(quiet)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }

  async function startPostgres(): Promise<string> {
    if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
    const cluster: PostgresCluster = await startPostgresCluster(await freePort());
    cleanups.push(() => cluster.stop());
    return cluster.url;
  }
}

/** Everything the bench bundle is built from: our workflow and domain sources, the bench entry, the lockfile. */
function bundleInputsHash(): string {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const hash = createHash('sha256');
  const files = ['workflows', 'domain'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)),
  );
  for (const file of [...files.sort(), 'bench/workflows.ts', 'package-lock.json']) {
    const path = join(root, file);
    if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 16);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

/** Wall seconds of `fn`. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}
