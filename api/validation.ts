/**
 * Request validation shared by route plugins: zod schemas, and every bad input a 400
 * `{ error: 'invalid_request', issues: [{ path: '$.body.html', message }] }` (see app.ts's error handler).
 */
import type { z } from 'zod';

export interface Issue {
  path: string;
  message: string;
}

export class RequestValidationError extends Error {
  constructor(readonly issues: Issue[]) {
    super('invalid request');
  }
}

export function jsonPathOf(segments: readonly PropertyKey[]): string {
  return segments.map((p, i) => (i === 0 ? String(p) : typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/** The parsed value, or throws a `RequestValidationError` whose paths start at `$.<where>`. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'params' | 'query' | 'headers'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RequestValidationError(result.error.issues.map((issue) => ({ path: jsonPathOf(['$', where, ...issue.path]), message: issue.message })));
}
