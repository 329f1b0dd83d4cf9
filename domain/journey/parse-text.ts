/**
 * A definition file's text → the value to validate, with the line and column of a syntax error or of a
 * duplicated key (JSON: domain/json; YAML: the `yaml` package with unique keys).
 */
import { parseDocument } from 'yaml';
import { parseJsonText } from '../json/text';
import { formatJsonPath } from './issues';

/**
 * A definition file that cannot be read as one: a syntax error or a duplicated key. `line` and `column`
 * are 1-based and also in the message; `path` is where the problem is, when known (`$.steps.done`).
 */
export class JourneyParseError extends Error {
  override readonly name = 'JourneyParseError';
  readonly format: 'json' | 'yaml';
  readonly line: number;
  readonly column: number;
  readonly path: string;
  constructor(format: 'json' | 'yaml', line: number, column: number, reason: string, path = '$') {
    super(`${format === 'json' ? 'JSON' : 'YAML'} syntax error at line ${line}, column ${column}: ${reason}`);
    this.format = format;
    this.line = line;
    this.column = column;
    this.path = path;
  }
}

/** Parses a definition file. Throws a `JourneyParseError` (with line and column) on a syntax error or duplicated key. */
export function parseJourneyText(text: string, format: 'json' | 'yaml'): unknown {
  if (format === 'json') {
    const parsed = parseJsonText(text);
    if (parsed.ok) return parsed.value;
    const [first] = parsed.problems;
    const more = parsed.problems.length > 1 ? ` (and ${parsed.problems.length - 1} more)` : '';
    throw new JourneyParseError(
      'json',
      first?.line ?? 1,
      first?.column ?? 1,
      `${first?.message ?? 'invalid JSON'}${more}`,
      formatJsonPath(first?.path ?? []),
    );
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? lineColumnOf(text, error.pos[0]);
    const reason = error.message.split(/ at line \d+, column \d+/)[0] ?? error.message;
    throw new JourneyParseError('yaml', pos.line, pos.col, reason);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new JourneyParseError('yaml', 1, 1, e instanceof Error ? e.message : String(e));
  }
}

function lineColumnOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: offset - lineStart + 1 };
}
