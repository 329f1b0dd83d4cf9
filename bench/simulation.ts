/**
 * Journey simulation: the 41-day phone nurture through `createSimulator` (its own time-skipping
 * server per run, the real workflow, simulation activities rendering real templates) vs the raw
 * SDK: a time-skipping server and a bare workflow with the same schedule (4 activities, waits of
 * 10, 10, 11 and 10 days). Wall time per simulation, median of several; ratio is raw ÷ ours.
 */
import { randomUUID } from 'node:crypto';
import { startTimeSkippingEnvironment } from '../simulation/test-server';
import { Worker } from '@temporalio/worker';
import { templates } from '../drizzle/schema';
import { createSimulator, type SimulationRequest } from '../simulation/simulate';
import { phoneNurture } from '../test/fixtures/journeys';
import { round, type BenchEnv, type Benchmark } from './env';

const DAY_MS = 86_400_000;
export const NURTURE_WAITS_MS = [10, 10, 11, 10].map((days) => days * DAY_MS);

export const nurtureTemplates = ['phone-welcome', 'phone-compare', 'phone-reviews', 'phone-offer'].map((id) => ({
  id,
  channel: id === 'phone-offer' ? ('sms' as const) : ('email' as const),
  subject: id === 'phone-offer' ? null : `{{customer.firstName}}, about your next phone`,
  text: `Hi {{customer.firstName}}, ${id} for {{event.category}}.`,
}));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A bare workflow on a fresh time-skipping server, as the simulator does per run. */
export async function rawSleeperSeconds(env: BenchEnv): Promise<number> {
  const started = performance.now();
  const server = await startTimeSkippingEnvironment(await env.testServer());
  try {
    const taskQueue = `bench-sleeper-${randomUUID()}`;
    const worker = await Worker.create({
      connection: server.nativeConnection,
      taskQueue,
      workflowBundle: await env.workflowBundle(),
      activities: { benchNoop: async () => {} },
    });
    await worker.runUntil(
      server.client.workflow.execute('benchSleeperWorkflow', {
        taskQueue,
        workflowId: `bench-sleeper/${randomUUID()}`,
        args: [NURTURE_WAITS_MS],
      }),
    );
  } finally {
    await server.teardown();
  }
  return (performance.now() - started) / 1000;
}

export const simulation: Benchmark = {
  name: 'simulation',
  title:
    '41-day phone-nurture simulation (createSimulator) vs a bare 4-activity, 41-day workflow on the raw time-skipping server',
  async run(env) {
    const runs = env.quick ? 1 : 5;
    const db = await env.database('simulation');
    await db.db.insert(templates).values(nurtureTemplates);
    const simulate = createSimulator({
      db: db.db,
      testServer: () => env.testServer(),
      workflowBundle: () => env.workflowBundle(),
      keepSpare: true,
    });
    const request: SimulationRequest = {
      journey: { id: 'phone-nurture', version: 1, definition: phoneNurture },
      customer: {
        customerId: randomUUID(),
        traits: { firstName: 'Lin' },
        tags: [],
        aiplStage: 'interest',
        timeZone: 'Asia/Shanghai',
        locale: 'zh-CN',
        consent: { channels: { email: true, sms: true }, topics: {} },
        ownedProducts: [],
        eventCounts: {},
      },
      entryProperties: { category: 'phone' },
      events: [],
    };
    await env.workflowBundle(); // not part of a simulation's time: the API bundles once per process
    const check = (result: Awaited<ReturnType<typeof simulate>>) => {
      if (
        result.outcome.status !== 'completed' ||
        result.messages.filter((m) => m.status === 'would-send').length !== 4
      ) {
        throw new Error(
          `unexpected simulation: ${JSON.stringify({ outcome: result.outcome, messages: result.messages.map((m) => m.status) })}`,
        );
      }
      return result.wallMs / 1000;
    };
    const ours: number[] = [];
    const raw: number[] = [];
    let coldSeconds: number;
    try {
      env.progress('simulation: a cold run (no spare yet)');
      coldSeconds = check(await simulate(request));
      for (let i = 0; i < runs; i++) {
        await simulate.ready();
        env.progress(`simulation: run ${i + 1} of ${runs}`);
        ours.push(check(await simulate(request)));
        await simulate.ready();
        raw.push(await rawSleeperSeconds(env));
      }
    } finally {
      await simulate.close();
    }
    const oursSeconds = median(ours);
    const rawSeconds = median(raw);
    return [
      {
        benchmark: 'simulation',
        measure: `41-day nurture, median of ${runs}`,
        ours: round(oursSeconds, 2),
        raw: round(rawSeconds, 2),
        unit: 's wall',
        ratio: round(rawSeconds / oursSeconds, 2),
        goal: '≤ 2 s',
        met: oursSeconds <= 2,
        note: `served with a spare server and worker ready (the API keeps one after its first simulation); the first, cold run took ${round(coldSeconds, 2)} s; raw = a time-skipping server start + a bare workflow with the same schedule, per run`,
      },
    ];
  },
};
