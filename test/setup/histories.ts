/** Saving workflow histories for replay tests: `RECORD_HISTORIES=1 npm test` rewrites them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const historiesDir = fileURLToPath(new URL('../replay/histories', import.meta.url));

export async function saveHistoryIfRecording(name: string, handle: WorkflowHandle): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await handle.fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  // protobufjs JSON (int64 as strings, enums by name), read back by `loadHistory`.
  writeFileSync(
    `${historiesDir}/${name}.json`,
    JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON(), null, 1),
  );
}

export function loadHistory(text: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(text));
}
