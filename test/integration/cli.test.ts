/**
 * The `perennial` CLI, spawned as users run it (`tsx cli/main.ts …`), against an API listening on a
 * random port with a real database, the dev server and a real worker. Checks the `--json` shapes
 * documented in docs/cli.md, a human table run, paging with --all, and the exit codes.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { createSimulator } from '../../simulation/simulate';
import { customers, enrollments } from '../../drizzle/schema';
import {
  connectDevServer,
  createTestDatabase,
  createTestWorker,
  eventually,
  uniqueTaskQueue,
  workflowBundle,
} from '../setup/harness';

const ADMIN_KEY = 'cli-test-admin-key-0123456789';
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let app: FastifyInstance;
let apiUrl: string;
const workflows = new Set<string>();
const dir = mkdtempSync(join(tmpdir(), 'perennial-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously (the API answering it lives in this process). */
function cli(args: string[], options: { key?: string | null; env?: Record<string, string> } = {}): Promise<Run> {
  const keyArgs = options.key === null ? [] : ['--api-key', options.key ?? ADMIN_KEY];
  const env = { ...process.env, PERENNIAL_API_KEY: '', PERENNIAL_API_URL: '', ...options.env };
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['cli/main.ts', '--api-url', apiUrl, ...keyArgs, ...args],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
async function cliJson<T>(args: string[]): Promise<T> {
  const run = await cli([...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

const journeyId = `cli-${randomUUID().slice(0, 8)}`;
const splitJourney = {
  name: 'CLI split',
  entry: { type: 'api' },
  settings: { timeZone: 'UTC', goalWindow: { days: 7 } },
  start: 'ab',
  steps: {
    ab: {
      type: 'split',
      arms: [
        { id: 'treat', weight: 1, next: 'wait' },
        { id: 'control', weight: 1, next: 'wait', holdout: true },
      ],
    },
    wait: { type: 'wait', duration: { days: 30 }, next: 'done' },
    done: { type: 'exit', reason: 'waited' },
  },
};
let customerId: string;
let enrollmentId: string;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  const taskQueue = uniqueTaskQueue('cli');
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({ db: db.db, transports: {}, clock: () => new Date(), publicUrl: 'http://127.0.0.1' }),
  });
  workerRunning = worker.run();
  const simulate = createSimulator({
    db: db.db,
    testServer: async () => inject('testServerExecutable'),
    workflowBundle: async () => workflowBundle(),
  });
  app = await buildApp({ db: db.db, temporal: temporal.client, taskQueue, adminApiKey: ADMIN_KEY, simulate });
  apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  const file = join(dir, 'journey.json');
  writeFileSync(file, JSON.stringify(splitJourney));
  const published = await cli(['journeys', 'publish', journeyId, '--file', file, '--json']);
  expect(published.code, published.stderr).toBe(0);
  expect(JSON.parse(published.stdout)).toEqual({ id: journeyId, version: 1 });

  const [row] = await db.db.insert(customers).values({ traits: {} }).returning({ id: customers.id });
  customerId = row!.id;
  const entered = await app.inject({
    method: 'POST',
    url: `/v1/journeys/${journeyId}/enrollments`,
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: { customerId },
  });
  expect(entered.statusCode).toBe(202);
  workflows.add(entered.json<{ workflowId: string }>().workflowId);
  enrollmentId = await eventually('the mirror row in the wait', async () => {
    const [e] = await db.db.select().from(enrollments).where(eq(enrollments.customerId, customerId));
    return e?.currentStep === 'wait' ? e.id : undefined;
  });
});

afterAll(async () => {
  await app?.close();
  if (temporal)
    await Promise.all(
      [...workflows].map((id) =>
        temporal.client.workflow
          .getHandle(id)
          .terminate('cli.test.ts cleanup')
          .catch(() => undefined),
      ),
    );
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await temporal?.close();
  await db?.close();
});

describe('perennial --json: stable shapes', () => {
  it('journeys list and validate', async () => {
    const [listed, valid, invalid] = await Promise.all([
      cliJson<{ journeys: { id: string; status: string; latestVersion: number }[] }>(['journeys', 'list']),
      cliJson<{ file: string; valid: boolean; issues: unknown[] }>(['journeys', 'validate', join(dir, 'journey.json')]),
      (async () => {
        const bad = join(dir, 'bad.yaml');
        writeFileSync(
          bad,
          'name: Bad\nentry: { type: api }\nstart: nowhere\nsteps:\n  done: { type: exit, reason: x }\n',
        );
        return cli(['journeys', 'validate', bad, '--json']);
      })(),
    ]);
    expect(listed.journeys).toContainEqual(
      expect.objectContaining({ id: journeyId, status: 'published', latestVersion: 1 }),
    );
    expect(valid).toEqual({ file: join(dir, 'journey.json'), valid: true, issues: [] });
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({
      valid: false,
      issues: [{ path: '$.start', message: 'start "nowhere" is not a step' }],
    });
  });

  it('journeys validate refuses a duplicated key with its path, line and column', async () => {
    const file = join(dir, 'twice.json');
    writeFileSync(file, '{\n  "name": "Twice",\n  "name": "Again"\n}\n');
    const result = await cli(['journeys', 'validate', file, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      file,
      valid: false,
      issues: [
        {
          path: '$.name',
          message: expect.stringContaining('line 3, column 3: duplicate key "name" (first at line 2, column 3)'),
        },
      ],
    });
  });

  it('journeys simulate: the dated schedule as JSON, with a scripted event, and as a table', async () => {
    const events = join(dir, 'events.json');
    writeFileSync(events, JSON.stringify([{ after: { days: 3 }, name: 'noise', properties: {} }]));
    const json = await cliJson<{
      simulation: {
        journeyId: string;
        journeyVersion: number;
        outcome: { status: string; reason: string };
        steps: { step: string }[];
        events: { name: string; delivered: boolean }[];
        startedAt: string;
        endedAt: string;
      };
    }>(['journeys', 'simulate', journeyId, '--version', '1', '--events', events, '--horizon-days', '60']);
    expect(json.simulation).toMatchObject({
      journeyId,
      journeyVersion: 1,
      outcome: { status: 'completed', reason: 'waited' },
      events: [{ name: 'noise', delivered: true }],
    });
    expect(json.simulation.steps.map((s) => s.step)).toEqual(['ab', 'wait', 'done']);
    expect(Math.round((Date.parse(json.simulation.endedAt) - Date.parse(json.simulation.startedAt)) / 86_400_000)).toBe(
      30,
    );
    const human = await cli(['journeys', 'simulate', journeyId, '--version', '1']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/completed \(waited\)/);
    expect(human.stdout).toContain('step');
    const bad = await cli(['journeys', 'simulate', journeyId, '--start-at', '2001-01-01T00:00:00Z', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain('$.body.startAt');
  });

  it('demo generate writes a deterministic brand into DATABASE_URL and reports what it wrote', async () => {
    const target = await createTestDatabase();
    try {
      const run = await cli(
        ['demo', 'generate', '--customers', '40', '--seed', '5', '--now', '2026-11-01T00:00:00Z', '--json'],
        { env: { DATABASE_URL: target.url } },
      );
      expect(run.code, run.stderr).toBe(0);
      const { summary } = JSON.parse(run.stdout) as {
        summary: { customers: number; identities: number; orders: number };
      };
      expect(summary.customers).toBe(40);
      expect(summary.identities).toBeGreaterThanOrEqual(40);
      const [row] = await target.db.select({ n: sql<number>`count(*)::int` }).from(customers);
      expect(row!.n).toBe(40);
      const refused = await cli(['demo', 'generate', '--customers', '0']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('an integer from 1 to 1,000,000');
    } finally {
      await target.close();
    }
  });

  it('enrollments list, show and history', async () => {
    const [listed, shown, history] = await Promise.all([
      cliJson<{ enrollments: Record<string, unknown>[] }>([
        'enrollments',
        'list',
        '--journey',
        journeyId,
        '--version',
        '1',
        '--step',
        'wait',
        '--status',
        'active',
      ]),
      cliJson<{
        enrollment: { id: string; currentStep: string; path: { step: string; outcome: string }[] };
        live: unknown;
        messages: unknown[];
        temporalUiUrl: string;
      }>(['enrollments', 'show', enrollmentId]),
      cliJson<{
        enrollmentId: string;
        workflowId: string;
        temporalUiUrl: string;
        timeline: { eventId: number; at: string; kind: string; text: string }[];
      }>(['enrollments', 'history', enrollmentId]),
    ]);
    expect(listed.enrollments).toHaveLength(1);
    expect(Object.keys(listed.enrollments[0]!).sort()).toEqual(
      [
        'id',
        'journeyId',
        'journeyVersion',
        'customerId',
        'enrollmentKey',
        'workflowId',
        'status',
        'currentStep',
        'nextWakeAt',
        'path',
        'enteredAt',
        'exitedAt',
        'exitReason',
        'convertedAt',
        'updatedAt',
      ].sort(),
    );
    expect(shown.enrollment).toMatchObject({ id: enrollmentId, currentStep: 'wait' });
    expect(shown.enrollment.path[0]).toMatchObject({
      step: 'ab',
      outcome: expect.stringMatching(/^(treat|control:holdout)$/),
    });
    expect(shown.messages).toEqual([]);
    expect(shown.temporalUiUrl).toMatch(/^http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/enrollment%2F/);
    expect(history.enrollmentId).toBe(enrollmentId);
    expect(history.timeline.map((t) => t.kind)).toEqual(['entered', 'event', 'step', 'step', 'wait']);
  });

  it('analytics journey and funnel', async () => {
    const [stats, funnel] = await Promise.all([
      cliJson<{
        journeyId: string;
        versions: {
          version: number;
          entered: number;
          active: number;
          splits: { step: string; arms: { arm: string; entered: number }[] }[];
        }[];
      }>(['analytics', 'journey', journeyId]),
      cliJson<{ from: string; to: string; interval: string; stages: unknown[]; transitions: unknown[] }>([
        'analytics',
        'funnel',
        '--interval',
        'week',
      ]),
    ]);
    expect(stats.versions).toHaveLength(1);
    expect(stats.versions[0]).toMatchObject({
      version: 1,
      entered: 1,
      active: 1,
      splits: [{ step: 'ab', arms: [{ entered: 1 }] }],
    });
    expect(funnel).toMatchObject({ interval: 'week', stages: [{ stage: null, customers: 1 }], transitions: [] });
  });

  it('pages through every enrollment with --all', async () => {
    const bulk = `cli-bulk-${randomUUID().slice(0, 6)}`;
    const base = Date.parse('2026-01-01T00:00:00Z');
    await db.db.insert(enrollments).values(
      Array.from({ length: 730 }, (_, i) => ({
        id: randomUUID(),
        journeyId: bulk,
        journeyVersion: 1,
        customerId: randomUUID(),
        enrollmentKey: 'default',
        workflowId: `enrollment/${bulk}/${i}/default`,
        status: 'completed' as const,
        // Pairs share an entry time: the cursor must neither skip nor repeat them.
        enteredAt: new Date(base + Math.floor(i / 2) * 1000),
      })),
    );
    const all = await cliJson<{ enrollments: { id: string }[] }>(['enrollments', 'list', '--journey', bulk, '--all']);
    expect(all.enrollments).toHaveLength(730);
    expect(new Set(all.enrollments.map((e) => e.id)).size).toBe(730);
    const limited = await cliJson<{ enrollments: unknown[] }>([
      'enrollments',
      'list',
      '--journey',
      bulk,
      '--limit',
      '25',
    ]);
    expect(limited.enrollments).toHaveLength(25);
  });

  it('cancels with a reason, then the customer timeline and show reflect it', async () => {
    const cancelled = await cliJson<{ enrollmentId: string; status: string; reason: string }>([
      'enrollments',
      'cancel',
      enrollmentId,
      '--reason',
      'asked to stop',
    ]);
    expect(cancelled).toMatchObject({ enrollmentId, status: 'cancelling', reason: 'asked to stop' });
    await eventually('the cancelled row', async () => {
      const [e] = await db.db.select().from(enrollments).where(eq(enrollments.id, enrollmentId));
      return e?.status === 'cancelled' && e.exitReason === 'asked to stop' ? e : undefined;
    });
    const [timeline, shown] = await Promise.all([
      cliJson<{ customerId: string; items: { kind: string; text: string; at: string }[] }>([
        'customers',
        'timeline',
        customerId,
        '--all',
      ]),
      cliJson<{ customerId: string; profile: unknown; enrollments: { id: string; status: string }[] }>([
        'customers',
        'show',
        customerId,
      ]),
    ]);
    expect(timeline.customerId).toBe(customerId);
    expect(timeline.items.map((i) => i.kind)).toEqual(['exited', 'entered']);
    expect(timeline.items[0]!.text).toBe(`left ${journeyId} v1: cancelled (asked to stop)`);
    expect(shown.customerId).toBe(customerId);
    expect(shown.enrollments).toEqual([expect.objectContaining({ id: enrollmentId, status: 'cancelled' })]);
    // The profile comes from GET /v1/customers/:id where the API serves it; null otherwise.
    expect(shown.profile === null || typeof shown.profile === 'object').toBe(true);
  });
});

describe('perennial for people and on errors', () => {
  it('prints tables: analytics of a journey with its split arms', async () => {
    const run = await cli(['analytics', 'journey', journeyId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${journeyId} v1`);
    expect(run.stdout).toMatch(/│ entered\s+│ 1\s+│/);
    expect(run.stdout).toContain('Split ab (uplift against the holdout, 95% Newcombe interval)');
    expect(run.stdout).toMatch(/┌.*┐/);
  });

  it('prints tables: the enrollment list names the enrollment, its step and status', async () => {
    const run = await cli(['enrollments', 'list', '--journey', journeyId]);
    expect(run.code, run.stderr).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.includes(enrollmentId.slice(0, 8)));
    expect(line).toBeDefined();
    expect(run.stdout).toContain('1 enrollment(s)');
  });

  it('exits 1 with the API issue and its JSON path for bad input', async () => {
    const run = await cli(['enrollments', 'show', 'not-a-uuid', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toMatchObject({
      status: 400,
      error: 'invalid_request',
      issues: [{ path: '$.params.id' }],
    });
    const human = await cli(['enrollments', 'cancel', randomUUID(), '--reason', 'x']);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^perennial: 404 not_found: enrollment .* not found/);
  });

  it('exits 2 naming the fix when there is no key or no API', async () => {
    const noKey = await cli(['journeys', 'list'], { key: null, env: { DATA_DIR: join(dir, 'nothing-here') } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no API key: pass --api-key');
    const wrongKey = await cli(['journeys', 'list'], { key: 'pk_admin_wrong-wrong-wrong' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('401 unauthorized');
    const keyFile = join(dir, 'data');
    mkdirSync(keyFile, { recursive: true });
    writeFileSync(join(keyFile, 'admin-key'), `${ADMIN_KEY}\n`);
    const fromFile = await cli(['journeys', 'list', '--json'], { key: null, env: { DATA_DIR: keyFile } });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toHaveProperty('journeys');
    // The last --api-url wins: a port nothing listens on.
    const noApi = await cli(['--api-url', 'http://127.0.0.1:9', 'journeys', 'list']);
    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toContain('cannot reach the Perennial API at http://127.0.0.1:9');
  });
});

describe('perennial library', () => {
  it('lists the library, installs an entry with parameters, and installing again publishes nothing new', async () => {
    const listed = await cliJson<{ library: { id: string; title: { en: string; 'zh-CN': string } }[] }>([
      'library',
      'list',
    ]);
    expect(listed.library.map((e) => e.id)).toEqual(expect.arrayContaining(['lead-nurture', 'warranty-upsell']));
    const human = await cli(['library', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('决策周期内的线索培育');

    const params = JSON.stringify({ decisionWindows: { phone: 41 }, categories: ['phone'] });
    const first = await cliJson<{
      journeys: { id: string; version: number; published: boolean }[];
      templates: { saved: boolean }[];
    }>(['library', 'install', 'lead-nurture', '--params', params]);
    expect(first.journeys).toEqual([{ id: 'lead-nurture-phone', version: 1, published: true }]);
    expect(first.templates.filter((t) => t.saved)).toHaveLength(3);
    const again = await cli(['library', 'install', 'lead-nurture', '--params', params]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/lead-nurture-phone\W+1\W+up to date/);
    expect(again.stdout).toContain('3 templates (all up to date)');

    const bad = await cli(['library', 'install', 'lead-nurture', '--params', '{"categories":["kettle"]}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('$.body.parameters.categories[0]');
  });
});
