/**
 * No personal data in logs, workflow IDs, search attributes or workflow histories. The real API
 * (`api/main.ts`) and worker (`worker/main.ts`) run as processes (their own pino loggers and Temporal
 * runtime logger, output captured) against a cloned database, the dev server and an SMTP sink.
 * Customers with distinctive emails and phones are ingested, looked up by email (a query string),
 * sent a journey email — the first attempt refused by the mail server with the address in its
 * reply, as real servers do — and one of them is erased and re-imported (refused). Then no email or
 * phone appears in the captured output, in any workflow ID or search attribute Temporal lists, or in
 * any payload or failure of the workflows' histories; the rendered message (its subject) is not in
 * the histories either.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnChild } from '../../platform/children';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/dev-server';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink';
import { connectDevServer, createTestDatabase, eventually, uniqueTaskQueue } from '../setup/harness';

const ADMIN = 'privacy-test-admin-key-0123456789';
const run = randomUUID().replace(/-/g, '').slice(0, 10);
const digits = (n: number) =>
  [...run]
    .map((c) => String(c.charCodeAt(0) % 10))
    .join('')
    .slice(0, n);
const people = [
  {
    userId: `priv-a-${run}`,
    email: `ada.lovelace.${run}@privacy.example`,
    phone: `+8613${digits(9)}`,
    name: `Adaline${run}`,
  },
  {
    userId: `priv-b-${run}`,
    email: `bob.builder.${run}@privacy.example`,
    phone: `+4479${digits(8)}`,
    name: `Bobbin${run}`,
  },
];
/** The strings that must not leak, each also without its `+` (a phone logged as digits). */
const secrets = people.flatMap((p) => [p.email, p.phone, p.phone.slice(1)]);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let sink: SmtpSink;
const processes: ChildProcess[] = [];
let output = '';
let apiUrl: string;
let writeKey: string;
const taskQueue = uniqueTaskQueue('privacy');
const journeyId = `privacy-${run}`;

function start(name: string, entry: string, env: Record<string, string>, ready: RegExp): Promise<void> {
  const proc = spawnChild(process.execPath, ['--import', 'tsx', entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(proc);
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve();
    };
    proc.stdout!.on('data', seen);
    proc.stderr!.on('data', seen);
    proc.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${output.slice(-3000)}`)));
  });
}

beforeAll(async () => {
  [db, temporal, sink] = await Promise.all([createTestDatabase(), connectDevServer(), startSmtpSink()]);
  // Real servers echo the recipient in their replies: the first attempts are refused with it.
  sink.mode = {
    kind: 'refuse-recipient',
    code: 451,
    message: `<${people[0]!.email}>: Recipient address rejected: greylisted, try again later`,
  };
  const port = await freePort();
  const common = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('devServerAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'debug',
    MESSAGING_LINK_SECRET: 'privacy-test-link-secret-0123456789abcdef',
  };
  await Promise.all([
    start('api', 'api/main.ts', { ...common, PORT: String(port), ADMIN_API_KEY: ADMIN }, /Server listening/),
    start('worker', 'worker/main.ts', { ...common, SMTP_URL: sink.url }, /worker running/),
  ]);
  apiUrl = `http://127.0.0.1:${port}`;
}, 240_000);

afterAll(async () => {
  // SIGTERM, and SIGKILL for whatever is still draining after 10 s (nothing is checked after this).
  await Promise.all(
    processes.map(async (proc) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
  await sink?.close();
  await temporal?.close();
  await db?.close();
}, 60_000);

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function ingest(path: string, body: unknown) {
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every secret (case-insensitive) found in `text`. */
const leaked = (text: string) => secrets.filter((s) => text.toLowerCase().includes(s.toLowerCase()));
/** A history or listing as text, with payload bytes decoded (base64 in protobuf JSON; JSON payloads are UTF-8). */
const asText = (value: unknown) =>
  JSON.stringify(value, (key, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if ((key === 'data' || key === 'encoding') && typeof v === 'string')
      return Buffer.from(v, 'base64').toString('utf8');
    return typeof v === 'bigint' ? String(v) : v;
  });

describe('no personal data in logs, workflow IDs, search attributes or histories', () => {
  let erasedId: string;

  it('runs customers through a journey with an email send, an erasure and a refused re-import', async () => {
    writeKey = (
      (await admin('POST', '/v1/api-keys', { kind: 'write', name: 'privacy' })).body.apiKey as { key: string }
    ).key;
    expect(writeKey).toMatch(/^pk_write_/);
    const template = {
      channel: 'email',
      defaultLocale: 'en',
      variables: { traits: ['firstName'], event: [] },
      locales: { en: { subject: 'Hello {{customer.firstName}}', text: 'Hi {{customer.firstName}}' } },
    };
    expect((await admin('PUT', '/v1/templates/privacy-hello', template)).status).toBe(201);
    const journey = {
      name: 'Privacy',
      entry: { type: 'event', event: 'Signed Up' },
      settings: { timeZone: 'UTC' },
      start: 'hello',
      steps: {
        hello: { type: 'send', channel: 'email', template: 'privacy-hello', next: 'wait' },
        wait: { type: 'wait', duration: { days: 30 }, next: 'done' },
        done: { type: 'exit', reason: 'waited' },
      },
    };
    expect((await admin('PUT', `/v1/journeys/${journeyId}`, journey)).status).toBe(201);
    const published = await admin('POST', `/v1/journeys/${journeyId}/publish`);
    expect(published.status, JSON.stringify(published.body)).toBe(200);

    for (const p of people) {
      const identified = await ingest('/v1/identify', {
        userId: p.userId,
        traits: { email: p.email, phone: p.phone, firstName: p.name, consent: { channels: { email: true } } },
      });
      expect(identified.status).toBe(200);
      expect(
        (await ingest('/v1/track', { userId: p.userId, event: 'Signed Up', properties: { plan: 'basic' } })).status,
      ).toBe(200);
      // A lookup by email puts it in the query string of a logged request.
      expect((await admin('GET', `/v1/customers?identity=${encodeURIComponent(`email:${p.email}`)}`)).status).toBe(200);
    }
    // The greylisting reply (with the address) reaches the worker as a failed attempt; then mail flows.
    await eventually(
      'a refused first attempt',
      async () => (/recipients were rejected/i.test(output) ? true : undefined),
      120_000,
    );
    sink.mode = { kind: 'accept' };
    await eventually(
      'both welcome emails delivered',
      async () => (sink.messages.length >= 2 ? true : undefined),
      120_000,
    );
    expect(sink.messages.flatMap((m) => m.envelope.to).sort()).toEqual(people.map((p) => p.email).sort());

    const lookup = await admin('GET', `/v1/customers?identity=${encodeURIComponent(`email:${people[0]!.email}`)}`);
    erasedId = (lookup.body.customer as { id: string }).id;
    const erased = await admin('POST', `/v1/customers/${erasedId}/erase`, { reason: 'privacy test' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ pendingCancels: [] });
    const workflowId = `enrollment/${journeyId}/${erasedId}/default`;
    expect(await temporal.client.workflow.getHandle(workflowId).result()).toMatchObject({
      status: 'cancelled',
      reason: 'erased',
    });
    expect((await ingest('/v1/identify', { userId: `again-${run}`, traits: { email: people[0]!.email } })).status).toBe(
      409,
    );
  }, 300_000);

  it('the API and worker output holds no email or phone (and did log the requests and the refused attempt)', () => {
    expect(output).toMatch(/"url":"\/v1\/customers\?identity=\[redacted\]"/);
    expect(output).toMatch(/recipients were rejected/i);
    expect(output).toContain('[email]');
    expect(leaked(output)).toEqual([]);
  });

  it('workflow IDs and search attributes listed by Temporal hold no email or phone', async () => {
    const listed = [];
    for await (const workflow of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
      listed.push(workflow);
    expect(listed.filter((w) => w.workflowId.startsWith(`enrollment/${journeyId}/`))).toHaveLength(2);
    for (const workflow of listed) {
      expect(leaked(workflow.workflowId), workflow.workflowId).toEqual([]);
      expect(leaked(asText(workflow.typedSearchAttributes)), workflow.workflowId).toEqual([]);
      expect(leaked(asText(workflow.searchAttributes)), workflow.workflowId).toEqual([]);
      expect(leaked(asText(workflow.memo ?? {})), workflow.workflowId).toEqual([]);
    }
  });

  it('histories hold internal ids and the journey, never an email, phone or rendered message', async () => {
    for (const p of people) {
      const lookup =
        p === people[0]
          ? { customer: { id: erasedId } }
          : (await admin('GET', `/v1/customers?identity=${encodeURIComponent(`email:${p.email}`)}`)).body;
      const customerId = (lookup.customer as { id: string }).id;
      const history = asText(
        await temporal.client.workflow.getHandle(`enrollment/${journeyId}/${customerId}/default`).fetchHistory(),
      );
      expect(history).toContain(customerId); // the pseudonymous id is there by design
      expect(history).toContain('privacy-hello'); // the frozen journey definition
      expect(leaked(history)).toEqual([]);
      expect(history).not.toContain(`Hello ${p.name}`); // rendered in the activity, never returned
    }
    // The greylisted attempt's failure is recorded (as the activity's last failure), scrubbed.
    const first = asText(
      await temporal.client.workflow.getHandle(`enrollment/${journeyId}/${erasedId}/default`).fetchHistory(),
    );
    const second = asText(
      await temporal.client.workflow
        .getHandle(
          `enrollment/${journeyId}/${((await admin('GET', `/v1/customers?identity=${encodeURIComponent(`email:${people[1]!.email}`)}`)).body.customer as { id: string }).id}/default`,
        )
        .fetchHistory(),
    );
    expect(`${first}${second}`).toMatch(/recipients were rejected[^"]*\[email\]/i);
  });
});
