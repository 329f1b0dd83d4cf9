/**
 * Segment-compatible ingest: `POST /v1/identify`, `/v1/track`, `/v1/batch`, authenticated by a write
 * (or admin) key as the HTTP Basic username — what Segment's SDKs send. Each accepted message is
 * resolved to a customer and stored in `events` before the response; the worker's router delivers
 * it from there (`routed_at is null`). A repeated `messageId` is a no-op.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../drizzle/client';
import { events, type ApiKeyKind } from '../drizzle/schema';
import { identitiesOf, mergeTraits, normalizeEmail, normalizePhone, resolveCustomer, type Identity } from './identity';
import { documentOnly, jsonPath, writeSecurity, type Issue } from './http';
import { applyProfileEffects, profileIssues } from './profile-effects';

/** Segment's limits: 32 KB per message, 500 KB per batch request. */
export const MESSAGE_LIMIT_BYTES = 32 * 1024;
export const BATCH_LIMIT_BYTES = 500 * 1024;

export const supportedTypes = ['identify', 'track'] as const;
export type MessageType = (typeof supportedTypes)[number];

export interface IngestOptions {
  db: Db;
  verifyKey: (plaintext: string) => Promise<ApiKeyKind | null>;
  clock: () => Date;
}

/** One validated message, ready to store. */
export interface IngestMessage {
  type: MessageType;
  messageId: string;
  /** The event name; `identify` for identify calls. */
  name: string;
  occurredAt: Date;
  /** Track `properties`, or the identify `traits` as sent. */
  properties: Record<string, unknown>;
  /** Identify only: traits to merge into the customer, without email and phone (those are identities). */
  traits: Record<string, unknown>;
  identities: Identity[];
}

export type IngestStatus = 'accepted' | 'duplicate';

const jsonObject = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });
const identifier = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(255, 'at most 255 characters')
  .nullish();

const common = {
  userId: identifier,
  anonymousId: identifier,
  messageId: identifier,
  timestamp: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone, like 2024-05-01T09:30:00Z' }).nullish(),
  context: jsonObject.nullish(),
};
const schemas = {
  track: z.object({
    ...common,
    type: z.literal('track', { error: 'must be "track"' }).nullish(),
    event: z
      .string({ error: (issue) => (issue.input === undefined || issue.input === null ? 'required: the event name' : 'must be a string') })
      .min(1, 'must not be empty')
      .max(255, 'at most 255 characters')
      .refine((name) => name !== 'identify', '"identify" is reserved for identify calls'),
    properties: jsonObject.nullish(),
  }),
  identify: z.object({
    ...common,
    type: z.literal('identify', { error: 'must be "identify"' }).nullish(),
    traits: jsonObject.nullish(),
  }),
};

/**
 * Validates one message of `type` (the endpoint's, or the batch item's `type`). Issue paths start
 * at `at` (`$` for a single call, `$.batch[3]` in a batch).
 */
export function parseMessage(type: MessageType, input: unknown, at: readonly PropertyKey[], now: Date): { message: IngestMessage } | { issues: Issue[] } {
  const path = (...rest: PropertyKey[]) => jsonPath([...at, ...rest]);
  const parsed = schemas[type].safeParse(input);
  if (!parsed.success) return { issues: parsed.error.issues.map((issue) => ({ path: path(...issue.path), message: issue.message })) };
  const data = parsed.data;
  const issues: Issue[] = [];
  if (!data.userId && !data.anonymousId) issues.push({ path: path('userId'), message: 'userId or anonymousId is required' });

  const given = 'traits' in data ? (data.traits ?? {}) : {};
  const { email: rawEmail, phone: rawPhone, ...traits } = given;
  const email = normalized(rawEmail, normalizeEmail, path('traits', 'email'), 'not an email address', issues);
  const phone = normalized(rawPhone, normalizePhone, path('traits', 'phone'), 'not a phone number in international format (+ country code and number)', issues);
  issues.push(...profileIssues(type, 'event' in data ? data.event : 'identify', 'event' in data ? (data.properties ?? {}) : given, at));
  if (issues.length > 0) return { issues };

  return {
    message: {
      type,
      messageId: data.messageId ?? randomUUID(),
      name: 'event' in data ? data.event : 'identify',
      occurredAt: data.timestamp ? new Date(data.timestamp) : now,
      properties: 'event' in data ? (data.properties ?? {}) : given,
      traits: type === 'identify' ? traits : {},
      identities: identitiesOf({ userId: data.userId ?? undefined, anonymousId: data.anonymousId ?? undefined, email, phone }),
    },
  };
}

function normalized(raw: unknown, normalize: (value: string) => string | null, path: string, problem: string, issues: Issue[]): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') {
    issues.push({ path, message: 'must be a string' });
    return undefined;
  }
  const value = normalize(raw);
  if (value === null) issues.push({ path, message: problem });
  return value ?? undefined;
}

/**
 * Stores one message: the event row first (its `message_id` key makes a resend a no-op, and holds
 * a concurrent resend until this commits), then the customer, traits and the row's `customer_id`,
 * all in one transaction.
 */
export async function ingestMessage(db: Db, message: IngestMessage): Promise<{ status: IngestStatus; customerId?: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(events)
      .values({ messageId: message.messageId, name: message.name, properties: message.properties, occurredAt: message.occurredAt })
      .onConflictDoNothing({ target: events.messageId })
      .returning({ id: events.id });
    if (!row) return { status: 'duplicate' as const };
    const { customerId } = await resolveCustomer(tx, message.identities);
    if (message.type === 'identify') await mergeTraits(tx, customerId, message.traits);
    await applyProfileEffects(tx, customerId, row.id, message);
    await tx.update(events).set({ customerId }).where(eq(events.id, row.id));
    return { status: 'accepted' as const, customerId };
  });
}

export interface BatchResult {
  index: number;
  status: IngestStatus | 'rejected';
  messageId?: string;
  errors?: Issue[];
}

const batchDoc = z.object({ batch: z.array(z.union([schemas.identify.extend({ type: z.literal('identify') }), schemas.track.extend({ type: z.literal('track') })])) });
const batchBody = z.object({ batch: z.array(z.unknown(), { error: 'required: an array of messages' }) }, { error: 'must be a JSON object' });

export const ingestRoutes: FastifyPluginAsyncZod<IngestOptions> = async (app, { db, verifyKey, clock }) => {
  app.addHook('onRequest', async (request, reply) => {
    const kind = await verifyKey(basicUsername(request.headers.authorization));
    if (kind === null) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="perennial"')
        .send({ error: 'unauthorized', message: 'send a write key as the HTTP Basic username: `Authorization: Basic base64(<writeKey>:)`' });
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
    const schema = { tags: ['ingest'], security: writeSecurity, summary: `Segment ${type} call`, body: documentOnly(schemas[type]) };
    app.post(`/v1/${type}`, { bodyLimit: MESSAGE_LIMIT_BYTES, schema }, async (request, reply) => {
      const parsed = parseMessage(type, request.body ?? {}, ['$'], clock());
      if ('issues' in parsed) return invalid(reply, parsed.issues);
      const { status } = await ingestMessage(db, parsed.message);
      return { success: true, status, messageId: parsed.message.messageId };
    });
  }

  const batchSchema = { tags: ['ingest'], security: writeSecurity, summary: 'Segment batch: each item validated and stored on its own', body: documentOnly(batchDoc) };
  app.post('/v1/batch', { bodyLimit: BATCH_LIMIT_BYTES, schema: batchSchema }, async (request, reply) => {
    const body = batchBody.safeParse(request.body ?? {});
    if (!body.success) return invalid(reply, body.error.issues.map((issue) => ({ path: jsonPath(['$', ...issue.path]), message: issue.message })));
    const now = clock();
    const results: BatchResult[] = [];
    // One transaction per message, in order: a customer's messages are stored in the order sent, and
    // one bad or failing message never takes the others with it.
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
      const { status } = await ingestMessage(db, parsed.message);
      results.push({ index, status, messageId: parsed.message.messageId });
    }
    return { results };
  });
};

/** A batch item's type and size, before its fields are validated. */
function checkBatchItem(item: unknown, at: readonly PropertyKey[]): { type: MessageType } | { issues: Issue[] } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { issues: [{ path: jsonPath(at), message: 'must be a JSON object' }] };
  const size = Buffer.byteLength(JSON.stringify(item));
  if (size > MESSAGE_LIMIT_BYTES) return { issues: [{ path: jsonPath(at), message: `a message may be at most 32 KB (${MESSAGE_LIMIT_BYTES} bytes); this one is ${size} bytes` }] };
  const type: unknown = (item as { type?: unknown }).type;
  if (type === undefined || type === null) return { issues: [{ path: jsonPath([...at, 'type']), message: 'required: "identify" or "track"' }] };
  if (!supportedTypes.includes(type as MessageType)) {
    return { issues: [{ path: jsonPath([...at, 'type']), message: `${JSON.stringify(type)} is not supported: this API takes "identify" and "track"` }] };
  }
  return { type: type as MessageType };
}

function invalid(reply: FastifyReply, issues: Issue[]) {
  return reply.code(400).send({ error: 'invalid_request', issues });
}

/** The username of `Authorization: Basic base64(user:password)`; '' for anything else. */
export function basicUsername(header: string | undefined): string {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return '';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}
