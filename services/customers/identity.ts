/**
 * Identity resolution (One ID): every ingested message names one or more identities (Segment
 * `userId`, `anonymousId`, identify traits `email` / `phone` / `marketplaceId` / `wechatOpenId` /
 * `deviceSerial`, and `context.externalIds`); they resolve to exactly one customer, created when none
 * is known. A message naming identities of two or more customers merges them (./merge.ts).
 */
import { and, eq, or, sql } from 'drizzle-orm';
import type { Db } from '../../drizzle/client';
import { customerIdentities, customers, type IdentityKind } from '../../drizzle/schema';
import { mergeCustomers, type MergeOutcome } from './merge';

export interface Identity {
  kind: IdentityKind;
  value: string;
}

/** A transaction (or the database itself) as drizzle hands it to `db.transaction`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Strongest first: the first of these that is already known decides the customer. */
const precedence: readonly IdentityKind[] = [
  'app_user',
  'email',
  'phone',
  'marketplace',
  'wechat_openid',
  'device_serial',
  'anonymous',
];

export interface Claims {
  userId?: string;
  anonymousId?: string;
  /** Already normalised (`normalizeEmail`). */
  email?: string;
  /** Already normalised (`normalizePhone`). */
  phone?: string;
  /** Further identities (already normalised), e.g. from `context.externalIds` or identity traits. */
  more?: Identity[];
}

/** The identities a message names, strongest first, each once. */
export function identitiesOf(claims: Claims): Identity[] {
  const given: Identity[] = [];
  const add = (kind: IdentityKind, value: string | undefined) => {
    if (value !== undefined && !given.some((i) => i.kind === kind && i.value === value)) given.push({ kind, value });
  };
  add('app_user', claims.userId);
  add('anonymous', claims.anonymousId);
  add('email', claims.email);
  add('phone', claims.phone);
  for (const identity of claims.more ?? []) add(identity.kind, identity.value);
  return given.sort((a, b) => precedence.indexOf(a.kind) - precedence.indexOf(b.kind));
}

/**
 * A marketplace buyer id, qualified by its marketplace: `tmall:buyer-123`, `jd:8812` (an id alone is
 * ambiguous across marketplaces). The marketplace part is lower-cased; null when malformed.
 */
export function normalizeMarketplaceId(raw: string): string | null {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]{0,31}):(\S{1,200})\s*$/.exec(raw);
  return match ? `${match[1]!.toLowerCase()}:${match[2]!}` : null;
}

/** A WeChat openid: 6–64 letters, digits, `-` and `_` (case matters); null otherwise. */
export function normalizeWechatOpenId(raw: string): string | null {
  const value = raw.trim();
  return /^[A-Za-z0-9_-]{6,64}$/.test(value) ? value : null;
}

/** A device serial as printed on the device, upper-cased: 3–64 of letters, digits, `-`, `.`, `_`, `:`. */
export function normalizeDeviceSerial(raw: string): string | null {
  const value = raw.trim().toUpperCase();
  return /^[A-Z0-9][A-Z0-9._:-]{2,63}$/.test(value) ? value : null;
}

/** Trimmed and lower-cased; null when it is not an email address. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}

/**
 * `+` and 7–15 digits (E.164). Accepts spaces, dashes, dots and parentheses, and `00` for `+`;
 * null without a country code (a local number cannot be told apart from another country's).
 */
export function normalizePhone(raw: string): string | null {
  const compact = raw.trim().replace(/[\s\-.()]/g, '');
  const digits = compact.startsWith('+') ? compact.slice(1) : compact.startsWith('00') ? compact.slice(2) : null;
  return digits !== null && /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : null;
}

export interface Resolution {
  customerId: string;
  /** True when this message created the customer. */
  created: boolean;
  /** Identities newly attached to `customerId` by this message. */
  attached: Identity[];
  /** Customers merged into `customerId` by this message (oldest first). */
  merges: MergeOutcome[];
}

/**
 * Finds the customer for `identities`, creating one when none is known, and attaches the unknown
 * identities to it. When the identities belong to several customers they are merged into one
 * (./merge.ts: the oldest survives). Call inside a transaction: safe when concurrent requests bring
 * the same new identity (the identity's primary key decides who creates the customer; the others
 * re-read and use it) or join overlapping customers (rows are locked in id order).
 */
export async function resolveCustomer(
  tx: Tx,
  identities: readonly Identity[],
  messageId?: string,
): Promise<Resolution> {
  if (identities.length === 0) throw new Error('a message must name at least one identity');
  const merges: MergeOutcome[] = [];
  const attached: Identity[] = [];
  let createdId: string | undefined;
  // Each round either attaches every identity still unknown or learns (after a concurrent request
  // committed) who claimed it, and then joins that customer too.
  for (let round = 0; round < 8; round++) {
    let known = await ownersOf(tx, identities);
    const owners = [...new Set(known.values())];
    if (owners.length > 1) {
      merges.push(...(await mergeCustomers(tx, owners, messageId ?? null)).merges);
      known = await ownersOf(tx, identities);
    }
    const owner = (identity: Identity) => known.get(key(identity));
    const unknown = identities.filter((identity) => owner(identity) === undefined);
    let customerId = identities.map(owner).find((id) => id !== undefined);

    if (customerId === undefined) {
      // Nobody known: create the customer, then claim the strongest identity for it. A concurrent
      // request claiming the same identity blocks on its primary key until we commit (or the other way
      // round); the loser drops its empty customer and continues with the winner's.
      const [row] = await tx.insert(customers).values({}).returning({ id: customers.id });
      const anchor = unknown.shift()!;
      const claimed = await tx
        .insert(customerIdentities)
        .values({ ...anchor, customerId: row!.id })
        .onConflictDoNothing()
        .returning({ kind: customerIdentities.kind });
      if (claimed.length > 0) {
        customerId = createdId = row!.id;
        attached.push(anchor);
      } else {
        await tx.delete(customers).where(eq(customers.id, row!.id));
        customerId = (await ownersOf(tx, [anchor])).get(key(anchor));
        if (customerId === undefined) throw new Error(`identity ${anchor.kind} vanished while resolving`); // deleted by a concurrent erasure
      }
    }

    const rows =
      unknown.length === 0
        ? []
        : await tx
            .insert(customerIdentities)
            .values(unknown.map((identity) => ({ ...identity, customerId: customerId! })))
            .onConflictDoNothing()
            .returning({ kind: customerIdentities.kind, value: customerIdentities.value });
    attached.push(...rows);
    // Identities a concurrent request claimed first (we waited for its commit): next round joins them.
    if (rows.length === unknown.length) return { customerId, created: createdId === customerId, attached, merges };
  }
  throw new Error('identities keep being claimed concurrently while resolving');
}

/** Shallow-merges `traits` into the customer's traits (a key given replaces the stored value). */
export async function mergeTraits(tx: Tx, customerId: string, traits: Record<string, unknown>): Promise<void> {
  if (Object.keys(traits).length === 0) return;
  await tx
    .update(customers)
    .set({ traits: sql`${customers.traits} || ${JSON.stringify(traits)}::jsonb`, updatedAt: sql`now()` })
    .where(eq(customers.id, customerId));
}

export async function ownersOf(tx: Tx, identities: readonly Identity[]): Promise<Map<string, string>> {
  const rows = await tx
    .select({
      kind: customerIdentities.kind,
      value: customerIdentities.value,
      customerId: customerIdentities.customerId,
    })
    .from(customerIdentities)
    .where(
      or(...identities.map((i) => and(eq(customerIdentities.kind, i.kind), eq(customerIdentities.value, i.value)))),
    );
  return new Map(rows.map((row) => [key(row), row.customerId]));
}

function key(identity: Identity): string {
  return `${identity.kind}\u0000${identity.value}`;
}
