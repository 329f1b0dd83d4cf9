/**
 * Shapes every area shares: error answers, timestamps, paging. Schema modules are pure zod (no
 * Node, no server code): the console (web/) and the CLI import their types from them.
 */
import { z } from 'zod';

export const issue = z.strictObject({ path: z.string(), message: z.string() });
export type Issue = z.infer<typeof issue>;

/** Every 4xx answer: a machine code, a sentence, and for a 400 the JSON path of each problem. */
export const apiError = z.strictObject({
  error: z.string(),
  message: z.string().optional(),
  issues: z.array(issue).optional(),
});
export type ApiErrorBody = z.infer<typeof apiError>;

export const errors = {
  400: apiError.describe('invalid request: `issues` names the JSON path of each problem'),
  401: apiError.describe('no valid key'),
  403: apiError.describe('a write key on an admin route'),
  404: apiError.describe('not found'),
  409: apiError.describe('conflicts with the current state'),
  413: apiError.describe('the body is larger than the route takes'),
} as const;

/** What every admin route may answer besides its own: a 400 for its request, 401/403 for the key. */
export const adminErrors = { 400: errors[400], 401: errors[401], 403: errors[403] } as const;

const timestamps = new WeakSet<object>();

/**
 * A point in time: handlers answer a `Date` (drizzle rows) or an ISO 8601 string (SQL text, JSON
 * columns); on the wire it is always an ISO 8601 string, which is what the document says.
 */
export const timestamp = z.codec(z.string(), z.union([z.date(), z.string()]), {
  decode: (value) => value,
  encode: (value) => (typeof value === 'string' ? value : value.toISOString()),
});
timestamps.add(timestamp);
timestamps.add(timestamp.def.out);

/** Whether `schema` is the timestamp (or its output side): the OpenAPI document shows it as `date-time`. */
export const isTimestamp = (schema: unknown): boolean =>
  typeof schema === 'object' && schema !== null && timestamps.has(schema);

/** Postgres `integer`: ids and versions above it would fail in the database with a 500. */
export const INT4_MAX = 2_147_483_647;
/** A positive `integer` column value (a version, a count from 1). */
export const positiveInt = z.int().min(1).max(INT4_MAX);

/** No body: 204, or a redirect (the document shows no content). */
export const noContent = z.undefined().describe('no content');

/** A non-JSON answer (a page, an image) documented by its media type. */
export function mediaResponse(description: string, mediaType: string) {
  return { description, content: { [mediaType]: { schema: z.string() } } };
}
