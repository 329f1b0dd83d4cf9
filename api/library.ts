/**
 * The journey library over HTTP: `GET /v1/library` lists the entries (titles and summaries in en and
 * zh-CN); `POST /v1/library/:id/install` installs one with optional parameters (services/journeys/library.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors } from './schemas/common';
import { libraryInstall, libraryListing } from './schemas/library';
import type { PublishCheck } from './schemas/journeys';
import { z } from 'zod';
import { LibrarySimulationError, type LibraryService } from '../services/journeys/library';
import { adminSecurity } from './http';

const idParams = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-"') });
const installBody = z
  .object({
    parameters: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('install parameters of the entry (see its `parameters` schema in GET /v1/library)'),
  })
  .strict();

export const libraryRoutes: FastifyPluginAsyncZod<{ library: LibraryService<PublishCheck> }> = async (
  app,
  { library: service },
) => {
  const tags = ['library'];
  const security = adminSecurity;
  app.get(
    '/v1/library',
    {
      schema: {
        tags,
        security,
        summary: 'The journey library: proven journeys to install, with titles and summaries in en and zh-CN',
        response: { 200: libraryListing, ...adminErrors },
      },
    },
    async () => ({ library: service.list() }),
  );
  app.post(
    '/v1/library/:id/install',
    {
      schema: {
        tags,
        security,
        summary: 'Install a library journey: save its templates, write and publish its journeys (idempotent)',
        params: idParams,
        body: installBody,
        response: { 200: libraryInstall, ...adminErrors, 404: errors[404], 409: errors[409] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      try {
        const outcome = await service.install(id, request.body.parameters);
        if (!outcome)
          return reply
            .code(404)
            .send({ error: 'not_found', message: `no library journey ${id} (see GET /v1/library)` });
        return outcome;
      } catch (error) {
        if (error instanceof LibrarySimulationError)
          return reply.code(409).send({ error: 'simulation_failed', message: error.message });
        throw error;
      }
    },
  );
};
