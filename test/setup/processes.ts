/** The processes a test started, found by walking /proc from a pid (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid, command };
  } catch {
    return undefined; // exited while we looked
  }
}

export function allProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined && p.command !== '');
}

/** Every descendant of `root` (children, their children, …). */
export function descendants(root: number): ProcessInfo[] {
  const processes = allProcesses();
  const found: ProcessInfo[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = processes.filter((p) => frontier.has(p.ppid));
    found.push(...next);
    frontier = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** The time-skipping test server's JVM (see simulation/test-server.ts). */
export const isTimeSkippingServer = (p: ProcessInfo) => p.command.includes('io.temporal.testserver.TestServer');
/** The Temporal dev server (`temporal server start-dev`). */
export const isDevServer = (p: ProcessInfo) => /\bserver start-dev\b/.test(p.command);

/** Polls `condition` until it holds or `timeoutMs` passes; returns its last value. */
export async function eventually<T>(read: () => T, holds: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (holds(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
