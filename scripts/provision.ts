/**
 * Provisions the two Temporal servers from package registries (this project's machines reach no
 * other host) and caches them, so tests and `npm start` never download at run time:
 *  - dev server: `temporal` CLI, built with `go install` from the Go module proxy;
 *  - time-skipping test server: the Maven Central artifact and its jars, behind a launcher script
 *    that starts the JVM with a class-data-sharing archive (the SDK gives it 5 s to listen).
 * Each falls back to the SDK's own download (`cached-download`) when its toolchain is missing.
 *
 * Run directly (`npm run provision`) to provision and print timings; imported by start and tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnChild, waitForPort } from '../platform/children';
import {
  cacheDir,
  TEST_SERVER_VERSION,
  testServerLauncherPath,
  type ServerExecutable,
} from '../simulation/test-server';

export { cacheDir, TEST_SERVER_VERSION, waitForPort, type ServerExecutable };

export const TEMPORAL_CLI_VERSION = 'v1.5.1'; // v1.6+ cannot be `go install`ed (replace directive)
type Log = (line: string) => void;
const ANSI_COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'); // Maven colours its output

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Runs a command, streaming its output as progress; resolves with its exit code. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, log: Log, cwd?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().replace(ANSI_COLOURS, '').split('\n'))
        if (line.trim()) log(`  ${line.trim()}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Dev server: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the cached `go install` build. */
export async function provisionDevServer(log: Log = console.log): Promise<ServerExecutable> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ProvisionError(`TEMPORAL_CLI_PATH=${fromEnv} does not exist.`);
    return { type: 'existing-path', path: fromEnv };
  }
  const installed = onPath('temporal');
  if (installed) return { type: 'existing-path', path: installed };

  const binDir = join(cacheDir(), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const binary = join(binDir, 'temporal');
  if (existsSync(binary)) return { type: 'existing-path', path: binary };

  const go = onPath('go');
  if (!go) {
    log('temporal CLI: Go not found; falling back to the SDK download (needs internet).');
    return { type: 'cached-download' };
  }
  log(`temporal CLI: building ${TEMPORAL_CLI_VERSION} with go install (first time only, a few minutes)…`);
  const started = Date.now();
  const staging = `${binDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  const code = await run(
    go,
    ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`],
    { ...process.env, GOBIN: staging, GOFLAGS: '-buildvcs=false' },
    log,
  );
  if (code !== 0 || !existsSync(join(staging, 'temporal'))) {
    throw new ProvisionError(
      `go install of the temporal CLI failed (exit ${code}). Install it yourself and set TEMPORAL_CLI_PATH.`,
    );
  }
  renameSync(staging, binDir);
  log(`temporal CLI: built in ${((Date.now() - started) / 1000).toFixed(1)} s → ${binary}`);
  return { type: 'existing-path', path: binary };
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.perennial</groupId><artifactId>temporal-test-server-launcher</artifactId><version>1</version>
  <dependencies><dependency>
    <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version>
  </dependency></dependencies>
</project>
`;

// C1 stops the JIT at the fast tier; SerialGC avoids GC threads on 2 cores; the CDS archive maps
// the ~8,000 classes the server loads at start instead of parsing them: ~2.7 s → ~0.7 s here.
const JVM_FLAGS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-Xshare:auto',
  '-Xlog:cds=off',
  '-Xlog:cds+dynamic=off',
];

function launcherScript(dir: string, withArchive: boolean): string {
  const archive = withArchive ? ` -XX:SharedArchiveFile="${join(dir, 'server.jsa')}"` : '';
  return `#!/bin/sh\n# Temporal time-skipping test server ${TEST_SERVER_VERSION}; the SDK passes the port.\nexec java ${JVM_FLAGS.join(' ')}${archive} -cp "${join(dir, 'lib')}/*" io.temporal.testserver.TestServer "$@"\n`;
}

/** Time-skipping server: TEMPORAL_TEST_SERVER_PATH, else the cached Maven launcher. */
export async function provisionTestServer(log: Log = console.log): Promise<ServerExecutable> {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ProvisionError(`TEMPORAL_TEST_SERVER_PATH=${fromEnv} does not exist.`);
    return { type: 'existing-path', path: fromEnv };
  }
  const launcher = testServerLauncherPath();
  const dir = dirname(launcher);
  if (existsSync(launcher)) return { type: 'existing-path', path: launcher };

  const mvn = onPath('mvn');
  if (!mvn || !onPath('java')) {
    log('temporal test server: Maven/Java not found; falling back to the SDK download (needs internet).');
    return { type: 'cached-download' };
  }
  log(
    `temporal test server: fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} and its jars from Maven Central…`,
  );
  const started = Date.now();
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'pom.xml'), POM);
  const code = await run(
    mvn,
    ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${join(staging, 'lib')}`],
    process.env,
    log,
    staging,
  );
  if (code !== 0)
    throw new ProvisionError(
      `Maven could not fetch the Temporal test server (exit ${code}). Set TEMPORAL_TEST_SERVER_PATH to a launcher instead.`,
    );

  log('temporal test server: recording a class-data-sharing archive for fast JVM start…');
  writeFileSync(join(staging, 'launcher'), launcherScript(dir, false));
  const archive = join(staging, 'server.jsa');
  const port = 17_000 + Math.floor(Math.random() * 2000);
  const trainer = spawnChild(
    'java',
    [
      ...JVM_FLAGS,
      `-XX:ArchiveClassesAtExit=${archive}`,
      '-cp',
      `${join(staging, 'lib')}/*`,
      'io.temporal.testserver.TestServer',
      String(port),
    ],
    { stdio: 'ignore' },
  );
  const accepted = await waitForPort('127.0.0.1', port, 30_000);
  trainer.kill('SIGTERM'); // the archive is written as the JVM exits
  await new Promise((resolve) => trainer.once('close', resolve));
  const withArchive = accepted && existsSync(archive);
  if (!withArchive) log('temporal test server: no CDS archive (JVM did not cooperate); it will start slower.');
  renameSync(staging, dir);
  writeFileSync(launcher, launcherScript(dir, withArchive));
  chmodSync(launcher, 0o755);
  log(`temporal test server: ready in ${((Date.now() - started) / 1000).toFixed(1)} s → ${launcher}`);
  return { type: 'existing-path', path: launcher };
}

/** Measures how long the launcher takes until the test server accepts connections. */
export async function measureTestServerStart(launcher: string): Promise<number> {
  const port = 19_000 + Math.floor(Math.random() * 2000);
  const started = performance.now();
  const child = spawnChild(launcher, [String(port)], { stdio: 'ignore' });
  const ok = await waitForPort('127.0.0.1', port, 15_000);
  const elapsed = performance.now() - started;
  child.kill('SIGTERM');
  if (!ok) throw new ProvisionError('the test server did not accept connections within 15 s');
  return elapsed;
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

async function main() {
  const t0 = performance.now();
  const dev = await provisionDevServer();
  const t1 = performance.now();
  const test = await provisionTestServer();
  const t2 = performance.now();
  console.log(
    `dev server:           ${dev.type === 'existing-path' ? dev.path : 'SDK download'} (${((t1 - t0) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `time-skipping server: ${test.type === 'existing-path' ? test.path : 'SDK download'} (${((t2 - t1) / 1000).toFixed(1)} s)`,
  );
  if (test.type === 'existing-path') {
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) samples.push(await measureTestServerStart(test.path));
    console.log(
      `test server accepts connections after ${samples.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} (SDK limit: 5000 ms)`,
    );
  }
  if (dev.type === 'existing-path') {
    const version = spawnSync(dev.path, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`dev server version: ${version}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof ProvisionError ? `provision: ${error.message}` : error);
    process.exit(1);
  });
}
