/**
 * The workflows a benchmark worker bundles: Perennial's own, plus the raw baselines (a trivial
 * workflow for start throughput, a plain sleeper for the simulation baseline).
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

export * from '../workflows/index';

/** Does nothing: what a bare `client.workflow.start` costs the server and a worker. */
export async function benchTrivialWorkflow(): Promise<void> {}

/** Sleeps each duration in turn, calling a no-op activity before each: a bare 41-day schedule. */
export async function benchSleeperWorkflow(durationsMs: number[]): Promise<void> {
  const { benchNoop } = proxyActivities<{ benchNoop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });
  for (const ms of durationsMs) {
    await benchNoop();
    await sleep(ms);
  }
}
