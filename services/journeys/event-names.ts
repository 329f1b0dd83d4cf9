/**
 * What a journey save or publish answers next to success: `warnings`, today the entry, goal and
 * waitForEvent events no one has sent yet (with the closest known names: a typo, or `lead_captured`
 * for `Lead Captured`). Known names: those stored in `events`, and those the library's journeys
 * listen to.
 *
 * Reading the distinct names scans `events` (0.5–0.9 s at 500,000 rows), so a process reads them at
 * most once a minute: a name first received less than a minute ago may still be warned about.
 */
import type { Db } from '../../drizzle/client';
import { events } from '../../drizzle/schema';
import { unknownEventWarnings } from '../../domain/journey/event-names';
import type { JourneyDefinition } from '../../domain/journey/definition';
import type { ValidationIssue } from '../../domain/journey/issues';
import { library } from '../../library';

/** Suggestions come from this many stored names at most (a brand has dozens). */
const MAX_KNOWN_NAMES = 2000;
const KNOWN_NAMES_TTL_MS = 60_000;

export function createJourneyWarnings(deps: { db: Pick<Db, 'selectDistinct'>; clock?: () => Date }) {
  const clock = deps.clock ?? (() => new Date());
  let cached: { names: Promise<string[]>; at: number } | undefined;

  async function readKnownNames(): Promise<string[]> {
    const stored = await deps.db.selectDistinct({ name: events.name }).from(events).limit(MAX_KNOWN_NAMES);
    return [...new Set([...stored.map((row) => row.name), ...library.flatMap((entry) => entry.events)])];
  }

  function knownEventNames(): Promise<string[]> {
    const now = clock().getTime();
    if (!cached || now - cached.at >= KNOWN_NAMES_TTL_MS) {
      const names = readKnownNames();
      cached = { names, at: now };
      // A failed read is not kept: the next save tries again.
      names.catch(() => {
        if (cached?.names === names) cached = undefined;
      });
    }
    return cached.names;
  }

  return {
    async of(definition: JourneyDefinition): Promise<ValidationIssue[]> {
      return unknownEventWarnings(definition, await knownEventNames());
    },
  };
}
