/**
 * What a journey save or publish answers next to success: `warnings`, today the entry, goal and waitForEvent
 * events no one has sent yet (with the closest known names: a typo, or `lead_captured` for `Lead Captured`).
 * Known names: those stored in `events`, and those the library's journeys listen to.
 */
import type { Db } from '../drizzle/client';
import { events } from '../drizzle/schema';
import { unknownEventWarnings } from '../domain/journey/event-names';
import type { JourneyDefinition } from '../domain/journey/definition';
import type { ValidationIssue } from '../domain/journey/issues';
import { library } from '../library';

/** Suggestions come from this many stored names at most (a brand has dozens). */
const MAX_KNOWN_NAMES = 2000;

export async function knownEventNames(db: Pick<Db, 'selectDistinct'>): Promise<string[]> {
  const stored = await db.selectDistinct({ name: events.name }).from(events).limit(MAX_KNOWN_NAMES);
  return [...new Set([...stored.map((row) => row.name), ...library.flatMap((entry) => entry.events)])];
}

export async function journeyWarnings(
  db: Pick<Db, 'selectDistinct'>,
  definition: JourneyDefinition,
): Promise<ValidationIssue[]> {
  return unknownEventWarnings(definition, await knownEventNames(db));
}
