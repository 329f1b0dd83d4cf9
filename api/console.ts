/**
 * The marketer console (web/, built into web/dist by `npm run build:web`) served under /console.
 * Its routes are hidden from the OpenAPI spec and the access-control table: the files are public,
 * every call they make to /v1 carries the admin key the user signed in with.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const defaultConsoleDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');

export async function registerConsole(app: FastifyInstance, dir: string = defaultConsoleDir): Promise<void> {
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, (_request, reply) => reply.redirect('/console/'));
  app.get('/console', hidden, (_request, reply) => reply.redirect('/console/'));
  if (!existsSync(join(dir, 'index.html'))) {
    const notBuilt = {
      error: 'console_not_built',
      message: 'the console is not built: run `npm run build:web` (npm start builds it)',
    };
    app.get('/console/*', hidden, (_request, reply) => reply.code(503).send(notBuilt));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    schemaHide: true,
    decorateReply: false,
  });
}
