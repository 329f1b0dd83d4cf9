import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { storable, storableInstant, storableString, unstorableParts } from '../../../api/schemas/storable';
import { parseMessage } from '../../../api/segment-wire-format';

const NOW = new Date('2031-03-04T05:06:07.000Z');
const NUL = 'must not contain the NUL character (\\u0000)';
const LONE = 'must not contain a lone UTF-16 surrogate (not valid Unicode)';

describe('unstorableParts', () => {
  it('finds NUL and lone surrogates in nested values and keys, with their paths', () => {
    expect(
      unstorableParts({
        a: { b: ['fine', 'x\u0000y'], 'k\uDC00': 1 },
        ['n\u0000']: { deeper: '\uD800' },
      }),
    ).toEqual([
      { path: ['a', 'b', 1], message: NUL },
      { path: ['a', 'k\uDC00'], message: `this key ${LONE}` },
      { path: ['n\u0000'], message: `this key ${NUL}` },
      { path: ['n\u0000', 'deeper'], message: LONE },
    ]);
  });

  it.each(['😀', 'a\uD83D\uDE00b', '中文', 'é', '\u0001\u001f', ''])(
    'accepts %j (surrogate pairs included)',
    (text) => {
      expect(unstorableParts({ [text]: [text, { v: text }] })).toEqual([]);
    },
  );

  it.each(['\uD800', '\uDFFF', 'a\uD83Db', '\uDE00\uD83D', 'end\uD83D'])('refuses the lone surrogate in %j', (text) => {
    expect(unstorableParts(text)).toEqual([{ path: [], message: LONE }]);
  });

  it('walks nesting deeper than the call stack', () => {
    let deep: unknown = 'bottom\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unstorableParts(deep)).toHaveLength(1);
  });
});

describe('storable and storableString', () => {
  it('report zod issues at the offending path', () => {
    const schema = z.object({ name: storableString(), props: storable(z.record(z.string(), z.unknown())) });
    const parsed = schema.safeParse({ name: 'a\u0000', props: { list: [{ ['\uDBFF']: 'v' }] } });
    expect(parsed.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['name'], NUL],
      [['props', 'list', 0, '\uDBFF'], `this key ${LONE}`],
    ]);
  });
});

describe('storableInstant', () => {
  it.each([
    ['0001-01-01T00:00:00Z', true],
    ['9999-12-31T23:59:59.999Z', true],
    ['2024-05-01T09:30:00+02:00', true],
    ['0000-01-01T00:00:00Z', false],
    ['0001-01-01T00:30:00+01:00', false], // year 0000 in UTC
    ['9999-12-31T23:30:00-01:00', false], // year 10000 in UTC
    ['not a date', false],
  ])('%j → %j', (iso, ok) => {
    expect(storableInstant(iso)).toBe(ok);
  });
});

describe('parseMessage refuses what Postgres cannot store, at its path', () => {
  it.each([
    ['track', { userId: 'u', event: 'Order\u0000' }, '$.batch[2].event', NUL],
    ['track', { userId: 'u', event: 'e', properties: { note: 'x\uD800' } }, '$.batch[2].properties.note', LONE],
    [
      'track',
      { userId: 'u', event: 'e', properties: { ['k\u0000']: 1 } },
      '$.batch[2].properties.k\u0000',
      `this key ${NUL}`,
    ],
    ['identify', { userId: 'u', traits: { nested: [{ a: '\uDFFF' }] } }, '$.batch[2].traits.nested[0].a', LONE],
    ['identify', { userId: 'u\u0000' }, '$.batch[2].userId', NUL],
    ['identify', { anonymousId: 'a', messageId: '\uD800' }, '$.batch[2].messageId', LONE],
    [
      'track',
      { userId: 'u', event: 'e', context: { page: { title: '\u0000' } } },
      '$.batch[2].context.page.title',
      NUL,
    ],
    [
      'track',
      { userId: 'u', event: 'e', timestamp: '0000-01-01T00:00:00Z' },
      '$.batch[2].timestamp',
      'must be a real date between the years 0001 and 9999 (UTC)',
    ],
  ] as const)('%s %j', (type, input, path, message) => {
    expect(parseMessage(type, input, ['$', 'batch', 2], NOW)).toEqual({ issues: [{ path, message }] });
  });

  it('keeps surrogate pairs and other Unicode', () => {
    const parsed = parseMessage(
      'track',
      { userId: '用户😀', event: 'Order 😀', properties: { ['ключ😀']: 'ü😀' } },
      ['$'],
      NOW,
    );
    expect(parsed).toMatchObject({ message: { name: 'Order 😀', properties: { ['ключ😀']: 'ü😀' } } });
  });
});
