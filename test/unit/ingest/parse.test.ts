import { describe, expect, it } from 'vitest';
import { identitiesOf, normalizeEmail, normalizePhone } from '../../../services/customers/identity';
import { basicUsername } from '../../../api/basic-auth';
import { parseMessage } from '../../../api/segment-wire-format';

const NOW = new Date('2031-03-04T05:06:07.000Z');

describe('normalizeEmail', () => {
  it.each([
    ['Mei.Chen@Example.COM', 'mei.chen@example.com'],
    ['  lin@example.com\t', 'lin@example.com'],
  ])('normalises %j to %j', (raw, email) => {
    expect(normalizeEmail(raw)).toBe(email);
  });

  it.each(['mei', 'mei@', '@example.com', 'mei chen@example.com', 'mei@example'])('refuses %j', (raw) => {
    expect(normalizeEmail(raw)).toBeNull();
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+86 138-0013-8000', '+8613800138000'],
    ['0086 (138) 0013 8000', '+8613800138000'],
    ['+1 (212) 555.0100', '+12125550100'],
    ['+4930123456', '+4930123456'],
  ])('normalises %j to %j', (raw, phone) => {
    expect(normalizePhone(raw)).toBe(phone);
  });

  it.each([
    ['a local number without a country code', '138 0013 8000'],
    ['letters', '+86 138 CALL ME'],
    ['too few digits', '+86 123'],
    ['more than 15 digits', '+86 1380013800012345'],
    ['a country code starting with 0', '+0 2125550100'],
  ])('refuses %s', (_what, raw) => {
    expect(normalizePhone(raw)).toBeNull();
  });
});

describe('identitiesOf', () => {
  it('lists the identities strongest first: app user, email, phone, anonymous', () => {
    expect(
      identitiesOf({ anonymousId: 'a-1', phone: '+8613800138000', email: 'mei@example.com', userId: 'u-1' }),
    ).toEqual([
      { kind: 'app_user', value: 'u-1' },
      { kind: 'email', value: 'mei@example.com' },
      { kind: 'phone', value: '+8613800138000' },
      { kind: 'anonymous', value: 'a-1' },
    ]);
    expect(identitiesOf({ anonymousId: 'a-1' })).toEqual([{ kind: 'anonymous', value: 'a-1' }]);
  });
});

describe('basicUsername', () => {
  const encode = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('reads the username of a Basic header, with or without a password, whatever the scheme case', () => {
    expect(basicUsername(encode('pk_write_abc:'))).toBe('pk_write_abc');
    expect(basicUsername(encode('pk_write_abc:ignored'))).toBe('pk_write_abc');
    expect(basicUsername(encode('pk_write_abc'))).toBe('pk_write_abc');
    expect(basicUsername(`basic ${Buffer.from('pk_write_abc:').toString('base64')}`)).toBe('pk_write_abc');
  });

  it('gives an empty username for a missing header or another scheme', () => {
    expect(basicUsername(undefined)).toBe('');
    expect(basicUsername('Bearer pk_write_abc')).toBe('');
    expect(basicUsername('Basic')).toBe('');
  });
});

describe('parseMessage', () => {
  it('turns an identify into an event named identify: traits as properties, email and phone as identities only', () => {
    const parsed = parseMessage(
      'identify',
      {
        userId: 'u-1',
        messageId: 'm-1',
        traits: { firstName: 'Mei', email: 'MEI@example.com', phone: '+86 138 0013 8000' },
      },
      ['$'],
      NOW,
    );
    expect(parsed).toEqual({
      message: {
        type: 'identify',
        messageId: 'm-1',
        name: 'identify',
        occurredAt: NOW,
        properties: { firstName: 'Mei', email: 'MEI@example.com', phone: '+86 138 0013 8000' },
        traits: { firstName: 'Mei' },
        identities: [
          { kind: 'app_user', value: 'u-1' },
          { kind: 'email', value: 'mei@example.com' },
          { kind: 'phone', value: '+8613800138000' },
        ],
        reconsent: false,
      },
    });
  });

  it('reads timestamps with an offset as that instant, and treats null ids as absent (analytics.js sends userId: null)', () => {
    const parsed = parseMessage(
      'track',
      { userId: null, anonymousId: 'a-1', event: 'x', timestamp: '2031-01-01T08:00:00+08:00' },
      ['$'],
      NOW,
    );
    expect(parsed).toMatchObject({
      message: {
        occurredAt: new Date('2031-01-01T00:00:00Z'),
        identities: [{ kind: 'anonymous', value: 'a-1' }],
        properties: {},
        traits: {},
      },
    });
  });

  it('prefixes issue paths with the batch position', () => {
    expect(parseMessage('track', { type: 'track', event: 7 }, ['$', 'batch', 3], NOW)).toEqual({
      issues: [{ path: '$.batch[3].event', message: 'must be a string' }],
    });
  });

  it('refuses a non-string email trait', () => {
    expect(parseMessage('identify', { userId: 'u-1', traits: { email: 42 } }, ['$'], NOW)).toEqual({
      issues: [{ path: '$.traits.email', message: 'must be a string' }],
    });
  });
});
