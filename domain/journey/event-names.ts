/**
 * Warnings (not errors) about the events a journey waits for: an entry, goal or waitForEvent event that has
 * never been seen is usually a typo or the other naming convention (`lead_captured` / `Lead Captured`), and
 * the journey would silently never enter, convert or continue. Each warning names the closest known names.
 */
import type { JourneyDefinition } from './definition';
import { sortIssues, type RawIssue, type Seg, type ValidationIssue } from './issues';

export interface EventReference {
  segs: Seg[];
  event: string;
}

/** The events a journey enters on, converts on, or waits for, where the definition names them. */
export function eventReferences(def: JourneyDefinition): EventReference[] {
  const refs: EventReference[] = [];
  if (def.entry.type === 'event') refs.push({ segs: ['entry', 'event'], event: def.entry.event });
  def.goals.forEach((goal, i) => refs.push({ segs: ['goals', i, 'event'], event: goal.event }));
  for (const [id, step] of Object.entries(def.steps))
    if (step.type === 'waitForEvent') refs.push({ segs: ['steps', id, 'event'], event: step.event });
  return refs;
}

/** Case, spaces, `_` and `-` do not make two event names different for a suggestion. */
function normalize(name: string): string {
  return name
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

/**
 * Levenshtein distance of `a` and `b` if it is at most `max`, else `undefined`; rows stop early once every
 * entry exceeds `max`, so a far name costs little.
 */
export function boundedEditDistance(a: string, b: string, max: number): number | undefined {
  if (Math.abs(a.length - b.length) > max) return undefined;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return undefined;
    previous = current;
  }
  const distance = previous[b.length] as number;
  return distance <= max ? distance : undefined;
}

/** Up to `limit` known names closest to `name` (a third of its length may differ, at least 2 characters). */
export function closestNames(name: string, known: readonly string[], limit = 3): string[] {
  const wanted = normalize(name);
  const max = Math.max(2, Math.floor(wanted.length / 3));
  const scored: { name: string; distance: number }[] = [];
  for (const candidate of known) {
    const distance = boundedEditDistance(wanted, normalize(candidate), max);
    if (distance !== undefined) scored.push({ name: candidate, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.name);
}

/** Suggestions are worked out for this many distinct unknown names at most; the rest are still warned about. */
const MAX_SUGGESTED = 50;

/** A warning for every entry, goal or waitForEvent event not in `known`, sorted by path. */
export function unknownEventWarnings(def: JourneyDefinition, known: readonly string[]): ValidationIssue[] {
  const knownSet = new Set(known);
  const suggestions = new Map<string, string[]>();
  const raw: RawIssue[] = [];
  for (const ref of eventReferences(def)) {
    if (knownSet.has(ref.event)) continue;
    let closest = suggestions.get(ref.event);
    if (closest === undefined) {
      closest = suggestions.size < MAX_SUGGESTED ? closestNames(ref.event, known) : [];
      suggestions.set(ref.event, closest);
    }
    const hint = closest.length > 0 ? `; closest known: ${closest.map((n) => `"${n}"`).join(', ')}` : '';
    raw.push({ segs: ref.segs, message: `no "${ref.event}" event has been received yet${hint}` });
  }
  return sortIssues(raw);
}
