/**
 * Environment of the worker process, parsed once at boot. Fragments shared with the API process
 * (Temporal connection, database) live here too; each process composes its own schema.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DbConfig } from '../drizzle/client';
import { capPeriods, type FrequencyCaps } from '../domain/messaging';

export const temporalEnv = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'), // the dev server's default port
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('perennial'),
  /** Temporal Cloud: an API key implies TLS. */
  TEMPORAL_API_KEY: z.string().optional(),
  /** mTLS to a self-hosted cluster or Cloud: PEM file paths. */
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS: z.stringbool().optional(),
});
export type TemporalEnv = z.infer<typeof temporalEnv>;

export const databaseEnv = z.object({
  /** A real Postgres. Unset: the embedded PGlite under PGLITE_DIR (single process only). */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  PGLITE_DIR: z.string().default('.data/pglite'),
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
});

export const logEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Signs unsubscribe/preference/tracking links; the worker signs, the API verifies: both need the same value. */
export const linkSecretEnv = z.object({
  MESSAGING_LINK_SECRET: z
    .string({
      error:
        'required: a random secret (>= 32 characters) signing unsubscribe and tracking links, the same for API and worker',
    })
    .min(32, 'use at least 32 characters'),
  /** Shared with HTTP providers (SMS, push, WeChat relays): signs our requests and verifies their callbacks. */
  PROVIDER_WEBHOOK_SECRET: z.string().min(32, 'use at least 32 characters').optional(),
});

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
const capLimits = z.partialRecord(z.enum(capPeriods), z.number().int().positive()).optional();
const channelKeys = ['all', 'email', 'sms', 'push', 'wechat'] as const;
const rateLimit = z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }).strict();

/**
 * The send guardrails' deployment configuration: the worker sends under it, and the API's simulator
 * decides under it too (a simulation must not promise what the worker would not send).
 */
export const sendPolicyEnv = z.object({
  /** e.g. {"all":{"day":2,"week":5},"sms":{"week":1}}; default: no caps. */
  MESSAGING_CAPS: json(z.partialRecord(z.enum(channelKeys), capLimits)).optional(),
  /** Comma-separated local dates without marketing: 2027-02-06 (one date) or 12-25 (yearly). */
  DO_NOT_DISTURB_DATES: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^(\d{4}-)?\d{2}-\d{2}$/, 'YYYY-MM-DD or MM-DD')))
    .optional(),
});

/** The policy as the send decision takes it (zod's partial records widen to optional keys). */
export function sendPolicyFromEnv(env: z.infer<typeof sendPolicyEnv>): {
  doNotDisturb?: string[];
  caps?: FrequencyCaps;
} {
  return { doNotDisturb: env.DO_NOT_DISTURB_DATES, caps: env.MESSAGING_CAPS as FrequencyCaps | undefined };
}

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
    /** Per worker, e.g. {"sms":{"ratePerSecond":10,"burst":20}}. */
    /** `production` turns the email checks of `emailDeliveryCheck` from warnings into a refusal to start. */
    NODE_ENV: z.string().optional(),
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

export function temporalConnectionOptions(env: TemporalEnv) {
  const tls =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? { clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) } }
      : (env.TEMPORAL_TLS ?? Boolean(env.TEMPORAL_API_KEY));
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey: env.TEMPORAL_API_KEY };
}

export function databaseConfigFromEnv(raw: NodeJS.ProcessEnv): DbConfig {
  const env = parseEnv(databaseEnv, raw);
  return env.DATABASE_URL ? { url: env.DATABASE_URL, max: env.DATABASE_POOL_MAX } : { pgliteDir: env.PGLITE_DIR };
}

export class EnvError extends Error {
  override name = 'EnvError';
}

/** Parses or throws one readable line per bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, raw: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new EnvError(`invalid environment:\n${lines.join('\n')}`);
}
