/**
 * Access control for every route the app serves × every kind of key. The table of who may call
 * what is written here by hand, but the routes come from the app itself (`app.routeList`): a route
 * added without an entry fails the first test.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey } from '../../api/keys';
import { connectDevServer, createTestDatabase, uniqueTaskQueue } from '../setup/harness';

type Access = 'admin' | 'write' | 'public';

/** Who may call each route: `admin` needs an admin key (Bearer); `write` a write or admin key (Basic). */
const accessTable: Record<string, Access> = {
  'POST /v1/identify': 'write',
  'POST /v1/track': 'write',
  'POST /v1/batch': 'write',
  'POST /v1/api-keys': 'admin',
  'POST /v1/api-keys/:id/revoke': 'admin',
  'GET /v1/journeys': 'admin',
  'GET /v1/journeys/:id': 'admin',
  'PUT /v1/journeys/:id': 'admin',
  'POST /v1/journeys/:id/publish': 'admin',
  'POST /v1/journeys/:id/pause': 'admin',
  'POST /v1/journeys/:id/resume': 'admin',
  'POST /v1/journeys/:id/archive': 'admin',
  'POST /v1/journeys/:id/unarchive': 'admin',
  'POST /v1/journeys/:id/enrollments': 'admin',
  'POST /v1/journeys/:id/simulate': 'admin',
  'GET /v1/categories/associations': 'admin',
  'POST /v1/categories/associations/refresh': 'admin',
  'GET /v1/customers/:id/recommendations': 'admin',
  'GET /v1/categories': 'admin',
  'GET /v1/categories/:id': 'admin',
  'PUT /v1/categories/:id': 'admin',
  'GET /v1/products': 'admin',
  'GET /v1/products/:sku': 'admin',
  'PUT /v1/products/:sku': 'admin',
  'DELETE /v1/products/:sku': 'admin',
  'GET /v1/products/:sku/consumables': 'admin',
  'GET /v1/customers': 'admin',
  'GET /v1/customers/:id': 'admin',
  'PATCH /v1/customers/:id': 'admin',
  'GET /v1/customers/:id/events': 'admin',
  'GET /v1/customers/:id/merges': 'admin',
  'POST /v1/customers/:id/erase': 'admin',
  'GET /v1/segments': 'admin',
  'GET /v1/segments/:id': 'admin',
  'PUT /v1/segments/:id': 'admin',
  'DELETE /v1/segments/:id': 'admin',
  'POST /v1/segments/preview': 'admin',
  'POST /v1/segments/:id/refresh': 'admin',
  'GET /v1/segments/:id/members': 'admin',
  'GET /v1/enrollments': 'admin',
  'GET /v1/enrollments/:id': 'admin',
  'GET /v1/enrollments/:id/history': 'admin',
  'POST /v1/enrollments/:id/cancel': 'admin',
  'GET /v1/customers/:id/timeline': 'admin',
  'GET /v1/analytics/journeys/:id': 'admin',
  'GET /v1/analytics/journeys': 'admin',
  'GET /v1/analytics/funnel': 'admin',
  'GET /v1/templates': 'admin',
  'GET /v1/templates/:id': 'admin',
  'PUT /v1/templates/:id': 'admin',
  'DELETE /v1/templates/:id': 'admin',
  'GET /v1/templates/:id/versions': 'admin',
  'GET /v1/templates/:id/versions/:version': 'admin',
  'POST /v1/templates/:id/preview': 'admin',
  'POST /v1/template-previews': 'admin',
  'GET /v1/library': 'admin',
  'POST /v1/library/:id/install': 'admin',
  'GET /v1/template-partials': 'admin',
  'PUT /v1/template-partials/:id': 'admin',
  // Messaging links and provider callbacks: authenticated by their signed token or HMAC, not by keys.
  'GET /u/:token': 'public',
  'POST /u/:token': 'public',
  'GET /preferences/:token': 'public',
  'POST /preferences/:token': 'public',
  'GET /o/:token': 'public',
  'GET /c/:token': 'public',
  'POST /v1/providers/:channel/events': 'public',
};

const BOOTSTRAP = 'access-control-bootstrap-admin-key-01';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;
let keys: Record<'write' | 'admin', string>;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('access'),
    adminApiKey: BOOTSTRAP,
    messaging: {
      linkSecret: 'access-control-link-secret-0123456789',
      providerSecret: 'access-control-provider-secret-01234',
    },
  });
  await app.ready();
  keys = {
    write: (await createApiKey(db.db, 'write', 'sdk')).key,
    admin: (await createApiKey(db.db, 'admin', 'ops')).key,
  };
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

const served = () => app.routeList.filter((r) => !r.hidden).map((r) => `${r.method} ${r.url}`);

/** A harmless request for the route: ids that exist nowhere, an empty JSON object as body. */
function requestFor(route: string, headers: Record<string, string>) {
  const [method, url] = route.split(' ') as [string, string];
  return app.inject({
    method: method as 'GET',
    url: url.replace(/:id\b/g, '00000000-0000-4000-8000-000000000000').replace(/:(\w+)/g, 'probe'),
    headers: { ...headers, 'content-type': 'application/json' },
    payload: method === 'GET' || method === 'DELETE' ? undefined : '{}',
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe('access control: every route × every key kind', () => {
  it('every served route has an entry in the table, and every entry is served', () => {
    const routes = served();
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(accessTable).length);
    expect(routes.filter((r) => !(r in accessTable))).toEqual([]);
    expect(Object.keys(accessTable).filter((r) => !routes.includes(r))).toEqual([]);
  });

  const kinds = ['none', 'invalid', 'write', 'admin'] as const;
  for (const route of Object.keys(accessTable)) {
    it(`${route} (${accessTable[route]})`, async () => {
      const access = accessTable[route]!;
      const asHeaders = (kind: (typeof kinds)[number]): Record<string, string> => {
        const key = kind === 'none' ? undefined : kind === 'invalid' ? 'pk_admin_AAAAAAAAAAAAAAAAAAAAAAAA' : keys[kind];
        if (key === undefined) return {};
        return access === 'write' ? basic(key) : bearer(key);
      };
      const statuses = Object.fromEntries(
        await Promise.all(
          kinds.map(async (kind) => [kind, (await requestFor(route, asHeaders(kind))).statusCode] as const),
        ),
      );
      const allowed = (status: number) => status !== 401 && status !== 403 && status < 500;
      if (access === 'admin') {
        expect({ none: statuses.none, invalid: statuses.invalid, write: statuses.write }).toEqual({
          none: 401,
          invalid: 401,
          write: 403,
        });
        expect(allowed(statuses.admin!), `admin key got ${statuses.admin}`).toBe(true);
      } else if (access === 'write') {
        expect({ none: statuses.none, invalid: statuses.invalid }).toEqual({ none: 401, invalid: 401 });
        expect(allowed(statuses.write!), `write key got ${statuses.write}`).toBe(true);
        expect(allowed(statuses.admin!), `admin key got ${statuses.admin}`).toBe(true);
      } else {
        for (const kind of kinds) expect(statuses[kind]! < 500, `${kind}: ${statuses[kind]}`).toBe(true);
      }
    });
  }
});
