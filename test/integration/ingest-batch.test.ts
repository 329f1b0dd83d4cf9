/**
 * `ingestBatch`, the set-based store behind `POST /v1/batch`: one transaction per batch, with the
 * outcome of storing each message on its own — duplicates, batch order for the router, merges in
 * the middle of a batch, concurrent batches naming the same new people.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityHash } from '../../services/customers/erasure';
import { ingestBatch, ingestMessage, type BatchOutcome, type IngestMessage } from '../../services/customers/ingest';
import { parseMessage } from '../../api/segment-wire-format';
import { rowsOf } from '../../drizzle/client';
import { customerErasures, customerIdentities, customers, erasedIdentities, events } from '../../drizzle/schema';
import { createTestDatabase } from '../setup/harness';

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

function message(type: 'track' | 'identify', fields: Record<string, unknown>): IngestMessage {
  const parsed = parseMessage(
    type,
    { messageId: randomUUID(), ...(type === 'track' ? { event: 'product_viewed' } : {}), ...fields },
    ['$'],
    new Date(),
  );
  if ('issues' in parsed) throw new Error(JSON.stringify(parsed.issues));
  return parsed.message;
}

async function stored(messageIds: string[]) {
  return db.db
    .select({ messageId: events.messageId, customerId: events.customerId, receivedAt: events.receivedAt })
    .from(events)
    .where(inArray(events.messageId, messageIds))
    .orderBy(asc(events.receivedAt), asc(events.id));
}

const statusesOf = (outcomes: BatchOutcome[]) => outcomes.map((o) => o.status);

async function ownerOf(kind: 'app_user' | 'anonymous' | 'email', value: string) {
  const [row] = await db.db
    .select({ customerId: customerIdentities.customerId })
    .from(customerIdentities)
    .where(and(eq(customerIdentities.kind, kind), eq(customerIdentities.value, value)));
  return row?.customerId;
}

describe('ingestBatch', () => {
  it('stores known and new people in one batch, in batch order for the router, and reports a repeated messageId as duplicate', async () => {
    const [known, fresh] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
    const first = message('track', { userId: known });
    await ingestMessage(db.db, first);
    const knownCustomer = await ownerOf('app_user', known);

    const batch = [
      message('track', { userId: known }),
      message('track', { userId: fresh }),
      message('identify', { userId: fresh, traits: { email: `${fresh}@example.com`, firstName: 'Lin' } }),
      message('track', { userId: known }),
    ];
    const repeated = { ...batch[1]! };
    const statuses = statusesOf(await ingestBatch(db.db, [...batch, repeated, first]));
    expect(statuses).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'duplicate', 'duplicate']);

    const rows = await stored(batch.map((m) => m.messageId));
    expect(rows.map((r) => r.messageId)).toEqual(batch.map((m) => m.messageId)); // the router's order is the batch's
    // One transaction for the batch: `received_at` is its start plus a microsecond per position.
    const offsets = rowsOf<{ offset: number }>(
      await db.db.execute(sql`
        select (extract(epoch from received_at - min(received_at) over ()) * 1000000)::int as offset
        from ${events} where ${inArray(
          events.messageId,
          batch.map((m) => m.messageId),
        )} order by received_at`),
    );
    expect(offsets.map((o) => o.offset)).toEqual([0, 1, 2, 3]);
    const freshCustomer = await ownerOf('app_user', fresh);
    expect(await ownerOf('email', `${fresh}@example.com`)).toBe(freshCustomer);
    expect(rows.map((r) => r.customerId)).toEqual([knownCustomer, freshCustomer, freshCustomer, knownCustomer]);
    const [profile] = await db.db
      .select({ traits: customers.traits })
      .from(customers)
      .where(eq(customers.id, freshCustomer!));
    expect(profile?.traits).toEqual({ firstName: 'Lin' });
  });

  it('a message that merges two customers mid-batch: the rows before and after it all end on the survivor', async () => {
    const [userId, anonymousId] = [`u-${randomUUID()}`, `a-${randomUUID()}`];
    await ingestMessage(db.db, message('track', { userId }));
    await ingestMessage(db.db, message('track', { anonymousId }));
    const [older, younger] = [await ownerOf('app_user', userId), await ownerOf('anonymous', anonymousId)];
    expect(older).not.toBe(younger);

    const batch = [
      message('track', { anonymousId }),
      message('track', { userId, anonymousId }),
      message('track', { anonymousId }),
    ];
    expect(statusesOf(await ingestBatch(db.db, batch))).toEqual(['accepted', 'accepted', 'accepted']);
    const rows = await stored(batch.map((m) => m.messageId));
    expect(rows.map((r) => r.customerId)).toEqual([older, older, older]);
    expect(await db.db.select().from(customers).where(eq(customers.id, younger!))).toEqual([]);
  });

  it('a batch sent again is all duplicates and stores nothing twice', async () => {
    const batch = Array.from({ length: 5 }, (_, i) => message('track', { userId: `u-resend-${i}` }));
    expect(statusesOf(await ingestBatch(db.db, batch))).toEqual(batch.map(() => 'accepted'));
    expect(statusesOf(await ingestBatch(db.db, batch))).toEqual(batch.map(() => 'duplicate'));
    expect(await stored(batch.map((m) => m.messageId))).toHaveLength(5);
  });

  it('concurrent batches naming the same new people create each person once, and every row points to them', async () => {
    const people = Array.from({ length: 20 }, () => `u-${randomUUID()}`);
    const batches = Array.from({ length: 4 }, (_, b) =>
      people.map((userId, i) =>
        i % 4 === b ? message('identify', { userId, traits: { batch: b } }) : message('track', { userId }),
      ),
    );
    const statuses = await Promise.all(batches.map(async (batch) => statusesOf(await ingestBatch(db.db, batch))));
    expect(statuses.flat()).toEqual(batches.flat().map(() => 'accepted'));
    const owners = await db.db
      .select({ value: customerIdentities.value, customerId: customerIdentities.customerId })
      .from(customerIdentities)
      .where(inArray(customerIdentities.value, people));
    expect(owners).toHaveLength(people.length);
    const ownerBy = new Map(owners.map((o) => [o.value, o.customerId]));
    const rows = await stored(batches.flat().map((m) => m.messageId));
    expect(rows).toHaveLength(80);
    const byMessage = new Map(rows.map((r) => [r.messageId, r.customerId]));
    for (const batch of batches)
      for (const m of batch) expect(byMessage.get(m.messageId)).toBe(ownerBy.get(m.identities[0]!.value));
  });
  it('refuses the messages of an erased person in batch order: refused until one re-consents, accepted from then on', async () => {
    const secret = 'ingest-batch-test-erasure-secret-0000000000';
    const email = `erased-${randomUUID()}@example.com`;
    const [erasure] = await db.db
      .insert(customerErasures)
      .values({ customerId: randomUUID(), reason: 'ingest-batch test' })
      .returning();
    await db.db
      .insert(erasedIdentities)
      .values({ hash: identityHash(secret, { kind: 'email', value: email }), erasureId: erasure!.id });
    const other = message('track', { userId: `u-${randomUUID()}` });
    const before = message('identify', { anonymousId: `a-${randomUUID()}`, traits: { email } });
    const consent = message('identify', {
      anonymousId: `a-${randomUUID()}`,
      traits: { email },
      context: { consent: { given: true } },
    });
    const after = message('identify', { anonymousId: `a-${randomUUID()}`, traits: { email } });
    const outcomes = await ingestBatch(db.db, [before, other, consent, after], secret);
    expect(outcomes).toEqual([
      { status: 'refused', refusedKinds: ['email'] },
      { status: 'accepted' },
      { status: 'accepted' },
      { status: 'accepted' },
    ]);
    expect(
      (await stored([before, other, consent, after].map((m) => m.messageId))).map((r) => r.messageId).sort(),
    ).toEqual([other, consent, after].map((m) => m.messageId).sort());
    expect(
      await db.db
        .select()
        .from(erasedIdentities)
        .where(eq(erasedIdentities.hash, identityHash(secret, { kind: 'email', value: email }))),
    ).toEqual([]);
    expect(statusesOf(await ingestBatch(db.db, [before], secret))).toEqual(['accepted']);
  });
  it('creates the people a batch sees first through plain track calls together: one customer per person, owning all its identities', async () => {
    const people = Array.from({ length: 5 }, () => ({ userId: `u-${randomUUID()}`, anonymousId: `a-${randomUUID()}` }));
    const batch = [...people, ...people].map((person, i) =>
      message('track', i < people.length ? person : { userId: person.userId }),
    );
    expect(statusesOf(await ingestBatch(db.db, batch))).toEqual(batch.map(() => 'accepted'));
    const rows = await stored(batch.map((m) => m.messageId));
    for (const person of people) {
      const owner = await ownerOf('app_user', person.userId);
      expect(owner).toBeDefined();
      expect(await ownerOf('anonymous', person.anonymousId)).toBe(owner);
      expect(rows.filter((r) => r.customerId === owner)).toHaveLength(2);
    }
    expect(new Set(rows.map((r) => r.customerId)).size).toBe(people.length);
  });
});
