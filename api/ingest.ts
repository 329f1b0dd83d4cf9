/**
 * Segment-compatible ingest: `POST /v1/identify`, `/v1/track`, `/v1/batch`, authenticated by a write
 * (or admin) key as the HTTP Basic username — what Segment's SDKs send. Each accepted message is
 * resolved to a customer and stored in `events` before the response; the worker's router delivers
 * it from there (`routed_at is null`). A repeated `messageId` is a no-op.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errors } from './schemas/common';
import { batchResults, erasedIdentity, ingested, tooLarge } from './schemas/ingest';
import { z } from 'zod';
import { rowsOf, type Db } from '../drizzle/client';
import { customerIdentities, customers, events, type ApiKeyKind } from '../drizzle/schema';
import {
  identitiesOf,
  mergeTraits,
  normalizeDeviceSerial,
  normalizeEmail,
  normalizeMarketplaceId,
  normalizePhone,
  normalizeWechatOpenId,
  resolveCustomer,
  type Identity,
  type Resolution,
  type Tx,
} from './identity';
import type { MergeOutcome } from './merge';
import { carriesReconsent, erasureGate, erasureGateBatch } from './erasure';
import { documentOnly, jsonPath, writeSecurity, type Issue } from './http';
import { applyProfileEffects, profileEvents, profileIssues } from './profile-effects';

/** Segment's limits: 32 KB per message, 500 KB per batch request. */
export const MESSAGE_LIMIT_BYTES = 32 * 1024;
export const BATCH_LIMIT_BYTES = 500 * 1024;

export const supportedTypes = ['identify', 'track'] as const;
export type MessageType = (typeof supportedTypes)[number];

export interface IngestOptions {
  db: Db;
  verifyKey: (plaintext: string) => Promise<ApiKeyKind | null>;
  clock: () => Date;
  /** Keys the hashes of erased identities (api/erasure.ts): messages naming one are refused. */
  erasureSecret: string;
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
  /** Explicit re-consent (api/erasure.ts `carriesReconsent`): lets an erased identity back in. */
  reconsent: boolean;
}

/** `refused`: the message names an identity of an erased customer and carries no re-consent; nothing was stored. */
export type IngestStatus = 'accepted' | 'duplicate' | 'refused';

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
  timestamp: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone, like 2024-05-01T09:30:00Z' })
    .nullish(),
  context: jsonObject.nullish(),
};
const schemas = {
  track: z.object({
    ...common,
    type: z.literal('track', { error: 'must be "track"' }).nullish(),
    event: z
      .string({
        error: (issue) =>
          issue.input === undefined || issue.input === null ? 'required: the event name' : 'must be a string',
      })
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
export function parseMessage(
  type: MessageType,
  input: unknown,
  at: readonly PropertyKey[],
  now: Date,
): { message: IngestMessage } | { issues: Issue[] } {
  const path = (...rest: PropertyKey[]) => jsonPath([...at, ...rest]);
  const parsed = schemas[type].safeParse(input);
  if (!parsed.success)
    return { issues: parsed.error.issues.map((issue) => ({ path: path(...issue.path), message: issue.message })) };
  const data = parsed.data;
  const issues: Issue[] = [];
  if (!data.userId && !data.anonymousId)
    issues.push({ path: path('userId'), message: 'userId or anonymousId is required' });

  const given = 'traits' in data ? (data.traits ?? {}) : {};
  const { email: rawEmail, phone: rawPhone, marketplaceId, wechatOpenId, deviceSerial, ...traits } = given;
  const email = normalized(rawEmail, normalizeEmail, path('traits', 'email'), problems.email, issues);
  const phone = normalized(rawPhone, normalizePhone, path('traits', 'phone'), problems.phone, issues);
  const more: Identity[] = [];
  const traitIdentities = {
    marketplace: ['marketplaceId', marketplaceId],
    wechat_openid: ['wechatOpenId', wechatOpenId],
    device_serial: ['deviceSerial', deviceSerial],
  } as const;
  for (const [kind, [name, raw]] of Object.entries(traitIdentities) as [
    keyof typeof traitIdentities,
    readonly [string, unknown],
  ][]) {
    const value = normalized(raw, normalizers[kind], path('traits', name), problems[kind], issues);
    if (value !== undefined) more.push({ kind, value });
  }
  more.push(...externalIdentities(data.context?.externalIds, path, issues));
  issues.push(
    ...profileIssues(
      type,
      'event' in data ? data.event : 'identify',
      'event' in data ? (data.properties ?? {}) : given,
      at,
    ),
  );
  if (issues.length > 0) return { issues };

  return {
    message: {
      type,
      messageId: data.messageId ?? randomUUID(),
      name: 'event' in data ? data.event : 'identify',
      occurredAt: data.timestamp ? new Date(data.timestamp) : now,
      properties: 'event' in data ? (data.properties ?? {}) : given,
      traits: type === 'identify' ? traits : {},
      identities: identitiesOf({
        userId: data.userId ?? undefined,
        anonymousId: data.anonymousId ?? undefined,
        email,
        phone,
        more,
      }),
      reconsent: carriesReconsent('event' in data ? data.event : 'identify', data.context),
    },
  };
}

const problems = {
  email: 'not an email address',
  phone: 'not a phone number in international format (+ country code and number)',
  marketplace: 'not a marketplace id: "<marketplace>:<buyer id>", like "tmall:buyer-123"',
  wechat_openid: 'not a WeChat openid: 6-64 letters, digits, "-" or "_"',
  device_serial: 'not a device serial: 3-64 letters, digits, ".", "_", ":" or "-"',
} as const;
const normalizers = {
  email: normalizeEmail,
  phone: normalizePhone,
  marketplace: normalizeMarketplaceId,
  wechat_openid: normalizeWechatOpenId,
  device_serial: normalizeDeviceSerial,
} as const;
/** Segment `context.externalIds[].type` → identity kind. */
export const externalIdTypes = {
  email: 'email',
  phone: 'phone',
  marketplace_id: 'marketplace',
  wechat_openid: 'wechat_openid',
  device_serial: 'device_serial',
} as const;

/**
 * `context.externalIds` as Segment sends them: `[{ id, type, collection: 'users', encoding: 'none' }]`.
 * Types: see `externalIdTypes`; other collections than `users` and other encodings are refused.
 */
function externalIdentities(raw: unknown, path: (...rest: PropertyKey[]) => string, issues: Issue[]): Identity[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.push({
      path: path('context', 'externalIds'),
      message: 'must be an array of {id, type, collection, encoding}',
    });
    return [];
  }
  const found: Identity[] = [];
  for (const [index, item] of raw.entries()) {
    const at = (...rest: PropertyKey[]) => path('context', 'externalIds', index, ...rest);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      issues.push({ path: at(), message: 'must be a JSON object: {id, type, collection, encoding}' });
      continue;
    }
    const { id, type, collection, encoding } = item as Record<string, unknown>;
    const kind =
      typeof type === 'string' && Object.hasOwn(externalIdTypes, type)
        ? externalIdTypes[type as keyof typeof externalIdTypes]
        : undefined;
    if (kind === undefined)
      issues.push({
        path: at('type'),
        message: `must be one of ${Object.keys(externalIdTypes)
          .map((t) => `"${t}"`)
          .join(', ')}`,
      });
    if (collection !== undefined && collection !== null && collection !== 'users')
      issues.push({ path: at('collection'), message: 'must be "users"' });
    if (encoding !== undefined && encoding !== null && encoding !== 'none')
      issues.push({ path: at('encoding'), message: 'must be "none"' });
    if (id === undefined || id === null || id === '') {
      issues.push({ path: at('id'), message: 'required: the identifier' });
      continue;
    }
    if (kind === undefined) continue;
    const value = normalized(id, normalizers[kind], at('id'), problems[kind], issues);
    if (value !== undefined) found.push({ kind, value });
  }
  return found;
}

function normalized(
  raw: unknown,
  normalize: (value: string) => string | null,
  path: string,
  problem: string,
  issues: Issue[],
): string | undefined {
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
export async function ingestMessage(
  db: Db,
  message: IngestMessage,
  erasureSecret?: string,
): Promise<{ status: IngestStatus; customerId?: string; merges?: MergeOutcome[]; refusedKinds?: string[] }> {
  return withRetries(() =>
    db.transaction(async (tx) => {
      if (erasureSecret !== undefined) {
        const gate = await erasureGate(tx, erasureSecret, message.identities, message.reconsent);
        if (gate.refused) return { status: 'refused' as const, refusedKinds: gate.kinds };
      }
      const [row] = await tx
        .insert(events)
        .values({
          messageId: message.messageId,
          name: message.name,
          properties: message.properties,
          occurredAt: message.occurredAt,
        })
        .onConflictDoNothing({ target: events.messageId })
        .returning({ id: events.id });
      if (!row) return { status: 'duplicate' as const };
      const { customerId, merges } = await resolveAndApply(tx, message, row.id);
      return { status: 'accepted' as const, customerId, merges };
    }),
  );
}

/** A concurrent merge deleted the customer a message resolved to (foreign key), or two merges met in an unusual order (deadlock): the whole transaction is retried from the start. */
async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5 || !retryable(error)) throw error;
    }
  }
}

/** What a stored message does, after its event row is in: the customer resolved, traits and profile effects written, the row pointed at the customer. */
async function resolveAndApply(tx: Tx, message: IngestMessage, eventId: string): Promise<Resolution> {
  const resolution = await resolveCustomer(tx, message.identities, message.messageId);
  if (message.type === 'identify') await mergeTraits(tx, resolution.customerId, message.traits);
  await applyProfileEffects(tx, resolution.customerId, eventId, message);
  await tx.update(events).set({ customerId: resolution.customerId }).where(eq(events.id, eventId));
  return resolution;
}

/**
 * Stores a batch's messages in one transaction, with the outcome (and the per-customer order) of
 * storing them one by one with `ingestMessage`:
 *
 * - the event rows in one multi-row INSERT (`message_id` decides duplicates, within the batch too),
 *   `received_at` a microsecond apart in batch order, so the router delivers them in that order;
 * - the owners of every identity named, in one SELECT;
 * - a track call of no profile effect whose identities all belong to one known customer only points its
 *   row at that customer (what `resolveCustomer` would find, without writing anything), all such rows
 *   in one UPDATE;
 * - any other message (a new or unknown identity, a merge, identify traits, profile events) goes
 *   through the same per-message functions as `ingestMessage`, in batch order, after the rows
 *   pointed so far are written.
 *
 * A batch that fails for a reason a retry could cure is retried whole; one that keeps failing is
 * stored message by message (`ingestMessage`), as before batching.
 */
export async function ingestBatch(
  db: Db,
  messages: readonly IngestMessage[],
  erasureSecret?: string,
): Promise<BatchOutcome[]> {
  if (messages.length === 0) return [];
  try {
    return await withRetries(() => db.transaction((tx) => storeBatch(tx, messages, erasureSecret)));
  } catch {
    const outcomes: BatchOutcome[] = [];
    for (const message of messages) {
      const { status, refusedKinds } = await ingestMessage(db, message, erasureSecret);
      outcomes.push({ status, ...(refusedKinds && { refusedKinds }) });
    }
    return outcomes;
  }
}

export interface BatchOutcome {
  status: IngestStatus;
  /** Identity kinds of an erased customer that a refused message named. */
  refusedKinds?: string[];
}

async function storeBatch(tx: Tx, messages: readonly IngestMessage[], erasureSecret?: string): Promise<BatchOutcome[]> {
  // Messages naming an erased person are refused before anything is stored (see api/erasure.ts).
  const gates = erasureSecret === undefined ? undefined : await erasureGateBatch(tx, erasureSecret, messages);
  const firsts = new Map<string, number>(); // messageId → index of its first occurrence in the batch
  messages.forEach((m, i) => {
    if (!gates?.[i]?.refused && !firsts.has(m.messageId)) firsts.set(m.messageId, i);
  });
  const unique = [...firsts.values()];
  const rows = unique.map((i, order) => {
    const m = messages[i]!;
    return {
      messageId: m.messageId,
      name: m.name,
      properties: m.properties,
      occurredAt: m.occurredAt,
      receivedAt: sql`now() + ${order}::int * interval '1 microsecond'`,
    };
  });
  // Every message refused leaves nothing to insert (an empty VALUES list is not SQL).
  const inserted =
    rows.length === 0
      ? []
      : await tx
          .insert(events)
          .values(rows)
          .onConflictDoNothing({ target: events.messageId })
          .returning({ id: events.id, messageId: events.messageId });
  const eventIds = new Map(inserted.map((row) => [row.messageId, row.id]));
  const stored = unique.filter((i) => eventIds.has(messages[i]!.messageId));

  const named = stored.flatMap((i) => messages[i]!.identities);
  let owners = await ownersOfMany(tx, named);
  const unknown = named.filter((identity) => !owners.has(identityKey(identity)));
  if (unknown.length > 0) {
    // Concurrent batches naming the same new people would claim them in their own batch orders and
    // deadlock (each waits for the other's whole batch). Taking them in one global order instead,
    // a batch waits for the one that got there first, then finds those people known.
    await lockIdentities(tx, unknown);
    owners = await ownersOfMany(tx, named);
  }
  let pending: { id: string; customerId: string }[] = [];
  // People first seen in this batch through plain track calls: created together at the next flush.
  let newCustomers: { id: string }[] = [];
  let newIdentities: (Identity & { customerId: string })[] = [];
  const flush = async () => {
    if (newCustomers.length > 0) {
      await tx.insert(customers).values(newCustomers);
      const claimed = await tx
        .insert(customerIdentities)
        .values(newIdentities)
        .onConflictDoNothing()
        .returning({ kind: customerIdentities.kind });
      // A single-message ingest (no batch lock) claimed one of them meanwhile: start the batch again,
      // it will find that person known.
      if (claimed.length < newIdentities.length) throw new IdentityClaimedMeanwhile();
      newCustomers = [];
      newIdentities = [];
    }
    if (pending.length === 0) return;
    await tx.execute(sql`
      update ${events} set customer_id = v."customerId"
      from jsonb_to_recordset(${JSON.stringify(pending)}::jsonb) as v(id uuid, "customerId" uuid)
      where ${events.id} = v.id`);
    pending = [];
  };
  for (const [position, i] of stored.entries()) {
    const message = messages[i]!;
    const eventId = eventIds.get(message.messageId)!;
    const known = message.identities.map((identity) => owners.get(identityKey(identity)));
    const customerIds = new Set(known);
    const [only] = customerIds;
    const plainTrack = message.type === 'track' && !Object.hasOwn(profileEvents, message.name);
    if (plainTrack && customerIds.size === 1 && only !== undefined) {
      pending.push({ id: eventId, customerId: only });
      continue;
    }
    if (plainTrack && customerIds.size === 1 && only === undefined) {
      // Nobody known by any of its identities: what `resolveCustomer` would do — a new customer
      // owning them all — planned here and written in bulk.
      const customerId = randomUUID();
      newCustomers.push({ id: customerId });
      const distinct = new Map(message.identities.map((identity) => [identityKey(identity), identity]));
      for (const [key, identity] of distinct) {
        newIdentities.push({ ...identity, customerId });
        owners.set(key, customerId);
      }
      pending.push({ id: eventId, customerId });
      continue;
    }
    await flush();
    const resolution = await resolveAndApply(tx, message, eventId);
    if (resolution.merges.length > 0) {
      // Customers merged away: the owners of the messages still to come are read again.
      owners = await ownersOfMany(
        tx,
        stored.slice(position + 1).flatMap((j) => messages[j]!.identities),
      );
    } else {
      for (const identity of message.identities) owners.set(identityKey(identity), resolution.customerId);
    }
  }
  await flush();
  return messages.map((m, i): BatchOutcome => {
    const gate = gates?.[i];
    if (gate?.refused) return { status: 'refused', refusedKinds: gate.kinds };
    return { status: firsts.get(m.messageId) === i && eventIds.has(m.messageId) ? 'accepted' : 'duplicate' };
  });
}

const IDENTITY_LOCKS = 727_276; // advisory lock class (two-key form) of identities being claimed by a batch

/** Transaction-scoped advisory locks on `identities`, taken in the order of their keys. */
async function lockIdentities(tx: Tx, identities: readonly Identity[]): Promise<void> {
  const keys = JSON.stringify([...new Set(identities.map((identity) => `${identity.kind}:${identity.value}`))]);
  await tx.execute(sql`
    select count(pg_advisory_xact_lock(${IDENTITY_LOCKS}, h)) from (
      select distinct hashtext(k) as h from jsonb_array_elements_text(${keys}::jsonb) as k order by h
    ) as sorted`);
}

/** `ownersOf` for many identities at once (one statement, however many). */
async function ownersOfMany(tx: Tx, identities: readonly Identity[]): Promise<Map<string, string>> {
  if (identities.length === 0) return new Map();
  const wanted = JSON.stringify(identities.map(({ kind, value }) => ({ kind, value })));
  const rows = rowsOf<{ kind: Identity['kind']; value: string; customer_id: string }>(
    await tx.execute(sql`
      select i.kind, i.value, i.customer_id from ${customerIdentities} i
      join (select distinct kind, value from jsonb_to_recordset(${wanted}::jsonb) as w(kind text, value text)) w on i.kind = w.kind and i.value = w.value`),
  );
  return new Map(rows.map((row) => [identityKey(row), row.customer_id]));
}

function identityKey(identity: Identity): string {
  return `${identity.kind}\u0000${identity.value}`;
}

const RETRYABLE_CODES = new Set(['40P01', '40001', '23503']);
/** Retried like a serialization failure (SQLSTATE 40001): the batch is stored again from the start. */
class IdentityClaimedMeanwhile extends Error {
  readonly code = '40001';
  constructor() {
    super('an identity new to this batch was claimed by a concurrent request');
  }
}

function retryable(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
  }
  return false;
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

/** The username of `Authorization: Basic base64(user:password)`; '' for anything else. */
export function basicUsername(header: string | undefined): string {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return '';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}
