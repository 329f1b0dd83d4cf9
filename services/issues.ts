/**
 * Validation problems, each at a JSON path (`$.body.steps.a.next`): services report them, the HTTP edge
 * answers them as a 400 (api/http.ts), the CLI prints them.
 */
import type { z } from 'zod';

export interface Issue {
  path: string;
  message: string;
}

export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

/** `['$', 'batch', 3, 'event']` → `$.batch[3].event`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  return segments.map((p, i) => (i === 0 ? String(p) : typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

export function issuesOf(error: z.ZodError, at: readonly PropertyKey[]): Issue[] {
  return error.issues.map((issue) => ({ path: jsonPath([...at, ...issue.path]), message: issue.message }));
}

/** Parses `value` or throws the 400 for it; `at` is where it sits in the request (`['$', 'body']`). */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, at: readonly PropertyKey[]): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(issuesOf(result.error, at));
  return result.data;
}
