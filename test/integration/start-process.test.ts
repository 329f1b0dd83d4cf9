/**
 * `npm start` killed with SIGKILL leaves nothing of its own running: its dev server and simulation
 * servers die with it (setpriv --pdeathsig, platform/children.ts), and the process under the tsx
 * wrapper notices its parent is gone. Processes are "its own" when their environment carries the
 * test's data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../platform/children';
import { phoneNurture } from '../fixtures/journeys';
import { allProcesses, eventually, isDevServer, isTimeSkippingServer, type ProcessInfo } from '../setup/processes';

const dataDir = mkdtempSync(join(tmpdir(), 'perennial-start-'));
const ADMIN_KEY = 'start-process-admin-key-0123456789';
let start: ChildProcess | undefined;

/** Processes whose environment names this test's data directory: what the start and its children run. */
function ownProcesses(): ProcessInfo[] {
  return allProcesses().filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(`DATA_DIR=${dataDir}`);
    } catch {
      return false;
    }
  });
}

afterAll(() => {
  // Whatever the outcome: nothing of this test's start stays behind.
  start?.kill('SIGKILL');
  for (const p of ownProcesses()) process.kill(p.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('a SIGKILL of npm start leaves no Temporal, Java or start process of its own', async () => {
  const [port, temporalPort, uiPort, smtpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  let output = '';
  const { PGLITE_DIR: _pglite, DATABASE_URL: _database, ...inherited } = process.env;
  start = spawn(join(process.cwd(), 'node_modules', '.bin', 'tsx'), ['scripts/start.ts'], {
    env: {
      ...inherited,
      DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      SMTP_DEV_PORT: String(smtpPort),
      ADMIN_API_KEY: ADMIN_KEY,
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  start.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  start.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const api = `http://127.0.0.1:${port}`;
  let up = false;
  for (const deadline = Date.now() + 180_000; !up && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    up = await fetch(`${api}/health`).then(
      (r) => r.ok,
      () => false,
    );
  }
  expect(up, output).toBe(true);
  // The embedded database lives in the data directory (DATA_DIR moves it).
  expect(existsSync(join(dataDir, 'pglite')), output).toBe(true);

  // A simulation leaves a time-skipping server (the spare) running under the start.
  const auth = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
  const put = await fetch(`${api}/v1/journeys/kill-test`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify(phoneNurture),
  });
  expect(put.status, await put.text()).toBe(201);
  const simulated = await fetch(`${api}/v1/journeys/kill-test/simulate`, { method: 'POST', headers: auth, body: '{}' });
  expect(simulated.status, await simulated.text()).toBe(200);
  const before = await eventually(ownProcesses, (processes) => processes.some(isTimeSkippingServer));
  expect(before.filter(isDevServer), output).toHaveLength(1);
  expect(before.filter(isTimeSkippingServer), output).toHaveLength(1); // the spare

  start.kill('SIGKILL');
  const left = await eventually(ownProcesses, (processes) => processes.length === 0, 20_000);
  expect(left.map((p) => p.command)).toEqual([]);
}, 240_000);
