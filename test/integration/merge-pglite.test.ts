/**
 * Merges on the embedded PGlite driver (`npm start` without DATABASE_URL): the same ingest path,
 * row locks, jsonb history and survivor lookup as on Postgres.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestMessage } from '../../services/customers/ingest';
import { parseMessage } from '../../api/segment-wire-format';
import { survivorOf, type MergeMoved } from '../../services/customers/merge';
import type { DbHandle } from '../../drizzle/client';
import { customerIdentities, customerMerges, customers, events } from '../../drizzle/schema';
import { createPgliteDatabase } from '../setup/harness';

let handle: DbHandle;

beforeAll(async () => {
  handle = await createPgliteDatabase();
});
afterAll(async () => {
  await handle?.close();
});

async function ingest(type: 'identify' | 'track', body: Record<string, unknown>) {
  const parsed = parseMessage(type, body, ['$'], new Date());
  if (!('message' in parsed)) throw new Error(JSON.stringify(parsed.issues));
  return ingestMessage(handle.db, parsed.message);
}

describe('merges on PGlite', () => {
  it('an identify joining a WeChat visitor and an app user merges them into the older, keeping history', async () => {
    const first = await ingest('identify', {
      anonymousId: 'anon-pglite',
      traits: { wechatOpenId: 'oWxPglite01', city: 'Hangzhou' },
    });
    const second = await ingest('track', { userId: 'user-pglite', event: 'app_opened' });
    expect(first.customerId).not.toBe(second.customerId);

    const joined = await ingest('identify', {
      userId: 'user-pglite',
      messageId: 'join-pglite',
      context: { externalIds: [{ id: 'oWxPglite01', type: 'wechat_openid', collection: 'users', encoding: 'none' }] },
    });
    expect(joined).toMatchObject({ status: 'accepted', customerId: first.customerId });
    expect(joined.merges?.map((m) => [m.survivorId, m.mergedId])).toEqual([[first.customerId, second.customerId]]);
    expect(await handle.db.select().from(customers).where(eq(customers.id, second.customerId!))).toEqual([]);
    const kinds = (
      await handle.db.select().from(customerIdentities).where(eq(customerIdentities.customerId, first.customerId!))
    )
      .map((i) => i.kind)
      .sort();
    expect(kinds).toEqual(['anonymous', 'app_user', 'wechat_openid']);
    expect(
      (await handle.db.select().from(events).where(eq(events.customerId, first.customerId!))).map((e) => e.name).sort(),
    ).toEqual(['app_opened', 'identify', 'identify']);
    const [merge] = await handle.db.select().from(customerMerges);
    expect(merge).toMatchObject({
      survivorId: first.customerId,
      mergedId: second.customerId,
      eventMessageId: 'join-pglite',
    });
    expect((merge!.moved as unknown as MergeMoved).counts.events).toBe(1);
    expect(await survivorOf(handle.db, second.customerId!)).toBe(first.customerId);
  });
});
