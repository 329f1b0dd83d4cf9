/**
 * Segment-compatible ingest: `POST /v1/identify`, `/v1/track`, `/v1/batch`, authenticated by a write
 * (or admin) key as the HTTP Basic username — what Segment's SDKs send. Each accepted message is
 * resolved to a customer and stored in `events` before the response; the worker's router delivers
 * it from there (`routed_at is null`). A repeated `messageId` is a no-op.
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errors } from './schemas/common';
import { batchResults, erasedIdentity, ingested, tooLarge } from './schemas/ingest';
import { z } from 'zod';
import type { Db } from '../drizzle/client';
import type { ApiKeyKind } from '../drizzle/schema';
import { documentOnly, jsonPath, writeSecurity, type Issue } from './http';
import {
  ingestBatch,
  ingestMessage,
  supportedTypes,
  type IngestMessage,
  type IngestStatus,
  type MessageType,
} from '../services/customers/ingest';
import { BATCH_LIMIT_BYTES, MESSAGE_LIMIT_BYTES, parseMessage, schemas } from './segment-wire-format';
import { basicUsername } from './basic-auth';

export interface IngestOptions {
  db: Db;
  verifyKey: (plaintext: string) => Promise<ApiKeyKind | null>;
  clock: () => Date;
  /** Keys the hashes of erased identities (api/erasure.ts): messages naming one are refused. */
  erasureSecret: string;
}

export interface BatchResult {
  index: number;
  status: IngestStatus | 'rejected';
  messageId?: string;
  errors?: Issue[];
}

const batchDoc = z.object({
  batch: z.array(
    z.union([
      schemas.identify.extend({ type: z.literal('identify') }),
      schemas.track.extend({ type: z.literal('track') }),
    ]),
  ),
});
const batchBody = z.object(
  { batch: z.array(z.unknown(), { error: 'required: an array of messages' }) },
  { error: 'must be a JSON object' },
);

export const ingestRoutes: FastifyPluginAsyncZod<IngestOptions> = async (
  app,
  { db, verifyKey, clock, erasureSecret },
) => {
  app.addHook('onRequest', async (request, reply) => {
    const kind = await verifyKey(basicUsername(request.headers.authorization));
    if (kind === null) {
      return reply.code(401).header('www-authenticate', 'Basic realm="perennial"').send({
        error: 'unauthorized',
        message: 'send a write key as the HTTP Basic username: `Authorization: Basic base64(<writeKey>:)`',
      });
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const batch = reply.request.url.startsWith('/v1/batch');
      return reply.code(413).send({
        error: 'payload_too_large',
        message: batch
          ? `a batch request may be at most 500 KB (${BATCH_LIMIT_BYTES} bytes): send fewer messages per batch`
          : `a message may be at most 32 KB (${MESSAGE_LIMIT_BYTES} bytes): send fewer or smaller properties or traits`,
      });
    }
    throw error; // the app's handler
  });

  for (const type of supportedTypes) {
    const schema = {
      tags: ['ingest'],
      security: writeSecurity,
      summary: `Segment ${type} call`,
      body: documentOnly(schemas[type]),
      response: { 200: ingested, 400: errors[400], 401: errors[401], 409: erasedIdentity, 413: tooLarge },
    };
    app.post(`/v1/${type}`, { bodyLimit: MESSAGE_LIMIT_BYTES, schema }, async (request, reply) => {
      const parsed = parseMessage(type, request.body ?? {}, ['$'], clock());
      if ('issues' in parsed) return invalid(reply, parsed.issues);
      const { status, refusedKinds } = await ingestMessage(db, parsed.message, erasureSecret);
      if (status === 'refused')
        return reply
          .code(409)
          .send({ error: 'erased', message: erasedMessage(refusedKinds), messageId: parsed.message.messageId });
      return { success: true, status, messageId: parsed.message.messageId };
    });
  }

  const batchSchema = {
    tags: ['ingest'],
    security: writeSecurity,
    summary: 'Segment batch: each item validated and stored on its own',
    body: documentOnly(batchDoc),
    response: { 200: batchResults, 400: errors[400], 401: errors[401], 413: tooLarge },
  };
  app.post('/v1/batch', { bodyLimit: BATCH_LIMIT_BYTES, schema: batchSchema }, async (request, reply) => {
    const body = batchBody.safeParse(request.body ?? {});
    if (!body.success)
      return invalid(
        reply,
        body.error.issues.map((issue) => ({ path: jsonPath(['$', ...issue.path]), message: issue.message })),
      );
    const now = clock();
    const results: BatchResult[] = [];
    const valid: { result: BatchResult; message: IngestMessage; at: readonly (string | number)[] }[] = [];
    // Every item validated on its own (a bad one is reported, never takes the others with it); the
    // valid ones stored together, in order (`ingestBatch`).
    for (const [index, item] of body.data.batch.entries()) {
      const at = ['$', 'batch', index] as const;
      const checked = checkBatchItem(item, at);
      if ('issues' in checked) {
        results.push({ index, status: 'rejected', errors: checked.issues });
        continue;
      }
      const parsed = parseMessage(checked.type, item, at, now);
      if ('issues' in parsed) {
        results.push({ index, status: 'rejected', errors: parsed.issues });
        continue;
      }
      const result: BatchResult = { index, status: 'accepted', messageId: parsed.message.messageId };
      results.push(result);
      valid.push({ result, message: parsed.message, at });
    }
    const outcomes = await ingestBatch(
      db,
      valid.map((v) => v.message),
      erasureSecret,
    );
    valid.forEach((v, i) => {
      const { status, refusedKinds } = outcomes[i]!;
      v.result.status = status;
      if (status === 'refused') v.result.errors = [{ path: jsonPath(v.at), message: erasedMessage(refusedKinds) }];
    });
    return { results };
  });
};

/** A batch item's type and size, before its fields are validated. */
function checkBatchItem(item: unknown, at: readonly PropertyKey[]): { type: MessageType } | { issues: Issue[] } {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    return { issues: [{ path: jsonPath(at), message: 'must be a JSON object' }] };
  const size = Buffer.byteLength(JSON.stringify(item));
  if (size > MESSAGE_LIMIT_BYTES)
    return {
      issues: [
        {
          path: jsonPath(at),
          message: `a message may be at most 32 KB (${MESSAGE_LIMIT_BYTES} bytes); this one is ${size} bytes`,
        },
      ],
    };
  const type: unknown = (item as { type?: unknown }).type;
  if (type === undefined || type === null)
    return { issues: [{ path: jsonPath([...at, 'type']), message: 'required: "identify" or "track"' }] };
  if (!supportedTypes.includes(type as MessageType)) {
    return {
      issues: [
        {
          path: jsonPath([...at, 'type']),
          message: `${JSON.stringify(type)} is not supported: this API takes "identify" and "track"`,
        },
      ],
    };
  }
  return { type: type as MessageType };
}

const erasedMessage = (kinds: string[] = []) =>
  `not stored: the ${kinds.join(', ')} identity belongs to an erased customer; send it with re-consent (event "Consent Given" or context.consent.given: true) to create a new customer`;

function invalid(reply: FastifyReply, issues: Issue[]) {
  return reply.code(400).send({ error: 'invalid_request', issues });
}
