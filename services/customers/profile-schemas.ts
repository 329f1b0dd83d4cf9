/**
 * What a message may say about a customer's profile: field validators (shared with PATCH
 * /v1/customers/:id), the schemas of the profile events (orders, devices, telemetry), and their
 * problems at JSON paths. Storing their effects is ./profile-effects.ts.
 */
import { z } from 'zod';
import { aiplStages, type AiplStage, type Consent } from '../../drizzle/schema';
import { jsonPath, type Issue } from '../issues';

// ---- shared field validators (also used by PATCH /v1/customers/:id) -----------------------------

/** True for a zone the runtime's IANA database knows (`Asia/Shanghai`, `UTC`); offsets like `+08:00` are not zones. */
export function canonicalTimeZone(zone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export const timeZoneField = z.string({ error: 'must be a string' }).transform((zone, ctx) => {
  const canonical = canonicalTimeZone(zone.trim());
  if (canonical === null)
    ctx.addIssue({ code: 'custom', message: 'not an IANA time zone, like "Asia/Shanghai" or "Europe/Berlin"' });
  return canonical ?? zone;
});

/** A BCP 47 tag, canonicalised (`zh_cn` → `zh-CN`). */
export const localeField = z.string({ error: 'must be a string' }).transform((raw, ctx) => {
  try {
    const [canonical] = Intl.getCanonicalLocales(raw.trim().replace(/_/g, '-'));
    if (canonical) return canonical;
  } catch {
    // fall through to the issue
  }
  ctx.addIssue({ code: 'custom', message: 'not a BCP 47 language tag, like "zh-CN" or "en-US"' });
  return raw;
});

export const tagsField = z
  .array(z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(64, 'at most 64 characters'), {
    error: 'must be an array of strings',
  })
  .max(100, 'at most 100 tags');

export const aiplStageField = z.enum(aiplStages, { error: `one of ${aiplStages.map((s) => `"${s}"`).join(', ')}` });

const channelConsent = z.boolean({ error: 'must be true or false' }).optional();
export const consentField = z.strictObject(
  {
    channels: z
      .strictObject(
        { email: channelConsent, sms: channelConsent, push: channelConsent, wechat: channelConsent },
        {
          error: (issue) =>
            issue.code === 'unrecognized_keys' ? 'channels are email, sms, push and wechat' : 'must be a JSON object',
        },
      )
      .optional(),
    topics: z
      .record(
        z.string().min(1, 'a topic must not be empty').max(64, 'a topic has at most 64 characters'),
        z.boolean({ error: 'must be true or false' }),
        {
          error: 'must be a JSON object of topic → true/false',
        },
      )
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'consent has only "channels" and "topics"'
        : 'must be a JSON object like {"channels":{"email":true},"topics":{"promotions":false}}',
  },
);
export type ConsentChange = z.infer<typeof consentField>;

/** Consent merged key by key: what is given replaces, what is not given stays. */
export function mergeConsent(current: Consent, change: ConsentChange): Consent {
  const channels: Consent['channels'] = { ...current.channels };
  for (const [channel, value] of Object.entries(change.channels ?? {}))
    if (value !== undefined) channels[channel as keyof Consent['channels']] = value;
  return { channels, topics: { ...current.topics, ...change.topics } };
}

export function aiplRank(stage: string | null): number {
  return stage === null ? -1 : aiplStages.indexOf(stage as AiplStage);
}

/** The identify traits that are profile columns rather than free traits (removed from `traits`). */
export const profileTraitKeys = ['timezone', 'locale', 'tags', 'aiplStage', 'consent'] as const;

export const identifyProfile = z.object({
  timezone: timeZoneField.nullish(),
  locale: localeField.nullish(),
  tags: tagsField.nullish(),
  aiplStage: aiplStageField.nullish(),
  consent: consentField.nullish(),
});

/** Zod skips absent optional keys, so required fields say so in their type error. */
const typeError = (expected: string, required?: string) => (issue: { input?: unknown }) =>
  issue.input == null && required ? `required: ${required}` : expected;
const text = (max: number, required?: string) =>
  z
    .string({ error: typeError('must be a string', required) })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`);
/** Shops send ids as strings or numbers. */
const externalId = (required?: string) =>
  z
    .union([text(255), z.number().int()], { error: typeError('must be a string or number', required) })
    .transform(String);
const money = z.number({ error: 'must be a number' }).min(0, 'must not be negative').max(1e12, 'too large');
const instant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone, like 2024-05-01T09:30:00Z' })
  .transform((s) => new Date(s));

const orderLine = z
  .object(
    {
      sku: externalId().nullish(),
      product_id: externalId().nullish(),
      category: text(100).nullish(),
      quantity: z
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(1, 'at least 1')
        .max(10_000, 'at most 10000')
        .nullish(),
      price: money.nullish(),
    },
    { error: 'must be a JSON object' },
  )
  .superRefine((line, ctx) => {
    if (line.sku == null && line.product_id == null)
      ctx.addIssue({ code: 'custom', path: ['sku'], message: 'required: sku or product_id' });
  });

export const orderCompleted = z.object({
  order_id: externalId("the shop's order id"),
  total: money.nullish(),
  revenue: money.nullish(),
  currency: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z]{3}$/, 'a 3-letter ISO 4217 code, like "CNY"')
    .transform((c) => c.toUpperCase())
    .nullish(),
  source: text(100).nullish(),
  affiliation: text(100).nullish(),
  products: z.array(orderLine, { error: 'must be an array of products' }).max(200, 'at most 200 products').nullish(),
});

const serial = (required?: string) => text(128, required);
export const deviceEvent = z.object({
  serial: serial("the device's serial number"),
  sku: externalId().nullish(),
  product_id: externalId().nullish(),
  category: text(100).nullish(),
  installed_at: instant.nullish(),
});

export const telemetryReported = z.object({
  serial: serial("the device's serial number"),
  metric: text(100, 'the metric name, like "litres_filtered"'),
  value: z.number({ error: typeError('must be a number', 'the reading, a number') }),
  read_at: instant.nullish(),
  /** Registers an unknown serial for the sender. */
  sku: externalId().nullish(),
  product_id: externalId().nullish(),
  category: text(100).nullish(),
});

export const productDisposed = z
  .object({
    serial: serial().nullish(),
    sku: externalId().nullish(),
    product_id: externalId().nullish(),
    disposed_at: instant.nullish(),
  })
  .superRefine((p, ctx) => {
    if (p.serial == null && p.sku == null && p.product_id == null)
      ctx.addIssue({ code: 'custom', path: ['serial'], message: 'required: serial, or sku / product_id' });
  });

export const profileEvents = {
  'Order Completed': orderCompleted,
  'Product Installed': deviceEvent,
  'Device Registered': deviceEvent,
  'Telemetry Reported': telemetryReported,
  'Product Disposed': productDisposed,
} as const;
type ProfileEventName = keyof typeof profileEvents;
export const isProfileEvent = (name: string): name is ProfileEventName => Object.hasOwn(profileEvents, name);

/**
 * Problems with the profile fields of a message (identify traits, or the properties of the known
 * track events), with JSON paths under `at` (`$`, `$.batch[3]`).
 */
export function profileIssues(
  type: 'identify' | 'track',
  name: string,
  payload: Record<string, unknown>,
  at: readonly PropertyKey[],
): Issue[] {
  const [schema, field] =
    type === 'identify'
      ? [identifyProfile, 'traits']
      : isProfileEvent(name)
        ? [profileEvents[name], 'properties']
        : [undefined, ''];
  if (!schema) return [];
  const parsed = schema.safeParse(payload);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: jsonPath([...at, field, ...issue.path]), message: issue.message }));
}

// ---- effects ------------------------------------------------------------------------------------
