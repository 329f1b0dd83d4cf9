import { describe, it, expect } from 'vitest';
import { stringify } from 'yaml';
import {
  JourneyParseError,
  MAX_JOURNEY_STEPS,
  parseJourneyText,
  validateJourney,
} from '../../../domain/journey/validate';
import { parseJsonText } from '../../../domain/json/text';
import { phoneNurture } from './fixtures';

function parseError(text: string, format: 'json' | 'yaml'): JourneyParseError {
  try {
    parseJourneyText(text, format);
  } catch (e) {
    if (e instanceof JourneyParseError) return e;
    throw e;
  }
  throw new Error('expected a JourneyParseError');
}

describe('parseJourneyText', () => {
  it('parses JSON and YAML of the same definition to the same value', () => {
    const def = phoneNurture();
    const fromJson = parseJourneyText(JSON.stringify(def, null, 2), 'json');
    const fromYaml = parseJourneyText(stringify(def), 'yaml');
    expect(fromJson).toEqual(def);
    expect(fromYaml).toEqual(def);
    expect(validateJourney(fromYaml).ok).toBe(true);
  });

  it('reports a JSON syntax error with its line and column', () => {
    const text = '{\n  "name": "x",\n  "start": "a"\n  "steps": {}\n}';
    const e = parseError(text, 'json');
    expect(e.line).toBe(4);
    expect(e.column).toBe(3);
    expect(e.message).toContain('line 4, column 3');
    expect(e.message).toContain('JSON syntax error');
  });

  it('reports truncated JSON at its end', () => {
    const e = parseError('{\n  "name": "x",\n  "steps": {', 'json');
    expect(e.message).toContain('line 3, column 13');
    expect(e.message).toContain('unexpected end of input');
  });

  it('reports JSON trailing commas and stray text after the value', () => {
    expect(parseError('{"a": [1, 2,]}', 'json').message).toContain('line 1, column 13');
    expect(parseError('{"a": 1}\nx', 'json').message).toContain('line 2, column 1');
  });

  it('refuses a duplicated JSON key with its path, line and column (JSON.parse keeps the last silently)', () => {
    const text = [
      '{',
      '  "name": "x",',
      '  "steps": {',
      '    "done": { "type": "exit" },',
      '    "done": { "type": "exit", "reason": "twice" }',
      '  }',
      '}',
    ].join('\n');
    const e = parseError(text, 'json');
    expect(e.path).toBe('$.steps.done');
    expect([e.line, e.column]).toEqual([5, 5]);
    expect(e.message).toContain('duplicate key "done" (first at line 4, column 5)');
    expect(parseError('{"a": 1, "b": [{"c": 1, "c": 2}]}', 'json').path).toBe('$.b[0].c');
  });

  it('refuses prototype-poisoning keys in JSON', () => {
    expect(parseError('{"__proto__": {"x": 1}}', 'json').message).toContain('__proto__');
    expect(parseError('{"a": {"constructor": {"prototype": {}}}}', 'json').path).toBe('$.a.constructor.prototype');
  });

  it('refuses JSON comments, which JSON.parse would refuse too', () => {
    expect(parseError('{\n  // note\n  "a": 1\n}', 'json').line).toBe(2);
  });

  it('refuses more than the step limit before checking any step', () => {
    const def = phoneNurture();
    const steps: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_JOURNEY_STEPS; i++) steps[`s${i}`] = { type: 'exit' };
    const result = validateJourney({ ...def, steps });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: '$.steps',
          message: expect.stringContaining(
            `${MAX_JOURNEY_STEPS + 1} steps: a journey has at most ${MAX_JOURNEY_STEPS}`,
          ),
        },
      ],
    });
  });

  it('accepts a journey of exactly the step limit', () => {
    const def = phoneNurture();
    const steps: Record<string, unknown> = {};
    for (let i = 0; i < MAX_JOURNEY_STEPS - 1; i++)
      steps[`s${i}`] =
        i % 2
          ? { type: 'wait', duration: { days: 1 }, next: `s${i + 1}` }
          : { type: 'send', channel: 'email', template: 't', next: `s${i + 1}` };
    steps[`s${MAX_JOURNEY_STEPS - 1}`] = { type: 'exit' };
    const result = validateJourney(parseJourneyText(JSON.stringify({ ...def, start: 's0', steps }), 'json'));
    expect(result.ok).toBe(true);
  });

  it('reports a YAML syntax error with its line number', () => {
    const text = ['name: Phone nurture', 'start: welcome', 'steps:', '  welcome: {type: exit', 'goals: []', ''].join(
      '\n',
    );
    const e = parseError(text, 'yaml');
    expect(e.format).toBe('yaml');
    expect(e.line).toBe(5);
    expect(e.message).toMatch(/^YAML syntax error at line 5, column \d+: /);
  });

  it('reports a duplicated YAML key with the line of the duplicate', () => {
    const e = parseError('name: a\nstart: s\nname: b\n', 'yaml');
    expect(e.line).toBe(3);
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('unique');
  });

  it('reports a YAML indentation error with its line', () => {
    const e = parseError('name: a\nentry:\n  type: api\n    event: x\n', 'yaml');
    expect(e.message).toMatch(/line [34]/);
  });
});

describe('parseJsonText', () => {
  it('reports a document nested too deeply to read at its deepest point, never throwing', () => {
    const result = parseJsonText(`{"a": ${'['.repeat(50_000)}`);
    expect(result).toEqual({
      ok: false,
      problems: [
        expect.objectContaining({ line: 1, column: 50_006, message: 'nested 50001 levels deep: too deep to read' }),
      ],
    });
  });

  it('reads a valid document too deep for the positioned reader, so the schema can name where it goes too deep', () => {
    const result = parseJsonText(`{"rule":${'{"any":['.repeat(10_000)}1${']}'.repeat(10_000)}}`);
    expect(result.ok).toBe(true);
    let level = (result as { value: { rule: unknown } }).value.rule;
    for (let i = 0; i < 10_000; i++) level = (level as { any: unknown[] }).any[0];
    expect(level).toBe(1);
  });
});
