/**
 * The HTTP edge: Fastify routes for journeys and enrollments. Requests are validated by the zod
 * schemas on each route (400 with JSON paths, see http.ts), which also make the OpenAPI spec at /docs.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../drizzle/client';
import type { JourneyDefinition } from '../domain/journey/definition';
import { customers } from '../drizzle/schema';
import { catalogRoutes } from './catalog';
import { customerRoutes } from './customers';
import { analyticsRoutes } from './analytics';
import { registerConsole } from './console';
import { createEnroller } from '../services/journeys/enroll';
import { adminSecurity, registerHttpConventions, RequestValidationError } from './http';
import { bodyTooLarge, registerJsonBody } from './json-body';
import { createJourneyWarnings } from '../services/journeys/event-names';
import { ingestRoutes } from './ingest';
import { createLibraryService } from '../services/journeys/library';
import { libraryRoutes } from './library';
import { createJourneyService, JourneyError } from '../services/journeys/lifecycle';
import { apiKeyRoutes, createKeyVerifier } from './keys';
import { checkBeforePublish, simulationRoutes, type PublishCheck } from './simulation';
import { associationRoutes } from './associations';
import { templateRoutes } from './templates';
import { trackingRoutes, type TrackingOptions } from './tracking';
import type { Simulate } from '../simulation/simulate';
import { segmentRoutes } from './segments';
import { mergeRoutes } from './merges';
import { opsRoutes } from './ops';
import { erasureRoutes } from './erasure';
import { privateLoggerOptions } from '../platform/logging';
import { adminErrors, errors } from './schemas/common';
import {
  entryRejected,
  entryStarted,
  journeyDetail,
  journeyList,
  journeySaved,
  journeyTransition,
  published,
} from './schemas/journeys';

export interface AppDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** The bootstrap admin key (env); stored keys (`api_keys`) work next to it. */
  adminApiKey: string;
  clock?: () => Date;
  /** Temporal Web UI base for links from enrollments (TEMPORAL_UI_URL). */
  temporalUiUrl?: string;
  logger?: boolean | { level: string };
  /**
   * Journey simulation, built by the process (api/main.ts, `npm start`: see
   * simulation/production.ts) and closed by it. Omitted: simulating answers 503.
   */
  simulate?: Simulate;
  /** Simulate the draft on sample customers before publishing (the processes turn it on; tests mostly do not). */
  checkOnPublish?: boolean;
  /** Public unsubscribe, preference, tracking and provider-webhook routes; omitted: not served. */
  messaging?: Omit<TrackingOptions, 'db' | 'clock'>;
  /**
   * HMAC key of the identity hashes kept by erasures (ERASURE_HASH_SECRET, else MESSAGING_LINK_SECRET).
   * Unset (tests): the link secret, else the bootstrap admin key. Changing it forgets past erasures' hashes.
   */
  erasureSecret?: string;
  /** The built console (web/dist by default); served under /console, see api/console.ts. */
  consoleDir?: string;
}

const journeyIdParam = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-"'),
});
const journeyBody = z
  .unknown()
  .describe('a journey definition (see docs/design.md); validated with JSON paths of every issue');

/** Far above a 500-step journey written out in full (domain/journey/validate.ts bounds the steps). */
export const JOURNEY_BODY_LIMIT_BYTES = 512 * 1024;

/** The dev server's Web UI (`npm start`, `temporal server start-dev`). */
export const DEFAULT_TEMPORAL_UI_URL = 'http://127.0.0.1:8233';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Signed link tokens (unsubscribe, click) travel as one path parameter: longer than Fastify's 100-character default.
  const logger = deps.logger ? privateLoggerOptions(deps.logger === true ? 'info' : deps.logger.level) : false;
  const app = Fastify({ logger, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 4096 } });
  // Before any plugin: encapsulated scopes inherit the handler set when they are registered.
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof RequestValidationError)
      return reply.code(400).send({ error: 'invalid_request', issues: error.issues });
    if (error instanceof JourneyError) {
      const status = { not_found: 404, invalid: 400, conflict: 409 }[error.code];
      return reply.code(status).send({ error: error.code, message: error.message, issues: error.issues });
    }
    if (error instanceof NoSimulatorError)
      return reply.code(503).send({ error: 'unavailable', message: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send({ error: 'bad_request', message: (error as Error).message });
    reply.log.error(error);
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  await registerHttpConventions(app);
  registerJsonBody(app, { refuseDuplicateKeys: false });
  const journeys = createJourneyService({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue });
  const clock = deps.clock ?? (() => new Date());
  const enroller = createEnroller({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, clock });
  const verifyKey = createKeyVerifier(deps.db, deps.adminApiKey);
  const journeyWarnings = createJourneyWarnings({ db: deps.db, clock });
  const simulate = deps.simulate ?? noSimulator;
  const erasureSecret = deps.erasureSecret ?? deps.messaging?.linkSecret ?? deps.adminApiKey;

  app.get('/health', { schema: { hide: true } }, async () => ({ ok: true }));
  await registerConsole(app, deps.consoleDir);
  await app.register(ingestRoutes, { db: deps.db, verifyKey, clock, erasureSecret });
  // Public, token-authenticated (no admin key): links in messages and provider callbacks.
  if (deps.messaging) await app.register(trackingRoutes, { ...deps.messaging, db: deps.db, clock });

  await app.register(async (scope) => {
    const admin = scope.withTypeProvider<ZodTypeProvider>();
    // Documents people write by hand: a repeated key is refused, not silently dropped.
    registerJsonBody(scope, { refuseDuplicateKeys: true });
    admin.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      // The bootstrap key is compared digest to digest (constant time); stored keys are looked up by digest.
      const kind = await verifyKey(token);
      if (kind === 'write')
        return reply.code(403).send({
          error: 'forbidden',
          message: 'a write key only sends events (/v1/identify, /v1/track, /v1/batch): use an admin key',
        });
      if (kind !== 'admin')
        return reply
          .code(401)
          .send({ error: 'unauthorized', message: 'send an admin key as `Authorization: Bearer <key>`' });
    });
    await admin.register(apiKeyRoutes, { db: deps.db });
    await admin.register(associationRoutes, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue });
    await admin.register(templateRoutes, { db: deps.db });
    await admin.register(simulationRoutes, { db: deps.db, journeys, simulate });
    await admin.register(catalogRoutes, { db: deps.db });
    await admin.register(customerRoutes, { db: deps.db, clock });
    await admin.register(segmentRoutes, { db: deps.db, enroller, clock });
    await admin.register(mergeRoutes, { db: deps.db });
    await admin.register(erasureRoutes, { db: deps.db, temporal: deps.temporal, secret: erasureSecret });
    const check = deps.checkOnPublish
      ? (journey: { id: string; definition: JourneyDefinition }) => checkBeforePublish(deps.db, simulate, journey)
      : undefined;
    await admin.register(libraryRoutes, { library: createLibraryService({ db: deps.db, journeys, check }) });
    const tags = ['journeys'];
    const security = adminSecurity;

    admin.get(
      '/v1/journeys',
      { schema: { tags, security, summary: 'List journeys', response: { 200: journeyList, ...adminErrors } } },
      async () => ({
        journeys: await journeys.list(),
      }),
    );
    admin.get(
      '/v1/journeys/:id',
      {
        schema: {
          tags,
          security,
          summary: 'A journey with its versions',
          params: journeyIdParam,
          response: { 200: journeyDetail, ...adminErrors, 404: errors[404] },
        },
      },
      async (request) => {
        const { id } = request.params;
        return { journey: await journeys.get(id), versions: await journeys.versions(id) };
      },
    );
    admin.put(
      '/v1/journeys/:id',
      {
        bodyLimit: JOURNEY_BODY_LIMIT_BYTES,
        errorHandler: bodyTooLarge('a journey definition', JOURNEY_BODY_LIMIT_BYTES),
        schema: {
          tags,
          security,
          summary: 'Create or replace a journey draft',
          params: journeyIdParam,
          body: journeyBody,
          response: {
            200: journeySaved,
            201: journeySaved.describe('the draft of a new journey'),
            ...adminErrors,
            409: errors[409],
            413: errors[413],
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const existing = await journeys.get(id).catch(() => undefined);
        const journey = existing
          ? await journeys.updateDraft(id, request.body)
          : await journeys.createDraft(id, request.body);
        const warnings = await journeyWarnings.of(await journeys.draftDefinition(id));
        return reply.code(existing ? 200 : 201).send({ journey, ...(warnings.length > 0 ? { warnings } : {}) });
      },
    );
    admin.post(
      '/v1/journeys/:id/publish',
      {
        schema: {
          tags,
          security,
          summary: 'Publish the draft as a new version (after simulating it on sample customers, when enabled)',
          params: journeyIdParam,
          response: { 200: published, ...adminErrors, 404: errors[404], 409: errors[409] },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        let check: PublishCheck | undefined;
        if (deps.checkOnPublish) {
          try {
            check = await checkBeforePublish(deps.db, simulate, { id, definition: await journeys.draftDefinition(id) });
          } catch (error) {
            if (error instanceof JourneyError) throw error;
            return reply.code(409).send({
              error: 'simulation_failed',
              message: `simulating the draft failed, so it was not published: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
        }
        const { version, definition } = await journeys.publish(id);
        const warnings = await journeyWarnings.of(definition);
        return { id, version, ...(check ? { check } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
      },
    );
    for (const action of ['pause', 'resume', 'archive', 'unarchive'] as const) {
      admin.post(
        `/v1/journeys/:id/${action}`,
        {
          schema: {
            tags,
            security,
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} a journey`,
            params: journeyIdParam,
            response: { 200: journeyTransition, ...adminErrors, 404: errors[404], 409: errors[409] },
          },
        },
        async (request) => {
          const { id } = request.params;
          return { id, ...(await journeys[action](id)), status: (await journeys.get(id)).status };
        },
      );
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
          response: {
            202: entryStarted,
            ...adminErrors,
            404: errors[404],
            409: z.union([entryRejected, errors[409]]).describe('not entered: the reason, or the journey is not live'),
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const body = request.body;
        const { journey, version, definition } = await journeys.version(id);
        // An enrollment for a customer with no row would fail at its first profile read and leave an
        // "active" mirror row behind: refuse it here.
        const [customer] = await deps.db
          .select({ id: customers.id })
          .from(customers)
          .where(eq(customers.id, body.customerId));
        if (!customer)
          return reply.code(404).send({ error: 'not_found', message: `customer ${body.customerId} not found` });
        const at = clock().toISOString();
        const outcome = await enroller.enter({
          journey: { id, version, definition, status: journey.status },
          customerId: body.customerId,
          event: {
            id: `api:${id}:${body.customerId}:${at}`,
            name: 'api_entry',
            properties: body.properties,
            timestamp: at,
          },
        });
        return reply.code(outcome.status === 'rejected' ? 409 : 202).send(outcome);
      },
    );
    await admin.register(opsRoutes, {
      db: deps.db,
      temporal: deps.temporal,
      temporalUiUrl: deps.temporalUiUrl ?? DEFAULT_TEMPORAL_UI_URL,
    });
    await admin.register(analyticsRoutes, { db: deps.db, clock });
  });

  return app;
}

class NoSimulatorError extends Error {}

const noSimulator: Simulate = () =>
  Promise.reject(new NoSimulatorError('this API process runs no simulator (see AppDeps.simulate)'));
