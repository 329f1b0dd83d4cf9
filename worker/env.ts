/** Environment of the worker process, parsed once at boot; the shared fragments are in platform/env.ts. */
import { z } from 'zod';
import { databaseEnv, json, linkSecretEnv, logEnv, sendPolicyEnv, temporalEnv } from '../platform/env';

const rateLimit = z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }).strict();

export const workerEnv = temporalEnv
  .extend(databaseEnv.shape)
  .extend(logEnv.shape)
  .extend(linkSecretEnv.shape)
  .extend(sendPolicyEnv.shape)
  .extend({
    SMTP_URL: z.string().optional(),
    MAIL_FROM: z.string().default('Perennial <journeys@perennial.local>'),
    PUBLIC_URL: z.url().default('http://127.0.0.1:3000'), // where unsubscribe/tracking links point
    /** DKIM signing of outgoing mail (all three, or none). */
    DKIM_DOMAIN: z.string().optional(),
    DKIM_SELECTOR: z.string().optional(),
    DKIM_PRIVATE_KEY: z.string().optional(),
    /**
     * A send whose SMTP attempt died mid-call (it may have gone out): `resend` it under the same
     * Message-ID, which mailbox providers collapse (nothing lost), or `never` (recorded `uncertain`).
     */
    SMTP_UNCERTAIN_POLICY: z.enum(['resend', 'never']).default('resend'),
    /** HTTP provider endpoints; a channel without one has no transport (its sends retry until configured). */
    SMS_WEBHOOK_URL: z.url().optional(),
    PUSH_WEBHOOK_URL: z.url().optional(),
    WECHAT_WEBHOOK_URL: z.url().optional(),
    /** `production` turns the email checks of `emailDeliveryCheck` from warnings into a refusal to start. */
    NODE_ENV: z.string().optional(),
    /** Per worker, e.g. {"sms":{"ratePerSecond":10,"burst":20}}. */
    PROVIDER_RATE_LIMITS: json(z.partialRecord(z.enum(['email', 'sms', 'push', 'wechat']), rateLimit)).optional(),
  });
export type WorkerEnv = z.infer<typeof workerEnv>;

/**
 * RFC 8058 one-click unsubscribe needs an https link in `List-Unsubscribe` and a DKIM signature over
 * it and `List-Unsubscribe-Post`. With `NODE_ENV=production` (a deployment: `npm start` and the
 * tests never set it), a worker that sends email without an https `PUBLIC_URL` does not start, and
 * one without DKIM starts with a loud warning; elsewhere both are warnings.
 */
export function emailDeliveryCheck(
  env: Pick<WorkerEnv, 'SMTP_URL' | 'PUBLIC_URL' | 'DKIM_DOMAIN' | 'DKIM_SELECTOR' | 'DKIM_PRIVATE_KEY' | 'NODE_ENV'>,
): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!env.SMTP_URL) return { errors, warnings };
  const production = env.NODE_ENV === 'production';
  if (new URL(env.PUBLIC_URL).protocol !== 'https:') {
    const problem = `PUBLIC_URL is ${env.PUBLIC_URL}: marketing email needs an https URL for its one-click unsubscribe link (RFC 8058)`;
    if (production) errors.push(`  PUBLIC_URL: ${problem}; set the https address the API is served at`);
    else warnings.push(`${problem} (allowed because NODE_ENV is not production)`);
  }
  const dkim = [env.DKIM_DOMAIN, env.DKIM_SELECTOR, env.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkim > 0 && dkim < 3) errors.push('  DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY: give all three, or none');
  else if (dkim === 0)
    warnings.push(
      `email is sent WITHOUT a DKIM signature: mailbox providers ignore one-click unsubscribe (RFC 8058) and may junk the mail; set DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY${production ? '' : ' before going to production'}`,
    );
  return { errors, warnings };
}
