/**
 * Every saved history must replay against the current workflow code: a change that would break
 * running enrollments fails here (guard it with `patched()`). Histories are recorded by the
 * engine tests with RECORD_HISTORIES=1 (see test/setup/histories.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../setup/harness';
import { historiesDir, loadHistory } from '../setup/histories';

const files = readdirSync(historiesDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replay of saved enrollment histories', () => {
  it('has saved histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = loadHistory(readFileSync(join(historiesDir, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file.replace(/\.json$/, ''));
  });
});
