/**
 * Every Postgres advisory lock Perennial takes, in one module so no two uses share an id (a shared
 * id makes unrelated work wait on each other). Postgres keeps the single-key (bigint) and the
 * two-key (int4, int4) forms apart, but ids here are distinct across both so a reader never has to
 * know that. test/unit/locks.test.ts checks they are.
 */

/** `pg_advisory_lock(id)` / `pg_try_advisory_xact_lock(id)`: one lock per id. */
export const singleKeyLocks = {
  /** Session lock while migrations run: concurrent boots wait (drizzle/migrate.ts). */
  migration: 727_274,
  /** One event-router batch at a time cluster-wide (worker/router.ts). */
  router: 727_275,
} as const;

/** `pg_advisory_xact_lock(class, hashtext(key))`: one lock per key within a class. */
export const twoKeyLockClasses = {
  /** Identities being claimed by an ingest batch, keyed by `<kind>:<value>` (services/customers/ingest). */
  identities: 727_276,
  /** One membership writer per segment, keyed by segment id (services/segments/membership.ts). */
  segmentMembership: 727_277,
} as const;
