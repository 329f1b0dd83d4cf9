/**
 * Segment-compatible ingest and API keys end to end: Fastify's `inject()` against `buildApp` and a
 * real Postgres database. Nothing here needs a worker: ingest only stores events for the router.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, count, eq, inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey, revokeApiKey } from '../../api/keys';
import { apiKeys, customerIdentities, customers, events } from '../../drizzle/schema';
import { connectDevServer, createTestDatabase, uniqueTaskQueue } from '../setup/harness';

const BOOTSTRAP_ADMIN_KEY = 'ingest-test-bootstrap-admin-key-0123';
/** The app's clock: messages without a timestamp occurred at this instant. */
const NOW = new Date('2031-03-04T05:06:07.000Z');

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;
let writeKey: string;
let adminKey: string;
let revokedWriteKey: string;
let revokedAdminKey: string;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('ingest'),
    adminApiKey: BOOTSTRAP_ADMIN_KEY,
    clock: () => NOW,
  });
  await app.ready();
  writeKey = (await createApiKey(db.db, 'write', 'web shop SDK')).key;
  adminKey = (await createApiKey(db.db, 'admin', 'ops')).key;
  const revokedWrite = await createApiKey(db.db, 'write', 'old SDK');
  const revokedAdmin = await createApiKey(db.db, 'admin', 'former colleague');
  await revokeApiKey(db.db, revokedWrite.id);
  await revokeApiKey(db.db, revokedAdmin.id);
  revokedWriteKey = revokedWrite.key;
  revokedAdminKey = revokedAdmin.key;
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
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
interface SingleBody {
  success: true;
  status: 'accepted' | 'duplicate';
  messageId: string;
}
interface BatchBody {
  results: { index: number; status: 'accepted' | 'duplicate' | 'rejected'; messageId?: string; errors?: Issue[] }[];
}
interface CreatedKeyBody {
  apiKey: { id: string; kind: string; name: string; key: string; createdAt: string };
  message: string;
}
interface Sent<T> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** What Segment's SDKs send: the write key as the Basic username, an empty password. */
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function post<T>(
  url: string,
  payload: unknown,
  headers: Record<string, string> = basic(writeKey),
): Promise<Sent<T>> {
  const response = await app.inject({ method: 'POST', url, headers, payload: payload as object });
  return { status: response.statusCode, body: response.json<T>(), headers: response.headers };
}

async function get<T>(url: string, headers: Record<string, string>): Promise<Sent<T>> {
  const response = await app.inject({ method: 'GET', url, headers });
  return { status: response.statusCode, body: response.json<T>(), headers: response.headers };
}

const track = (payload: object, headers?: Record<string, string>) =>
  post<SingleBody & ErrorBody>('/v1/track', payload, headers);
const identify = (payload: object, headers?: Record<string, string>) =>
  post<SingleBody & ErrorBody>('/v1/identify', payload, headers);

const newUserId = () => `user-${randomUUID().slice(0, 8)}`;
const newAnonymousId = () => `anon-${randomUUID()}`;
const newMessageId = () => `msg-${randomUUID()}`;

async function storedEvents(messageIds: string[]) {
  return db.db.select().from(events).where(inArray(events.messageId, messageIds));
}

async function storedEvent(messageId: string) {
  const rows = await storedEvents([messageId]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function eventCount(): Promise<number> {
  const [row] = await db.db.select({ n: count() }).from(events);
  return row!.n;
}

async function customerCount(): Promise<number> {
  const [row] = await db.db.select({ n: count() }).from(customers);
  return row!.n;
}

/** The customer's identities as sorted `kind:value` strings. */
async function identitiesOf(customerId: string): Promise<string[]> {
  const rows = await db.db.select().from(customerIdentities).where(eq(customerIdentities.customerId, customerId));
  return rows.map((r) => `${r.kind}:${r.value}`).sort();
}

async function ownerOf(kind: 'app_user' | 'anonymous' | 'email' | 'phone', value: string): Promise<string | undefined> {
  const [row] = await db.db
    .select()
    .from(customerIdentities)
    .where(and(eq(customerIdentities.kind, kind), eq(customerIdentities.value, value)));
  return row?.customerId;
}

async function traitsOf(customerId: string): Promise<Record<string, unknown>> {
  const [row] = await db.db.select({ traits: customers.traits }).from(customers).where(eq(customers.id, customerId));
  return row!.traits;
}

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

// ---- API keys --------------------------------------------------------------------------------

describe('API keys', () => {
  it('POST /v1/api-keys returns a pk_write_ key once (24 random base64url characters) and stores only its SHA-256', async () => {
    const sent = await post<CreatedKeyBody>(
      '/v1/api-keys',
      { kind: 'write', name: 'mobile app' },
      bearer(BOOTSTRAP_ADMIN_KEY),
    );
    expect(sent.status).toBe(201);
    const { key, id } = sent.body.apiKey;
    expect(key).toMatch(/^pk_write_[A-Za-z0-9_-]{24}$/);
    expect(sent.body.apiKey).toMatchObject({ kind: 'write', name: 'mobile app' });

    const [row] = await db.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(row).toMatchObject({ kind: 'write', name: 'mobile app', hash: sha256Hex(key), revokedAt: null });
    expect((await track({ userId: newUserId(), event: 'app_opened' }, basic(key))).status).toBe(200);
  });

  it('keeps no plaintext key in any column of api_keys, only lower-case hex digests', async () => {
    const made = [writeKey, adminKey, (await createApiKey(db.db, 'write', 'pos terminal')).key];
    const rows = await db.db.select().from(apiKeys);
    const stored = JSON.stringify(rows);
    for (const key of made) {
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(-24)); // not even the random part
      expect(rows.map((r) => r.hash)).toContain(sha256Hex(key));
    }
    for (const row of rows) expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an admin key made through the API manages journeys and mints further keys', async () => {
    const made = await post<CreatedKeyBody>(
      '/v1/api-keys',
      { kind: 'admin', name: 'second operator' },
      bearer(BOOTSTRAP_ADMIN_KEY),
    );
    expect(made.status).toBe(201);
    expect(made.body.apiKey.key).toMatch(/^pk_admin_[A-Za-z0-9_-]{24}$/);
    expect((await get('/v1/journeys', bearer(made.body.apiKey.key))).status).toBe(200);
    const minted = await post<CreatedKeyBody>(
      '/v1/api-keys',
      { kind: 'write', name: 'kiosk' },
      bearer(made.body.apiKey.key),
    );
    expect(minted.status).toBe(201);
    expect(minted.body.apiKey.kind).toBe('write');
  });

  it('rejects a key request without kind and name with 400 naming both paths, and stores no key', async () => {
    const before = (await db.db.select().from(apiKeys)).length;
    const sent = await post<ErrorBody>('/v1/api-keys', { kind: 'superuser' }, bearer(BOOTSTRAP_ADMIN_KEY));
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([
      { path: '$.body.kind', message: 'required: "write" or "admin"' },
      { path: '$.body.name', message: 'required: a name saying who uses the key' },
    ]);
    expect(await db.db.select().from(apiKeys)).toHaveLength(before);
  });

  it('revoking a key through the API locks it out at once; revoking it again is a 404', async () => {
    const made = await post<CreatedKeyBody>('/v1/api-keys', { kind: 'write', name: 'leaked' }, bearer(adminKey));
    const key = made.body.apiKey.key;
    expect((await track({ userId: newUserId(), event: 'before_revoke' }, basic(key))).status).toBe(200);
    expect(await post(`/v1/api-keys/${made.body.apiKey.id}/revoke`, {}, bearer(adminKey))).toMatchObject({
      status: 200,
      body: { id: made.body.apiKey.id, revoked: true },
    });
    expect((await track({ userId: newUserId(), event: 'after_revoke' }, basic(key))).status).toBe(401);
    expect((await post(`/v1/api-keys/${made.body.apiKey.id}/revoke`, {}, bearer(adminKey))).status).toBe(404);
  });
});

describe('authentication matrix', () => {
  const ingestCases: [string, number, () => Record<string, string>][] = [
    ['no Authorization header', 401, () => ({})],
    ['an unknown key', 401, () => basic('pk_write_AAAAAAAAAAAAAAAAAAAAAAAA')],
    ['a write key under the Bearer scheme', 401, () => bearer(writeKey)],
    ['a revoked write key', 401, () => basic(revokedWriteKey)],
    ['a revoked admin key', 401, () => basic(revokedAdminKey)],
    ['a write key', 200, () => basic(writeKey)],
    ['a stored admin key', 200, () => basic(adminKey)],
    ['the bootstrap admin key', 200, () => basic(BOOTSTRAP_ADMIN_KEY)],
  ];

  it.each(ingestCases)(
    'POST /v1/track with %s answers %i, and stores the event only when accepted',
    async (_what, status, headers) => {
      const messageId = newMessageId();
      const sent = await track({ userId: newUserId(), event: 'auth_probe', messageId }, headers());
      expect(sent.status).toBe(status);
      if (status === 401) {
        expect(sent.body).toMatchObject({
          error: 'unauthorized',
          message: expect.stringContaining('Authorization: Basic'),
        });
        expect(sent.headers['www-authenticate']).toBe('Basic realm="perennial"');
      } else {
        expect(sent.body).toEqual({ success: true, status: 'accepted', messageId });
      }
      expect(await storedEvents([messageId])).toHaveLength(status === 200 ? 1 : 0);
    },
  );

  it.each(['/v1/identify', '/v1/batch'])('%s also refuses a request without a key with 401', async (url) => {
    const sent = await post<ErrorBody>(url, { userId: newUserId(), batch: [] }, {});
    expect(sent.status).toBe(401);
    expect(sent.body.error).toBe('unauthorized');
  });

  const adminCases: [string, number, string | null, () => Record<string, string>][] = [
    ['no Authorization header', 401, 'unauthorized', () => ({})],
    ['an unknown key', 401, 'unauthorized', () => bearer('pk_admin_AAAAAAAAAAAAAAAAAAAAAAAA')],
    ['a write key', 403, 'forbidden', () => bearer(writeKey)],
    ['a revoked admin key', 401, 'unauthorized', () => bearer(revokedAdminKey)],
    ['a stored admin key sent as Basic instead of Bearer', 401, 'unauthorized', () => basic(adminKey)],
    ['a stored admin key', 200, null, () => bearer(adminKey)],
    ['the bootstrap admin key', 200, null, () => bearer(BOOTSTRAP_ADMIN_KEY)],
  ];

  it.each(adminCases)('GET /v1/journeys with %s answers %i', async (_what, status, error, headers) => {
    const sent = await get<ErrorBody & { journeys?: unknown[] }>('/v1/journeys', headers());
    expect(sent.status).toBe(status);
    if (error) expect(sent.body.error).toBe(error);
    else expect(Array.isArray(sent.body.journeys)).toBe(true);
  });

  it('a write key cannot mint keys: POST /v1/api-keys answers 403 and stores nothing', async () => {
    const before = (await db.db.select().from(apiKeys)).length;
    const sent = await post<ErrorBody>('/v1/api-keys', { kind: 'admin', name: 'escalation' }, bearer(writeKey));
    expect(sent.status).toBe(403);
    expect(sent.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('admin key') });
    expect(await db.db.select().from(apiKeys)).toHaveLength(before);
  });
});

// ---- storage ---------------------------------------------------------------------------------

describe('storing events', () => {
  it('stores a track call before answering: un-routed, with its customer, name, properties and timestamp', async () => {
    const userId = newUserId();
    const messageId = newMessageId();
    const sent = await track({
      userId,
      event: 'lead_captured',
      properties: { category: 'phone', price: 4999, tags: ['5g'] },
      timestamp: '2031-02-01T09:30:00.250+08:00',
      messageId,
    });
    expect(sent).toMatchObject({ status: 200, body: { success: true, status: 'accepted', messageId } });

    const row = await storedEvent(messageId);
    const customerId = await ownerOf('app_user', userId);
    expect(customerId).toBeDefined();
    expect(row).toMatchObject({
      messageId,
      customerId,
      name: 'lead_captured',
      properties: { category: 'phone', price: 4999, tags: ['5g'] },
      routedAt: null,
    });
    expect(row.occurredAt.toISOString()).toBe('2031-02-01T01:30:00.250Z');
  });

  it('without a timestamp the event occurred now (the app clock); without a messageId one is generated and returned', async () => {
    const sent = await track({ anonymousId: newAnonymousId(), event: 'page_viewed' });
    expect(sent.status).toBe(200);
    expect(sent.body.messageId).toMatch(/^[0-9a-f-]{36}$/);
    const row = await storedEvent(sent.body.messageId);
    expect(row.occurredAt.toISOString()).toBe(NOW.toISOString());
    expect(row).toMatchObject({ name: 'page_viewed', properties: {}, routedAt: null });
  });

  it('stores an identify call as an event named "identify" whose properties are the traits as sent', async () => {
    const userId = newUserId();
    const messageId = newMessageId();
    const traits = { firstName: 'Mei', email: 'Mei@Example.com' };
    expect((await identify({ userId, traits, messageId, timestamp: '2031-01-01T00:00:00Z' })).status).toBe(200);
    const row = await storedEvent(messageId);
    expect(row).toMatchObject({
      name: 'identify',
      properties: traits,
      customerId: await ownerOf('app_user', userId),
      routedAt: null,
    });
    expect(row.occurredAt.toISOString()).toBe('2031-01-01T00:00:00.000Z');
  });

  it('a repeated messageId is a no-op reported as duplicate: no second row, and the traits are not merged again', async () => {
    const userId = newUserId();
    const messageId = newMessageId();
    expect((await identify({ userId, messageId, traits: { plan: 'basic' } })).body.status).toBe('accepted');
    const before = await eventCount();

    const again = await identify({ userId, messageId, traits: { plan: 'pro' } });
    expect(again).toMatchObject({ status: 200, body: { success: true, status: 'duplicate', messageId } });
    const asTrack = await track({ userId, messageId, event: 'order_completed' });
    expect(asTrack.body.status).toBe('duplicate');

    expect(await eventCount()).toBe(before);
    const row = await storedEvent(messageId);
    expect(row.name).toBe('identify');
    expect(await traitsOf(row.customerId!)).toEqual({ plan: 'basic' });
  });

  it('accepts a track exactly as analytics-node sends it (context, integrations, _metadata, sentAt; null userId)', async () => {
    const anonymousId = newAnonymousId();
    const messageId = `node-next-1767225600000-${randomUUID()}`;
    const sent = await track({
      type: 'track',
      event: 'Product Viewed',
      userId: null,
      anonymousId,
      properties: { sku: 'TV-55-OLED' },
      context: { library: { name: '@segment/analytics-node', version: '2.1.0' }, timezone: 'Asia/Shanghai' },
      integrations: {},
      messageId,
      timestamp: '2031-03-01T10:00:00.000Z',
      sentAt: '2031-03-01T10:00:01.000Z',
      _metadata: { jsRuntime: 'node' },
    });
    expect(sent.status).toBe(200);
    const row = await storedEvent(messageId);
    expect(row).toMatchObject({
      name: 'Product Viewed',
      properties: { sku: 'TV-55-OLED' },
      customerId: await ownerOf('anonymous', anonymousId),
    });
  });
});

// ---- identity resolution ---------------------------------------------------------------------

describe('identity resolution', () => {
  it('identify then track by the same userId land on one customer; email and phone become identities, not traits', async () => {
    const userId = newUserId();
    const [identifyId, trackId] = [newMessageId(), newMessageId()];
    const traits = { firstName: 'Mei', plan: 'pro', email: 'Mei.Chen@Example.COM', phone: '+86 138-0013-8000' };
    expect((await identify({ userId, traits, messageId: identifyId })).status).toBe(200);
    expect(
      (await track({ userId, event: 'order_completed', properties: { orderId: 'o-1' }, messageId: trackId })).status,
    ).toBe(200);

    const [identified, tracked] = [await storedEvent(identifyId), await storedEvent(trackId)];
    expect(identified.customerId).not.toBeNull();
    expect(tracked.customerId).toBe(identified.customerId);
    const customerId = identified.customerId!;
    expect(await identitiesOf(customerId)).toEqual([
      `app_user:${userId}`,
      'email:mei.chen@example.com',
      'phone:+8613800138000',
    ]);
    expect(await traitsOf(customerId)).toEqual({ firstName: 'Mei', plan: 'pro' });
  });

  it('an anonymous visitor who later identifies with the same anonymousId and a userId stays one customer holding both', async () => {
    const [anonymousId, userId] = [newAnonymousId(), newUserId()];
    const [viewed, identified, bought] = [newMessageId(), newMessageId(), newMessageId()];
    await track({ anonymousId, event: 'product_viewed', messageId: viewed });
    const customerId = (await storedEvent(viewed)).customerId!;
    expect(await identitiesOf(customerId)).toEqual([`anonymous:${anonymousId}`]);

    await identify({ anonymousId, userId, traits: { firstName: 'Lin' }, messageId: identified });
    await track({ userId, event: 'order_completed', messageId: bought });

    expect((await storedEvent(identified)).customerId).toBe(customerId);
    expect((await storedEvent(bought)).customerId).toBe(customerId);
    expect(await identitiesOf(customerId)).toEqual([`anonymous:${anonymousId}`, `app_user:${userId}`]);
    expect(await traitsOf(customerId)).toEqual({ firstName: 'Lin' });
  });

  it('matches emails whatever their case and surrounding spaces: an identify by email alone finds the customer', async () => {
    const [userId, anonymousId] = [newUserId(), newAnonymousId()];
    const first = newMessageId();
    const second = newMessageId();
    await identify({ userId, traits: { email: '  Lin.Wang@Example.com ' }, messageId: first });
    await identify({ anonymousId, traits: { email: 'lin.wang@EXAMPLE.COM' }, messageId: second });

    const customerId = (await storedEvent(first)).customerId!;
    expect((await storedEvent(second)).customerId).toBe(customerId);
    expect(await ownerOf('email', 'lin.wang@example.com')).toBe(customerId);
    expect(await identitiesOf(customerId)).toEqual([
      `anonymous:${anonymousId}`,
      `app_user:${userId}`,
      'email:lin.wang@example.com',
    ]);
  });

  it('matches phones by their digits: "+86 138-0013-8001" and "0086 (138) 0013 8001" are one customer', async () => {
    const first = newMessageId();
    const second = newMessageId();
    await identify({ userId: newUserId(), traits: { phone: '+86 138-0013-8001' }, messageId: first });
    await identify({ anonymousId: newAnonymousId(), traits: { phone: '0086 (138) 0013 8001' }, messageId: second });
    const customerId = (await storedEvent(first)).customerId!;
    expect((await storedEvent(second)).customerId).toBe(customerId);
    expect(await ownerOf('phone', '+8613800138001')).toBe(customerId);
  });

  it('rejects a phone without a country code and a malformed email with 400 at their trait paths, storing nothing', async () => {
    const messageId = newMessageId();
    const userId = newUserId();
    const sent = await identify({ userId, traits: { phone: '138 0013 8000', email: 'not-an-email' }, messageId });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([
      { path: '$.traits.email', message: 'not an email address' },
      { path: '$.traits.phone', message: 'not a phone number in international format (+ country code and number)' },
    ]);
    expect(await storedEvents([messageId])).toEqual([]);
    expect(await ownerOf('app_user', userId)).toBeUndefined();
  });

  it('when userId and anonymousId belong to two customers, the message merges them into the older one, which keeps both identities', async () => {
    const [anonymousId, userId] = [newAnonymousId(), newUserId()];
    const [a, b, joined] = [newMessageId(), newMessageId(), newMessageId()];
    await track({ anonymousId, event: 'product_viewed', messageId: a });
    await track({ userId, event: 'app_opened', messageId: b });
    const anonymousCustomer = (await storedEvent(a)).customerId!;
    const userCustomer = (await storedEvent(b)).customerId!;
    expect(anonymousCustomer).not.toBe(userCustomer);

    await track({ userId, anonymousId, event: 'order_completed', messageId: joined });
    expect((await storedEvent(joined)).customerId).toBe(anonymousCustomer);
    expect((await storedEvent(b)).customerId).toBe(anonymousCustomer);
    expect(await identitiesOf(anonymousCustomer)).toEqual([`anonymous:${anonymousId}`, `app_user:${userId}`].sort());
    expect(await db.db.select().from(customers).where(eq(customers.id, userCustomer))).toEqual([]);
  });

  it('identify merges traits shallowly: a key sent replaces the stored value, keys not sent stay', async () => {
    const userId = newUserId();
    const first = newMessageId();
    await identify({
      userId,
      traits: { firstName: 'Sam', plan: 'basic', address: { city: 'Berlin', zip: '10115' } },
      messageId: first,
    });
    await identify({ userId, traits: { plan: 'pro', address: { city: 'Munich' }, email: 'sam@example.com' } });
    const customerId = (await storedEvent(first)).customerId!;
    expect(await traitsOf(customerId)).toEqual({ firstName: 'Sam', plan: 'pro', address: { city: 'Munich' } });
  });

  it('concurrent first messages from one new user create exactly one customer, and every event points to it', async () => {
    const userId = newUserId();
    const messageIds = Array.from({ length: 12 }, newMessageId);
    const customersBefore = await customerCount();
    const sent = await Promise.all(
      messageIds.map((messageId, i) =>
        i % 2 === 0
          ? identify({ userId, traits: { visit: i }, messageId })
          : track({ userId, event: 'app_opened', messageId }),
      ),
    );
    expect(sent.map((s) => s.status)).toEqual(messageIds.map(() => 200));

    const customerId = await ownerOf('app_user', userId);
    const rows = await storedEvents(messageIds);
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.customerId))).toEqual(new Set([customerId]));
    expect(await customerCount()).toBe(customersBefore + 1);
    expect(await identitiesOf(customerId!)).toEqual([`app_user:${userId}`]);
  });
});

// ---- validation ------------------------------------------------------------------------------

describe('validating single calls', () => {
  const invalidTracks: [string, object, Issue[]][] = [
    ['no event name', { userId: 'u-1' }, [{ path: '$.event', message: 'required: the event name' }]],
    [
      'neither userId nor anonymousId',
      { event: 'x' },
      [{ path: '$.userId', message: 'userId or anonymousId is required' }],
    ],
    [
      'an empty userId and a numeric anonymousId',
      { event: 'x', userId: '', anonymousId: 42 },
      [
        { path: '$.userId', message: 'must not be empty' },
        { path: '$.anonymousId', message: 'must be a string' },
      ],
    ],
    [
      'a timestamp that is not ISO 8601 with a zone',
      { userId: 'u-1', event: 'x', timestamp: '2031-03-01 10:00' },
      [{ path: '$.timestamp', message: 'must be an ISO 8601 date-time with a zone, like 2024-05-01T09:30:00Z' }],
    ],
    [
      'properties that are an array',
      { userId: 'u-1', event: 'x', properties: [1, 2] },
      [{ path: '$.properties', message: 'must be a JSON object' }],
    ],
    [
      'type "identify" sent to /v1/track',
      { type: 'identify', userId: 'u-1', event: 'x' },
      [{ path: '$.type', message: 'must be "track"' }],
    ],
    [
      'the reserved event name "identify"',
      { userId: 'u-1', event: 'identify' },
      [{ path: '$.event', message: '"identify" is reserved for identify calls' }],
    ],
  ];

  it.each(invalidTracks)(
    'rejects a track with %s: 400 with the issues by JSON path, nothing stored',
    async (_what, payload, issues) => {
      const messageId = newMessageId();
      const before = await eventCount();
      const sent = await track({ ...payload, messageId });
      expect(sent.status).toBe(400);
      expect(sent.body).toEqual({ error: 'invalid_request', issues });
      expect(await eventCount()).toBe(before);
    },
  );

  it('rejects an identify whose traits are a string: 400 at $.traits', async () => {
    const sent = await identify({ userId: 'u-1', traits: 'vip' });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([{ path: '$.traits', message: 'must be a JSON object' }]);
  });

  it('answers malformed JSON with 400 at its line and column', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { ...basic(writeKey), 'content-type': 'application/json' },
      payload: '{"event":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>()).toEqual({
      error: 'invalid_request',
      issues: [{ path: '$.body.event', message: 'line 1, column 10: unexpected end of input (expected a value)' }],
    });
  });
});

// ---- batch -----------------------------------------------------------------------------------

describe('POST /v1/batch', () => {
  it('stores exactly the 3 valid messages of 5 and reports the 2 invalid ones by JSON path', async () => {
    const userId = newUserId();
    const ids = Array.from({ length: 5 }, newMessageId);
    const sent = await post<BatchBody>('/v1/batch', {
      batch: [
        { type: 'identify', userId, traits: { firstName: 'Ana' }, messageId: ids[0] },
        { type: 'track', userId, messageId: ids[1] },
        { type: 'track', userId, event: 'product_viewed', properties: { sku: 'FR-1' }, messageId: ids[2] },
        { type: 'identify', traits: { firstName: 'Nobody' }, messageId: ids[3], timestamp: 'soon' },
        { type: 'track', userId, event: 'order_completed', messageId: ids[4], timestamp: '2031-02-02T02:02:02Z' },
      ],
      sentAt: '2031-02-02T02:02:03Z',
    });
    expect(sent.status).toBe(200);
    expect(sent.body.results).toEqual([
      { index: 0, status: 'accepted', messageId: ids[0] },
      { index: 1, status: 'rejected', errors: [{ path: '$.batch[1].event', message: 'required: the event name' }] },
      { index: 2, status: 'accepted', messageId: ids[2] },
      {
        index: 3,
        status: 'rejected',
        errors: [
          {
            path: '$.batch[3].timestamp',
            message: 'must be an ISO 8601 date-time with a zone, like 2024-05-01T09:30:00Z',
          },
        ],
      },
      { index: 4, status: 'accepted', messageId: ids[4] },
    ]);

    const rows = await storedEvents(ids);
    expect(rows.map((r) => r.messageId).sort()).toEqual([ids[0], ids[2], ids[4]].sort());
    const customerId = await ownerOf('app_user', userId);
    expect(rows.every((r) => r.customerId === customerId && r.routedAt === null)).toBe(true);
    expect(rows.find((r) => r.messageId === ids[4])?.occurredAt.toISOString()).toBe('2031-02-02T02:02:02.000Z');
    expect(await traitsOf(customerId!)).toEqual({ firstName: 'Ana' });
  });

  it('rejects items of unsupported or missing type, non-objects and oversized items, and still stores the rest', async () => {
    const ok = newMessageId();
    const sent = await post<BatchBody>('/v1/batch', {
      batch: [
        { type: 'page', userId: 'u-1', name: 'Home' },
        { userId: 'u-1', event: 'x' },
        'track',
        { type: 'track', userId: 'u-1', event: 'huge', properties: { blob: 'x'.repeat(33 * 1024) } },
        { type: 'track', anonymousId: newAnonymousId(), event: 'fine', messageId: ok },
      ],
    });
    expect(sent.status).toBe(200);
    expect(sent.body.results.map((r) => [r.status, r.errors?.map((e) => e.path)])).toEqual([
      ['rejected', ['$.batch[0].type']],
      ['rejected', ['$.batch[1].type']],
      ['rejected', ['$.batch[2]']],
      ['rejected', ['$.batch[3]']],
      ['accepted', undefined],
    ]);
    expect(sent.body.results[0]!.errors![0]!.message).toBe(
      '"page" is not supported: this API takes "identify" and "track"',
    );
    expect(sent.body.results[3]!.errors![0]!.message).toMatch(
      /^a message may be at most 32 KB \(32768 bytes\); this one is \d+ bytes$/,
    );
    expect(await storedEvents([ok])).toHaveLength(1);
  });

  it('reports a messageId repeated within a batch, or already stored, as duplicate and stores it once', async () => {
    const [stored, repeated] = [newMessageId(), newMessageId()];
    await track({ userId: newUserId(), event: 'first', messageId: stored });
    const before = await eventCount();
    const sent = await post<BatchBody>('/v1/batch', {
      batch: [
        { type: 'track', userId: 'u-dup', event: 'again', messageId: stored },
        { type: 'track', userId: 'u-dup', event: 'once', messageId: repeated },
        { type: 'track', userId: 'u-dup', event: 'once', messageId: repeated },
      ],
    });
    expect(sent.body.results.map((r) => r.status)).toEqual(['duplicate', 'accepted', 'duplicate']);
    expect(await eventCount()).toBe(before + 1);
    expect((await storedEvent(stored)).name).toBe('first');
  });

  it('rejects a body without a batch array with 400 at $.batch', async () => {
    const sent = await post<ErrorBody>('/v1/batch', { messages: [] });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([{ path: '$.batch', message: 'required: an array of messages' }]);
  });
});

// ---- limits ----------------------------------------------------------------------------------

describe('size limits', () => {
  it.each(['/v1/track', '/v1/identify'])(
    'answers a message over 32 KB on %s with 413 naming the limit, and stores nothing',
    async (url) => {
      const messageId = newMessageId();
      const blob = 'x'.repeat(33 * 1024);
      const sent = await post<ErrorBody>(url, {
        userId: newUserId(),
        event: 'huge',
        messageId,
        properties: { blob },
        traits: { blob },
      });
      expect(sent.status).toBe(413);
      expect(sent.body).toEqual({
        error: 'payload_too_large',
        message: 'a message may be at most 32 KB (32768 bytes): send fewer or smaller properties or traits',
      });
      expect(await storedEvents([messageId])).toEqual([]);
    },
  );

  it('accepts a message just under 32 KB', async () => {
    const messageId = newMessageId();
    const sent = await track({
      userId: newUserId(),
      event: 'big',
      messageId,
      properties: { blob: 'x'.repeat(31 * 1024) },
    });
    expect(sent.status).toBe(200);
    expect(await storedEvents([messageId])).toHaveLength(1);
  });

  it('answers a batch over 500 KB with 413 naming the limit, and stores none of it', async () => {
    const messageIds = Array.from({ length: 20 }, newMessageId);
    const batch = messageIds.map((messageId) => ({
      type: 'track',
      userId: 'u-big',
      event: 'big',
      messageId,
      properties: { blob: 'x'.repeat(26 * 1024) },
    }));
    const sent = await post<ErrorBody>('/v1/batch', { batch });
    expect(sent.status).toBe(413);
    expect(sent.body).toEqual({
      error: 'payload_too_large',
      message: 'a batch request may be at most 500 KB (512000 bytes): send fewer messages per batch',
    });
    expect(await storedEvents(messageIds)).toEqual([]);
  });
});
