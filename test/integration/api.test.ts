/**
 * The HTTP API end to end: Fastify's `inject()` against `buildApp`, a real Postgres database, the
 * dev server and a real worker running the enrollment workflow with real activities.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { customers, journeys, journeyVersions, templates } from '../../drizzle/schema';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { startApiStack, type ApiStack } from '../setup/api-stack';
import { eventually } from '../setup/harness';

const ADMIN_KEY = 'api-test-admin-key-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

let stack: ApiStack;
let db: ApiStack['db'];
let temporal: ApiStack['temporal'];
let app: FastifyInstance;
/** Every workflow this file started, terminated in afterAll (they wait for weeks). */
let startedWorkflows: Set<string>;

beforeAll(async () => {
  stack = await startApiStack({ name: 'api', adminApiKey: ADMIN_KEY });
  ({ db, temporal, app, started: startedWorkflows } = stack);
});

afterAll(async () => {
  await stack?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

interface Issue {
  path: string;
  message: string;
}
interface ErrorBody {
  error: string;
  message?: string;
  issues?: Issue[];
}
interface JourneyRow {
  id: string;
  name: string;
  status: string;
  draft: unknown;
  latestVersion: number | null;
}
interface VersionRow {
  journeyId: string;
  version: number;
  definition: { name: string };
}
interface EnrollmentRow {
  id: string;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  workflowId: string;
  status: string;
  currentStep: string | null;
}
interface LiveStatus {
  journeyVersion: number;
  stepId: string;
  paused: boolean;
}
type EntryBody =
  | { status: 'started' | 'signalled'; workflowId: string; enrollmentKey: string }
  | { status: 'rejected'; reason: string };

type Method = 'GET' | 'PUT' | 'POST';
interface Sent<T> {
  status: number;
  body: T;
}

async function call<T>(
  method: Method,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = AUTH,
): Promise<Sent<T>> {
  const response = await app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: response.json<T>() };
}

/** A raw body with a content type of the test's choosing (for malformed payloads). */
async function callRaw<T>(method: Method, url: string, payload: string, contentType: string): Promise<Sent<T>> {
  const response = await app.inject({ method, url, payload, headers: { ...AUTH, 'content-type': contentType } });
  return { status: response.statusCode, body: response.json<T>() };
}

const newJourneyId = () => `api-${randomUUID().slice(0, 8)}`;

/** Wait `days`, then exit: enrollments stay active for the whole test run. */
function longWait(name: string, days = 30) {
  return {
    name,
    entry: { type: 'api' },
    start: 'wait',
    steps: {
      wait: { type: 'wait', duration: { days }, next: 'done' },
      done: { type: 'exit', reason: 'waited' },
    },
  };
}

/** Exits at once: its enrollments complete within a workflow task or two. */
const exitAtOnce = {
  name: 'Exit at once',
  entry: { type: 'api' },
  start: 'done',
  steps: { done: { type: 'exit', reason: 'nothing-to-do' } },
};

async function newCustomer(): Promise<string> {
  const [row] = await db.db
    .insert(customers)
    .values({ traits: { firstName: 'Mei' } })
    .returning({ id: customers.id });
  return row!.id;
}

async function publishedJourney(definition: object, id = newJourneyId()): Promise<string> {
  expect((await call('PUT', `/v1/journeys/${id}`, definition)).status).toBe(201);
  expect((await call('POST', `/v1/journeys/${id}/publish`)).status).toBe(200);
  return id;
}

async function enter(journeyId: string, customerId: string): Promise<Sent<EntryBody>> {
  const sent = await call<EntryBody>('POST', `/v1/journeys/${journeyId}/enrollments`, { customerId });
  if (sent.body.status === 'started' || sent.body.status === 'signalled') startedWorkflows.add(sent.body.workflowId);
  return sent;
}

async function listEnrollments(query: string): Promise<EnrollmentRow[]> {
  const sent = await call<{ enrollments: EnrollmentRow[] }>('GET', `/v1/enrollments?${query}`);
  expect(sent.status).toBe(200);
  return sent.body.enrollments;
}

/** Enters and waits until the workflow has written its mirror row (its first task ran). */
async function enterAndAwaitRow(journeyId: string, customerId: string, status = 'active'): Promise<EnrollmentRow> {
  const sent = await enter(journeyId, customerId);
  expect(sent).toMatchObject({ status: 202, body: { status: 'started' } });
  return eventually(`the ${status} enrollment of ${customerId} in ${journeyId}`, async () => {
    const rows = await listEnrollments(`journeyId=${journeyId}&customerId=${customerId}&status=${status}`);
    return rows[0];
  });
}

async function liveStatus(enrollmentId: string): Promise<LiveStatus | null> {
  const sent = await call<{ enrollment: EnrollmentRow; live: LiveStatus | null }>(
    'GET',
    `/v1/enrollments/${enrollmentId}`,
  );
  expect(sent.status).toBe(200);
  return sent.body.live;
}

async function awaitPaused(enrollmentId: string, paused: boolean): Promise<LiveStatus> {
  return eventually(`live.paused to be ${paused}`, async () => {
    const live = await liveStatus(enrollmentId);
    return live?.paused === paused ? live : undefined;
  });
}

async function storedJourney(id: string) {
  const [row] = await db.db.select().from(journeys).where(eq(journeys.id, id));
  return row;
}

// ---- tests -----------------------------------------------------------------------------------

describe('authentication', () => {
  it('rejects a request without an admin key with 401 and a message saying how to send one', async () => {
    const sent = await call<ErrorBody>('GET', '/v1/journeys', undefined, {});
    expect(sent.status).toBe(401);
    expect(sent.body.error).toBe('unauthorized');
    expect(sent.body.message).toContain('Authorization: Bearer');
  });

  it.each([
    ['a wrong key', `Bearer ${ADMIN_KEY}x`],
    ['a prefix of the key', `Bearer ${ADMIN_KEY.slice(0, 10)}`],
    ['the right key without the Bearer scheme', ADMIN_KEY],
    ['the right key under another scheme', `Basic ${ADMIN_KEY}`],
    ['an empty bearer token', 'Bearer '],
  ])('rejects %s with 401', async (_what, authorization) => {
    const sent = await call<ErrorBody>('GET', '/v1/journeys', undefined, { authorization });
    expect(sent.status).toBe(401);
    expect(sent.body).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('admin key') });
  });

  it('rejects writes without the key before doing anything: no journey is stored', async () => {
    const id = newJourneyId();
    const sent = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, longWait('Sneaky'), {
      authorization: 'Bearer nope',
    });
    expect(sent.status).toBe(401);
    expect(await storedJourney(id)).toBeUndefined();
  });

  it('accepts the right key', async () => {
    const sent = await call<{ journeys: JourneyRow[] }>('GET', '/v1/journeys');
    expect(sent.status).toBe(200);
    expect(Array.isArray(sent.body.journeys)).toBe(true);
  });

  it('serves /health without any key', async () => {
    expect(await call('GET', '/health', undefined, {})).toEqual({ status: 200, body: { ok: true } });
  });
});

describe('PUT /v1/journeys/:id validates the definition and stores nothing it rejects', () => {
  const broken: [string, (d: ReturnType<typeof longWait>) => unknown, Issue[]][] = [
    [
      'a zero-length wait',
      (d) => ({ ...d, steps: { ...d.steps, wait: { ...d.steps.wait, duration: { days: 0 } } } }),
      [{ path: '$.steps.wait.duration', message: 'must be longer than zero' }],
    ],
    [
      'a negative wait',
      (d) => ({ ...d, steps: { ...d.steps, wait: { ...d.steps.wait, duration: { days: -3 } } } }),
      [{ path: '$.steps.wait.duration', message: 'must not be negative' }],
    ],
    [
      'a dangling next',
      (d) => ({ ...d, steps: { ...d.steps, wait: { ...d.steps.wait, next: 'nowhere' } } }),
      [
        { path: '$.steps.done', message: expect.stringContaining('unreachable') },
        { path: '$.steps.wait.next', message: 'references unknown step "nowhere"' },
      ],
    ],
    [
      'a start that is not a step',
      (d) => ({ ...d, start: 'begin' }),
      [{ path: '$.start', message: 'start "begin" is not a step' }],
    ],
    [
      'an unknown step type',
      (d) => ({ ...d, steps: { ...d.steps, wait: { ...d.steps.wait, type: 'sleep' } } }),
      [{ path: '$.steps.wait.type', message: expect.stringContaining('unknown type "sleep"') }],
    ],
    [
      'no name and an unknown property',
      ({ name: _name, ...rest }) => ({ ...rest, colour: 'red' }),
      [
        { path: '$.colour', message: 'unknown property "colour"' },
        { path: '$.name', message: 'required: expected string' },
      ],
    ],
    [
      'a JSON array instead of an object',
      () => [],
      [{ path: '$', message: expect.stringContaining('expected object') }],
    ],
  ];

  it.each(broken)(
    'rejects a new draft with %s: 400 whose issues name the JSON paths',
    async (_what, breakIt, issues) => {
      const id = newJourneyId();
      const sent = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, breakIt(longWait('Broken')));
      expect(sent.status).toBe(400);
      expect(sent.body).toMatchObject({ error: 'invalid', message: 'the journey definition is invalid' });
      expect(sent.body.issues).toEqual(issues);
      expect(await storedJourney(id)).toBeUndefined();
      expect((await call<ErrorBody>('GET', `/v1/journeys/${id}`)).status).toBe(404);
    },
  );

  it('rejects an invalid update of an existing draft with 400 and keeps the stored draft as it was', async () => {
    const id = newJourneyId();
    const original = longWait('Kept');
    expect((await call('PUT', `/v1/journeys/${id}`, original)).status).toBe(201);
    const sent = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, { ...original, name: 'Changed', start: 'missing' });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([{ path: '$.start', message: 'start "missing" is not a step' }]);
    const stored = await storedJourney(id);
    expect(stored).toMatchObject({ name: 'Kept', status: 'draft', draft: original });
  });

  it.each([
    ['capital letters', 'Phone-Nurture'],
    ['a leading dash', '-nurture'],
    ['an underscore', 'phone_nurture'],
    ['more than 64 characters', 'a'.repeat(65)],
    ['a space', 'phone%20nurture'],
  ])('rejects a journey id in the URL with %s: 400 at $.params.id', async (_what, id) => {
    const sent = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, longWait('Bad id'));
    expect(sent.status).toBe(400);
    expect(sent.body.error).toBe('invalid_request');
    expect(sent.body.issues).toEqual([{ path: '$.params.id', message: expect.stringContaining('lowercase letters') }]);
    expect(await db.db.select().from(journeys)).not.toContainEqual(expect.objectContaining({ name: 'Bad id' }));
  });

  it.each([
    ['truncated JSON', '{"name": "Half', { path: '$.body.name', message: 'line 1, column 10: unterminated string' }],
    ['a trailing comma', '{"name": "x",}', { path: '$.body', message: "line 1, column 14: unexpected character '}'" }],
    [
      'a second line that breaks',
      '{\n  "name": "x"\n  "start": "a"\n}',
      { path: '$.body.start', message: 'line 3, column 3' },
    ],
    ['an empty JSON body', '', { path: '$.body', message: 'the body is empty' }],
  ])('answers %s with a 400 at its line and column and stores nothing', async (_what, payload, issue) => {
    const id = newJourneyId();
    const sent = await callRaw<ErrorBody>('PUT', `/v1/journeys/${id}`, payload, 'application/json');
    expect(sent.status).toBe(400);
    expect(sent.body.error).toBe('invalid_request');
    expect(sent.body.issues).toEqual([{ path: issue.path, message: expect.stringContaining(issue.message) }]);
    expect(await storedJourney(id)).toBeUndefined();
  });

  it('answers a content type the API does not read with 415 and stores nothing', async () => {
    const id = newJourneyId();
    const sent = await callRaw<ErrorBody>('PUT', `/v1/journeys/${id}`, '<journey/>', 'application/xml');
    expect(sent.status).toBe(415);
    expect(sent.body.message).toBeTypeOf('string');
    expect(await storedJourney(id)).toBeUndefined();
  });

  it('refuses a duplicated key (two steps named "done") with its path, line and column', async () => {
    const id = newJourneyId();
    const text = JSON.stringify(longWait('Twice'), null, 2).replace(
      '"done": {',
      '"done": { "type": "exit", "reason": "first" },\n    "done": {',
    );
    const sent = await callRaw<ErrorBody>('PUT', `/v1/journeys/${id}`, text, 'application/json');
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([
      {
        path: '$.body.steps.done',
        message: expect.stringMatching(/^line 16, column 5: duplicate key "done" \(first at line 15, column 5\)/),
      },
    ]);
    expect(await storedJourney(id)).toBeUndefined();
  });

  it('refuses a duplicated key on every admin route, and reads ingest bodies as before', async () => {
    const sent = await callRaw<ErrorBody>(
      'PUT',
      '/v1/templates/dup',
      '{"channel": "email", "channel": "sms"}',
      'application/json',
    );
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([{ path: '$.body.channel', message: expect.stringContaining('duplicate key') }]);
  });

  it('refuses more than 500 steps with a 400 at $.steps, and a body over 512 KB with a 413', async () => {
    const id = newJourneyId();
    const steps: Record<string, unknown> = {};
    for (let i = 0; i < 501; i++) steps[`s${i}`] = { type: 'wait', duration: { days: 1 }, next: `s${i + 1}` };
    const many = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, { ...longWait('Many'), start: 's0', steps });
    expect(many.status).toBe(400);
    expect(many.body.issues).toEqual([{ path: '$.steps', message: expect.stringContaining('at most 500') }]);
    const huge = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, {
      ...longWait('Huge'),
      description: 'x'.repeat(600_000),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.message).toContain('a journey definition may be at most 512 KB');
    expect(await storedJourney(id)).toBeUndefined();
  });

  it('answers a plain-text body with 400 at $ (it is not a journey object)', async () => {
    const id = newJourneyId();
    const sent = await callRaw<ErrorBody>('PUT', `/v1/journeys/${id}`, 'wait 30 days then exit', 'text/plain');
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([{ path: '$', message: expect.stringContaining('expected object') }]);
    expect(await storedJourney(id)).toBeUndefined();
  });
});

describe('warnings about events never seen', () => {
  it('saves and publishes a journey entering on an unseen event, warning with the closest known names', async () => {
    const id = newJourneyId();
    const definition = { ...longWait('Typo'), entry: { type: 'event', event: 'lead_capturd' } };
    const warning = {
      path: '$.entry.event',
      message: 'no "lead_capturd" event has been received yet; closest known: "lead_captured"',
    };
    const saved = await call<{ warnings?: unknown }>('PUT', `/v1/journeys/${id}`, definition);
    expect(saved.status).toBe(201);
    expect(saved.body.warnings).toEqual([warning]);
    const published = await call<{ version: number; warnings?: unknown }>('POST', `/v1/journeys/${id}/publish`);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ version: 1, warnings: [warning] });
  });

  it('says nothing about events that have been received', async () => {
    const id = newJourneyId();
    const definition = { ...longWait('Known'), entry: { type: 'event', event: 'Order Completed' } };
    const saved = await call<{ warnings?: unknown }>('PUT', `/v1/journeys/${id}`, definition);
    expect(saved.status).toBe(201);
    expect(saved.body.warnings).toBeUndefined();
  });
});

describe('journey lifecycle', () => {
  it('creates a draft (201), updates it (200), publishes version 1, then version 2 from an edited draft', async () => {
    const id = newJourneyId();
    const created = await call<{ journey: JourneyRow }>('PUT', `/v1/journeys/${id}`, longWait('Nurture'));
    expect(created.status).toBe(201);
    expect(created.body.journey).toMatchObject({ id, name: 'Nurture', status: 'draft', latestVersion: null });

    const updated = await call<{ journey: JourneyRow }>('PUT', `/v1/journeys/${id}`, longWait('Nurture, first cut'));
    expect(updated.status).toBe(200);
    expect(updated.body.journey).toMatchObject({ id, name: 'Nurture, first cut', status: 'draft' });

    expect(await call('POST', `/v1/journeys/${id}/publish`)).toEqual({ status: 200, body: { id, version: 1 } });
    expect((await call('PUT', `/v1/journeys/${id}`, longWait('Nurture, second cut', 20))).status).toBe(200);
    expect(await call('POST', `/v1/journeys/${id}/publish`)).toEqual({ status: 200, body: { id, version: 2 } });

    const shown = await call<{ journey: JourneyRow; versions: VersionRow[] }>('GET', `/v1/journeys/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.journey).toMatchObject({
      id,
      status: 'published',
      latestVersion: 2,
      name: 'Nurture, second cut',
    });
    expect(shown.body.versions.map((v) => [v.version, v.definition.name])).toEqual([
      [2, 'Nurture, second cut'],
      [1, 'Nurture, first cut'],
    ]);
    const listed = await call<{ journeys: JourneyRow[] }>('GET', '/v1/journeys');
    expect(listed.body.journeys).toContainEqual(expect.objectContaining({ id, latestVersion: 2 }));
  });

  it('keeps an enrollment on the version it entered with after a new version is published; new entries get the new version', async () => {
    const id = await publishedJourney(longWait('Versioned v1'));
    const early = await newCustomer();
    const first = await enterAndAwaitRow(id, early);
    expect(first).toMatchObject({
      journeyId: id,
      journeyVersion: 1,
      customerId: early,
      status: 'active',
      currentStep: 'wait',
    });

    expect((await call('PUT', `/v1/journeys/${id}`, longWait('Versioned v2', 40))).status).toBe(200);
    expect((await call<{ version: number }>('POST', `/v1/journeys/${id}/publish`)).body.version).toBe(2);

    const late = await newCustomer();
    const second = await enterAndAwaitRow(id, late);
    expect(second).toMatchObject({ journeyVersion: 2, customerId: late });

    const rows = await listEnrollments(`journeyId=${id}`);
    expect(rows.map((r) => [r.customerId, r.journeyVersion]).sort()).toEqual(
      [
        [early, 1],
        [late, 2],
      ].sort(),
    );
    expect(await liveStatus(first.id)).toMatchObject({ journeyVersion: 1, stepId: 'wait', paused: false });
    expect(await liveStatus(second.id)).toMatchObject({ journeyVersion: 2, stepId: 'wait', paused: false });
  });

  it('refuses an entry into a journey that was never published with 409 and starts nothing', async () => {
    const id = newJourneyId();
    expect((await call('PUT', `/v1/journeys/${id}`, longWait('Draft only'))).status).toBe(201);
    const sent = await call<ErrorBody>('POST', `/v1/journeys/${id}/enrollments`, { customerId: await newCustomer() });
    expect(sent.status).toBe(409);
    expect(sent.body).toMatchObject({ error: 'conflict', message: expect.stringContaining('no published version') });
    expect(await listEnrollments(`journeyId=${id}`)).toEqual([]);
  });

  it('refuses an entry for a customer that does not exist with 404 and starts no workflow', async () => {
    const id = await publishedJourney(longWait('Unknown customer'));
    const ghost = randomUUID();
    const sent = await enter(id, ghost);
    expect(sent.status).toBe(404);
    expect(sent.body).toMatchObject({ error: 'not_found', message: expect.stringContaining(ghost) });
    await expect(
      temporal.client.workflow.getHandle(enrollmentWorkflowId(id, ghost, 'default')).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await listEnrollments(`journeyId=${id}`)).toEqual([]);
  });

  it.each([
    ['a customerId that is not a uuid', '$.body.customerId', { customerId: 'cust-42' }],
    ['no customerId', '$.body.customerId', {}],
    [
      'properties that are not an object',
      '$.body.properties',
      { customerId: '6f1c7f0e-3b55-4a59-9d0c-6c3f4a1e2b7d', properties: 'vip' },
    ],
  ])('rejects an entry body with %s: 400 at %s', async (_what, path, payload) => {
    const id = await publishedJourney(longWait('Bad body'));
    const sent = await call<ErrorBody>('POST', `/v1/journeys/${id}/enrollments`, payload);
    expect(sent.status).toBe(400);
    expect(sent.body.issues?.map((i) => i.path)).toEqual([path]);
    expect(await listEnrollments(`journeyId=${id}`)).toEqual([]);
  });

  it('answers 404 for a journey that does not exist, on read, publish and entry', async () => {
    const id = newJourneyId();
    for (const [method, url] of [
      ['GET', `/v1/journeys/${id}`],
      ['POST', `/v1/journeys/${id}/publish`],
      ['POST', `/v1/journeys/${id}/pause`],
    ] as const) {
      const sent = await call<ErrorBody>(method, url);
      expect(sent.status).toBe(404);
      expect(sent.body).toMatchObject({ error: 'not_found', message: `journey ${id} not found` });
    }
    const entry = await call<ErrorBody>('POST', `/v1/journeys/${id}/enrollments`, { customerId: await newCustomer() });
    expect(entry.status).toBe(404);
  });
});

describe('publishing checks references', () => {
  it('a draft may name a template not written yet; publishing it is a 400 naming the step, and works once the template exists', async () => {
    const id = newJourneyId();
    const templateId = `tpl-${id}`;
    const definition = {
      name: 'Needs a template',
      entry: { type: 'api' },
      start: 'hello',
      steps: { hello: { type: 'send', channel: 'email', template: templateId, next: 'done' }, done: { type: 'exit' } },
    };
    expect((await call('PUT', `/v1/journeys/${id}`, definition)).status).toBe(201);
    const refused = await call<{ error: string; issues: { path: string; message: string }[] }>(
      'POST',
      `/v1/journeys/${id}/publish`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.issues.map((i) => i.path)).toEqual(['$.steps.hello.template']);
    expect((await storedJourney(id))?.latestVersion).toBeNull();
    await db.db.insert(templates).values({ id: templateId, channel: 'email', subject: 'Hi', text: 'Hello' });
    expect(await call('POST', `/v1/journeys/${id}/publish`)).toEqual({ status: 200, body: { id, version: 1 } });
  });
});

describe('pause, resume and archive', () => {
  it('pausing signals running enrollments, turns new entries away with 409, and resuming releases them', async () => {
    const id = await publishedJourney(longWait('Pausable'));
    const enrolled = await enterAndAwaitRow(id, await newCustomer());

    const paused = await call<{ id: string; signalled: number; status: string }>('POST', `/v1/journeys/${id}/pause`);
    expect(paused).toEqual({ status: 200, body: { id, signalled: 1, status: 'paused' } });
    expect(await awaitPaused(enrolled.id, true)).toMatchObject({ paused: true, stepId: 'wait', journeyVersion: 1 });

    const newcomer = await newCustomer();
    expect(await enter(id, newcomer)).toEqual({
      status: 409,
      body: { status: 'rejected', reason: 'journey-not-live' },
    });
    expect(await listEnrollments(`journeyId=${id}&customerId=${newcomer}`)).toEqual([]);

    expect((await call<ErrorBody>('POST', `/v1/journeys/${id}/pause`)).status).toBe(409); // already paused

    const resumed = await call<{ id: string; signalled: number; status: string }>('POST', `/v1/journeys/${id}/resume`);
    expect(resumed).toEqual({ status: 200, body: { id, signalled: 1, status: 'published' } });
    expect(await awaitPaused(enrolled.id, false)).toMatchObject({ paused: false, stepId: 'wait' });
    expect((await enter(id, newcomer)).status).toBe(202);
  });

  it('publishing a new version while paused keeps the journey paused, so resume can still release its enrollments', async () => {
    const id = await publishedJourney(longWait('Paused edit v1'));
    const enrolled = await enterAndAwaitRow(id, await newCustomer());
    expect((await call('POST', `/v1/journeys/${id}/pause`)).status).toBe(200);
    await awaitPaused(enrolled.id, true);

    expect((await call('PUT', `/v1/journeys/${id}`, longWait('Paused edit v2'))).status).toBe(200);
    expect(await call('POST', `/v1/journeys/${id}/publish`)).toEqual({ status: 200, body: { id, version: 2 } });
    expect((await call<{ journey: JourneyRow }>('GET', `/v1/journeys/${id}`)).body.journey).toMatchObject({
      status: 'paused',
      latestVersion: 2,
    });
    expect((await enter(id, await newCustomer())).body).toEqual({ status: 'rejected', reason: 'journey-not-live' });

    expect(await call('POST', `/v1/journeys/${id}/resume`)).toEqual({
      status: 200,
      body: { id, signalled: 1, status: 'published' },
    });
    expect(await awaitPaused(enrolled.id, false)).toMatchObject({ paused: false, journeyVersion: 1 });
  });

  it('refuses to pause a journey that is only a draft, and to resume one that is not paused, with 409', async () => {
    const id = newJourneyId();
    expect((await call('PUT', `/v1/journeys/${id}`, longWait('Never live'))).status).toBe(201);
    const pause = await call<ErrorBody>('POST', `/v1/journeys/${id}/pause`);
    expect(pause.status).toBe(409);
    expect(pause.body).toMatchObject({
      error: 'conflict',
      message: 'only a published journey can be paused (it is draft)',
    });
    expect((await storedJourney(id))?.status).toBe('draft');

    expect((await call('POST', `/v1/journeys/${id}/publish`)).status).toBe(200);
    const resume = await call<ErrorBody>('POST', `/v1/journeys/${id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.message).toBe('only a paused journey can be resumed (it is published)');
  });

  it('an archived journey refuses edits, publishing, pausing and entries with 409, and keeps its versions', async () => {
    const id = await publishedJourney(longWait('Retired'));
    expect(await call('POST', `/v1/journeys/${id}/archive`)).toEqual({ status: 200, body: { id, status: 'archived' } });

    const edit = await call<ErrorBody>('PUT', `/v1/journeys/${id}`, longWait('Revived'));
    expect(edit.status).toBe(409);
    expect(edit.body).toMatchObject({ error: 'conflict', message: `journey ${id} is archived` });
    expect((await call('POST', `/v1/journeys/${id}/publish`)).status).toBe(409);
    expect((await call('POST', `/v1/journeys/${id}/pause`)).status).toBe(409);
    expect(await enter(id, await newCustomer())).toEqual({
      status: 409,
      body: { status: 'rejected', reason: 'journey-not-live' },
    });

    expect(await storedJourney(id)).toMatchObject({ name: 'Retired', status: 'archived', latestVersion: 1 });
    expect(await db.db.select().from(journeyVersions).where(eq(journeyVersions.journeyId, id))).toHaveLength(1);
  });

  it('unarchive restores an archived journey paused (resume makes it live), a never-published one as a draft', async () => {
    const id = await publishedJourney(longWait('Restored'));
    expect((await call('POST', `/v1/journeys/${id}/unarchive`)).status).toBe(409); // not archived
    await call('POST', `/v1/journeys/${id}/archive`);
    expect(await call('POST', `/v1/journeys/${id}/unarchive`)).toEqual({ status: 200, body: { id, status: 'paused' } });
    expect(await call('POST', `/v1/journeys/${id}/resume`)).toMatchObject({
      status: 200,
      body: { status: 'published' },
    });
    expect((await call('PUT', `/v1/journeys/${id}`, longWait('Restored, edited'))).status).toBe(200);

    const draft = `draft-${id}`;
    expect((await call('PUT', `/v1/journeys/${draft}`, longWait('Never published'))).status).toBe(201);
    await call('POST', `/v1/journeys/${draft}/archive`);
    expect(await call('POST', `/v1/journeys/${draft}/unarchive`)).toEqual({
      status: 200,
      body: { id: draft, status: 'draft' },
    });
    expect((await call('POST', '/v1/journeys/no-such-journey/unarchive')).status).toBe(404);
  });
});

describe('GET /v1/enrollments', () => {
  it('filters by journeyId, customerId and status, newest first, and honours limit', async () => {
    const waiting = await publishedJourney(longWait('Filter: waiting'));
    const quick = await publishedJourney(exitAtOnce);
    const [ana, bo] = [await newCustomer(), await newCustomer()];
    const anaWaiting = await enterAndAwaitRow(waiting, ana);
    const boWaiting = await enterAndAwaitRow(waiting, bo);
    const anaQuick = await enterAndAwaitRow(quick, ana, 'completed');

    expect(ids(await listEnrollments(`journeyId=${waiting}`))).toEqual([boWaiting.id, anaWaiting.id]);
    expect(ids(await listEnrollments(`journeyId=${quick}`))).toEqual([anaQuick.id]);
    expect(ids(await listEnrollments(`customerId=${ana}`))).toEqual([anaQuick.id, anaWaiting.id]);
    expect(ids(await listEnrollments(`customerId=${ana}&status=active`))).toEqual([anaWaiting.id]);
    expect(ids(await listEnrollments(`customerId=${ana}&status=completed`))).toEqual([anaQuick.id]);
    expect(ids(await listEnrollments(`journeyId=${waiting}&status=completed`))).toEqual([]);
    expect(ids(await listEnrollments(`journeyId=${waiting}&limit=1`))).toEqual([boWaiting.id]);
    expect(await listEnrollments(`customerId=${randomUUID()}`)).toEqual([]);
    expect(anaQuick).toMatchObject({ status: 'completed', currentStep: null });
  });

  it.each([
    ['limit=0', '$.query.limit'],
    ['limit=501', '$.query.limit'],
    ['limit=ten', '$.query.limit'],
    ['limit=2.5', '$.query.limit'],
    ['customerId=not-a-uuid', '$.query.customerId'],
    ['status=sleeping', '$.query.status'],
  ])('rejects ?%s with 400 naming %s', async (query, path) => {
    const sent = await call<ErrorBody>('GET', `/v1/enrollments?${query}`);
    expect(sent.status).toBe(400);
    expect(sent.body.error).toBe('invalid_request');
    expect(sent.body.issues?.map((i) => i.path)).toEqual([path]);
  });

  it('answers 404 for an enrollment id nobody has, and 400 at $.params.id for one that is not a uuid', async () => {
    const unknown = randomUUID();
    const missing = await call<ErrorBody>('GET', `/v1/enrollments/${unknown}`);
    expect(missing).toEqual({ status: 404, body: { error: 'not_found', message: `enrollment ${unknown} not found` } });
    const malformed = await call<ErrorBody>('GET', '/v1/enrollments/42');
    expect(malformed.status).toBe(400);
    expect(malformed.body.issues?.map((i) => i.path)).toEqual(['$.params.id']);
  });

  it('shows a finished enrollment without a live status', async () => {
    const quick = await publishedJourney(exitAtOnce);
    const row = await enterAndAwaitRow(quick, await newCustomer(), 'completed');
    const sent = await call<{ enrollment: EnrollmentRow & { exitReason: string }; live: LiveStatus | null }>(
      'GET',
      `/v1/enrollments/${row.id}`,
    );
    expect(sent.status).toBe(200);
    expect(sent.body.enrollment).toMatchObject({ id: row.id, status: 'completed', exitReason: 'nothing-to-do' });
    expect(sent.body.live).toBeNull();
  });
});

describe('re-entry through the API', () => {
  it('with the default "once" policy, entering an actively enrolled customer again only signals the running enrollment (202 signalled)', async () => {
    const id = await publishedJourney(longWait('Once'));
    const customerId = await newCustomer();
    const first = await enterAndAwaitRow(id, customerId);

    const again = await enter(id, customerId);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ status: 'signalled', workflowId: first.workflowId, enrollmentKey: 'default' });

    const rows = await listEnrollments(`journeyId=${id}&customerId=${customerId}`);
    expect(rows.map((r) => [r.id, r.status])).toEqual([[first.id, 'active']]);
    const description = await temporal.client.workflow.getHandle(first.workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
  });

  it('with the default "once" policy, a customer whose enrollment finished is turned away with 409 already-enrolled', async () => {
    const id = await publishedJourney(exitAtOnce);
    const customerId = await newCustomer();
    const finished = await enterAndAwaitRow(id, customerId, 'completed');
    expect(await enter(id, customerId)).toEqual({
      status: 409,
      body: { status: 'rejected', reason: 'already-enrolled' },
    });
    expect(ids(await listEnrollments(`journeyId=${id}&customerId=${customerId}`))).toEqual([finished.id]);
    await expect(temporal.client.workflow.getHandle(finished.workflowId).describe()).resolves.toMatchObject({
      status: { name: 'COMPLETED' },
    });
  });
});

function ids(rows: EnrollmentRow[]): string[] {
  return rows.map((r) => r.id);
}

describe('OpenAPI 3.1 at /docs', () => {
  it('serves a 3.1 document at /docs/json naming every route with its security, and the UI at /docs', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { security?: unknown[]; parameters?: { name: string; in: string }[]; requestBody?: unknown }>
      >;
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    }>();
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.components.securitySchemes).toEqual({
      adminKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      writeKey: expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
    for (const [path, method] of [
      ['/v1/journeys/{id}', 'put'],
      ['/v1/journeys/{id}/enrollments', 'post'],
      ['/v1/enrollments', 'get'],
      ['/v1/api-keys', 'post'],
      ['/v1/track', 'post'],
      ['/v1/batch', 'post'],
    ] as const) {
      expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(spec.paths['/v1/enrollments']!.get!.security).toEqual([{ adminKey: [] }]);
    expect(spec.paths['/v1/track']!.post!.security).toEqual([{ writeKey: [] }]);
    expect(spec.paths['/v1/enrollments']!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:journeyId', 'query:customerId', 'query:status', 'query:limit']),
    );
    expect(spec.paths['/v1/journeys/{id}/enrollments']!.post!.requestBody).toMatchObject({
      content: { 'application/json': { schema: { properties: { customerId: { format: 'uuid' } } } } },
    });

    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui');
    expect((await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })).statusCode).toBe(200); // served locally: works offline
  });

  it('every route the app serves is in the document (besides /health and the docs themselves)', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const documented = new Set(
      Object.entries(spec.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const served = app.routeList.filter((r) => !r.hidden).map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(served).toEqual(
      expect.arrayContaining([
        'PUT /v1/journeys/{id}',
        'POST /v1/journeys/{id}/publish',
        'GET /v1/enrollments/{id}',
        'POST /v1/identify',
      ]),
    );
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
    expect(app.routeList.filter((r) => r.hidden).map((r) => r.url)).toContain('/health');
  });
});
