/** The short fault runs inside `npm test`: about 20 customers, one fault kind per file. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectExactlyOnce } from './assertions';
import { startFaultHarness, type FaultHarness } from './harness';
import { runFaultScenario, summaryLine, type FaultPlan } from './scenario';

export function shortFaultTest(title: string, plan: Omit<FaultPlan, 'customers' | 'seed'> & { customers?: number; seed?: number }) {
  let harness: FaultHarness;
  beforeAll(async () => {
    harness = await startFaultHarness();
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
  });

  it(title, async () => {
    const report = await runFaultScenario(harness, { customers: 20, seed: 7, customersPerBatch: 5, settleTimeoutMs: 100_000, ...plan });
    const line = summaryLine(report);
    console.log(line);
    if (report.stalled) console.log(`stalled:\n${report.stalled}`);
    if (harness.exitReasons.length) console.log(`unexpected exits:\n${harness.exitReasons.join('\n---\n')}`);
    expectExactlyOnce(report, `${line}\n${report.stalled ?? ''}\n${harness.logs()}`);
    // The faults really happened: each planned one was injected, and an API kill cost a resend.
    expect(report.injected).toEqual({
      'worker-kill': plan.workerKills ?? 0,
      'postgres-restart': plan.postgresRestarts ?? 0,
      'temporal-restart': plan.temporalRestarts ?? 0,
      'api-kill': plan.apiKills ?? 0,
    });
    if (plan.apiKills) expect(report.batches.retried).toBeGreaterThan(0);
  }, 150_000);
}
