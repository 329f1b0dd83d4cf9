/**
 * Property-based fuzzing of every route in the OpenAPI document: random and hostile bodies, path
 * parameters and query strings never get a 5xx; every rejection is a 4xx whose body says what is
 * wrong; data accepted before the fuzzing is still there after it. (The long version runs with
 * FUZZ_RUNS=1000.)
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey } from '../../api/keys';
import { events, journeys } from '../../drizzle/schema';
import type { Simulate } from '../../simulation/simulate';
import { phoneNurture } from '../fixtures/journeys';
import { connectDevServer, createTestDatabase, uniqueTaskQueue } from '../setup/harness';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const ADMIN = 'fuzz-test-bootstrap-admin-key-000001';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;
let writeKey: string;
let spec: { paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>> };

/** Simulation itself is tested elsewhere; here only the HTTP edge around it matters. */
const recordingSimulate: Simulate = async (request) => ({
  journeyId: request.journey.id,
  journeyVersion: request.journey.version,
  customerId: request.customer.customerId,
  startedAt: new Date(0).toISOString(),
  endedAt: new Date(0).toISOString(),
  outcome: { status: 'completed', reason: 'fuzz' },
  steps: [],
  messages: [],
  events: [],
  updates: [],
  webhooks: [],
  wallMs: 0,
});

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('fuzz'),
    adminApiKey: ADMIN,
    simulate: recordingSimulate,
    messaging: {
      linkSecret: 'fuzz-test-link-secret-0123456789abcdef',
      providerSecret: 'fuzz-test-provider-secret-0123456789',
    },
  });
  await app.ready();
  writeKey = (await createApiKey(db.db, 'write', 'fuzz')).key;
  spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  // Accepted before fuzzing: must survive it.
  expect(
    (await app.inject({ method: 'PUT', url: '/v1/journeys/kept', headers: admin(), payload: phoneNurture })).statusCode,
  ).toBe(201);
  const tracked = await app.inject({
    method: 'POST',
    url: '/v1/track',
    headers: write(),
    payload: { userId: 'kept-user', event: 'kept_event', messageId: 'kept-message' },
  });
  expect(tracked.statusCode).toBe(200);
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

const admin = () => ({ authorization: `Bearer ${ADMIN}` });
const write = () => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    "'; drop table customers; --",
    '{{constructor.constructor "return process"}}',
    '\u0000',
    '\uD800',
    '💥'.repeat(50),
    'a'.repeat(70_000),
    '../../etc/passwd',
    '%00',
    'NaN',
    '-1',
    '1e309',
  ),
);
/** A body, or how deep to nest one (built inside the property, so a counterexample prints short). */
const hostileJson: fc.Arbitrary<['value', unknown] | ['nested', number]> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ['value', v] as ['value', unknown]) },
  {
    weight: 2,
    arbitrary: fc
      .dictionary(hostileString, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
      .map((v) => ['value', v] as ['value', unknown]),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 100_000 }).map((depth) => ['nested', depth] as ['nested', number]),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<unknown>({ __proto__: { admin: true } }, JSON.parse('{"__proto__":{"polluted":1}}'), {
        constructor: { prototype: { x: 1 } },
      })
      .map((v) => ['value', v] as ['value', unknown]),
  },
);
/** Lone surrogates replaced (encodeURIComponent throws on them; a browser would send U+FFFD). */
const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** Deeply nested JSON text (objects and arrays alternating), written directly: no recursion here. */
function nestedJson(depth: number): string {
  const half = Math.floor(depth / 2);
  return '{"steps":['.repeat(half) + '"deep"' + ']}'.repeat(half);
}

function operations() {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      path,
      method: method.toUpperCase(),
      ingest: (op.security ?? []).some((s) => 'writeKey' in s),
    })),
  );
}

describe('fuzzing every route of the OpenAPI document', () => {
  it('the document has the routes to fuzz', () => {
    expect(operations().length).toBeGreaterThanOrEqual(15);
  });

  it('random and hostile bodies, path parameters and queries never get a 5xx, and every 4xx names the problem', async () => {
    for (const op of operations()) {
      await fc.assert(
        fc.asyncProperty(
          hostileJson,
          hostileString,
          fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
          fc.boolean(),
          async (generated, param, query, rawText) => {
            const url = op.path.replace(
              /\{[^}]+\}/g,
              () => encodeURIComponent(wellFormed(param.slice(0, 2000))) || 'x',
            );
            const json =
              generated[0] === 'nested' ? nestedJson(generated[1]) : (JSON.stringify(generated[1]) ?? 'null');
            const payload = rawText ? json.slice(0, Math.max(0, json.length - 1)) : json; // truncated: malformed JSON
            const sent = await app.inject({
              method: op.method as 'POST',
              url,
              query,
              headers: { ...(op.ingest ? write() : admin()), 'content-type': 'application/json' },
              payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : payload,
            });
            if (sent.statusCode >= 500)
              throw new Error(`${op.method} ${url} answered ${sent.statusCode}: ${sent.body.slice(0, 300)}`);
            if (sent.statusCode >= 400) {
              const error = sent.json<{
                error?: string;
                message?: string;
                issues?: { path: string; message: string }[];
              }>();
              expect(error.error, `${op.method} ${url}`).toEqual(expect.any(String));
              expect(
                Boolean(error.message) || (error.issues?.length ?? 0) > 0,
                `${op.method} ${url}: ${sent.body.slice(0, 200)}`,
              ).toBe(true);
              for (const issue of error.issues ?? []) expect(issue.path).toMatch(/^\$/);
            }
          },
        ),
        { numRuns: RUNS, seed: 20261124 },
      );
    }
  }, 300_000);

  it('nothing accepted before the fuzzing was lost, and no prototype was polluted', async () => {
    expect((await db.db.select().from(journeys)).map((j) => j.id)).toContain('kept');
    expect((await db.db.select().from(events)).map((e) => e.messageId)).toContain('kept-message');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
