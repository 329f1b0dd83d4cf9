/**
 * Storing ingested messages (the wire format is api/segment-wire-format.ts): each message is
 * resolved to a customer and stored in `events` in one transaction; a batch takes the advisory
 * locks of its identities in key order, so concurrent batches naming the same people serialise
 * instead of deadlocking. A repeated `messageId` is a no-op.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { twoKeyLockClasses } from '../../drizzle/locks';
import { rowsOf, type Db } from '../../drizzle/client';
import { customerIdentities, customers, events } from '../../drizzle/schema';
import { mergeTraits, resolveCustomer, type Identity, type Resolution, type Tx } from './identity';
import type { MergeOutcome } from './merge';
import { erasureGate, erasureGateBatch } from './erasure';
import { applyProfileEffects } from './profile-effects';
import { profileEvents } from './profile-schemas';

export const supportedTypes = ['identify', 'track'] as const;
export type MessageType = (typeof supportedTypes)[number];

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

/** Transaction-scoped advisory locks on `identities`, taken in the order of their keys. */
async function lockIdentities(tx: Tx, identities: readonly Identity[]): Promise<void> {
  const keys = JSON.stringify([...new Set(identities.map((identity) => `${identity.kind}:${identity.value}`))]);
  await tx.execute(sql`
    select count(pg_advisory_xact_lock(${twoKeyLockClasses.identities}, h)) from (
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
