/**
 * The marketing messages a frequency cap counts for a customer since a moment: the one read the send
 * activity makes inside its ledger-claim transaction and the simulator makes against the stored ledger.
 */
import { and, eq, gte, inArray } from 'drizzle-orm';
import type { Db } from '../../drizzle/client';
import { messages } from '../../drizzle/schema';
import { capCountedStatuses } from '../../domain/messaging';
import type { Tx } from '../customers/identity';

export function capCountedSends(db: Db | Tx, customerId: string, since: Date) {
  return db
    .select({ at: messages.createdAt, channel: messages.channel })
    .from(messages)
    .where(
      and(
        eq(messages.customerId, customerId),
        eq(messages.kind, 'marketing'),
        inArray(messages.status, capCountedStatuses),
        gte(messages.createdAt, since),
      ),
    );
}
