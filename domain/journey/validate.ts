/**
 * Validation of a journey definition as a marketer wrote it: a size bound, the zod schema (structure),
 * then, on a structurally valid definition, graph and meaning checks (dangling references, unreachable
 * steps, loops that pass no time, unknown templates/events/segments, filters that can never match, ...).
 *
 * Every issue carries a JSON path (`$.steps.remind1.next`, `$.goals[0].event`, `$.steps["odd id"]`); all
 * issues are returned at once, sorted by path. Linear in the size of the definition. Pure: safe inside
 * Temporal workflows (no I/O, no clock, no randomness).
 *
 * The checks live by concern: issues.ts (paths), schema-issues.ts (zod → paths), graph.ts (reachability,
 * loops), condition-checks.ts (filters and conditions), meaning.ts (references and per-step rules),
 * parse-text.ts (file text → value, with positions), event-names.ts (warnings about unseen events).
 */
import { journeyDefinitionSchema, type JourneyDefinition } from './definition';
import { checkGraph } from './graph';
import { sortIssues, type RawIssue, type ValidationContext, type ValidationIssue } from './issues';
import { checkMeaning } from './meaning';
import { mapZodIssue } from './schema-issues';

export type { ValidationContext, ValidationIssue } from './issues';
export { formatJsonPath } from './issues';
export { stepReferences } from './graph';
export { JourneyParseError, parseJourneyText } from './parse-text';

export type ValidationResult = { ok: true; definition: JourneyDefinition } | { ok: false; issues: ValidationIssue[] };

/**
 * The most steps a journey may have. Generous (the library's largest has a few dozen): a definition far
 * beyond it is a generator's mistake, and each step costs the publish-time simulation and the console's
 * canvas real time.
 */
export const MAX_JOURNEY_STEPS = 500;

/** Counted before the schema runs, so an oversized definition costs nothing more than counting its steps. */
function tooManySteps(input: unknown): ValidationIssue | undefined {
  if (typeof input !== 'object' || input === null || !Object.hasOwn(input, 'steps')) return undefined;
  const steps = (input as { steps: unknown }).steps;
  if (typeof steps !== 'object' || steps === null) return undefined;
  const count = Object.keys(steps).length;
  if (count <= MAX_JOURNEY_STEPS) return undefined;
  return {
    path: '$.steps',
    message: `${count} steps: a journey has at most ${MAX_JOURNEY_STEPS}; split it into journeys that hand over by event`,
  };
}

/** Validates a definition (as parsed from JSON/YAML). All issues are reported, sorted by path. */
export function validateJourney(input: unknown, ctx: ValidationContext = {}): ValidationResult {
  const oversized = tooManySteps(input);
  if (oversized) return { ok: false, issues: [oversized] };
  const parsed = journeyDefinitionSchema.safeParse(input);
  const raw: RawIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) mapZodIssue(issue, [], input, raw);
    return { ok: false, issues: sortIssues(raw) };
  }
  checkGraph(parsed.data, raw);
  checkMeaning(parsed.data, ctx, raw);
  if (raw.length > 0) return { ok: false, issues: sortIssues(raw) };
  return { ok: true, definition: parsed.data };
}
