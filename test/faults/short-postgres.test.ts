/** Postgres stopped (immediate: every connection cut) and started again during ingest and sends. */
import { describe } from 'vitest';
import { shortFaultTest } from './short';

describe('fault: Postgres restarted', () => {
  shortFaultTest('every expected message arrives once and every acknowledged event is routed once', { postgresRestarts: 1 });
});
