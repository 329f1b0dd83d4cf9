/**
 * Scale: N concurrent sleeping enrollments on one machine (100,000 in full mode; BENCH_SCALE_N to
 * change it), the journey worker in a child process. 90% wait until a date 30 days away, 10% until
 * one instant a little after they are all enrolled (`until: traits.wakeAt`, the same date for all).
 * Measures: enrolment rate (enroller → signalWithStart, 32 in flight) and the time until every
 * enrollment is asleep (its mirror row has a wake-up), the worker's peak RSS, the dev server's
 * SQLite growth, and how long the 10% take, from their common wake-up, to all have exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createEnroller } from '../services/journeys/enroll';
import { customers } from '../drizzle/schema';
import { journeyDefinitionSchema } from '../domain/journey/definition';
import { pool, round, type BenchDatabase, type BenchEnv, type Benchmark } from './env';

const IN_FLIGHT = 32;
/** Started but not yet asleep, at most (checked every 250 starts). */
const MAX_BACKLOG = 2_000;
const RSS_GOAL_BYTES = 1.5 * 2 ** 30;
const DAY_MS = 86_400_000;
const workerScript = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));

const definition = journeyDefinitionSchema.parse({
  name: 'Scale: wait until a date, then exit',
  entry: { type: 'api' },
  settings: { timeZone: 'Asia/Shanghai' },
  start: 'wait',
  steps: {
    wait: { type: 'wait', until: { attribute: 'traits.wakeAt' }, next: 'done' },
    done: { type: 'exit', reason: 'woke' },
  },
});

/** VmRSS and VmHWM (peak) of a Linux process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

async function startWorker(
  env: BenchEnv,
  db: BenchDatabase,
  taskQueue: string,
): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const { codePath } = await env.workflowBundle();
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    env: {
      ...process.env,
      SCALE_DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: env.temporal.address,
      SCALE_TASK_QUEUE: taskQueue,
      SCALE_BUNDLE: codePath,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the scale worker exited (${code}) before it was ready`)));
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function count(
  db: BenchDatabase,
  journeyId: string,
  where: 'asleep' | 'exited',
  customerIds?: string[],
): Promise<number> {
  const condition =
    where === 'asleep' ? db.sql`status = 'active' and next_wake_at is not null` : db.sql`status <> 'active'`;
  const scope = customerIds ? db.sql`and customer_id = any(${customerIds}::uuid[])` : db.sql``;
  const [row] = await db.sql<
    { n: number }[]
  >`select count(*)::int as n from enrollments where journey_id = ${journeyId} and ${condition} ${scope}`;
  return row?.n ?? 0;
}

async function until(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const scale: Benchmark = {
  name: 'scale',
  title:
    'N sleeping enrollments (worker in a child process): enrol rate, worker RSS, dev-server SQLite growth, 10% waking at one instant',
  async run(env) {
    const wanted = env.quick ? 60 : Number(process.env.BENCH_SCALE_N ?? 100_000);
    // Full mode must fit its time: the sleepers' enrolment stops at this budget, and N is what was reached.
    const budgetMs = Number(process.env.BENCH_SCALE_BUDGET_S ?? (env.quick ? 60 : 360)) * 1000;
    let sleepers = wanted - Math.round(wanted / 10);
    const db = await env.database('scale');
    const taskQueue = `bench-scale-${randomUUID()}`;
    const journeyId = 'bench-scale';
    const enroller = createEnroller({ db: db.db, temporal: env.temporal.client, taskQueue, clock: () => new Date() });
    const journey = { id: journeyId, version: 1, definition, status: 'published' };
    const sqliteBefore = env.devServerDbBytes();

    const worker = await startWorker(env, db, taskQueue);
    let peakRss = memoryOf(worker.child.pid!).peak;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(worker.child.pid!).rss)), 500);
    try {
      const addCustomers = async (n: number, wakeAt: Date) => {
        const ids: string[] = [];
        for (let i = 0; i < n; i += 5_000) {
          const rows = Array.from({ length: Math.min(5_000, n - i) }, () => ({
            traits: { wakeAt: wakeAt.toISOString() },
          }));
          ids.push(...(await db.db.insert(customers).values(rows).returning({ id: customers.id })).map((r) => r.id));
        }
        return ids;
      };
      let done = 0;
      const enrol = (ids: string[], deadline = Infinity) =>
        pool(ids, IN_FLIGHT, async (customerId) => {
          if (performance.now() > deadline) return;
          // Keep the worker's backlog bounded: starts outrun it, and the budget must cover both.
          if (done % 250 === 0)
            while (done - (await count(db, journeyId, 'asleep')) > MAX_BACKLOG && performance.now() < deadline)
              await new Promise((resolve) => setTimeout(resolve, 500));
          const outcome = await enroller.enter({ journey, customerId });
          if (outcome.status !== 'started') throw new Error(`enroller: ${JSON.stringify(outcome)}`);
          if (++done % 5_000 === 0)
            env.progress(
              `scale: ${done} of ${wanted} enrolled (worker RSS ${(memoryOf(worker.child.pid!).rss / 2 ** 20).toFixed(0)} MiB)`,
            );
        });

      const workerAlive = () => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null)
          throw new Error(`the scale worker died (${worker.child.exitCode ?? worker.child.signalCode})`);
      };
      const asleep = (n: number, deadline?: Date) =>
        until(
          async () => {
            workerAlive();
            return (
              (await count(db, journeyId, 'asleep')) >= n ||
              (deadline !== undefined && Date.now() >= deadline.getTime())
            );
          },
          10 * 60_000,
          `${n} enrollments asleep`,
        );
      env.progress(`scale: enrolling ${sleepers} sleepers (30 days)`);
      const enrolStart = performance.now();
      await enrol(await addCustomers(sleepers, new Date(Date.now() + 30 * DAY_MS)), enrolStart + budgetMs);
      if (done < sleepers) env.progress(`scale: enrolment budget (${budgetMs / 1000} s) reached at ${done} sleepers`);
      sleepers = done;
      const waking = Math.max(1, Math.round(sleepers / 9));
      const total = sleepers + waking;
      const sleeperStartSeconds = (performance.now() - enrolStart) / 1000;
      env.progress(`scale: ${done} started in ${sleeperStartSeconds.toFixed(1)} s; waiting until asleep`);
      await asleep(sleepers);
      // The waking cohort's instant: after they are all asleep, at the pace just seen, with a margin.
      const secondsPerEnrollment = (performance.now() - enrolStart) / 1000 / sleepers;
      const wakeAt = new Date(
        Date.now() + Math.ceil((waking * secondsPerEnrollment * 2 + (env.quick ? 3 : 20)) * 1000),
      );
      env.progress(`scale: ${sleepers} asleep; enrolling ${waking} to wake at ${wakeAt.toISOString()}`);
      const wakingIds = await addCustomers(waking, wakeAt);
      await enrol(wakingIds);
      const startsSeconds = (performance.now() - enrolStart) / 1000;
      await asleep(total, wakeAt);
      const asleepSeconds = (performance.now() - enrolStart) / 1000;
      const overran = Date.now() >= wakeAt.getTime();
      const sqliteGrowth = env.devServerDbBytes() - sqliteBefore;
      const [sample] = await db.sql<
        { workflow_id: string }[]
      >`select workflow_id from enrollments where journey_id = ${journeyId} limit 1`;
      const historyEvents = sample
        ? ((await env.temporal.client.workflow.getHandle(sample.workflow_id).fetchHistory()).events?.length ?? 0)
        : 0;
      env.progress(
        `scale: ${total} enrolled in ${startsSeconds.toFixed(1)} s, all asleep at ${asleepSeconds.toFixed(1)} s; waiting for the wake-up`,
      );

      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wakeAt.getTime() - Date.now())));
      const woke = performance.now();
      await until(
        async () => {
          workerAlive();
          return (await count(db, journeyId, 'exited', wakingIds)) === waking;
        },
        10 * 60_000,
        'the waking cohort to exit',
      );
      const wakeSeconds = (performance.now() - woke) / 1000;
      if ((await count(db, journeyId, 'exited')) !== waking)
        throw new Error('enrollments other than the waking cohort exited');
      peakRss = Math.max(peakRss, memoryOf(worker.child.pid!).peak);

      const n = total.toLocaleString('en');
      return [
        {
          benchmark: 'scale',
          measure: `enrol ${n} until all asleep (${IN_FLIGHT} in flight)${total < wanted ? ` of ${wanted.toLocaleString('en')}: budget reached` : ''}`,
          ours: round(total / asleepSeconds, 1),
          unit: 'enrolments/s',
          note: `all ${n} asleep after ${asleepSeconds.toFixed(1)} s; the sleepers' start calls returned at ${round(sleepers / sleeperStartSeconds, 1)}/s${overran ? '; the wake-up came first: cohort enrolment overran' : ''}`,
        },
        {
          benchmark: 'scale',
          measure: `worker peak RSS, ${n} sleeping`,
          ours: round(peakRss / 2 ** 20),
          unit: 'MiB',
          goal: '≤ 1536 MiB',
          met: peakRss <= RSS_GOAL_BYTES,
        },
        {
          benchmark: 'scale',
          measure: `dev-server SQLite growth, ${n}`,
          ours: round(sqliteGrowth / 2 ** 20, 1),
          unit: 'MiB',
          note: `${round(sqliteGrowth / total / 1024, 1)} KiB per enrollment (${historyEvents} history events each while asleep); file now ${round(env.devServerDbBytes() / 2 ** 20, 1)} MiB`,
        },
        {
          benchmark: 'scale',
          measure: `${waking.toLocaleString('en')} wake at one instant → all exited`,
          ours: round(wakeSeconds, 1),
          unit: 's',
          note: `${round(waking / wakeSeconds, 1)} wake-ups/s`,
        },
      ];
    } finally {
      clearInterval(sampler);
      await worker.stop();
    }
  },
};
