/**
 * Pure evaluation of journey conditions and event filters.
 * Runs inside Temporal workflows: deterministic, no I/O, no clock, no Node builtins.
 */
import type { AttributeCondition, ComparisonOp, Condition } from './definition';

/** What the workflow knows about a customer when it evaluates a branch or an `onlyIf`. */
export interface CustomerFacts {
  traits: Record<string, unknown>;
  tags: string[];
  aiplStage: string | null;
  timeZone: string | null;
  /** Products held (not disposed). Dates are ISO strings (activity results travel as JSON); absent in histories from before they were added. */
  ownedProducts: OwnedProductFact[];
  /** Keyed by `eventCountKey(event, withinDays)`; a missing key counts as 0. */
  eventCounts: Record<string, number>;
}

export interface OwnedProductFact {
  sku: string;
  category: string;
  serial?: string | null;
  purchasedAt?: string | null;
  installedAt?: string | null;
  warrantyEndsAt?: string | null;
}

export interface JourneyEvent {
  id: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: string;
}

/** The key of `CustomerFacts.eventCounts` for "how many `event`s in the last `withinDays` days". */
export function eventCountKey(event: string, withinDays: number): string {
  // withinDays first: event names may contain ":", the number never does.
  return `${withinDays}d:${event}`;
}

const forbiddenSegments: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const arrayIndex = /^(0|[1-9]\d*)$/;

/**
 * Reads a dotted path (`properties.items.0.sku`). Only own properties are read; arrays only by
 * numeric segment; `__proto__`, `constructor` and `prototype` segments (and empty ones) give undefined.
 */
export function getPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (segment === '' || forbiddenSegments.has(segment)) return undefined;
    if (Array.isArray(current)) {
      if (!arrayIndex.test(segment)) return undefined;
      const index = Number(segment);
      if (index >= current.length) return undefined;
      current = current[index] as unknown;
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function ordered(actual: unknown, op: 'gt' | 'gte' | 'lt' | 'lte', expected: unknown): boolean {
  const bothNumbers =
    typeof actual === 'number' && typeof expected === 'number' && !Number.isNaN(actual) && !Number.isNaN(expected);
  const bothStrings = typeof actual === 'string' && typeof expected === 'string';
  if (!bothNumbers && !bothStrings) return false;
  // Strings compare by UTF-16 code unit: right for ISO-8601 timestamps of the same shape, and locale-free.
  const a = actual as number | string;
  const e = expected as number | string;
  switch (op) {
    case 'gt':
      return a > e;
    case 'gte':
      return a >= e;
    case 'lt':
      return a < e;
    case 'lte':
      return a <= e;
  }
}

/**
 * Compares a found value with a condition's value.
 * - `eq`/`neq`: strict equality (an array never equals anything; use `contains` for arrays such as `tags`).
 * - `in`/`nin`: `expected` is an array; strict membership of `actual`. A non-array `expected` fails both.
 * - `gt`/`gte`/`lt`/`lte`: two numbers numerically, two strings lexicographically (ISO dates); otherwise false.
 * - `exists`: neither undefined nor null; `notExists` is its negation.
 * - `contains`: substring of a string, or strict member of an array.
 */
export function compare(actual: unknown, op: ComparisonOp, expected: unknown): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
    case 'in':
      return Array.isArray(expected) && expected.some((e) => e === actual);
    case 'nin':
      return Array.isArray(expected) && !expected.some((e) => e === actual);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return ordered(actual, op, expected);
    case 'exists':
      return isPresent(actual);
    case 'notExists':
      return !isPresent(actual);
    case 'contains':
      if (typeof actual === 'string') return typeof expected === 'string' && actual.includes(expected);
      if (Array.isArray(actual)) return actual.some((a) => a === expected);
      return false;
  }
}

function eventRoot(event: JourneyEvent): Record<string, unknown> {
  return { ...event };
}

/** True when the event passes every condition of the filter (no filter, or an empty one, passes everything). */
export function matchesFilter(filter: AttributeCondition[] | undefined, event: JourneyEvent): boolean {
  if (!filter || filter.length === 0) return true;
  const root = eventRoot(event);
  return filter.every((c) => compare(getPath(root, c.path), c.op, c.value));
}

function holds(condition: Condition, facts: CustomerFacts, root: Record<string, unknown>): boolean {
  switch (condition.kind) {
    case 'attribute':
      return compare(getPath(root, condition.path), condition.op, condition.value);
    case 'owns': {
      const { category, sku } = condition;
      const owns = facts.ownedProducts.some(
        (p) => (category === undefined || p.category === category) && (sku === undefined || p.sku === sku),
      );
      return condition.negate === true ? !owns : owns;
    }
    case 'eventCount': {
      const key = eventCountKey(condition.event, condition.withinDays);
      const count = Object.hasOwn(facts.eventCounts, key) ? facts.eventCounts[key] : undefined;
      return compare(count ?? 0, condition.op, condition.value);
    }
  }
}

/**
 * True when every condition holds (an empty list holds). Attribute paths read `traits.*`, `tags`, `aiplStage`,
 * `timeZone`, and `entry.*` (the entry event) when one is given (branch steps).
 */
export function evaluateConditions(conditions: Condition[], facts: CustomerFacts, entry?: JourneyEvent): boolean {
  const root: Record<string, unknown> = {
    traits: facts.traits,
    tags: facts.tags,
    aiplStage: facts.aiplStage,
    timeZone: facts.timeZone,
    ...(entry ? { entry: eventRoot(entry) } : {}),
  };
  return conditions.every((c) => holds(c, facts, root));
}

/** The facts an activity must load before `evaluateConditions` can run: distinct event counts, in first-use order. */
export function conditionNeeds(conditions: Condition[]): { eventCounts: { event: string; withinDays: number }[] } {
  const seen = new Set<string>();
  const eventCounts: { event: string; withinDays: number }[] = [];
  for (const c of conditions) {
    if (c.kind !== 'eventCount') continue;
    const key = eventCountKey(c.event, c.withinDays);
    if (seen.has(key)) continue;
    seen.add(key);
    eventCounts.push({ event: c.event, withinDays: c.withinDays });
  }
  return { eventCounts };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/**
 * True when every path has the same value on the goal event as on the entry event (`matchEntry`).
 * A path missing (undefined or null) on either side does not match; without an entry event nothing matches
 * (not even an empty path list, which otherwise matches vacuously).
 */
export function sameEntryValues(paths: string[], entry: JourneyEvent | undefined, goal: JourneyEvent): boolean {
  if (!entry) return false;
  const entryRoot = eventRoot(entry);
  const goalRoot = eventRoot(goal);
  return paths.every((p) => {
    const a = getPath(entryRoot, p);
    const b = getPath(goalRoot, p);
    return isPresent(a) && isPresent(b) && deepEqual(a, b);
  });
}
