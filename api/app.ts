/**
 * The HTTP edge: Fastify routes for journeys and enrollments. Requests are validated by the zod
 * schemas on each route (400 with JSON paths, see http.ts), which also make the OpenAPI spec at /docs.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../drizzle/client';
import { customers, enrollments, enrollmentStatuses } from '../drizzle/schema';
import { statusQuery } from '../workflows/enrollment';
import { registerConsole } from './console';
import { createEnroller } from './enroll';
import { adminSecurity, registerHttpConventions, RequestValidationError } from './http';
import { ingestRoutes } from './ingest';
import { createJourneyService, JourneyError } from './journeys';
import { apiKeyRoutes, createKeyVerifier } from './keys';

export interface AppDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** The bootstrap admin key (env); stored keys (`api_keys`) work next to it. */
  adminApiKey: string;
  clock?: () => Date;
  logger?: boolean | { level: string };
  /** The built console (web/dist by default); served under /console, see api/console.ts. */
  consoleDir?: string;
}

const journeyIdParam = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-"') });
const journeyBody = z.unknown().describe('a journey definition (see docs/design.md); validated with JSON paths of every issue');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 1024 * 1024 });
  // Before any plugin: encapsulated scopes inherit the handler set when they are registered.
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof RequestValidationError) return reply.code(400).send({ error: 'invalid_request', issues: error.issues });
    if (error instanceof JourneyError) {
      const status = { not_found: 404, invalid: 400, conflict: 409 }[error.code];
      return reply.code(status).send({ error: error.code, message: error.message, issues: error.issues });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: 'bad_request', message: (error as Error).message });
    reply.log.error(error);
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  await registerHttpConventions(app);
  const journeys = createJourneyService({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue });
  const clock = deps.clock ?? (() => new Date());
  const enroller = createEnroller({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, clock });
  const verifyKey = createKeyVerifier(deps.db, deps.adminApiKey);

  app.get('/health', { schema: { hide: true } }, async () => ({ ok: true }));
  await registerConsole(app, deps.consoleDir);
  await app.register(ingestRoutes, { db: deps.db, verifyKey, clock });

  await app.register(async (scope) => {
    const admin = scope.withTypeProvider<ZodTypeProvider>();
    admin.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      // The bootstrap key is compared digest to digest (constant time); stored keys are looked up by digest.
      const kind = await verifyKey(token);
      if (kind === 'write') return reply.code(403).send({ error: 'forbidden', message: 'a write key only sends events (/v1/identify, /v1/track, /v1/batch): use an admin key' });
      if (kind !== 'admin') return reply.code(401).send({ error: 'unauthorized', message: 'send an admin key as `Authorization: Bearer <key>`' });
    });
    await admin.register(apiKeyRoutes, { db: deps.db });
    const tags = ['journeys'];
    const security = adminSecurity;

    admin.get('/v1/journeys', { schema: { tags, security, summary: 'List journeys' } }, async () => ({ journeys: await journeys.list() }));
    admin.get('/v1/journeys/:id', { schema: { tags, security, summary: 'A journey with its versions', params: journeyIdParam } }, async (request) => {
      const { id } = request.params;
      return { journey: await journeys.get(id), versions: await journeys.versions(id) };
    });
    admin.put('/v1/journeys/:id', { schema: { tags, security, summary: 'Create or replace a journey draft', params: journeyIdParam, body: journeyBody } }, async (request, reply) => {
      const { id } = request.params;
      const existing = await journeys.get(id).catch(() => undefined);
      const journey = existing ? await journeys.updateDraft(id, request.body) : await journeys.createDraft(id, request.body);
      return reply.code(existing ? 200 : 201).send({ journey });
    });
    admin.post('/v1/journeys/:id/publish', { schema: { tags, security, summary: 'Publish the draft as a new version', params: journeyIdParam } }, async (request) => {
      const { id } = request.params;
      const { version } = await journeys.publish(id);
      return { id, version };
    });
    for (const action of ['pause', 'resume', 'archive'] as const) {
      admin.post(`/v1/journeys/:id/${action}`, { schema: { tags, security, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a journey`, params: journeyIdParam } }, async (request) => {
        const { id } = request.params;
        return { id, ...(await journeys[action](id)), status: (await journeys.get(id)).status };
      });
    }
    admin.post(
      '/v1/journeys/:id/enrollments',
      {
        schema: {
          tags,
          security,
          summary: 'Enter a customer into a journey (API entry)',
          params: journeyIdParam,
          body: z.object({ customerId: z.uuid(), properties: z.record(z.string(), z.unknown()).default({}) }),
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const body = request.body;
        const { journey, version, definition } = await journeys.version(id);
        // An enrollment for a customer with no row would fail at its first profile read and leave an
        // "active" mirror row behind: refuse it here.
        const [customer] = await deps.db.select({ id: customers.id }).from(customers).where(eq(customers.id, body.customerId));
        if (!customer) return reply.code(404).send({ error: 'not_found', message: `customer ${body.customerId} not found` });
        const at = clock().toISOString();
        const outcome = await enroller.enter({
          journey: { id, version, definition, status: journey.status },
          customerId: body.customerId,
          event: { id: `api:${id}:${body.customerId}:${at}`, name: 'api_entry', properties: body.properties, timestamp: at },
        });
        return reply.code(outcome.status === 'rejected' ? 409 : 202).send(outcome);
      },
    );
    admin.get(
      '/v1/enrollments',
      {
        schema: {
          tags: ['enrollments'],
          security,
          summary: 'List enrollments, newest first',
          querystring: z.object({
            journeyId: z.string().optional(),
            customerId: z.uuid().optional(),
            status: z.enum(enrollmentStatuses).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
        },
      },
      async (request) => {
        const query = request.query;
        const where: SQL[] = [];
        if (query.journeyId) where.push(eq(enrollments.journeyId, query.journeyId));
        if (query.customerId) where.push(eq(enrollments.customerId, query.customerId));
        if (query.status) where.push(eq(enrollments.status, query.status));
        const rows = await deps.db.select().from(enrollments).where(and(...where)).orderBy(desc(enrollments.enteredAt)).limit(query.limit);
        return { enrollments: rows };
      },
    );
    admin.get('/v1/enrollments/:id', { schema: { tags: ['enrollments'], security, summary: 'One enrollment with its live state', params: z.object({ id: z.uuid() }) } }, async (request, reply) => {
      const { id } = request.params;
      const [row] = await deps.db.select().from(enrollments).where(eq(enrollments.id, id));
      if (!row) return reply.code(404).send({ error: 'not_found', message: `enrollment ${id} not found` });
      // Live state needs a worker; without one the query would hang, so it gets 3 s.
      const live = row.status === 'active' ? await withTimeout(deps.temporal.workflow.getHandle(row.workflowId).query(statusQuery), 3_000).catch(() => null) : null;
      return { enrollment: row, live };
    });
  });

  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
