/**
 * Environment fragments every process shares (Temporal connection, database, logging, link secret) and
 * the parsing that turns a bad variable into one readable line. Each process composes its own schema
 * (worker/env.ts, api/env.ts).
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

export const json = <T extends z.ZodType>(schema: T) =>
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
