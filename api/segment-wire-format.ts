/**
 * Segment's wire format for identify and track: limits, per-type schemas, normalising identities
 * (email, phone, external ids) into the `IngestMessage` the customer store takes.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  identitiesOf,
  normalizeDeviceSerial,
  normalizeEmail,
  normalizeMarketplaceId,
  normalizePhone,
  normalizeWechatOpenId,
  type Identity,
} from '../services/customers/identity';
import { carriesReconsent } from '../services/customers/erasure';
import { jsonPath, type Issue } from './http';
import { storable, storableString, storableTimestamp } from './schemas/storable';
import { profileIssues } from '../services/customers/profile-schemas';
import type { IngestMessage, MessageType } from '../services/customers/ingest';

/** Segment's limits: 32 KB per message, 500 KB per batch request. */
export const MESSAGE_LIMIT_BYTES = 32 * 1024;
export const BATCH_LIMIT_BYTES = 500 * 1024;

// Every string a message carries is one Postgres can store, and its date one `timestamptz` can hold
// (api/schemas/storable.ts): a batch item holding one that is not is refused on its own, before
// anything of the batch is stored.
const jsonObject = storable(z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }));
const identifier = storableString().min(1, 'must not be empty').max(255, 'at most 255 characters').nullish();

const common = {
  userId: identifier,
  anonymousId: identifier,
  messageId: identifier,
  timestamp: storableTimestamp('must be an ISO 8601 date-time with a zone, like 2024-05-01T09:30:00Z').nullish(),
  context: jsonObject.nullish(),
};
export const schemas = {
  track: z.object({
    ...common,
    type: z.literal('track', { error: 'must be "track"' }).nullish(),
    event: storableString({
      error: (issue) =>
        issue.input === undefined || issue.input === null ? 'required: the event name' : 'must be a string',
    })
      .min(1, 'must not be empty')
      .max(255, 'at most 255 characters')
      .refine((name) => name !== 'identify', '"identify" is reserved for identify calls'),
    properties: jsonObject.nullish(),
  }),
  identify: z.object({
    ...common,
    type: z.literal('identify', { error: 'must be "identify"' }).nullish(),
    traits: jsonObject.nullish(),
  }),
};

/**
 * Validates one message of `type` (the endpoint's, or the batch item's `type`). Issue paths start
 * at `at` (`$` for a single call, `$.batch[3]` in a batch).
 */
export function parseMessage(
  type: MessageType,
  input: unknown,
  at: readonly PropertyKey[],
  now: Date,
): { message: IngestMessage } | { issues: Issue[] } {
  const path = (...rest: PropertyKey[]) => jsonPath([...at, ...rest]);
  const parsed = schemas[type].safeParse(input);
  if (!parsed.success)
    return { issues: parsed.error.issues.map((issue) => ({ path: path(...issue.path), message: issue.message })) };
  const data = parsed.data;
  const issues: Issue[] = [];
  if (!data.userId && !data.anonymousId)
    issues.push({ path: path('userId'), message: 'userId or anonymousId is required' });

  const given = 'traits' in data ? (data.traits ?? {}) : {};
  const { email: rawEmail, phone: rawPhone, marketplaceId, wechatOpenId, deviceSerial, ...traits } = given;
  const email = normalized(rawEmail, normalizeEmail, path('traits', 'email'), problems.email, issues);
  const phone = normalized(rawPhone, normalizePhone, path('traits', 'phone'), problems.phone, issues);
  const more: Identity[] = [];
  const traitIdentities = {
    marketplace: ['marketplaceId', marketplaceId],
    wechat_openid: ['wechatOpenId', wechatOpenId],
    device_serial: ['deviceSerial', deviceSerial],
  } as const;
  for (const [kind, [name, raw]] of Object.entries(traitIdentities) as [
    keyof typeof traitIdentities,
    readonly [string, unknown],
  ][]) {
    const value = normalized(raw, normalizers[kind], path('traits', name), problems[kind], issues);
    if (value !== undefined) more.push({ kind, value });
  }
  more.push(...externalIdentities(data.context?.externalIds, path, issues));
  issues.push(
    ...profileIssues(
      type,
      'event' in data ? data.event : 'identify',
      'event' in data ? (data.properties ?? {}) : given,
      at,
    ),
  );
  if (issues.length > 0) return { issues };

  return {
    message: {
      type,
      messageId: data.messageId ?? randomUUID(),
      name: 'event' in data ? data.event : 'identify',
      occurredAt: data.timestamp ? new Date(data.timestamp) : now,
      properties: 'event' in data ? (data.properties ?? {}) : given,
      traits: type === 'identify' ? traits : {},
      identities: identitiesOf({
        userId: data.userId ?? undefined,
        anonymousId: data.anonymousId ?? undefined,
        email,
        phone,
        more,
      }),
      reconsent: carriesReconsent('event' in data ? data.event : 'identify', data.context),
    },
  };
}

const problems = {
  email: 'not an email address',
  phone: 'not a phone number in international format (+ country code and number)',
  marketplace: 'not a marketplace id: "<marketplace>:<buyer id>", like "tmall:buyer-123"',
  wechat_openid: 'not a WeChat openid: 6-64 letters, digits, "-" or "_"',
  device_serial: 'not a device serial: 3-64 letters, digits, ".", "_", ":" or "-"',
} as const;
const normalizers = {
  email: normalizeEmail,
  phone: normalizePhone,
  marketplace: normalizeMarketplaceId,
  wechat_openid: normalizeWechatOpenId,
  device_serial: normalizeDeviceSerial,
} as const;
/** Segment `context.externalIds[].type` → identity kind. */
export const externalIdTypes = {
  email: 'email',
  phone: 'phone',
  marketplace_id: 'marketplace',
  wechat_openid: 'wechat_openid',
  device_serial: 'device_serial',
} as const;

/**
 * `context.externalIds` as Segment sends them: `[{ id, type, collection: 'users', encoding: 'none' }]`.
 * Types: see `externalIdTypes`; other collections than `users` and other encodings are refused.
 */
function externalIdentities(raw: unknown, path: (...rest: PropertyKey[]) => string, issues: Issue[]): Identity[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.push({
      path: path('context', 'externalIds'),
      message: 'must be an array of {id, type, collection, encoding}',
    });
    return [];
  }
  const found: Identity[] = [];
  for (const [index, item] of raw.entries()) {
    const at = (...rest: PropertyKey[]) => path('context', 'externalIds', index, ...rest);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      issues.push({ path: at(), message: 'must be a JSON object: {id, type, collection, encoding}' });
      continue;
    }
    const { id, type, collection, encoding } = item as Record<string, unknown>;
    const kind =
      typeof type === 'string' && Object.hasOwn(externalIdTypes, type)
        ? externalIdTypes[type as keyof typeof externalIdTypes]
        : undefined;
    if (kind === undefined)
      issues.push({
        path: at('type'),
        message: `must be one of ${Object.keys(externalIdTypes)
          .map((t) => `"${t}"`)
          .join(', ')}`,
      });
    if (collection !== undefined && collection !== null && collection !== 'users')
      issues.push({ path: at('collection'), message: 'must be "users"' });
    if (encoding !== undefined && encoding !== null && encoding !== 'none')
      issues.push({ path: at('encoding'), message: 'must be "none"' });
    if (id === undefined || id === null || id === '') {
      issues.push({ path: at('id'), message: 'required: the identifier' });
      continue;
    }
    if (kind === undefined) continue;
    const value = normalized(id, normalizers[kind], at('id'), problems[kind], issues);
    if (value !== undefined) found.push({ kind, value });
  }
  return found;
}

function normalized(
  raw: unknown,
  normalize: (value: string) => string | null,
  path: string,
  problem: string,
  issues: Issue[],
): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') {
    issues.push({ path, message: 'must be a string' });
    return undefined;
  }
  const value = normalize(raw);
  if (value === null) issues.push({ path, message: problem });
  return value ?? undefined;
}
