/**
 * JSON request bodies. Everywhere: a body that is not JSON is a 400 naming where it breaks (line, column and
 * the JSON path reached, `$.body.steps.a`), not just "Body is not valid JSON". Where people write the
 * documents by hand (the admin routes: journeys, templates, segments, ...) a duplicated key is refused too,
 * with both positions: JSON.parse would keep the last one silently. The ingest routes keep Fastify's own
 * parser on the happy path: SDKs serialize objects, so they cannot send a duplicate, and the strict reading
 * costs about 40 µs per Segment message (a tenth of storing one).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseJsonText, type JsonTextProblem } from '../domain/json/text';
import { jsonPath, RequestValidationError, type Issue } from './http';

function issueOf(problem: JsonTextProblem): Issue {
  return {
    path: jsonPath(['$', 'body', ...problem.path]),
    message: `line ${problem.line}, column ${problem.column}: ${problem.message}`,
  };
}

const emptyBody = new RequestValidationError([
  {
    path: '$.body',
    message: 'the body is empty, but its content-type says JSON: send a JSON document or no content-type',
  },
]);

/**
 * Installs the `application/json` parser of `scope` (and the scopes it registers later). `refuseDuplicateKeys`:
 * every body is read strictly (duplicates and prototype keys refused with their positions); otherwise
 * Fastify's parser reads it (prototype keys refused) and the strict reading only explains a failure.
 */
export function registerJsonBody(scope: FastifyInstance, options: { refuseDuplicateKeys: boolean }): void {
  const fastParse = scope.getDefaultJsonParser('error', 'error');
  if (scope.hasContentTypeParser('application/json')) scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(emptyBody, undefined);
    const strict = () => {
      const parsed = parseJsonText(text);
      if (parsed.ok) done(null, parsed.value);
      else done(new RequestValidationError(parsed.problems.map(issueOf)), undefined);
    };
    if (options.refuseDuplicateKeys) return strict();
    void fastParse(request, text, (error, value) => (error ? strict() : done(null, value)));
  });
}

/** A route's `errorHandler` that turns "body too large" into a 413 saying what the limit is for. */
export function bodyTooLarge(what: string, limitBytes: number) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error; // the scope's handler
    return reply.code(413).send({
      error: 'payload_too_large',
      message: `${what} may be at most ${Math.round(limitBytes / 1024)} KB (${limitBytes} bytes)`,
    });
  };
}
