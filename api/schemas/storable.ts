/**
 * Values Postgres can store. JSON allows strings Postgres refuses — a NUL character (`\u0000`) in
 * `text` or `jsonb`, a lone UTF-16 surrogate (not Unicode, so not UTF-8) — and ISO dates outside
 * `timestamptz`'s range (year 0000, or a time zone that moves year 0001 into year 0000). Left to the
 * database, each is a 500 after part of the work is done; refused here, each is a 400 at its path.
 * Dates are bounded to years 1..9999 (UTC): the four-digit years ISO 8601 writes without a sign.
 */
import { z } from 'zod';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres cannot store `text`, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (loneSurrogate.test(text)) return 'must not contain a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

export interface UnstorablePart {
  /** From the value given: object keys and array indexes. */
  path: (string | number)[];
  message: string;
}

/** A path as a chain back to the root: no copying per level, so deep nesting stays linear. */
interface Step {
  key: string | number;
  up: Step | undefined;
}
const pathOf = (step: Step | undefined): (string | number)[] => {
  const path: (string | number)[] = [];
  for (let at = step; at; at = at.up) path.push(at.key);
  return path.reverse();
};

/**
 * Every string in a JSON value — object keys included — that Postgres cannot store, with its path,
 * in document order. Walked with an explicit stack: a body may nest deeper than the call stack allows.
 */
export function unstorableParts(value: unknown): UnstorablePart[] {
  const found: UnstorablePart[] = [];
  const stack: { value: unknown; at: Step | undefined; key?: string }[] = [{ value, at: undefined }];
  while (stack.length > 0) {
    const { value: current, at, key } = stack.pop()!;
    const keyReason = key === undefined ? undefined : unstorableReason(key);
    if (keyReason) found.push({ path: pathOf(at), message: `this key ${keyReason}` });
    if (typeof current === 'string') {
      const reason = unstorableReason(current);
      if (reason) found.push({ path: pathOf(at), message: reason });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], at: { key: i, up: at } });
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [name, inner] = entries[i]!;
        stack.push({ value: inner, at: { key: name, up: at }, key: name });
      }
    }
  }
  return found;
}

/** `schema`, refusing any string in the value (keys too) that Postgres cannot store, at its path. */
export function storable<T extends z.ZodType>(schema: T) {
  return schema.superRefine((value, ctx) => {
    for (const part of unstorableParts(value)) ctx.addIssue({ code: 'custom', message: part.message, path: part.path });
  });
}

/** A string Postgres can store. */
export const storableString = (params: Parameters<typeof z.string>[0] = { error: 'must be a string' }) =>
  z.string(params).check((ctx) => {
    const reason = unstorableReason(ctx.value);
    if (reason) ctx.issues.push({ code: 'custom', message: reason, input: ctx.value });
  });

/** Earliest and latest instants accepted as dates: years 1 and 9999, in UTC. */
const earliest = new Date('0001-01-01T00:00:00.000Z').getTime();
const latest = new Date('9999-12-31T23:59:59.999Z').getTime();

/** Whether `iso` names a real instant within years 1..9999 (UTC). */
export function storableInstant(iso: string): boolean {
  const at = new Date(iso).getTime();
  return Number.isFinite(at) && at >= earliest && at <= latest;
}

/** An ISO 8601 date-time with a zone that `timestamptz` can store. */
export const storableTimestamp = (error: string) =>
  z.iso
    .datetime({ offset: true, error, abort: true })
    .refine(storableInstant, 'must be a real date between the years 0001 and 9999 (UTC)');
