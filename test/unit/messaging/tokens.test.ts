import { describe, expect, it } from 'vitest';
import { signLink, signWebhook, verifyLink, verifyWebhook } from '../../../services/messaging/tokens';
import { pickLocale } from '../../../services/messaging/templates';

const SECRET = 'unit-test-link-secret-0123456789abcdef';
const payload = {
  p: 'unsubscribe' as const,
  c: '7f0c1a9e-0000-4000-8000-000000000001',
  m: '7f0c1a9e-0000-4000-8000-000000000002',
};

describe('link tokens', () => {
  it('verify for their purpose and secret only', () => {
    const token = signLink(SECRET, payload);
    expect(verifyLink(SECRET, token, 'unsubscribe')).toEqual(payload);
    expect(verifyLink(SECRET, token, 'click')).toBeNull();
    expect(verifyLink(`${SECRET}x`, token, 'unsubscribe')).toBeNull();
  });

  it('reject any changed byte, a truncated MAC and extra segments', () => {
    const token = signLink(SECRET, payload);
    const [body, mac] = token.split('.') as [string, string];
    const otherCustomer = Buffer.from(
      JSON.stringify({ ...payload, c: '7f0c1a9e-0000-4000-8000-000000000003' }),
    ).toString('base64url');
    expect(verifyLink(SECRET, `${otherCustomer}.${mac}`, 'unsubscribe')).toBeNull();
    expect(verifyLink(SECRET, `${body}.${mac.slice(0, -2)}`, 'unsubscribe')).toBeNull();
    expect(verifyLink(SECRET, `${token}.x`, 'unsubscribe')).toBeNull();
    expect(verifyLink(SECRET, '', 'unsubscribe')).toBeNull();
  });
});

describe('webhook signatures', () => {
  const now = new Date('2027-03-10T04:00:00Z');
  const ts = String(now.getTime() / 1000);
  it('accept the exact body within five minutes, with or without the v1= prefix', () => {
    const sig = signWebhook(SECRET, ts, '{"a":1}');
    expect(verifyWebhook(SECRET, ts, `v1=${sig}`, '{"a":1}', now)).toBe(true);
    expect(verifyWebhook(SECRET, ts, sig, '{"a":1}', new Date(now.getTime() + 299_000))).toBe(true);
  });
  it('reject another body, another timestamp, a stale timestamp or a missing header', () => {
    const sig = signWebhook(SECRET, ts, '{"a":1}');
    expect(verifyWebhook(SECRET, ts, sig, '{"a":2}', now)).toBe(false);
    expect(verifyWebhook(SECRET, String(Number(ts) + 1), sig, '{"a":1}', now)).toBe(false);
    expect(verifyWebhook(SECRET, ts, sig, '{"a":1}', new Date(now.getTime() + 301_000))).toBe(false);
    expect(verifyWebhook(SECRET, undefined, sig, '{"a":1}', now)).toBe(false);
  });
});

describe('pickLocale', () => {
  const available = ['en', 'zh-CN', 'zh-TW'];
  it('prefers the exact tag, case-insensitively', () => {
    expect(pickLocale(available, 'zh-tw', 'en')).toBe('zh-TW');
  });
  it('falls back to the same language, then to the default', () => {
    expect(pickLocale(available, 'zh-HK', 'en')).toBe('zh-CN');
    expect(pickLocale(['en', 'zh', 'zh-TW'], 'zh-HK', 'en')).toBe('zh');
    expect(pickLocale(available, 'en-GB', 'zh-CN')).toBe('en');
    expect(pickLocale(available, 'fr', 'en')).toBe('en');
    expect(pickLocale(available, null, 'zh-CN')).toBe('zh-CN');
  });
});
