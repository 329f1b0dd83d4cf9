/** SIGKILL the worker mid-journey and start it again: no message twice, none lost, all routed. */
import { describe } from 'vitest';
import { shortFaultTest } from './short';

describe('fault: worker killed with SIGKILL', () => {
  shortFaultTest('every expected message arrives once and every acknowledged event is routed once', { workerKills: 1 });
});
