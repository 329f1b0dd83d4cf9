/** The Temporal dev server restarted on its SQLite file: workflows, timers and the router resume. */
import { describe } from 'vitest';
import { shortFaultTest } from './short';

describe('fault: Temporal dev server restarted', () => {
  shortFaultTest('every expected message arrives once and every acknowledged event is routed once', { temporalRestarts: 1 });
});
