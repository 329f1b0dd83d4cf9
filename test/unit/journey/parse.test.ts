import { describe, it, expect } from 'vitest';
import { stringify } from 'yaml';
import { JourneyParseError, parseJourneyText, validateJourney } from '../../../domain/journey/validate';
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
