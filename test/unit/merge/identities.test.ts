import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  identitiesOf,
  normalizeDeviceSerial,
  normalizeMarketplaceId,
  normalizeWechatOpenId,
} from '../../../services/customers/identity';
import { parseMessage } from '../../../api/segment-wire-format';
import { combinedConsent, combinedProfile } from '../../../services/customers/merge';
import type { customers } from '../../../drizzle/schema';

const NOW = new Date('2031-03-04T05:06:07.000Z');

describe('identity normalisers', () => {
  it.each([
    ['TMALL:buyer-123', 'tmall:buyer-123'],
    [' jd:8812 ', 'jd:8812'],
  ])('a marketplace id %j is stored as %j', (raw, value) => expect(normalizeMarketplaceId(raw)).toBe(value));
  it.each(['buyer-123', ':buyer', 'tmall:', 'tmall: buyer', '1shop:x'])('refuses the marketplace id %j', (raw) =>
    expect(normalizeMarketplaceId(raw)).toBeNull(),
  );

  it('keeps a WeChat openid as sent (case matters) and refuses spaces or short ones', () => {
    expect(normalizeWechatOpenId(' oWx_AbC-123 ')).toBe('oWx_AbC-123');
    expect(normalizeWechatOpenId('oWx AbC')).toBeNull();
    expect(normalizeWechatOpenId('abc')).toBeNull();
  });

  it('upper-cases device serials so "wp1-0001" and "WP1-0001" are one device', () => {
    expect(normalizeDeviceSerial('wp1-0001')).toBe('WP1-0001');
    expect(normalizeDeviceSerial('-WP1')).toBeNull();
    expect(normalizeDeviceSerial('W P1')).toBeNull();
  });

  it('orders identities strongest first and names each once', () => {
    expect(
      identitiesOf({
        anonymousId: 'a',
        email: 'e@x.io',
        more: [
          { kind: 'device_serial', value: 'D1' },
          { kind: 'email', value: 'e@x.io' },
          { kind: 'wechat_openid', value: 'oWx123' },
        ],
        userId: 'u',
      }),
    ).toEqual([
      { kind: 'app_user', value: 'u' },
      { kind: 'email', value: 'e@x.io' },
      { kind: 'wechat_openid', value: 'oWx123' },
      { kind: 'device_serial', value: 'D1' },
      { kind: 'anonymous', value: 'a' },
    ]);
  });
});

describe('parsing identities from messages', () => {
  it('takes identity traits out of the traits and adds context.externalIds', () => {
    const parsed = parseMessage(
      'identify',
      {
        userId: 'u1',
        traits: { wechatOpenId: 'oWx123456', marketplaceId: 'Tmall:b1', deviceSerial: 'ds-01', plan: 'gold' },
        context: { externalIds: [{ id: '+86 138 0013 8000', type: 'phone', collection: 'users', encoding: 'none' }] },
      },
      ['$'],
      NOW,
    );
    if (!('message' in parsed)) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.message.traits).toEqual({ plan: 'gold' });
    expect(parsed.message.identities).toEqual([
      { kind: 'app_user', value: 'u1' },
      { kind: 'phone', value: '+8613800138000' },
      { kind: 'marketplace', value: 'tmall:b1' },
      { kind: 'wechat_openid', value: 'oWx123456' },
      { kind: 'device_serial', value: 'DS-01' },
    ]);
  });

  it('never throws on any context.externalIds or identity traits: a message or issues whose paths start at $', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (externalIds, wechatOpenId, deviceSerial) => {
        const result = parseMessage(
          'identify',
          { userId: 'u1', traits: { wechatOpenId, deviceSerial }, context: { externalIds } },
          ['$', 'batch', 2],
          NOW,
        );
        if ('issues' in result) {
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) expect(issue.path.startsWith('$.batch[2].')).toBe(true);
        } else {
          expect(result.message.identities[0]).toEqual({ kind: 'app_user', value: 'u1' });
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('combining two profiles', () => {
  const row = (over: Partial<typeof customers.$inferSelect>): typeof customers.$inferSelect => ({
    id: 'x',
    traits: {},
    tags: [],
    aiplStage: null,
    timeZone: null,
    locale: null,
    consent: { channels: {}, topics: {} },
    createdAt: new Date('2030-01-01'),
    updatedAt: new Date('2030-01-01'),
    ...over,
  });

  it('the more recently updated profile wins a trait conflict; keys only one side has are kept', () => {
    const survivor = row({ traits: { city: 'Hangzhou', firstName: 'Mei' }, updatedAt: new Date('2030-01-01') });
    const merged = row({ traits: { city: 'Shanghai', plan: 'gold' }, updatedAt: new Date('2030-06-01') });
    expect(combinedProfile(survivor, merged).traits).toEqual({ city: 'Shanghai', firstName: 'Mei', plan: 'gold' });
    expect(combinedProfile({ ...survivor, updatedAt: new Date('2031-01-01') }, merged).traits).toEqual({
      city: 'Hangzhou',
      firstName: 'Mei',
      plan: 'gold',
    });
  });

  it('unites tags, keeps the more advanced AIPL stage, and takes zone and locale from the fresher profile when it has them', () => {
    const survivor = row({ tags: ['vip', 'b'], aiplStage: 'purchase', timeZone: 'Asia/Shanghai', locale: 'zh-CN' });
    const merged = row({
      tags: ['a', 'vip'],
      aiplStage: 'interest',
      timeZone: 'Europe/Berlin',
      locale: null,
      updatedAt: new Date('2030-02-01'),
    });
    expect(combinedProfile(survivor, merged)).toMatchObject({
      tags: ['a', 'b', 'vip'],
      aiplStage: 'purchase',
      timeZone: 'Europe/Berlin',
      locale: 'zh-CN',
    });
    expect(combinedProfile(row({ aiplStage: null }), row({ aiplStage: 'loyalty' })).aiplStage).toBe('loyalty');
  });

  it('consent: a false on either side stays false, otherwise a true is kept', () => {
    expect(
      combinedConsent(
        { channels: { email: true, sms: false }, topics: { promotions: true } },
        { channels: { email: false, push: true }, topics: { news: false } },
      ),
    ).toEqual({ channels: { email: false, sms: false, push: true }, topics: { promotions: true, news: false } });
  });
});
