/**
 * Merge history (admin): `GET /v1/customers/:id/merges` lists every customer merged into this one,
 * directly or through a chain (A into B, then B into this), oldest first. For an id that was merged
 * away the answer is 404 `{ error: 'merged', mergedInto: <survivor id> }`: the customer lives on
 * under that id (where its own history is).
 */
import { eq, inArray, asc } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../drizzle/client';
import { customerMerges, customers } from '../drizzle/schema';
import { adminSecurity } from './http';
import { survivorOf } from '../services/customers/merge';
import { adminErrors, errors } from './schemas/common';
import { customerMerges as customerMergesSchema, mergedAway } from './schemas/customers';

const MAX_DEPTH = 64;

/** Every merge whose chain ends at `customerId`, oldest first. */
export async function mergeHistory(db: Db, customerId: string) {
  const found: (typeof customerMerges.$inferSelect)[] = [];
  let frontier = [customerId];
  for (let depth = 0; frontier.length > 0 && depth < MAX_DEPTH; depth++) {
    const rows = await db
      .select()
      .from(customerMerges)
      .where(inArray(customerMerges.survivorId, frontier))
      .orderBy(asc(customerMerges.mergedAt));
    found.push(...rows);
    frontier = rows.map((row) => row.mergedId);
  }
  return found.sort((a, b) => a.mergedAt.getTime() - b.mergedAt.getTime());
}

/** The survivor an id was merged into, or null when `id` is a live customer or unknown. */
export async function mergedInto(db: Db, id: string): Promise<string | null> {
  const survivor = await survivorOf(db, id);
  return survivor === id ? null : survivor;
}

export const mergeRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/customers/:id/merges',
    {
      schema: {
        tags: ['customers'],
        security: adminSecurity,
        summary: 'Merge history: customers merged into this one (One ID)',
        params: z.object({ id: z.uuid('must be a customer id (uuid)') }),
        response: {
          200: customerMergesSchema,
          ...adminErrors,
          404: z.union([mergedAway, errors[404]]).describe('not found, or merged into another customer'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const [customer] = await db.select({ id: customers.id }).from(customers).where(eq(customers.id, id));
      if (!customer) {
        const survivor = await mergedInto(db, id);
        if (survivor)
          return reply
            .code(404)
            .send({ error: 'merged', message: `customer ${id} was merged into ${survivor}`, mergedInto: survivor });
        return reply.code(404).send({ error: 'not_found', message: `customer ${id} not found` });
      }
      const merges = await mergeHistory(db, id);
      return {
        customerId: id,
        merges: merges.map((m) => ({
          id: m.id,
          survivorId: m.survivorId,
          mergedId: m.mergedId,
          eventMessageId: m.eventMessageId,
          mergedAt: m.mergedAt.toISOString(),
          moved: m.moved,
        })),
      };
    },
  );
};
