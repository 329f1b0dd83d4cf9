/**
 * `npm start`: the whole system in one process on embedded defaults — Temporal dev server (Web UI,
 * SQLite under .data/), Postgres (PGlite under .data/ unless DATABASE_URL), worker, API, demo data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { z } from 'zod';
import { createActivities } from '../activities';
import { createSegmentMembership } from '../services/segments/membership';
import { createSmtpTransport } from '../activities/transports';
import { buildApp } from '../api/app';
import { createEnroller } from '../services/journeys/enroll';
import { createApiKey, verifyApiKey } from '../api/keys';
import { count } from 'drizzle-orm';
import type { Db } from '../drizzle/client';
import { enrollments } from '../drizzle/schema';
import { migrate } from '../drizzle/migrate';
import { connectDatabase, connectTemporal, DependencyError } from '../platform/connect';
import { bundleWorkflows, createJourneyWorker } from '../worker/create';
import { createEventRouter } from '../worker/router';
import { ensureSchedules } from '../worker/schedules';
import { databaseConfigFromEnv, databaseEnv, EnvError, logEnv, parseEnv } from '../platform/env';
import { ensureWebBuild } from './build-web';
import { seedDemo } from './demo-data';
import { startDevMailbox } from './dev-mailbox';
import { PortInUseError, startDevServer } from './dev-server';
import { commandLineOf, forgetProcess, reapRecorded, recordProcess, runningRecorded } from './pid-files';
import { watchParent } from '../platform/children';
import { createProductionSimulator } from '../simulation/production';
import { provisionDevServer, provisionTestServer } from './provision';

const startEnv = databaseEnv.extend(logEnv.shape).extend({
  DATA_DIR: z.string().default('.data'),
  TEMPORAL_PORT: z.coerce.number().int().default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  PORT: z.coerce.number().int().default(3000),
  TEMPORAL_TASK_QUEUE: z.string().default('perennial'),
  /** A real SMTP server; unset: the dev mailbox on SMTP_DEV_PORT writes .eml files under DATA_DIR/mailbox. */
  SMTP_URL: z.string().optional(),
  SMTP_DEV_PORT: z.coerce.number().int().default(2525),
  MAIL_FROM: z.string().default('Perennial <journeys@perennial.local>'),
  /** Stable across restarts: generated once into .data/admin-key unless given. */
  ADMIN_API_KEY: z.string().min(16).optional(),
  MESSAGING_LINK_SECRET: z.string().min(32).optional(),
});

async function main() {
  const env = parseEnv(startEnv, process.env);
  mkdirSync(env.DATA_DIR, { recursive: true });
  const step = (line: string) => console.log(`▸ ${line}`);
  // Until everything runs, exiting is enough: the children die with this process.
  let onOrphaned: () => void = () => process.exit(1);
  watchParent(() => onOrphaned());
  await claimDataDir(env.DATA_DIR, step);

  step('provisioning the Temporal dev server');
  const executable = await provisionDevServer((line) => console.log(`  ${line}`));
  step(`starting the Temporal dev server (history in ${join(env.DATA_DIR, 'temporal.db')})`);
  const devServer = await startDevServer({
    executable,
    port: env.TEMPORAL_PORT,
    uiPort: env.TEMPORAL_UI_PORT,
    dbFile: join(env.DATA_DIR, 'temporal.db'),
  });
  if (devServer.process) recordProcess(env.DATA_DIR, 'dev-server', devServer.process);

  // Each data directory has its own embedded database (two instances must not share one).
  const pgliteDir = process.env.PGLITE_DIR ?? join(env.DATA_DIR, 'pglite');
  step(env.DATABASE_URL ? 'connecting to Postgres' : `opening embedded Postgres (PGlite) in ${pgliteDir}`);
  const database = await connectDatabase(env.DATABASE_URL ? databaseConfigFromEnv(process.env) : { pgliteDir });
  await migrate(database);

  const temporal = await connectTemporal({
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: env.TEMPORAL_TASK_QUEUE,
  });
  const client = new Client({ connection: temporal.client });
  const publicUrl = `http://127.0.0.1:${env.PORT}`;
  // Links in dev mail keep working across restarts: the secret is generated once into .data/link-secret.
  const linkSecret = env.MESSAGING_LINK_SECRET ?? persistentKey(join(env.DATA_DIR, 'link-secret'));
  const mailbox = env.SMTP_URL
    ? undefined
    : await startDevMailbox({
        dir: join(env.DATA_DIR, 'mailbox'),
        port: env.SMTP_DEV_PORT,
        onMessage: (file, to) => console.log(`✉  ${to.join(', ')} → ${file}`),
      });
  const email = createSmtpTransport({ url: env.SMTP_URL ?? mailbox!.url, from: env.MAIL_FROM });
  const enroller = createEnroller({
    db: database.db,
    temporal: client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    clock: () => new Date(),
  });
  step('bundling workflows and starting the worker');
  const worker = await createJourneyWorker({
    connection: temporal.native,
    namespace: 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    workflowBundle: await bundleWorkflows(),
    activities: createActivities({
      db: database.db,
      transports: { email },
      clock: () => new Date(),
      publicUrl,
      messaging: { linkSecret },
      enroller,
    }),
  });
  const workerRun = worker.run();
  await ensureSchedules(client, env.TEMPORAL_TASK_QUEUE);
  const segmentMembership = createSegmentMembership({ db: database.db, enroller, clock: () => new Date() });
  const afterBatch = async (customerIds: string[]) => void (await segmentMembership.evaluateForCustomers(customerIds));
  const stopRouter = createEventRouter({
    db: database.db,
    temporal: client,
    enroller,
    afterBatch,
    singleConnection: database.driver.kind === 'pglite',
  }).start({
    onError: (error) =>
      console.error(`event routing failed (retrying): ${error instanceof Error ? error.message : String(error)}`),
  });

  const adminApiKey = env.ADMIN_API_KEY ?? persistentKey(join(env.DATA_DIR, 'admin-key'));
  if (!(await ensureWebBuild(step))) step('console up to date (web/dist)');
  // Provisioned on the first simulation (a publish's check), not before the API serves.
  let testServer: ReturnType<typeof provisionTestServer> | undefined;
  const simulator = createProductionSimulator({
    db: database.db,
    testServer: () => (testServer ??= provisionTestServer(() => {})),
  });
  const app = await buildApp({
    simulate: simulator,
    db: database.db,
    temporal: client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    adminApiKey,
    checkOnPublish: true,
    temporalUiUrl: devServer.uiUrl ?? undefined,
    messaging: { linkSecret },
  });
  await app.listen({ host: '127.0.0.1', port: env.PORT });

  step('loading demo data');
  // The demo is a convenience: whatever a user did to its data since, starting does not depend on it.
  const demo = await seedDemo({
    db: database.db,
    temporal: client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    log: (line) => console.log(`  ${line}`),
  }).then(
    (seeded) => `${seeded.customers} customers, ${seeded.journeys.length} library journeys published (GET /v1/library)`,
    (error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`  demo data not loaded (starting without it): ${reason}`);
      return `not loaded (${reason})`;
    },
  );
  const stopWatching = watchEnrollments(database.db, (line) => console.log(`▸ ${line}`));
  const writeKey = await persistentWriteKey(database.db, join(env.DATA_DIR, 'write-key'));

  console.log(`
Perennial is running.
  API            ${publicUrl}   (admin key: ${adminApiKey})
  Console        ${publicUrl}/console/   (sign in with the admin key)
  Write key      ${writeKey}   (Segment-compatible: /v1/identify, /v1/track, /v1/batch)
  Temporal UI    ${devServer.uiUrl}
  Temporal gRPC  ${devServer.address}
  Database       ${database.describe}
  Mail           ${mailbox ? `dev mailbox: ${mailbox.dir}/*.eml` : 'SMTP_URL'}
  Demo           ${demo}
Try:  curl -H "Authorization: Bearer ${adminApiKey}" ${publicUrl}/v1/enrollments
      curl -u ${writeKey}: -H 'content-type: application/json' -d '{"userId":"demo-1","event":"lead_captured","properties":{"category":"phone"}}' ${publicUrl}/v1/track
Ctrl-C stops everything.`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    step('shutting down');
    // Bounded: the children die with this process anyway (platform/children.ts).
    setTimeout(() => process.exit(1), 15_000).unref();
    stopWatching();
    await app.close();
    await simulator.close();
    await stopRouter();
    if (worker.getState() === 'RUNNING') worker.shutdown(); // the SDK may already be draining on SIGINT
    await workerRun;
    email.close?.();
    await mailbox?.stop();
    await Promise.all([temporal.native.close(), temporal.client.close()]);
    await database.close();
    await devServer.stop();
    forgetProcess(env.DATA_DIR, 'dev-server');
    forgetProcess(env.DATA_DIR, 'start');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  onOrphaned = () => void shutdown();
}

/**
 * One `npm start` per data directory. A live earlier run is refused (two would share its files);
 * what a killed one left behind (its dev server, when the kernel did not end it with its parent:
 * see platform/children.ts) is stopped and replaced, said in one line. Only processes recorded in
 * this data directory with the command line they were started with are touched (scripts/pid-files.ts).
 */
async function claimDataDir(dataDir: string, step: (line: string) => void): Promise<void> {
  const running = runningRecorded(dataDir, 'start');
  if (running && running.pid !== process.pid)
    throw new DataDirInUseError(
      `another npm start (pid ${running.pid}) runs on ${dataDir}: stop it, or set DATA_DIR (and the ports) for a second one`,
    );
  const reaped = await reapRecorded(dataDir, 'dev-server');
  if (reaped)
    step(`replacing the Temporal dev server an earlier run on ${dataDir} left running (pid ${reaped}, stopped)`);
  recordProcess(dataDir, 'start', {
    pid: process.pid,
    commandLine: commandLineOf(process.pid) ?? process.argv.join(' '),
  });
}

class DataDirInUseError extends Error {}

/**
 * For the first minute: the enrollments by status whenever they change (the live demo events are
 * routed in the background).
 */
function watchEnrollments(db: Db, log: (line: string) => void): () => void {
  let last = '';
  const started = Date.now();
  const timer = setInterval(() => {
    void db
      .select({ status: enrollments.status, n: count() })
      .from(enrollments)
      .groupBy(enrollments.status)
      .then((rows) => {
        const line = rows
          .sort((a, b) => a.status.localeCompare(b.status))
          .map((r) => `${r.n} ${r.status}`)
          .join(', ');
        if (line !== last) {
          last = line;
          log(`demo enrollments after ${Math.round((Date.now() - started) / 1000)} s: ${line || 'none yet'}`);
        }
      })
      .catch(() => undefined);
    if (Date.now() - started > 60_000) clearInterval(timer);
  }, 2_000);
  return () => clearInterval(timer);
}

function persistentKey(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `pk_admin_${randomBytes(18).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * A write key for the dev setup, kept in .data/write-key; only its hash is in the database, so a
 * key whose row is gone (another database, revoked) is replaced.
 */
async function persistentWriteKey(db: Db, file: string): Promise<string> {
  const existing = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (existing !== '' && (await verifyApiKey(db, existing)) === 'write') return existing;
  const { key } = await createApiKey(db, 'write', 'npm start (dev)');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

main().catch((error: unknown) => {
  if (
    error instanceof DependencyError ||
    error instanceof EnvError ||
    error instanceof DataDirInUseError ||
    error instanceof PortInUseError
  ) {
    console.error(`perennial: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
