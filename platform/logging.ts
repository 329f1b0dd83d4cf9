/**
 * Logs without personal data, for the API (Fastify's pino), the worker (pino, Temporal's runtime
 * logger) and activity failures (whose messages land in workflow histories).
 *
 * - Request lines carry the method and the path, query values redacted (`?identity=[redacted]`),
 *   link tokens replaced by the route pattern (`/u/:token`); no client address (an email's open
 *   pixel would log the reader's IP).
 * - Errors keep type, code and message, with email addresses, phone numbers and the bound parameters
 *   that drizzle appends to a failed query (`params: …`) masked; driver `detail` (which quotes key
 *   values) and `parameters` are dropped.
 */
import type { LoggerOptions } from 'pino';

/**
 * An address: a local part, then dot-separated domain labels ending in a letters-only TLD. Neither
 * side crosses a `/`, so code locations in stack traces (`node_modules/@temporalio/worker/lib/x.js`,
 * `.pnpm/@scope+pkg@1.2.3/`) stay readable.
 */
const EMAIL = /[^\s@<>"'(),;:[\]/]+@(?:[^\s@<>"'(),;:[\]/.]+\.)+\p{L}{2,}(?![\p{L}\d-])/gu;
/** `+` and 7-15 digits (E.164, how phones are stored), allowing the usual separators. */
const PHONE = /\+[1-9](?:[\s.()-]?\d){6,14}/g;
/** drizzle's DrizzleQueryError: `Failed query: <sql>\nparams: <values>`. */
const QUERY_PARAMS = /\nparams: [^\n]*/g;

/** Masks email addresses, phone numbers and a failed query's parameters in `text`. */
export function scrubPii(text: string): string {
  return text.replace(QUERY_PARAMS, '\nparams: [redacted]').replace(EMAIL, '[email]').replace(PHONE, '[phone]');
}

/** A serialised error without personal data (the cause chain kept, two levels deep). */
export function safeError(error: unknown, depth = 0): Record<string, unknown> | string {
  if (!(error instanceof Error)) return scrubPii(String(error));
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: scrubPii(error.message),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(error.stack ? { stack: scrubPii(error.stack) } : {}),
    ...(error.cause !== undefined && depth < 2 ? { cause: safeError(error.cause, depth + 1) } : {}),
  };
}

interface LoggedRequest {
  method: string;
  url: string;
  routeOptions?: { url?: string };
}

/** The path with query values redacted; a route with a link token logs its pattern instead. */
export function safeUrl(request: LoggedRequest): string {
  const pattern = request.routeOptions?.url;
  if (pattern?.includes(':token')) return pattern;
  const [path = '', query] = request.url.split('?', 2);
  if (query === undefined) return scrubPii(path);
  const keys = query.split('&').map((pair) => `${pair.split('=')[0]}=[redacted]`);
  return `${scrubPii(path)}?${keys.join('&')}`;
}

/** pino options for every Perennial process. */
export function privateLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers: {
      req: (request: LoggedRequest) => ({ method: request.method, url: safeUrl(request) }),
      err: (error: unknown) => safeError(error),
    },
    // Belt and braces for objects logged under other names.
    redact: { paths: ['*.headers.authorization', '*.body', 'body', '*.parameters', '*.detail'], censor: '[redacted]' },
  };
}

/** Activity failures travel into workflow histories and worker logs: their messages are scrubbed. */
export function scrubActivityError(error: unknown): unknown {
  if (error instanceof Error) {
    error.message = scrubPii(error.message);
    if (error.stack) error.stack = scrubPii(error.stack);
    if (error.cause !== undefined) scrubActivityError(error.cause);
  }
  return error;
}
