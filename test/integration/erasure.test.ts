/**
 * Erasure end to end on real Postgres and the dev server: a customer with every kind of data
 * (identities, a merged-in second profile, orders, a device with telemetry, segment membership, AIPL
 * history, a suppression, a sent message and an enrollment waiting mid-journey) is erased; then no
 * table holds the customer's ids or identity strings (only the audit row names the ids), the
 * enrollment's workflow has ended in Temporal, a re-import is refused unless it re-consents, and
 * erasing again, an unknown id or a merged id answers as documented.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Transport } from '../../activities/transports';
import { buildApp } from '../../api/app';
import { identityHash } from '../../services/customers/erasure';
import { createApiKey } from '../../api/keys';
import { rowsOf } from '../../drizzle/client';
import { connectDevServer, createTestDatabase, createTestWorker, eventually, uniqueTaskQueue } from '../setup/harness';

const ADMIN = 'erasure-test-admin-key-0123456789';
const LINK_SECRET = 'erasure-test-link-secret-0123456789abcdef';
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const run = randomUUID().slice(0, 8);
/** Distinctive strings: the scan looks for each of them in every table. */
const person = {
  email: `erase.me.${run}@example.org`,
  mergedEmail: `old.address.${run}@example.org`,
  phone: `+86139${run.replace(/\D/g, '').padEnd(8, '7').slice(0, 8)}`,
  userId: `user-${run}`,
  anonymousId: `anon-${run}`,
  mergedAnonymousId: `anon-merged-${run}`,
  wechat: `wxopenid${run}`,
  serial: `SN-${run}`.toUpperCase(),
  orderId: `order-${run}`,
};
const bystander = { email: `stays.${run}@example.org`, userId: `bystander-${run}` };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let worker: Worker;
let workerRunning: Promise<void>;
let app: FastifyInstance;
let apiUrl: string;
let writeKey: string;
const sent: { to: string; subject?: string }[] = [];
const journeyId = `erasure-${run}`;

const recordingEmail: Transport = {
  idempotent: false,
  async send(message) {
    sent.push({ to: message.to, subject: message.subject });
    return { providerMessageId: `<${message.idempotencyKey}@test>` };
  },
};

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  const taskQueue = uniqueTaskQueue('erasure');
  worker = await createTestWorker({
    connection: temporal.native,
    taskQueue,
    activities: createActivities({
      db: db.db,
      transports: { email: recordingEmail },
      clock: () => new Date(),
      publicUrl: 'http://127.0.0.1:3000',
      messaging: { linkSecret: LINK_SECRET },
    }),
  });
  workerRunning = worker.run();
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue,
    adminApiKey: ADMIN,
    messaging: { linkSecret: LINK_SECRET },
  });
  apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  writeKey = (await createApiKey(db.db, 'write', 'sdk')).key;
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await workerRunning;
  await app?.close();
  await temporal?.close();
  await db?.close();
});

async function call(
  method: string,
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${ADMIN}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : {} };
}
async function ingest(
  path: '/v1/identify' | '/v1/track' | '/v1/batch',
  payload: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({
    method: 'POST',
    url: path,
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
    payload: payload as object,
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}
async function customerIdOf(identity: string): Promise<string | undefined> {
  const res = await call('GET', `/v1/customers?identity=${encodeURIComponent(identity)}`);
  return res.status === 200 ? ((res.body.customer as { id: string }).id ?? undefined) : undefined;
}
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['cli/main.ts', '--api-url', apiUrl, '--api-key', ADMIN, ...args],
      { env: { ...process.env, PERENNIAL_API_KEY: '', PERENNIAL_API_URL: '' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Tables (public schema) whose rows, as text, contain `needle`, with counts. */
async function tablesHolding(needle: string): Promise<Record<string, number>> {
  const tables = rowsOf<{ table_name: string }>(
    await db.db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    ),
  );
  const found: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const [row] = rowsOf<{ n: number }>(
      await db.db.execute(
        sql`select count(*)::int as n from ${sql.identifier(table)} t where position(lower(${needle}) in lower(t::text)) > 0`,
      ),
    );
    if (row && row.n > 0) found[table] = row.n;
  }
  return found;
}

let customerId: string;
let mergedId: string;
let bystanderId: string;
let workflowId: string;

describe('erasing a customer', () => {
  it('sets up a customer with data in every table, a merged-in profile and an enrollment waiting after a send', async () => {
    expect((await call('PUT', '/v1/categories/water-purifier', { name: 'Purifiers' })).status).toBe(201);
    expect(
      (
        await call('PUT', '/v1/products/WP-100', {
          name: 'Purifier',
          category: 'water-purifier',
          kind: 'device',
          warrantyMonths: 24,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call('PUT', '/v1/templates/erasure-hello', {
          channel: 'email',
          defaultLocale: 'en',
          variables: { traits: ['firstName'], event: [] },
          locales: {
            en: {
              subject: 'Hello {{customer.firstName}}',
              text: 'Hi {{customer.firstName}}',
              html: '<p>Hi {{customer.firstName}} <a href="https://shop.example/x">shop</a></p>',
            },
          },
        })
      ).status,
    ).toBe(201);
    const journey = {
      name: 'Erasure',
      entry: { type: 'api' },
      settings: { timeZone: 'UTC' },
      start: 'hello',
      steps: {
        hello: { type: 'send', channel: 'email', template: 'erasure-hello', next: 'wait' },
        wait: { type: 'wait', duration: { days: 30 }, next: 'done' },
        done: { type: 'exit', reason: 'waited' },
      },
    };
    expect((await call('PUT', `/v1/journeys/${journeyId}`, journey)).status).toBe(201);
    expect((await call('POST', `/v1/journeys/${journeyId}/publish`)).status).toBe(200);
    expect(
      (await call('PUT', '/v1/segments/erasure-vips', { name: 'VIPs', rule: { tag: 'vip' } })).status,
    ).toBeLessThan(300);

    // The older profile first (the survivor), then a newer one that a later message joins to it.
    const traits = {
      firstName: 'Ada',
      tags: ['vip'],
      aiplStage: 'interest',
      consent: { channels: { email: true } },
      email: person.email,
      phone: person.phone,
      wechatOpenId: person.wechat,
    };
    expect(
      (await ingest('/v1/identify', { userId: person.userId, anonymousId: person.anonymousId, traits })).status,
    ).toBe(200);
    expect(
      (
        await ingest('/v1/identify', {
          anonymousId: person.mergedAnonymousId,
          traits: { email: person.mergedEmail, city: 'Hangzhou' },
        })
      ).status,
    ).toBe(200);
    mergedId = (await customerIdOf(`email:${person.mergedEmail}`))!;
    expect(
      (await ingest('/v1/identify', { userId: person.userId, anonymousId: person.mergedAnonymousId, traits: {} }))
        .status,
    ).toBe(200);
    customerId = (await customerIdOf(`email:${person.email}`))!;
    expect(customerId).toBeDefined();
    expect(mergedId).not.toBe(customerId);
    expect(await customerIdOf(`email:${person.mergedEmail}`)).toBe(customerId);
    const order = {
      userId: person.userId,
      event: 'Order Completed',
      properties: {
        order_id: person.orderId,
        total: 1999,
        currency: 'CNY',
        products: [{ sku: 'WP-100', category: 'water-purifier', quantity: 1, price: 1999 }],
      },
    };
    expect((await ingest('/v1/track', order)).status).toBe(200);
    expect(
      (
        await ingest('/v1/track', {
          userId: person.userId,
          event: 'Device Registered',
          properties: { serial: person.serial, sku: 'WP-100' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await ingest('/v1/track', {
          userId: person.userId,
          event: 'Telemetry Reported',
          properties: { serial: person.serial, metric: 'litres_filtered', value: 12.5 },
        })
      ).status,
    ).toBe(200);
    await db.db.execute(
      sql`insert into suppressions (channel, address, reason, source) values ('sms', ${person.phone}, 'complaint', 'provider:test')`,
    );
    // Someone else, who must be left alone.
    expect(
      (await ingest('/v1/identify', { userId: bystander.userId, traits: { email: bystander.email, tags: ['vip'] } }))
        .status,
    ).toBe(200);
    bystanderId = (await customerIdOf(`email:${bystander.email}`))!;
    expect((await call('POST', '/v1/segments/erasure-vips/refresh')).status).toBe(200);

    const entered = await call('POST', `/v1/journeys/${journeyId}/enrollments`, { customerId });
    expect(entered.status).toBe(202);
    workflowId = entered.body.workflowId as string;
    await eventually(
      'the welcome email sent and the enrollment waiting',
      async () => {
        const [row] = rowsOf<{ status: string; next_wake_at: unknown }>(
          await db.db.execute(sql`select status, next_wake_at from enrollments where workflow_id = ${workflowId}`),
        );
        const [message] = rowsOf<{ status: string }>(
          await db.db.execute(sql`select status from messages where customer_id = ${customerId}`),
        );
        return row?.status === 'active' && row.next_wake_at !== null && message?.status === 'sent' ? true : undefined;
      },
      60_000,
    );
    expect(sent.map((m) => m.to)).toContain(person.email);
    for (const needle of [customerId, person.email, person.phone, person.serial])
      expect(Object.keys(await tablesHolding(needle)).length, needle).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a reason with personal data, answers 404 for an unknown id and 404 "merged" naming the survivor for a merged id', async () => {
    const withEmail = await call('POST', `/v1/customers/${customerId}/erase`, { reason: `asked by ${person.email}` });
    expect(withEmail.status).toBe(400);
    expect(withEmail.body.issues).toEqual([
      { path: '$.body.reason', message: expect.stringContaining('personal data') },
    ]);
    expect(await call('POST', `/v1/customers/${randomUUID()}/erase`, { reason: 'ticket 17' })).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    expect(await call('POST', `/v1/customers/${mergedId}/erase`, { reason: 'ticket 17' })).toMatchObject({
      status: 404,
      body: { error: 'merged', mergedInto: customerId },
    });
  });

  it('erases: every table is clean of the ids and identity strings except the audit row, and the enrollment ends in Temporal', async () => {
    const erased = await call('POST', `/v1/customers/${customerId}/erase`, { reason: 'GDPR art. 17 ticket 17' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({
      customerId,
      mergedIds: [mergedId],
      reason: 'GDPR art. 17 ticket 17',
      alreadyErased: false,
      pendingCancels: [],
    });
    expect(erased.body.counts).toMatchObject({
      identities: 8,
      events: expect.any(Number),
      messages: 1,
      enrollments: 1,
      enrollmentsCancelled: 1,
      orders: 1,
      orderLines: 1,
      ownedProducts: 1,
      telemetryReadings: 1,
      segmentMembers: 1,
      merges: 1,
      suppressions: 1,
    });
    expect((erased.body.counts as Record<string, number>).aiplHistory).toBeGreaterThan(0);
    expect(erased.body.enrollmentsSignalled).toBeGreaterThanOrEqual(1);

    const result = await temporal.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ status: 'cancelled', reason: 'erased' });

    // The workflow's last mirror write (its exit) found the customer erased and wrote nothing.
    for (const needle of [customerId, mergedId])
      expect(await tablesHolding(needle), needle).toEqual({ customer_erasures: 1 });
    for (const needle of Object.values(person)) expect(await tablesHolding(needle), needle).toEqual({});
    const audit = rowsOf<Record<string, unknown>>(await db.db.execute(sql`select * from customer_erasures`));
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toMatch(/@|\+86/);
    const hashes = rowsOf<{ hash: string }>(await db.db.execute(sql`select hash from erased_identities`)).map(
      (r) => r.hash,
    );
    expect(hashes).toContain(identityHash(LINK_SECRET, { kind: 'email', value: person.email }));
    expect(hashes).toHaveLength(8); // app_user, 2 anonymous, 2 email, phone, wechat_openid, device_serial
    // The bystander is untouched.
    expect(await customerIdOf(`email:${bystander.email}`)).toBe(bystanderId);
    expect((await call('GET', '/v1/segments/erasure-vips')).body.segment).toMatchObject({ memberCount: 1 });
  }, 120_000);

  it('erasing again answers the same erasure (also by the merged id, and through the CLI)', async () => {
    const again = await call('POST', `/v1/customers/${customerId}/erase`, { reason: 'a second request' });
    expect(again).toMatchObject({
      status: 200,
      body: { customerId, alreadyErased: true, reason: 'GDPR art. 17 ticket 17' },
    });
    expect((await call('POST', `/v1/customers/${mergedId}/erase`, { reason: 'ticket 18' })).body).toMatchObject({
      customerId,
      alreadyErased: true,
    });
    const viaCli = await cli(['customers', 'erase', customerId, '--reason', 'ticket 19', '--json']);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    expect(JSON.parse(viaCli.stdout)).toMatchObject({
      customerId,
      alreadyErased: true,
      erasureId: again.body.erasureId,
    });
    const unknown = await cli(['customers', 'erase', randomUUID(), '--reason', 'ticket 20']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found/);
  }, 120_000);

  it('refuses a re-import naming an erased identity (409 single call, "refused" batch item; other items stored)', async () => {
    const single = await ingest('/v1/identify', {
      userId: `new-${run}`,
      traits: { email: person.email.toUpperCase() },
    });
    expect(single.status).toBe(409);
    expect(single.body).toMatchObject({ error: 'erased', message: expect.stringContaining('email') });
    const batch = await ingest('/v1/batch', {
      batch: [
        {
          type: 'track',
          messageId: `refused-${run}`,
          anonymousId: `fresh-${run}`,
          event: 'Viewed',
          context: { externalIds: [{ id: person.phone, type: 'phone', collection: 'users', encoding: 'none' }] },
        },
        { type: 'track', messageId: `kept-${run}`, userId: `someone-else-${run}`, event: 'Viewed' },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results).toEqual([
      {
        index: 0,
        status: 'refused',
        messageId: `refused-${run}`,
        errors: [{ path: '$.batch[0]', message: expect.stringContaining('phone') }],
      },
      { index: 1, status: 'accepted', messageId: `kept-${run}` },
    ]);
    const stored = rowsOf<{ message_id: string }>(
      await db.db.execute(
        sql`select message_id from events where message_id in (${`refused-${run}`}, ${`kept-${run}`})`,
      ),
    );
    expect(stored.map((r) => r.message_id)).toEqual([`kept-${run}`]);
    for (const needle of [person.email, person.phone, `fresh-${run}`, `new-${run}`])
      expect(await tablesHolding(needle), needle).toEqual({});
  });

  it('accepts a re-import with explicit re-consent: a new customer, and only the hashes it named are cleared', async () => {
    const back = await ingest('/v1/identify', {
      userId: `returning-${run}`,
      traits: { email: person.email, firstName: 'Ada' },
      context: { consent: { given: true } },
    });
    expect(back).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const newId = await customerIdOf(`email:${person.email}`);
    expect(newId).toBeDefined();
    expect(newId).not.toBe(customerId);
    // The phone was not re-consented: still refused; a `Consent Given` event brings it back too.
    expect(
      (
        await ingest('/v1/track', {
          userId: `returning-${run}`,
          event: 'Viewed',
          context: { externalIds: [{ id: person.phone, type: 'phone', collection: 'users', encoding: 'none' }] },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await ingest('/v1/track', {
          userId: `returning-${run}`,
          event: 'Consent Given',
          context: { externalIds: [{ id: person.phone, type: 'phone', collection: 'users', encoding: 'none' }] },
        })
      ).status,
    ).toBe(200);
    expect(await customerIdOf(`phone:${person.phone}`)).toBe(newId);
    const hashes = rowsOf<{ hash: string }>(await db.db.execute(sql`select hash from erased_identities`)).map(
      (r) => r.hash,
    );
    expect(hashes).not.toContain(identityHash(LINK_SECRET, { kind: 'email', value: person.email }));
    expect(hashes).toContain(identityHash(LINK_SECRET, { kind: 'wechat_openid', value: person.wechat }));
  });

  it('a send or mirror write arriving for an erased customer (its workflow mid-step) writes nothing', async () => {
    const activities = createActivities({
      db: db.db,
      transports: { email: recordingEmail },
      clock: () => new Date(),
      publicUrl: 'http://127.0.0.1:3000',
      messaging: { linkSecret: LINK_SECRET },
    });
    const before = sent.length;
    for (const id of [customerId, mergedId]) {
      const outcome = await activities.sendMessage({
        enrollmentId: randomUUID(),
        stepId: 'hello',
        occurrence: 1,
        journeyId,
        journeyVersion: 1,
        customerId: id,
        channel: 'email',
        template: 'erasure-hello',
        kind: 'marketing',
        brandTimeZone: 'UTC',
      });
      expect(outcome).toEqual({ status: 'skipped', reason: 'customer-erased' });
      await activities.recordEnrollmentProgress({
        enrollmentId: randomUUID(),
        journeyId,
        journeyVersion: 1,
        customerId: id,
        enrollmentKey: 'default',
        workflowId: `enrollment/${journeyId}/${id}/default`,
        status: 'cancelled',
        currentStep: null,
        nextWakeAt: null,
        path: [],
        enteredAt: new Date().toISOString(),
        exitedAt: new Date().toISOString(),
        exitReason: 'erased',
        convertedAt: null,
      });
      expect(await tablesHolding(id)).toEqual({ customer_erasures: 1 });
    }
    expect(sent.length).toBe(before);
  });
});
