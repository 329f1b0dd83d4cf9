/**
 * The published contract: `GET /docs/json` declares a response schema for every status of every
 * operation, and real answers match it. The response serializer already refuses an answer outside
 * its route's zod schema (a 500, so every API test checks its own answers); this file calls each
 * route at least once and checks the bodies against the *document* with ajv, so what a client
 * generated from the document expects is what the server sends. Issue 17's contract points too:
 * numbers beyond a column's range are a 400, and a request the document allows is not refused.
 */
import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signLink, signWebhook, webhookHeaders } from '../../services/messaging/tokens';
import { customers, messages } from '../../drizzle/schema';
import { registerHttpConventions } from '../../api/http';
import { startApiStack, type ApiStack } from '../setup/api-stack';
import { eventually } from '../setup/harness';

const ADMIN_KEY = 'contract-test-admin-key-0123456789';
const LINK_SECRET = 'contract-test-link-secret-0123456789';
const PROVIDER_SECRET = 'contract-test-provider-secret-0123';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };
const WRITE_AUTH = { authorization: `Basic ${Buffer.from(`${ADMIN_KEY}:`).toString('base64')}` };

type Method = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
interface OpenApiOperation {
  responses: Record<string, { description: string; content?: Record<string, { schema?: object }> }>;
}
type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>> };

let stack: ApiStack;
let app: FastifyInstance;
let document: OpenApiDocument;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** `/v1/journeys/:id` → `/v1/journeys/{id}`: the document's spelling of a Fastify route. */
const openApiPath = (route: string) => route.replace(/:([A-Za-z]+)/g, '{$1}');

/** Operations answered in this file, as `METHOD /path/{param}`. */
const answered = new Set<string>();
/** Every answer that did not match the document: the test at the end expects none. */
const mismatches: string[] = [];

/**
 * Calls `route` with its parameters filled in and checks the answer against the document: the
 * status must be documented, and a JSON body must validate against that status's schema.
 */
async function call<T = Record<string, unknown>>(
  method: Method,
  route: string,
  options: {
    params?: Record<string, string | number>;
    query?: string;
    body?: unknown;
    headers?: Record<string, string>;
    rawBody?: string;
  } = {},
): Promise<{ status: number; body: T; contentType: string }> {
  const url =
    route.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(String(options.params?.[name]))) +
    (options.query ? `?${options.query}` : '');
  const response = await app.inject({
    method,
    url,
    headers: { ...AUTH, ...options.headers },
    ...(options.rawBody !== undefined
      ? { payload: options.rawBody }
      : options.body === undefined
        ? {}
        : { payload: options.body as object }),
  });
  const key = `${method} ${openApiPath(route)}`;
  answered.add(key);
  const contentType = String(response.headers['content-type'] ?? '');
  const documented = document.paths[openApiPath(route)]?.[method.toLowerCase()]?.responses[String(response.statusCode)];
  const body = contentType.includes('json') ? response.json<T>() : (response.body as T);
  if (!documented) mismatches.push(`${key}: status ${response.statusCode} is not documented (${response.body})`);
  else if (contentType.includes('json')) {
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) mismatches.push(`${key}: ${response.statusCode} answers JSON but documents none`);
    else if (!ajv.validate(schema, body))
      mismatches.push(`${key} ${response.statusCode}: ${ajv.errorsText(ajv.errors)} in ${response.body.slice(0, 300)}`);
  }
  return { status: response.statusCode, body, contentType };
}

beforeAll(async () => {
  stack = await startApiStack({
    name: 'contract',
    adminApiKey: ADMIN_KEY,
    app: () => ({ messaging: { linkSecret: LINK_SECRET, providerSecret: PROVIDER_SECRET } }),
  });
  app = stack.app;
  document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>();
});

beforeEach(() => {
  mismatches.length = 0;
});

afterAll(async () => {
  await stack?.close();
});

describe('the OpenAPI document', () => {
  it('declares a described response schema for every status of every operation', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(60);
    const problems: string[] = [];
    for (const { key, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      if (!statuses.some((s) => /^2\d\d$|^3\d\d$/.test(s))) problems.push(`${key}: no success status`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response.description === 'Default Response') problems.push(`${key} ${status}: "Default Response"`);
        const noBody = status === '204' || status.startsWith('3');
        if (!noBody && !Object.values(response.content ?? {}).some((c) => c.schema))
          problems.push(`${key} ${status}: no schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('tells clients the bounds the server enforces (integer columns, a PATCH changing something)', () => {
    const enrollments = document.paths['/v1/enrollments']!.get as unknown as {
      parameters: { name: string; schema: { maximum?: number } }[];
    };
    expect(enrollments.parameters.find((p) => p.name === 'version')!.schema.maximum).toBe(2_147_483_647);
    const patch = document.paths['/v1/customers/{id}']!.patch as unknown as {
      requestBody: { content: { 'application/json': { schema: { minProperties?: number } } } };
    };
    expect(patch.requestBody.content['application/json'].schema.minProperties).toBe(1);
  });
});

describe('the response serializer', () => {
  it('answers 500 instead of sending a body outside its schema (a missing, extra or mistyped field)', async () => {
    const probe = Fastify();
    await registerHttpConventions(probe);
    const shape = z.strictObject({ id: z.string(), at: z.string() });
    const answers: Record<string, unknown> = {
      '/ok': { id: 'a', at: 'now' },
      '/missing': { id: 'a' },
      '/extra': { id: 'a', at: 'now', secret: 'x' },
      '/mistyped': { id: 1, at: 'now' },
    };
    for (const [url, body] of Object.entries(answers))
      probe.get(url, { schema: { response: { 200: shape } } }, async () => body);
    const statuses = await Promise.all(
      Object.keys(answers).map(async (url) => (await probe.inject({ method: 'GET', url })).statusCode),
    );
    expect(statuses).toEqual([200, 500, 500, 500]);
    await probe.close();
  });
});

describe('answers match the document', () => {
  it('on every route', { timeout: 120_000 }, async () => {
    const missing = randomUUID();
    const journeyId = `contract-${randomUUID().slice(0, 8)}`;
    const definition = {
      name: 'Contract',
      entry: { type: 'api' },
      start: 'wait',
      steps: {
        wait: { type: 'wait', duration: { days: 30 }, next: 'done' },
        done: { type: 'exit', reason: 'waited' },
      },
    };

    // ---- ingest: a customer to work with ----
    const identified = await call('POST', '/v1/identify', {
      headers: WRITE_AUTH,
      body: {
        userId: `contract-${randomUUID()}`,
        traits: { email: `c-${randomUUID()}@example.com`, firstName: 'Mei' },
      },
    });
    expect(identified.status).toBe(200);
    const userId = `contract-${randomUUID()}`;
    expect(
      (
        await call('POST', '/v1/track', {
          headers: WRITE_AUTH,
          body: { userId, event: 'Product Viewed', properties: { sku: 'X1' } },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('POST', '/v1/batch', {
          headers: WRITE_AUTH,
          body: { batch: [{ type: 'identify', userId, traits: { firstName: 'Li' } }, { type: 'page' }] },
        })
      ).status,
    ).toBe(200);
    expect((await call('POST', '/v1/track', { headers: WRITE_AUTH, body: {} })).status).toBe(400);
    expect((await call('POST', '/v1/track', { headers: {}, body: {} })).status).toBe(401);
    const found = await call<{ customer: { id: string } }>('GET', '/v1/customers', {
      query: `identity=app_user:${userId}`,
    });
    expect(found.status).toBe(200);
    const customerId = found.body.customer.id;

    // ---- customers ----
    expect((await call('GET', '/v1/customers/:id', { params: { id: customerId } })).status).toBe(200);
    expect((await call('GET', '/v1/customers/:id', { params: { id: missing } })).status).toBe(404);
    expect(
      (await call('PATCH', '/v1/customers/:id', { params: { id: customerId }, body: { addTags: ['vip'] } })).status,
    ).toBe(200);
    expect((await call('GET', '/v1/customers/:id/events', { params: { id: customerId } })).status).toBe(200);
    expect((await call('GET', '/v1/customers/:id/timeline', { params: { id: customerId } })).status).toBe(200);
    expect((await call('GET', '/v1/customers/:id/merges', { params: { id: customerId } })).status).toBe(200);
    expect((await call('GET', '/v1/customers/:id/recommendations', { params: { id: customerId } })).status).toBe(200);

    // ---- journeys and enrollments ----
    expect((await call('PUT', '/v1/journeys/:id', { params: { id: journeyId }, body: definition })).status).toBe(201);
    expect((await call('PUT', '/v1/journeys/:id', { params: { id: journeyId }, body: definition })).status).toBe(200);
    expect((await call('PUT', '/v1/journeys/:id', { params: { id: journeyId }, body: {} })).status).toBe(400);
    expect((await call('POST', '/v1/journeys/:id/publish', { params: { id: journeyId } })).status).toBe(200);
    expect((await call('GET', '/v1/journeys')).status).toBe(200);
    expect((await call('GET', '/v1/journeys/:id', { params: { id: journeyId } })).status).toBe(200);
    expect((await call('GET', '/v1/journeys/:id', { params: { id: 'nope' } })).status).toBe(404);
    const entered = await call<{ workflowId: string }>('POST', '/v1/journeys/:id/enrollments', {
      params: { id: journeyId },
      body: { customerId },
    });
    expect(entered.status).toBe(202);
    stack.started.add(entered.body.workflowId);
    // The mirror row is written as the workflow starts.
    const enrollmentId = await eventually('the mirror row', async () => {
      const page = await call<{ enrollments: { id: string }[] }>('GET', '/v1/enrollments', {
        query: `journeyId=${journeyId}`,
      });
      expect(page.status).toBe(200);
      return page.body.enrollments[0]?.id;
    });
    await eventually('the enrollment waits', async () => {
      const detail = await call<{ live: { stepId: string } | null }>('GET', '/v1/enrollments/:id', {
        params: { id: enrollmentId },
      });
      return detail.body.live?.stepId === 'wait' ? detail : undefined;
    });
    expect((await call('GET', '/v1/enrollments/:id/history', { params: { id: enrollmentId } })).status).toBe(200);
    expect((await call('POST', '/v1/journeys/:id/pause', { params: { id: journeyId } })).status).toBe(200);
    const paused = await call('POST', '/v1/journeys/:id/enrollments', {
      params: { id: journeyId },
      body: { customerId },
    });
    expect(paused.status).toBe(409);
    expect((await call('POST', '/v1/journeys/:id/resume', { params: { id: journeyId } })).status).toBe(200);
    expect(
      (await call('POST', '/v1/enrollments/:id/cancel', { params: { id: enrollmentId }, body: { reason: 'contract' } }))
        .status,
    ).toBe(202);
    expect((await call('GET', '/v1/analytics/journeys')).status).toBe(200);
    expect((await call('GET', '/v1/analytics/journeys/:id', { params: { id: journeyId } })).status).toBe(200);
    expect((await call('GET', '/v1/analytics/funnel')).status).toBe(200);
    expect((await call('POST', '/v1/journeys/:id/archive', { params: { id: journeyId } })).status).toBe(200);
    expect((await call('POST', '/v1/journeys/:id/unarchive', { params: { id: journeyId } })).status).toBe(200);
    expect((await call('POST', '/v1/journeys/:id/unarchive', { params: { id: journeyId } })).status).toBe(409);

    // ---- catalog and predictions ----
    expect(
      (await call('PUT', '/v1/categories/:id', { params: { id: 'kettle' }, body: { name: 'Kettles' } })).status,
    ).toBe(201);
    expect((await call('GET', '/v1/categories')).status).toBe(200);
    expect((await call('GET', '/v1/categories/:id', { params: { id: 'kettle' } })).status).toBe(200);
    const device = { name: 'Kettle K1', category: 'kettle', kind: 'device', warrantyMonths: 12 };
    expect((await call('PUT', '/v1/products/:sku', { params: { sku: 'K1' }, body: device })).status).toBe(201);
    const filter = {
      name: 'Filter F1',
      category: 'kettle',
      kind: 'consumable',
      ratedLifeDays: 90,
      compatibleWith: ['K1'],
    };
    expect((await call('PUT', '/v1/products/:sku', { params: { sku: 'F1' }, body: filter })).status).toBe(201);
    expect((await call('GET', '/v1/products')).status).toBe(200);
    expect((await call('GET', '/v1/products/:sku', { params: { sku: 'F1' } })).status).toBe(200);
    expect((await call('GET', '/v1/products/:sku/consumables', { params: { sku: 'K1' } })).status).toBe(200);
    expect((await call('DELETE', '/v1/products/:sku', { params: { sku: 'F1' } })).status).toBe(204);
    expect((await call('DELETE', '/v1/products/:sku', { params: { sku: 'F1' } })).status).toBe(404);
    expect((await call('GET', '/v1/categories/associations')).status).toBe(200);
    const refresh = await call<{ workflowId: string }>('POST', '/v1/categories/associations/refresh');
    expect(refresh.status).toBe(202);
    stack.started.add(refresh.body.workflowId);

    // ---- segments ----
    const rule = { tag: 'vip', has: true };
    expect(
      (await call('PUT', '/v1/segments/:id', { params: { id: 'vips' }, body: { name: 'VIPs', rule } })).status,
    ).toBe(201);
    expect((await call('GET', '/v1/segments')).status).toBe(200);
    expect((await call('GET', '/v1/segments/:id', { params: { id: 'vips' } })).status).toBe(200);
    expect((await call('POST', '/v1/segments/preview', { body: { rule } })).status).toBe(200);
    expect((await call('POST', '/v1/segments/:id/refresh', { params: { id: 'vips' } })).status).toBe(200);
    expect((await call('GET', '/v1/segments/:id/members', { params: { id: 'vips' } })).status).toBe(200);
    expect((await call('DELETE', '/v1/segments/:id', { params: { id: 'vips' } })).status).toBe(204);

    // ---- templates ----
    const layout = { kind: 'layout', source: '<html><body>{{{body}}}</body></html>' };
    expect((await call('PUT', '/v1/template-partials/:id', { params: { id: 'frame' }, body: layout })).status).toBe(
      201,
    );
    expect((await call('GET', '/v1/template-partials')).status).toBe(200);
    const template = {
      channel: 'email',
      defaultLocale: 'en',
      locales: { en: { subject: 'Hi', text: 'Hello', html: '<p>Hello</p>' } },
      layout: 'frame',
    };
    expect((await call('PUT', '/v1/templates/:id', { params: { id: 'hello' }, body: template })).status).toBe(201);
    expect((await call('GET', '/v1/templates')).status).toBe(200);
    expect((await call('GET', '/v1/templates/:id', { params: { id: 'hello' } })).status).toBe(200);
    expect((await call('GET', '/v1/templates/:id/versions', { params: { id: 'hello' } })).status).toBe(200);
    expect(
      (await call('GET', '/v1/templates/:id/versions/:version', { params: { id: 'hello', version: 1 } })).status,
    ).toBe(200);
    const sample = { traits: { firstName: 'Mei' } };
    expect(
      (await call('POST', '/v1/templates/:id/preview', { params: { id: 'hello' }, body: { sample } })).status,
    ).toBe(200);
    const previews = await call<{ issues: unknown[]; previews: unknown[] }>('POST', '/v1/template-previews', {
      body: { template: { ...template, locales: { en: { text: '{{#if}}' } } }, sample },
    });
    expect(previews.status).toBe(200);
    expect((await call('DELETE', '/v1/templates/:id', { params: { id: 'hello' } })).status).toBe(200);

    // ---- library, keys, erasure ----
    const library = await call<{ library: { id: string }[] }>('GET', '/v1/library');
    expect(library.status).toBe(200);
    expect((await call('POST', '/v1/library/:id/install', { params: { id: 'no-such-entry' }, body: {} })).status).toBe(
      404,
    );
    const key = await call<{ apiKey: { id: string; key: string } }>('POST', '/v1/api-keys', {
      body: { kind: 'write', name: 'contract' },
    });
    expect(key.status).toBe(201);
    expect(
      (await call('GET', '/v1/journeys', { headers: { authorization: `Bearer ${key.body.apiKey.key}` } })).status,
    ).toBe(403);
    expect((await call('GET', '/v1/journeys', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call('POST', '/v1/api-keys/:id/revoke', { params: { id: key.body.apiKey.id } })).status).toBe(200);

    // ---- links in messages and provider callbacks ----
    const ledgerId = randomUUID();
    await stack.db.db.insert(messages).values({
      id: ledgerId,
      enrollmentId: randomUUID(),
      journeyId,
      stepId: 'hello',
      occurrence: 1,
      customerId,
      channel: 'email',
      templateId: 'hello',
      status: 'sent',
      address: 'mei@example.com',
      links: ['https://example.com/offer'],
    });
    const token = (p: 'unsubscribe' | 'preferences' | 'open' | 'click', u?: string) =>
      signLink(LINK_SECRET, { p, c: customerId, m: ledgerId, ...(u ? { u } : {}) });
    const html = { accept: 'text/html' };
    expect((await call('GET', '/u/:token', { params: { token: token('unsubscribe') }, headers: html })).status).toBe(
      200,
    );
    expect((await call('GET', '/u/:token', { params: { token: 'forged-token-0123456789' } })).status).toBe(404);
    expect(
      (await call('GET', '/u/:token', { params: { token: 'forged-token-0123456789' }, headers: html })).status,
    ).toBe(404);
    expect((await call('POST', '/u/:token', { params: { token: token('unsubscribe') }, body: {} })).status).toBe(200);
    expect((await call('GET', '/preferences/:token', { params: { token: token('preferences') } })).status).toBe(200);
    expect(
      (
        await call('POST', '/preferences/:token', {
          params: { token: token('preferences') },
          rawBody: 'email=on',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(200);
    expect((await call('GET', '/o/:token', { params: { token: token('open') } })).contentType).toBe('image/gif');
    expect(
      (await call('GET', '/c/:token', { params: { token: token('click', 'https://example.com/offer') } })).status,
    ).toBe(302);
    const callback = JSON.stringify({ id: randomUUID(), type: 'delivered', messageId: `${ledgerId}-unknown` });
    const at = String(Math.floor(Date.now() / 1000));
    const signed = {
      'content-type': 'application/json',
      [webhookHeaders.timestamp]: at,
      [webhookHeaders.signature]: `v1=${signWebhook(PROVIDER_SECRET, at, callback)}`,
    };
    expect(
      (
        await call('POST', '/v1/providers/:channel/events', {
          params: { channel: 'email' },
          rawBody: callback,
          headers: signed,
        })
      ).status,
    ).toBe(404);
    expect(
      (await call('POST', '/v1/providers/:channel/events', { params: { channel: 'email' }, rawBody: '{}' })).status,
    ).toBe(401);

    expect(
      (await call('POST', '/v1/customers/:id/erase', { params: { id: customerId }, body: { reason: 'contract test' } }))
        .status,
    ).toBe(200);

    expect(mismatches).toEqual([]);
    // Simulation needs a time-skipping server: test/integration/simulation.test.ts calls it, and the
    // serializer checks its answers there.
    const notCalledHere = new Set(['POST /v1/journeys/{id}/simulate']);
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.filter((op) => !answered.has(op) && !notCalledHere.has(op))).toEqual([]);
  });
});

describe('issue 17: the document and the server agree', () => {
  it('refuses numbers beyond an integer column with a 400 naming the parameter, never a 500', async () => {
    const tooBig = 2_147_483_648;
    const version = await call<{ issues: { path: string }[] }>('GET', '/v1/enrollments', {
      query: `journeyId=x&version=${tooBig}`,
    });
    expect(version.status).toBe(400);
    expect(version.body.issues.map((i) => i.path)).toEqual(['$.query.version']);
    const simulated = await call<{ issues: { path: string }[] }>('POST', '/v1/journeys/:id/simulate', {
      params: { id: 'any' },
      body: { version: tooBig },
    });
    expect(simulated.status).toBe(400);
    expect(simulated.body.issues.map((i) => i.path)).toEqual(['$.body.version']);
    for (const [route, params, query] of [
      ['/v1/analytics/journeys/:id', { id: 'any' }, `version=${tooBig}`],
      ['/v1/templates/:id/versions/:version', { id: 'any', version: tooBig }, ''],
    ] as const)
      expect((await call('GET', route, { params, query })).status).toBe(400);
    expect(mismatches).toEqual([]);
  });

  it('takes an empty cursor as the first page', async () => {
    expect((await call('GET', '/v1/enrollments', { query: 'cursor=' })).status).toBe(200);
    const [row] = await stack.db.db.insert(customers).values({}).returning({ id: customers.id });
    for (const route of ['/v1/customers/:id/timeline', '/v1/customers/:id/events'])
      expect((await call('GET', route, { params: { id: row!.id }, query: 'cursor=' })).status).toBe(200);
    expect(mismatches).toEqual([]);
  });

  it('documents what a PATCH must change, and refuses only what the document refuses', async () => {
    const [row] = await stack.db.db.insert(customers).values({}).returning({ id: customers.id });
    const empty = await call<{ issues: { path: string }[] }>('PATCH', '/v1/customers/:id', {
      params: { id: row!.id },
      body: {},
    });
    expect(empty.status).toBe(400);
    const schema = (
      document.paths['/v1/customers/{id}']!.patch as unknown as {
        requestBody: { content: { 'application/json': { schema: object } } };
      }
    ).requestBody.content['application/json'].schema;
    // What the document refuses, the server refuses; what it allows, the server takes.
    expect(ajv.validate(schema, {})).toBe(false);
    expect(ajv.validate(schema, { tags: ['a'], addTags: ['b'] })).toBe(false);
    expect(ajv.validate(schema, { addTags: ['b'] })).toBe(true);
    expect(
      (await call('PATCH', '/v1/customers/:id', { params: { id: row!.id }, body: { addTags: ['b'] } })).status,
    ).toBe(200);
    expect(mismatches).toEqual([]);
  });
});
