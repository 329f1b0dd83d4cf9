/**
 * The full fault run (`npm run test:faults`): FAULTS_CUSTOMERS customers (default 1,000) through a
 * two-send journey while the worker is SIGKILLed, Postgres and the Temporal dev server restart and
 * the API dies mid-batch, on a schedule from FAULTS_SEED. Prints one summary line.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectExactlyOnce } from './assertions';
import { startFaultHarness, type FaultHarness } from './harness';
import { runFaultScenario, summaryLine } from './scenario';

const customers = Number(process.env.FAULTS_CUSTOMERS ?? 1_000);
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);

describe(`fault injection: ${customers} customers`, () => {
  let harness: FaultHarness;
  beforeAll(async () => {
    harness = await startFaultHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('sends every expected message exactly once and routes every acknowledged event once, through every kind of fault', async () => {
    const report = await runFaultScenario(harness, {
      customers,
      seed,
      customersPerBatch: 50,
      workerKills: 4,
      postgresRestarts: 2,
      temporalRestarts: 1,
      apiKills: 3,
      settleTimeoutMs: 900_000,
    });
    const line = `${summaryLine(report)} seed=${seed}`;
    console.log(line);
    if (report.stalled) console.log(`stalled:\n${report.stalled}`);
    if (harness.exitReasons.length) console.log(`unexpected exits:\n${harness.exitReasons.join('\n---\n')}`);
    expectExactlyOnce(report, `${line}\n${report.stalled ?? ''}\n${harness.logs()}`);
  });
});
