/**
 * What `npm start` started, recorded in its data directory (`DATA_DIR/pids/<name>`: the pid and the
 * command line), so the next start on the same directory can tell what an earlier run left behind.
 * Only a live process whose command line is the recorded one is ever touched: a reused pid, or
 * anything another data directory or user started, is left alone.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedProcess {
  pid: number;
  commandLine: string;
}

function file(dataDir: string, name: string): string {
  return join(dataDir, 'pids', name);
}

export function recordProcess(dataDir: string, name: string, process: RecordedProcess): void {
  mkdirSync(join(dataDir, 'pids'), { recursive: true });
  writeFileSync(file(dataDir, name), `${process.pid}\n${process.commandLine}\n`);
}

export function forgetProcess(dataDir: string, name: string): void {
  rmSync(file(dataDir, name), { force: true });
}

/** The command line of a running process (arguments joined by spaces), or undefined. */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The recorded process if it is still running as what was recorded (see above). */
export function runningRecorded(dataDir: string, name: string): RecordedProcess | undefined {
  const path = file(dataDir, name);
  if (!existsSync(path)) return undefined;
  const [pidLine = '', commandLine = ''] = readFileSync(path, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || commandLine === '') return undefined;
  // The recorded line is the command as launched; a launcher prefix (setpriv) may stand before it.
  return commandLineOf(pid)?.endsWith(commandLine) ? { pid, commandLine } : undefined;
}

/** Stops the recorded process if it is still running as recorded; returns its pid then. */
export async function reapRecorded(dataDir: string, name: string): Promise<number | undefined> {
  const left = runningRecorded(dataDir, name);
  if (left) {
    signal(left.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (commandLineOf(left.pid) !== undefined && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    if (commandLineOf(left.pid) !== undefined) signal(left.pid, 'SIGKILL');
    while (commandLineOf(left.pid) !== undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  forgetProcess(dataDir, name);
  return left?.pid;
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
