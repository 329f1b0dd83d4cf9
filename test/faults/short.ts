/** The short fault runs inside `npm test`: about 20 customers, one fault kind per file. */
import { afterAll, beforeAll, it } from 'vitest';
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
    if (harness.exitReasons.length) console.log(`unexpected exits:\n${harness.exitReasons.join('\n---\n')}`);
    expectExactlyOnce(report, `${line}\n${harness.logs()}`);
  }, 150_000);
}
