/**
 * Strict JSON text → value, with the position of what is wrong: the first syntax error, every duplicated
 * key (JSON.parse keeps the last one silently) and prototype-poisoning keys (`__proto__`,
 * `constructor.prototype`, as Fastify's own parser refuses them). Positions come from `jsonc-parser`'s
 * scanner (VS Code's, linear, comments and trailing commas off); the value itself from `JSON.parse`, whose
 * result has only own properties (jsonc-parser's value builder would assign `__proto__`).
 */
import { createScanner, getLocation, printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';

export type JsonPathSegment = string | number;

export interface JsonTextProblem {
  /** Where in the document: `["steps", "done"]` for a duplicated step `done`. */
  path: JsonPathSegment[];
  /** 1-based, as editors count. */
  line: number;
  column: number;
  offset: number;
  message: string;
}

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; problems: JsonTextProblem[] };

/** More problems than this in one document are not worth listing (nor their cost). */
const MAX_PROBLEMS = 20;

/** What was expected where the scanner stopped reading. */
const expectations: Partial<Record<string, string>> = {
  InvalidSymbol: 'not a JSON value',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' or a closing bracket",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'expected the end of the document',
};

/** Problems inside one token (a string, a number, a comment): the position is where that token starts. */
const tokenProblems: Partial<Record<string, string>> = {
  UnexpectedEndOfString: 'unterminated string (it starts here)',
  InvalidCharacter: 'a control character inside the string that starts here (escape it)',
  InvalidEscapeCharacter: 'an invalid escape inside the string that starts here',
  InvalidUnicode: 'an invalid \\u escape inside the string that starts here',
  UnexpectedEndOfNumber: 'an incomplete number',
  InvalidNumberFormat: 'not a JSON number',
  InvalidCommentToken: 'comments are not JSON',
  UnexpectedEndOfComment: 'comments are not JSON',
};

function describeSyntaxError(text: string, code: ParseErrorCode, offset: number): string {
  const name = printParseErrorCode(code);
  const inToken = tokenProblems[name];
  if (inToken !== undefined) return inToken;
  const found = offset >= text.length ? 'unexpected end of input' : `unexpected character '${text[offset]}'`;
  const expected = expectations[name];
  return expected === undefined ? found : `${found} (${expected})`;
}

/**
 * Parses `text` as one JSON document. On failure: the first syntax error alone (what follows it is noise), or
 * every duplicated / poisoning key (up to 20), in document order. Linear in the length of the text.
 */
export function parseJsonText(text: string): JsonTextResult {
  const problems: JsonTextProblem[] = [];
  let syntaxError = false;
  // The keys seen so far in each object being read, innermost last; each key's position for the message.
  const openObjects: Map<string, { line: number; column: number }>[] = [];
  const read = () =>
    visit(
      text,
      {
        onObjectBegin: () => {
          openObjects.push(new Map());
        },
        onObjectEnd: () => {
          openObjects.pop();
        },
        onObjectProperty: (property, offset, _length, startLine, startCharacter, pathSupplier) => {
          const keys = openObjects[openObjects.length - 1];
          if (keys === undefined || syntaxError || problems.length >= MAX_PROBLEMS) return;
          const at = { line: startLine + 1, column: startCharacter + 1 };
          const first = keys.get(property);
          const problem = (message: string) =>
            problems.push({ path: [...pathSupplier(), property], offset, ...at, message });
          if (first !== undefined)
            problem(`duplicate key "${property}" (first at line ${first.line}, column ${first.column}): remove one`);
          else keys.set(property, at);
          if (property === '__proto__') problem('a key named "__proto__" is refused');
          else if (property === 'prototype' && pathSupplier().at(-1) === 'constructor')
            problem('a "prototype" key inside "constructor" is refused');
        },
        onError: (code, offset, _length, startLine, startCharacter) => {
          if (syntaxError) return;
          syntaxError = true;
          const path = getLocation(text, offset).path;
          if (path.at(-1) === '') path.pop(); // a property name was expected: the object is the place
          problems.length = 0;
          problems.push({
            path,
            offset,
            line: startLine + 1,
            column: startCharacter + 1,
            message: describeSyntaxError(text, code, offset),
          });
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  try {
    read();
  } catch (error) {
    // jsonc-parser reads nested values recursively: thousands of levels exhaust the stack. JSON.parse
    // reads them, and the route's schema then names the path where the nesting goes too deep.
    if (!(error instanceof RangeError)) throw error;
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, problems: [deepestPoint(text)] };
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    // The scanner and JSON.parse disagree (not seen so far): JSON.parse decides, without a position.
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [{ path: [], offset: 0, line: 1, column: 1, message }] };
  }
}

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot read.
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const EOF = 17;

/** Where a document too deeply nested to read reaches its deepest level (its tokenizer is iterative). */
function deepestPoint(text: string): JsonTextProblem {
  const scanner = createScanner(text, true);
  let depth = 0;
  let deepest = { depth: 0, offset: 0, line: 0, column: 0 };
  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    if (token === OPEN_BRACE || token === OPEN_BRACKET) {
      depth++;
      if (depth > deepest.depth)
        deepest = {
          depth,
          offset: scanner.getTokenOffset(),
          line: scanner.getTokenStartLine(),
          column: scanner.getTokenStartCharacter(),
        };
    } else if (token === CLOSE_BRACE || token === CLOSE_BRACKET) depth--;
  }
  return {
    path: [],
    offset: deepest.offset,
    line: deepest.line + 1,
    column: deepest.column + 1,
    message: `nested ${deepest.depth} levels deep: too deep to read`,
  };
}
