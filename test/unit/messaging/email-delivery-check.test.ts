import { describe, expect, it } from 'vitest';
import { emailDeliveryCheck } from '../../../worker/env';

const dkim = {
  DKIM_DOMAIN: 'brand.example',
  DKIM_SELECTOR: 'perennial',
  DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----',
};
const smtp = { SMTP_URL: 'smtp://mail.brand.example:587' };

describe('emailDeliveryCheck (RFC 8058 one-click unsubscribe needs https and DKIM)', () => {
  it('production with https and DKIM: nothing to say', () => {
    expect(
      emailDeliveryCheck({ ...smtp, ...dkim, PUBLIC_URL: 'https://go.brand.example', NODE_ENV: 'production' }),
    ).toEqual({ errors: [], warnings: [] });
  });

  it('production refuses an http PUBLIC_URL and warns loudly without DKIM', () => {
    const check = emailDeliveryCheck({ ...smtp, PUBLIC_URL: 'http://go.brand.example', NODE_ENV: 'production' });
    expect(check.errors).toEqual([expect.stringMatching(/^ {2}PUBLIC_URL: .*needs an https URL/)]);
    expect(check.warnings).toEqual([expect.stringMatching(/WITHOUT a DKIM signature/)]);
  });

  it('local development (no NODE_ENV=production) only warns, for both', () => {
    const check = emailDeliveryCheck({ ...smtp, PUBLIC_URL: 'http://127.0.0.1:3000' });
    expect(check.errors).toEqual([]);
    expect(check.warnings).toHaveLength(2);
  });

  it('half a DKIM configuration is an error everywhere; a worker without email is not checked', () => {
    expect(
      emailDeliveryCheck({ ...smtp, DKIM_DOMAIN: 'brand.example', PUBLIC_URL: 'https://go.brand.example' }).errors,
    ).toEqual([expect.stringMatching(/give all three, or none/)]);
    expect(emailDeliveryCheck({ PUBLIC_URL: 'http://127.0.0.1:3000', NODE_ENV: 'production' })).toEqual({
      errors: [],
      warnings: [],
    });
  });
});
