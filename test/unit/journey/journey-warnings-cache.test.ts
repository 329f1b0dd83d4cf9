import { describe, expect, it } from 'vitest';
import type { Db } from '../../../drizzle/client';
import { createJourneyWarnings } from '../../../services/journeys/event-names';
import type { JourneyDefinition } from '../../../domain/journey/definition';

/** A stand-in for drizzle's selectDistinct chain that counts the reads and answers the names given. */
function fakeEvents(names: string[][]) {
  let reads = 0;
  const db = {
    selectDistinct: () => ({
      from: () => ({ limit: async () => (names[Math.min(reads++, names.length - 1)] ?? []).map((name) => ({ name })) }),
    }),
  } as unknown as Pick<Db, 'selectDistinct'>;
  return { db, reads: () => reads };
}

const entering = (event: string) =>
  ({
    name: 'J',
    entry: { type: 'event', event },
    goals: [],
    start: 'done',
    steps: { done: { type: 'exit' } },
    settings: {},
  }) as unknown as JourneyDefinition;

describe('journey warnings: known event names', () => {
  it('reads the stored names at most once a minute, then sees names received since', async () => {
    let now = new Date('2026-12-05T10:00:00Z');
    const events = fakeEvents([['Coupon Clipped'], ['Coupon Clipped', 'Filter Ordered']]);
    const warnings = createJourneyWarnings({ db: events.db, clock: () => now });

    expect(await warnings.of(entering('Filter Ordered'))).toHaveLength(1);
    now = new Date('2026-12-05T10:00:59Z');
    expect(await warnings.of(entering('Filter Ordered'))).toHaveLength(1);
    expect(events.reads()).toBe(1);

    now = new Date('2026-12-05T10:01:00Z');
    expect(await warnings.of(entering('Filter Ordered'))).toEqual([]);
    expect(events.reads()).toBe(2);
  });

  it('does not keep a failed read: the next save reads again', async () => {
    let reads = 0;
    const db = {
      selectDistinct: () => ({
        from: () => ({
          limit: async () => {
            if (reads++ === 0) throw new Error('connection lost');
            return [{ name: 'Coupon Clipped' }];
          },
        }),
      }),
    } as unknown as Pick<Db, 'selectDistinct'>;
    const warnings = createJourneyWarnings({ db, clock: () => new Date('2026-12-05T10:00:00Z') });
    await expect(warnings.of(entering('Coupon Clipped'))).rejects.toThrow('connection lost');
    expect(await warnings.of(entering('Coupon Clipped'))).toEqual([]);
    expect(reads).toBe(2);
  });
});
