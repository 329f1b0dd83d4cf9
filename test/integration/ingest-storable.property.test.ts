/**
 * Property test of the ingest routes with what Postgres cannot store: arbitrary Unicode (NUL and lone
 * surrogates mixed in) in event names, ids, property and trait keys and values, and arbitrary dates
 * (years 0000 and beyond 9999 included). Never a 5xx; a 400 names `$.` paths; every message
 * acknowledged is stored, and nothing refused is (a batch: per item).
 */
import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey } from '../../api/keys';
import { unstorableParts } from '../../api/schemas/storable';
import { events } from '../../drizzle/schema';
import { connectDevServer, createTestDatabase, uniqueTaskQueue } from '../setup/harness';

const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const ADMIN = 'ingest-storable-bootstrap-admin-key-01';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;
let writeKey: string;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('ingest-storable'),
    adminApiKey: ADMIN,
  });
  await app.ready();
  writeKey = (await createApiKey(db.db, 'write', 'property test')).key;
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

/** Any code points, with NUL and halves of surrogate pairs mixed in (two halves may also meet as a pair). */
const text = fc
  .array(
    fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uDBFF')),
    {
      maxLength: 4,
    },
  )
  .map((parts) => parts.join(''));
const name = fc.oneof(text, fc.constantFrom('Order Completed', 'page viewed')).filter((s) => s.length > 0);
const value = fc.oneof(
  text,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(text, text, { maxKeys: 2 }),
);
const bag = fc.dictionary(text, value, { maxKeys: 4 });
const timestamp = fc.oneof(
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0000-12-31T23:59:59+00:00',
    '0001-01-01T00:30:00+01:00',
    '9999-12-31T23:59:59Z',
    '9999-12-31T23:30:00-01:00',
  ),
);
const userId = fc.oneof(
  fc.constant('property-user'),
  name.filter((s) => s.length <= 255),
);
const track = fc.record(
  { type: fc.constant('track' as const), userId, event: name, properties: bag, timestamp },
  { requiredKeys: ['type', 'userId', 'event'] },
);
const identify = fc.record(
  { type: fc.constant('identify' as const), userId, traits: bag, timestamp },
  { requiredKeys: ['type', 'userId'] },
);

const headers = () => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });
const withId = <T extends object>(message: T) => ({ ...message, messageId: randomUUID() });
async function stored(messageIds: string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const rows = await db.db
    .select({ messageId: events.messageId })
    .from(events)
    .where(inArray(events.messageId, messageIds));
  return new Set(rows.map((r) => r.messageId));
}
function expectIssues(body: { issues?: { path: string; message: string }[] }, at: string) {
  expect(body.issues?.length).toBeGreaterThan(0);
  for (const issue of body.issues!) {
    expect(issue.path.startsWith(at)).toBe(true);
    expect(issue.message).toEqual(expect.any(String));
  }
}
const unstorable = (message: object) => unstorableParts(message).length > 0;

describe('ingest with strings and dates Postgres cannot store', () => {
  it.each([
    ['track', track],
    ['identify', identify],
  ] as const)('/v1/%s: 200 and stored, or 400 at its paths and not stored', async (type, arbitrary) => {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (generated) => {
        const message = withId(generated);
        const sent = await app.inject({ method: 'POST', url: `/v1/${type}`, headers: headers(), payload: message });
        expect(sent.statusCode, sent.body).toBeLessThan(500);
        const kept = await stored([message.messageId]);
        if (sent.statusCode === 200) {
          expect(unstorable(message)).toBe(false);
          expect(kept.has(message.messageId)).toBe(true);
        } else {
          expect(sent.statusCode).toBe(400);
          expectIssues(sent.json(), '$.');
          expect(kept.size).toBe(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('/v1/batch: each item stored when accepted, refused at its paths otherwise, the others kept', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(track, identify), { minLength: 1, maxLength: 6 }), async (generated) => {
        const batch = generated.map(withId);
        const sent = await app.inject({ method: 'POST', url: '/v1/batch', headers: headers(), payload: { batch } });
        expect(sent.statusCode, sent.body).toBeLessThan(500);
        const kept = await stored(batch.map((m) => m.messageId));
        if (sent.statusCode !== 200) {
          expect(sent.statusCode).toBe(400);
          expectIssues(sent.json(), '$.');
          expect(kept.size).toBe(0);
          return;
        }
        const { results } = sent.json<{
          results: {
            index: number;
            status: string;
            messageId?: string;
            errors?: { path: string; message: string }[];
          }[];
        }>();
        expect(results.map((r) => r.index)).toEqual(batch.map((_, i) => i));
        for (const [index, result] of results.entries()) {
          const message = batch[index]!;
          if (result.status === 'rejected') {
            expectIssues({ issues: result.errors }, `$.batch[${index}]`);
            expect(kept.has(message.messageId)).toBe(false);
          } else {
            expect(result.status).toBe('accepted');
            expect(unstorable(message)).toBe(false);
            expect(kept.has(message.messageId)).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it.each([
    ['a NUL in a property', { properties: { note: 'a\u0000b' } }, '$.batch[1].properties.note'],
    ['a lone surrogate in a property key', { properties: { ['\uD800']: 1 } }, '$.batch[1].properties.\uD800'],
    ['a NUL in the event name', { event: 'Order\u0000' }, '$.batch[1].event'],
    ['year 0000', { timestamp: '0000-01-01T00:00:00Z' }, '$.batch[1].timestamp'],
  ])('a batch with %s: that item refused at its path, the good ones around it stored', async (_, bad, path) => {
    const batch = [
      withId({ type: 'track', userId: 'batch-user', event: 'Before' }),
      withId({ type: 'track', userId: 'batch-user', event: 'Bad', ...bad }),
      withId({ type: 'track', userId: 'batch-user', event: 'After' }),
    ];
    const sent = await app.inject({ method: 'POST', url: '/v1/batch', headers: headers(), payload: { batch } });
    expect(sent.statusCode).toBe(200);
    expect(sent.json().results).toEqual([
      { index: 0, status: 'accepted', messageId: batch[0]!.messageId },
      { index: 1, status: 'rejected', errors: [{ path, message: expect.any(String) }] },
      { index: 2, status: 'accepted', messageId: batch[2]!.messageId },
    ]);
    expect(await stored(batch.map((m) => m.messageId))).toEqual(new Set([batch[0]!.messageId, batch[2]!.messageId]));
  });
});

describe('every other route (the validator compiler)', () => {
  const admin = { authorization: `Bearer ${ADMIN}` };

  it('refuses a string Postgres cannot store anywhere in a body or query, at its path, and stores nothing', async () => {
    const name = await app.inject({
      method: 'PUT',
      url: '/v1/categories/filters',
      headers: admin,
      payload: { name: 'Filters\uD800' },
    });
    expect(name.statusCode).toBe(400);
    expect(name.json().issues).toEqual([
      { path: '$.body.name', message: 'must not contain a lone UTF-16 surrogate (not valid Unicode)' },
    ]);
    expect((await app.inject({ method: 'GET', url: '/v1/categories/filters', headers: admin })).statusCode).toBe(404);

    const created = await app.inject({
      method: 'PUT',
      url: '/v1/categories/filters',
      headers: admin,
      payload: { name: 'Filters 😀' },
    });
    expect(created.statusCode).toBeLessThan(300);
    const product = await app.inject({
      method: 'PUT',
      url: '/v1/products/f-1',
      headers: admin,
      payload: { name: 'Filter', category: 'filters', attributes: { sizes: [{ ['mm\u0000']: 10 }] } },
    });
    expect(product.statusCode).toBe(400);
    expect(product.json().issues).toEqual([
      { path: '$.body.attributes.sizes[0].mm\u0000', message: 'this key must not contain the NUL character (\\u0000)' },
    ]);

    const query = await app.inject({ method: 'GET', url: '/v1/products?category=a%00b', headers: admin });
    expect(query.statusCode).toBe(400);
    expect(query.json().issues).toEqual([
      { path: '$.query.category', message: 'must not contain the NUL character (\\u0000)' },
    ]);
  });
});
