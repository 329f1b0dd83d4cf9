/** The API killed mid-batch: the client resends unacknowledged batches with the same messageIds. */
import { describe } from 'vitest';
import { shortFaultTest } from './short';

describe('fault: API killed during batch ingest', () => {
  shortFaultTest('every acknowledged event is stored and routed once and every expected message arrives once', { apiKills: 2, customers: 40, customersPerBatch: 10 });
});
