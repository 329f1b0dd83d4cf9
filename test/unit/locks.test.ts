import { describe, expect, it } from 'vitest';
import { singleKeyLocks, twoKeyLockClasses } from '../../drizzle/locks';

describe('advisory lock ids', () => {
  const all = [...Object.values(singleKeyLocks), ...Object.values(twoKeyLockClasses)];

  it('are distinct, single keys and two-key classes together', () => {
    expect(new Set(all).size).toBe(all.length);
  });

  it('fit the key type they are passed as (two-key classes are int4)', () => {
    for (const id of Object.values(twoKeyLockClasses)) expect(id).toBe(id | 0);
    for (const id of Object.values(singleKeyLocks)) expect(Number.isSafeInteger(id)).toBe(true);
  });
});
