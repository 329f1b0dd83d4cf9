/**
 * API keys: `pk_write_…` keys send events, `pk_admin_…` keys also manage journeys and keys. Only the
 * SHA-256 digest is stored; the plaintext is returned once, by `createApiKey`. The bootstrap
 * `ADMIN_API_KEY` from the environment keeps working next to the stored keys.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors } from './schemas/common';
import { apiKeyCreated, apiKeyRevoked } from './schemas/keys';
import { z } from 'zod';
import type { Db } from '../drizzle/client';
import { apiKeyKinds, apiKeys, type ApiKeyKind } from '../drizzle/schema';
import { adminSecurity } from './http';

export interface CreatedApiKey {
  id: string;
  kind: ApiKeyKind;
  name: string;
  /** The plaintext: shown this once, never stored. */
  key: string;
  createdAt: Date;
}

/** 18 random bytes are 24 base64url characters (144 bits). */
export async function createApiKey(db: Db, kind: ApiKeyKind, name: string): Promise<CreatedApiKey> {
  const key = `pk_${kind}_${randomBytes(18).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ kind, name, hash: hashApiKey(key) })
    .returning({ id: apiKeys.id, createdAt: apiKeys.createdAt });
  return { id: row!.id, kind, name, key, createdAt: row!.createdAt };
}

/**
 * The kind of a stored, non-revoked key, or null. Looks the key up by its digest, so the time taken
 * depends on the digest, not on how much of the secret a guess got right.
 */
export async function verifyApiKey(db: Db, plaintext: string): Promise<ApiKeyKind | null> {
  if (plaintext === '') return null;
  const [row] = await db
    .select({ kind: apiKeys.kind })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hashApiKey(plaintext)), isNull(apiKeys.revokedAt)));
  return row?.kind ?? null;
}

/** Revokes a key at once (later requests with it get 401). False when no such unrevoked key. */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

/**
 * One check for every route: the bootstrap admin key (compared digest to digest, constant time
 * whatever the length; empty never passes) or a stored key.
 */
export function createKeyVerifier(
  db: Db,
  bootstrapAdminKey: string,
): (plaintext: string) => Promise<ApiKeyKind | null> {
  const bootstrapDigest = createHash('sha256').update(bootstrapAdminKey).digest();
  return async (plaintext) => {
    if (plaintext === '') return null;
    if (bootstrapAdminKey !== '' && timingSafeEqual(createHash('sha256').update(plaintext).digest(), bootstrapDigest))
      return 'admin';
    return verifyApiKey(db, plaintext);
  };
}

const newKeyBody = z.object({
  kind: z.enum(apiKeyKinds, { error: 'required: "write" or "admin"' }),
  name: z
    .string({ error: 'required: a name saying who uses the key' })
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'at most 200 characters'),
});

/** Admin routes for keys; register inside the admin scope (its auth hook guards them). */
export const apiKeyRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const schema = { tags: ['api keys'], security: adminSecurity };
  app.post(
    '/v1/api-keys',
    {
      schema: {
        ...schema,
        summary: 'Create a key (its plaintext is returned once)',
        body: newKeyBody,
        response: { 201: apiKeyCreated, ...adminErrors },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, request.body.kind, request.body.name);
      return reply.code(201).send({ apiKey: created, message: 'store the key now: it is not shown again' });
    },
  );

  app.post(
    '/v1/api-keys/:id/revoke',
    {
      schema: {
        ...schema,
        summary: 'Revoke a key at once',
        params: z.object({ id: z.uuid() }),
        response: { 200: apiKeyRevoked, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await revokeApiKey(db, id)))
        return reply.code(404).send({ error: 'not_found', message: `no active api key ${id}` });
      return { id, revoked: true as const };
    },
  );
};
