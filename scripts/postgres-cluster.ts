/**
 * A throwaway PostgreSQL cluster from the machine's server binaries (Debian's `postgresql`
 * package), for tests when no TEST_DATABASE_URL is given. As root it runs as the `postgres` user,
 * because initdb refuses root. The server is this process's child (not daemonised by pg_ctl) and
 * dies with it, also when the test run is killed (see platform/children.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnChild, stopChild, waitForPort } from '../platform/children';

export interface PostgresCluster {
  url: string;
  stop(): Promise<void>;
}

export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export async function startPostgresCluster(port: number): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (!bin) {
    throw new Error(
      'PostgreSQL server binaries not found: `apt-get install postgresql`, or set TEST_DATABASE_URL to a server you run.',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'perennial-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${(result.stderr || result.stdout || '').trim()}`);
  };
  if (asRoot) spawnSync('chown', ['postgres:postgres', dir]);
  else chownSync(dir, userInfo().uid, userInfo().gid);
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // Tests need speed, not durability: fsync off, small shared memory, sockets in the temp dir.
  const options = ['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
  options.push('-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200');
  const serverArgs = ['-D', data, ...options];
  const stdio = ['ignore', 'ignore', 'pipe'] as const;
  // Changing user clears a death signal set before it: as root, setpriv switches to `postgres`
  // first and then sets it.
  const server = asRoot
    ? spawn(
        'setpriv',
        [
          ...['--reuid', 'postgres', '--regid', 'postgres', '--init-groups'],
          ...['--pdeathsig', 'KILL'],
          '--',
          join(bin, 'postgres'),
          ...serverArgs,
        ],
        { stdio: [...stdio] },
      )
    : spawnChild(join(bin, 'postgres'), serverArgs, { stdio: [...stdio] });
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<false>((resolve) => server.once('exit', () => resolve(false)));
  const ready = await Promise.race([waitForPort('127.0.0.1', port, 60_000), exited]);
  // Postgres listens a moment before it accepts connections: wait until it does.
  const accepting = ready && (await waitUntilAccepting(bin, port, dir));
  if (!accepting) {
    await stopChild(server, 0);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`postgres did not start on port ${port}: ${stderr.trim() || 'no output'}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        server.kill('SIGQUIT'); // immediate shutdown: the cluster is thrown away
        await stopChild(server, 5_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function waitUntilAccepting(bin: string, port: number, socketDir: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const probe = spawnSync(join(bin, 'pg_isready'), ['-q', '-h', socketDir, '-p', String(port), '-U', 'postgres']);
    if (probe.status === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
