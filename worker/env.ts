/** Environment of the worker process, parsed once at boot; the shared fragments are in platform/env.ts. */
import { z } from 'zod';
import { capPeriods, type FrequencyCaps } from '../domain/messaging';
import { databaseEnv, linkSecretEnv, logEnv, temporalEnv } from '../platform/env';

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

export const workerEnv = temporalEnv
  .extend(databaseEnv.shape)
  .extend(logEnv.shape)
  .extend(linkSecretEnv.shape)
  .extend({
    SMTP_URL: z.string().optional(),
    MAIL_FROM: z.string().default('Perennial <journeys@perennial.local>'),
    PUBLIC_URL: z.url().default('http://127.0.0.1:3000'), // where unsubscribe/tracking links point
    /** DKIM signing of outgoing mail (all three, or none). */
    DKIM_DOMAIN: z.string().optional(),
    DKIM_SELECTOR: z.string().optional(),
    DKIM_PRIVATE_KEY: z.string().optional(),
    /** HTTP provider endpoints; a channel without one has no transport (its sends retry until configured). */
    SMS_WEBHOOK_URL: z.url().optional(),
    PUSH_WEBHOOK_URL: z.url().optional(),
    WECHAT_WEBHOOK_URL: z.url().optional(),
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
    /** Per worker, e.g. {"sms":{"ratePerSecond":10,"burst":20}}. */
    PROVIDER_RATE_LIMITS: json(z.partialRecord(z.enum(['email', 'sms', 'push', 'wechat']), rateLimit)).optional(),
  });
export type WorkerEnv = z.infer<typeof workerEnv>;

/** The caps as the activities take them (zod's partial records widen to optional keys). */
export function capsFromEnv(env: WorkerEnv): FrequencyCaps | undefined {
  return env.MESSAGING_CAPS as FrequencyCaps | undefined;
}
