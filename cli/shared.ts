/** What every command shares: the global options, the API client, output, paging. */
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createApi, type Api } from './api';

export interface GlobalOptions {
  apiUrl: string;
  apiKey?: string;
  json?: boolean;
}

export interface Cli {
  globals(): GlobalOptions;
  api(): Api;
  /** Prints `value` as JSON under --json, else the human rendering. */
  emit(value: unknown, human: () => string): void;
}

export function createCli(program: Command): Cli {
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const out = (text: string) => process.stdout.write(`${text}\n`);
  return {
    globals,
    api: () => createApi(globals()),
    emit: (value, human) => out(globals().json ? JSON.stringify(value, null, 2) : human()),
  };
}

export const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/**
 * Pages through `fetchPage` until there is no next cursor (or `max` items), with a progress bar on
 * stderr when it is a terminal.
 */
export async function collectPages<T>(
  label: string,
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  max: number,
): Promise<T[]> {
  const items: T[] = [];
  const bar = process.stderr.isTTY
    ? new SingleBar(
        { stream: process.stderr, format: `${label} {bar} {value} fetched`, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(1, 0);
  let cursor: string | undefined;
  try {
    do {
      const page = await fetchPage(cursor);
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      bar?.setTotal(items.length + (cursor ? page.items.length : 0));
      bar?.update(items.length);
    } while (cursor && items.length < max);
  } finally {
    bar?.stop();
  }
  return items.slice(0, max);
}
