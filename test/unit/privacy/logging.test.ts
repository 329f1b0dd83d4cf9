import { describe, expect, it } from 'vitest';
import { carriesReconsent, identityHash } from '../../../services/customers/erasure';
import pino from 'pino';
import { privateLoggerOptions, safeError, safeUrl, scrubPii } from '../../../platform/logging';

describe('scrubPii', () => {
  it('masks email addresses, E.164 phones (with separators) and the params drizzle appends to a failed query', () => {
    expect(scrubPii('451 <Ada.L+tag@mail.example.org>: Recipient address rejected')).toBe(
      '451 <[email]>: Recipient address rejected',
    );
    expect(scrubPii('call +86 138-0013-8000 or +8613800138000')).toBe('call [phone] or [phone]');
    expect(
      scrubPii('Failed query: insert into "customer_identities" values ($1, $2)\nparams: email,ada@example.org'),
    ).toBe('Failed query: insert into "customer_identities" values ($1, $2)\nparams: [redacted]');
  });

  it('leaves ids, counts and dates alone', () => {
    const text = 'customer 0f8b6c1e-2a3b-4c5d-8e9f-001122334455 at 2031-01-01T00:00:00Z: 12 rows, order 1234567';
    expect(scrubPii(text)).toBe(text);
  });
});

describe('safeError', () => {
  it('keeps type, code and the cause chain, scrubbed, and drops driver detail and parameters', () => {
    const cause = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      detail: 'Key (kind, value)=(email, ada@example.org) already exists.',
      parameters: ['ada@example.org'],
    });
    const error = new Error('Failed query: select 1\nparams: ada@example.org', { cause });
    const safe = safeError(error) as Record<string, unknown>;
    expect(JSON.stringify(safe)).not.toContain('ada@example.org');
    expect(safe).toMatchObject({
      type: 'Error',
      message: 'Failed query: select 1\nparams: [redacted]',
      cause: { code: '23505', message: 'duplicate key value violates unique constraint' },
    });
  });
});

describe('safeUrl', () => {
  it('redacts query values and logs link routes by their pattern', () => {
    expect(safeUrl({ method: 'GET', url: '/v1/customers?identity=email:ada@example.org&limit=5' })).toBe(
      '/v1/customers?identity=[redacted]&limit=[redacted]',
    );
    expect(safeUrl({ method: 'GET', url: '/u/eyJwIjoi.abc', routeOptions: { url: '/u/:token' } })).toBe('/u/:token');
    expect(safeUrl({ method: 'GET', url: '/v1/journeys/x' })).toBe('/v1/journeys/x');
  });
});

describe('re-consent and identity hashes', () => {
  it('re-consent is a "Consent Given" event or context.consent.given === true, nothing else', () => {
    expect(carriesReconsent('Consent Given', undefined)).toBe(true);
    expect(carriesReconsent('identify', { consent: { given: true } })).toBe(true);
    expect(carriesReconsent('identify', { consent: { given: 'yes' } })).toBe(false);
    expect(carriesReconsent('identify', { consent: { categoryPreferences: { Advertising: true } } })).toBe(false);
    expect(carriesReconsent('Order Completed', null)).toBe(false);
  });

  it('hashes are keyed: another secret or another kind gives another hash', () => {
    const email = { kind: 'email', value: 'ada@example.org' } as const;
    const a = identityHash('secret-one-0123456789abcdef0123456789', email);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(identityHash('secret-two-0123456789abcdef0123456789', email)).not.toBe(a);
    expect(
      identityHash('secret-one-0123456789abcdef0123456789', { kind: 'app_user', value: 'ada@example.org' }),
    ).not.toBe(a);
  });
});

describe('a real failure through the logger', () => {
  it('keeps the stack trace readable (node_modules/@scope paths) while the email in the message is redacted', async () => {
    const { msToNumber } = await import('@temporalio/common/lib/time');
    let failure: unknown;
    try {
      msToNumber('ada@example.org' as never); // throws from inside node_modules/@temporalio/common
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).stack).toMatch(/node_modules\/@temporalio\/common\//);
    const lines: string[] = [];
    const log = pino(privateLoggerOptions('info'), { write: (line: string) => void lines.push(line) });
    log.error({ err: failure }, 'activity failed');
    const logged = JSON.parse(lines[0]!) as { err: { message: string; stack: string } };
    expect(logged.err.message).toBe("Invalid duration string: '[email]'");
    expect(logged.err.stack).not.toContain('ada@example.org');
    expect(logged.err.stack).toMatch(/at msToNumber \(.*node_modules\/@temporalio\/common\/\S+:\d+:\d+\)/);
    expect(logged.err.stack).not.toMatch(/\[email\]:\d/);
    expect(
      scrubPii('at x (/app/node_modules/.pnpm/@temporalio+worker@1.11.0/node_modules/@temporalio/worker/lib/a.js:1:2)'),
    ).toBe('at x (/app/node_modules/.pnpm/@temporalio+worker@1.11.0/node_modules/@temporalio/worker/lib/a.js:1:2)');
  });
});
