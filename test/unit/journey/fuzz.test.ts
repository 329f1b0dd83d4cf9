/**
 * The journey validator under random and hostile input: it never throws, and every rejection
 * carries issues with JSON paths. Mutations of a valid journey are the interesting inputs: most
 * random JSON fails at the top level.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateJourney } from '../../../domain/journey/validate';
import { phoneNurture } from '../../fixtures/journeys';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(
    '__proto__',
    'constructor',
    -1,
    0,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    '\u0000',
    '💥',
    'x'.repeat(10_000),
    null,
    [],
    {},
    { __proto__: null },
  ),
);

/** Every path into `value` that leads to an object property or array element. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}
const allPaths = paths(JSON.parse(JSON.stringify(phoneNurture)));

function mutate(path: (string | number)[], replacement: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(phoneNurture)) as Record<string, unknown>;
  if (path.length === 0) return replacement;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

describe('validateJourney fuzzing', () => {
  it('never throws on random JSON; rejections name JSON paths', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (input) => {
        const result = validateJourney(input);
        if (!result.ok) {
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) expect(issue.path).toMatch(/^\$/);
        }
      }),
      { numRuns: RUNS, seed: 1 },
    );
  });

  it('never throws when one field of a valid journey is replaced by hostile values or removed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), fc.option(hostile, { nil: undefined }), (path, replacement) => {
        const result = validateJourney(mutate(path, replacement));
        if (!result.ok) for (const issue of result.issues) expect(issue.path).toMatch(/^\$/);
      }),
      { numRuns: RUNS * 3, seed: 2 },
    );
  });
});
