/** `POST /v1/customers/:id/erase`: the HTTP edge of erasure (services/customers/erasure.ts). */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors } from './schemas/common';
import { erasure as erasureSchema, mergedAway } from './schemas/customers';
import { z } from 'zod';
import type { Db } from '../drizzle/client';
import { driveErasureCancels, eraseCustomer } from '../services/customers/erasure';
import { adminSecurity } from './http';

/** Free text without personal data: no email addresses, no phone-like digit runs. */
const reasonSchema = z
  .string()
  .trim()
  .min(1, 'required: why (e.g. "GDPR art. 17 request #1234")')
  .max(200, 'at most 200 characters')
  .refine(
    (reason) => !/@/.test(reason) && !/\d[\d\s().-]{6,}\d/.test(reason),
    'must not contain personal data (an email address or phone number): it is kept in the audit row',
  );

export interface ErasureRouteDeps {
  db: Db;
  temporal: Client;
  /** HMAC key for the kept identity hashes (ERASURE_HASH_SECRET, else MESSAGING_LINK_SECRET). */
  secret: string;
}

export const erasureRoutes: FastifyPluginAsyncZod<ErasureRouteDeps> = async (app, { db, temporal, secret }) => {
  app.post(
    '/v1/customers/:id/erase',
    {
      schema: {
        tags: ['customers'],
        security: adminSecurity,
        summary:
          'Erase a customer: delete everything held about them, cancel their enrollments, keep only hashes of their identities (re-import refused without re-consent). Repeating it answers the same erasure.',
        params: z.object({ id: z.uuid('must be a customer id (uuid)') }),
        body: z.object({ reason: reasonSchema }),
        response: {
          200: erasureSchema,
          ...adminErrors,
          404: z.union([mergedAway, errors[404]]).describe('not found, or merged into another customer'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const outcome = await eraseCustomer(db, { customerId: id, reason: request.body.reason, secret });
      if (outcome.status === 'not-found')
        return reply.code(404).send({ error: 'not_found', message: `customer ${id} not found` });
      if (outcome.status === 'merged') {
        return reply.code(404).send({
          error: 'merged',
          message: `customer ${id} was merged into ${outcome.mergedInto}: erase that customer`,
          mergedInto: outcome.mergedInto,
        });
      }
      const { signalled, pending } = await driveErasureCancels(db, temporal, outcome.erasure);
      const e = outcome.erasure;
      return {
        erasureId: e.id,
        customerId: e.customerId,
        mergedIds: e.mergedIds,
        erasedAt: e.erasedAt.toISOString(),
        reason: e.reason,
        counts: e.counts,
        alreadyErased: outcome.status === 'already-erased',
        enrollmentsSignalled: signalled,
        /** Workflows not reached (Temporal unavailable): repeat the call to deliver them. */
        pendingCancels: pending,
      };
    },
  );
};
