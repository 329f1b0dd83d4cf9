/**
 * The short fault runs, part of `npm test`: one fault kind at a time (20–40 customers each), one after
 * the other on one harness, so the processes are started once. Each run counts only its own
 * customers, messages and faults (see scenario.ts); the full run is `npm run test:faults`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactlyOnce } from './assertions';
import { startFaultHarness, type FaultHarness } from './harness';
import { runFaultScenario, summaryLine, type FaultPlan } from './scenario';

let harness: FaultHarness;
beforeAll(async () => {
  harness = await startFaultHarness();
}, 180_000);
afterAll(async () => {
  await harness?.close();
});

async function shortRun(plan: Omit<FaultPlan, 'customers' | 'seed'> & { customers?: number }) {
  const exitsBefore = harness.exitReasons.length;
  const report = await runFaultScenario(harness, {
    customers: 20,
    seed: 7,
    customersPerBatch: 5,
    settleTimeoutMs: 110_000,
    ...plan,
  });
  const line = summaryLine(report);
  console.log(line);
  if (report.stalled) console.log(`stalled:\n${report.stalled}`);
  const exits = harness.exitReasons.slice(exitsBefore);
  if (exits.length) console.log(`unexpected exits:\n${exits.join('\n---\n')}`);
  expectExactlyOnce(report, `${line}\n${report.stalled ?? ''}\n${harness.logs()}`);
  // The faults really happened: each planned one was injected, and an API kill cost a resend. API
  // kills only land while a batch is in flight, so a fast ingest may end before the last planned one.
  const { 'api-kill': apiKills, ...others } = report.injected;
  expect(others).toEqual({
    'worker-kill': plan.workerKills ?? 0,
    'postgres-restart': plan.postgresRestarts ?? 0,
    'temporal-restart': plan.temporalRestarts ?? 0,
  });
  if (plan.apiKills) {
    expect(apiKills).toBeGreaterThanOrEqual(1);
    expect(apiKills).toBeLessThanOrEqual(plan.apiKills);
    expect(report.batches.retried).toBeGreaterThan(0);
  } else expect(apiKills).toBe(0);
}

const title = 'every acknowledged event is stored and routed once, every expected message arrives once';

describe('short fault runs', () => {
  // The API killed mid-batch: the client resends unacknowledged batches with the same messageIds.
  it(
    `API killed during batch ingest: ${title}`,
    () => shortRun({ apiKills: 2, customers: 40, customersPerBatch: 10 }),
    170_000,
  );
  it(`Postgres restarted (immediate stop): ${title}`, () => shortRun({ postgresRestarts: 1 }), 170_000);
  it(`Temporal dev server restarted: ${title}`, () => shortRun({ temporalRestarts: 1 }), 170_000);
  it(`worker killed with SIGKILL: ${title}`, () => shortRun({ workerKills: 1 }), 170_000);
});
