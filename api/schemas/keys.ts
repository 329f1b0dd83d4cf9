/** API keys (api/keys.ts; there is no list endpoint). */
import { z } from 'zod';
import { timestamp } from './common';

export const createdApiKey = z.strictObject({
  id: z.uuid(),
  kind: z.enum(['write', 'admin']),
  name: z.string(),
  key: z.string().describe('the plaintext, returned once'),
  createdAt: timestamp,
});
export type CreatedApiKey = z.input<typeof createdApiKey>;

export const apiKeyCreated = z
  .strictObject({ apiKey: createdApiKey, message: z.string() })
  .describe('the new key, with its plaintext (shown once)');
export const apiKeyRevoked = z.strictObject({ id: z.uuid(), revoked: z.literal(true) }).describe('revoked');
export type ApiKeyCreated = z.input<typeof apiKeyCreated>;
export type ApiKeyRevoked = z.input<typeof apiKeyRevoked>;
