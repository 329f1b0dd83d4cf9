/**
 * What every route shares: zod schemas declared on the route (`schema: { params, querystring,
 * body }`) validate the request and document it in the OpenAPI 3.1 spec served at `/docs`
 * (`/docs/json`); a rejection is a 400 naming the JSON path of each problem
 * (`$.body.steps.a.next`, `$.query.limit`, `$.params.id`), also for a string Postgres cannot store
 * (api/schemas/storable.ts) anywhere in a body, query or path parameter.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { createJsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { isTimestamp } from './schemas/common';

import { issuesOf, jsonPath, RequestValidationError } from '../services/issues';
import { unstorableParts } from './schemas/storable';

export { issuesOf, jsonPath, parseOr400, RequestValidationError, type Issue } from '../services/issues';

/** Schemas that only document a body the handler validates itself (e.g. per item of a batch). */
const documentedOnly = new WeakSet<object>();
export function documentOnly<T extends z.ZodType>(schema: T): T {
  documentedOnly.add(schema);
  return schema;
}

const partNames: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (documentedOnly.has(schema)) return (data) => ({ value: data });
  const at = ['$', partNames[httpPart ?? 'body'] ?? httpPart ?? 'body'];
  const stored = httpPart !== 'headers';
  return (data) => {
    const result = schema.safeParse(data ?? (httpPart === 'body' ? {} : data));
    if (!result.success) return { error: new RequestValidationError(issuesOf(result.error, at)) };
    // Whatever a route does with a body, query or path parameter, a string Postgres cannot store
    // (NUL, a lone surrogate) would be a 500 at the first query that carries it: a 400 at its path.
    const unstorable = stored ? unstorableParts(data) : [];
    if (unstorable.length > 0)
      return {
        error: new RequestValidationError(
          unstorable.map((part) => ({ path: jsonPath([...at, ...part.path]), message: part.message })),
        ),
      };
    return { value: result.data };
  };
};

export interface RouteEntry {
  method: string;
  /** Fastify's form: `/v1/journeys/:id`. */
  url: string;
  /** Hidden from the spec (health, the docs themselves). */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, in order: the source for the access-control table and spec checks. */
    routeList: RouteEntry[];
  }
}

/**
 * Zod → JSON Schema for the document, with fastify-type-provider-zod's own overrides kept (empty
 * union branches dropped, dates as `date-time` strings, no body as `null`) and timestamps (a Date or an ISO
 * string in the handler) shown as what the wire carries: a `date-time` string.
 */
const jsonSchemaTransform = createJsonSchemaTransform({
  zodToJsonConfig: {
    override: (ctx) => {
      const json = ctx.jsonSchema as Record<string, unknown>;
      const type = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def.type;
      if (isTimestamp(ctx.zodSchema)) {
        for (const key of Object.keys(json)) if (key !== 'description') delete json[key];
        Object.assign(json, { type: 'string', format: 'date-time' });
      } else if (type === 'union' && Array.isArray(json.anyOf)) {
        json.anyOf = (json.anyOf as object[]).filter((branch) => Object.keys(branch).length > 0);
      } else if (type === 'date') {
        Object.assign(json, { type: 'string', format: 'date-time' });
      } else if (type === 'undefined') {
        json.type = 'null';
      }
    },
  },
});

/** Zod validation on every route and the OpenAPI document; call before registering routes. */
export async function registerHttpConventions(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  // Every answer is encoded by its status's response schema: one outside it is a 500, never sent.
  app.setSerializerCompiler(serializerCompiler);
  const routeList: RouteEntry[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true || route.url.startsWith('/docs');
    for (const method of methods) if (method !== 'HEAD') routeList.push({ method, url: route.url, hidden });
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Perennial API',
        version: '1',
        description:
          'Journeys, enrollments, customers and segments (admin key as `Authorization: Bearer <key>`), and Segment-compatible ingest (write key as the HTTP Basic username).',
      },
      components: {
        securitySchemes: {
          adminKey: { type: 'http', scheme: 'bearer', description: 'an admin API key' },
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description: 'a write (or admin) key as the username, empty password',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

/** Security requirement objects for route schemas. */
export const adminSecurity = [{ adminKey: [] }];
export const writeSecurity = [{ writeKey: [] }];
