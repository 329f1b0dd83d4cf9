import { z } from 'zod';
import { databaseEnv, linkSecretEnv, logEnv, sendPolicyEnv, temporalEnv } from '../platform/env';

export const apiEnv = temporalEnv
  .extend(databaseEnv.shape)
  .extend(logEnv.shape)
  .extend(linkSecretEnv.shape)
  .extend(sendPolicyEnv.shape)
  .extend({
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /**
     * Bootstrap admin key for the HTTP API. More admin keys, and the write keys that send events, are
     * made with `POST /v1/api-keys` and stored hashed (`api_keys`); this one keeps working next to them.
     */
    /** Links from enrollments to their workflow; the default is the dev server's Web UI. */
    TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
    ADMIN_API_KEY: z
      .string({ error: 'required: the admin key clients send as `Authorization: Bearer <key>`' })
      .min(16, 'use at least 16 characters'),
    /**
     * HMAC key of the identity hashes erasures keep (re-imports of erased customers are refused);
     * default: MESSAGING_LINK_SECRET. Changing it forgets the hashes of every past erasure.
     */
    ERASURE_HASH_SECRET: z.string().min(32, 'use at least 32 characters').optional(),
    /** Topics on the preference page: comma-separated `id:Label` (customers' own consent topics are added). */
    MESSAGING_TOPICS: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
          .map((t) => ({ id: t.split(':')[0]!, label: t.split(':').slice(1).join(':') || t.split(':')[0]! })),
      )
      .optional(),
  });
export type ApiEnv = z.infer<typeof apiEnv>;
