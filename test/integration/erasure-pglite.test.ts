/**
 * Erasure on the embedded PGlite driver (`npm start` without DATABASE_URL): one connection, so the
 * erasure transaction, the ingest gate and the activities' erased-customer guard must use `tx` only.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { eraseCustomer } from '../../services/customers/erasure';
import { ingestMessage } from '../../services/customers/ingest';
import { parseMessage } from '../../api/segment-wire-format';
import { rowsOf, type DbHandle } from '../../drizzle/client';
import { customerIdentities, customers, events } from '../../drizzle/schema';
import { createPgliteDatabase } from '../setup/harness';

const SECRET = 'erasure-pglite-secret-0123456789abcdef';
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
  return ingestMessage(handle.db, parsed.message, SECRET);
}

describe('erasure on PGlite', () => {
  it('erases a merged customer, refuses its identities, lets re-consent in, and guards late writes', async () => {
    const first = await ingest('identify', { userId: 'pg-user', traits: { email: 'pg.erase@example.org' } });
    const second = await ingest('identify', { anonymousId: 'pg-anon', traits: { phone: '+8613900001111' } });
    await ingest('identify', { userId: 'pg-user', anonymousId: 'pg-anon' }); // merges the second into the first
    await ingest('track', { userId: 'pg-user', event: 'Order Completed', properties: { order_id: 'pg-1', total: 10 } });
    const id = first.customerId!;

    const outcome = await eraseCustomer(handle.db, { customerId: id, reason: 'pglite', secret: SECRET });
    expect(outcome).toMatchObject({
      status: 'erased',
      erasure: { customerId: id, mergedIds: [second.customerId], counts: { identities: 4, orders: 1, merges: 1 } },
    });
    expect(
      await eraseCustomer(handle.db, { customerId: second.customerId!, reason: 'again', secret: SECRET }),
    ).toMatchObject({ status: 'already-erased' });
    expect(await handle.db.select().from(customers)).toEqual([]);
    expect(await handle.db.select().from(events)).toEqual([]);

    expect(
      await ingest('track', {
        anonymousId: 'someone',
        event: 'x',
        context: { externalIds: [{ id: '+86 139 0000 1111', type: 'phone' }] },
      }),
    ).toMatchObject({ status: 'refused', refusedKinds: ['phone'] });
    const back = await ingest('track', { userId: 'pg-user', event: 'Consent Given' });
    expect(back.status).toBe('accepted');
    expect(
      (await handle.db.select().from(customerIdentities).where(eq(customerIdentities.value, 'pg-user')))[0]?.customerId,
    ).toBe(back.customerId);

    const activities = createActivities({
      db: handle.db,
      transports: {},
      clock: () => new Date(),
      publicUrl: 'http://127.0.0.1',
    });
    await activities.recordEnrollmentProgress({
      enrollmentId: '00000000-0000-4000-8000-000000000001',
      journeyId: 'j',
      journeyVersion: 1,
      customerId: second.customerId!,
      enrollmentKey: 'default',
      workflowId: 'w',
      status: 'cancelled',
      currentStep: null,
      nextWakeAt: null,
      path: [],
      enteredAt: new Date().toISOString(),
      exitedAt: null,
      exitReason: 'erased',
      convertedAt: null,
    });
    expect(rowsOf(await handle.db.execute(sql`select id from enrollments`))).toEqual([]);
  });
});
