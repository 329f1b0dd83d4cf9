/** Segment-compatible ingest (api/ingest.ts): identify, track, batch. */
import { z } from 'zod';
import { apiError, issue } from './common';

export const ingestStatus = z.enum(['accepted', 'duplicate', 'refused']);

export const ingested = z
  .strictObject({ success: z.boolean().describe('always true'), status: ingestStatus, messageId: z.string() })
  .describe('stored (or a duplicate of a stored message)');

export const erasedIdentity = apiError
  .extend({ messageId: z.string() })
  .describe('not stored: an identity of it belongs to an erased customer (send it with re-consent)');

export const batchResults = z
  .strictObject({
    results: z.array(
      z.strictObject({
        index: z.number().int(),
        status: z.enum(['accepted', 'duplicate', 'refused', 'rejected']),
        messageId: z.string().optional(),
        errors: z.array(issue).optional().describe('why the item was rejected or refused, with JSON paths'),
      }),
    ),
  })
  .describe('one outcome per item, in order');

export const tooLarge = apiError.describe('the message (32 KB) or batch (500 KB) is too large');
