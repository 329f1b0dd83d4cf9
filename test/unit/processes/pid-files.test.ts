/** What npm start reaps from its data directory: only a live process running as it was recorded. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { commandLineOf, reapRecorded, recordProcess, runningRecorded } from '../../../scripts/pid-files';

const dataDir = mkdtempSync(join(tmpdir(), 'perennial-pids-'));
const children: ChildProcess[] = [];

function sleeper(seconds: number): ChildProcess & { pid: number } {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  children.push(child);
  return child as ChildProcess & { pid: number };
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('stops the recorded process when it still runs as recorded, and forgets it', async () => {
  const left = sleeper(1001);
  const exited = new Promise((resolve) => left.once('exit', (_code, signal) => resolve(signal)));
  recordProcess(dataDir, 'dev-server', { pid: left.pid, commandLine: 'sleep 1001' });
  expect(runningRecorded(dataDir, 'dev-server')).toEqual({ pid: left.pid, commandLine: 'sleep 1001' });
  const reaped = reapRecorded(dataDir, 'dev-server');
  expect(await exited).toBe('SIGTERM');
  expect(await reaped).toBe(left.pid);
  expect(runningRecorded(dataDir, 'dev-server')).toBeUndefined();
});

it('leaves alone a process whose command line is not the recorded one (a reused pid, someone else’s)', async () => {
  const foreign = sleeper(1002);
  recordProcess(dataDir, 'dev-server', { pid: foreign.pid, commandLine: 'temporal server start-dev --port 7233' });
  expect(await reapRecorded(dataDir, 'dev-server')).toBeUndefined();
  expect(commandLineOf(foreign.pid)).toBe('sleep 1002');
  expect(foreign.exitCode).toBeNull();
});
