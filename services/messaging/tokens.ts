/**
 * Signed tokens in public links (unsubscribe, preferences, open pixel, click redirect):
 * `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, "perennial.link.v1." + payload))`.
 * The payload names its purpose, the customer and the ledger row (and the URL for a click), so a
 * token works for exactly that action on exactly that customer: changing any byte breaks the MAC.
 * Tokens do not expire: an unsubscribe link must keep working in an old mail.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'unsubscribe' | 'preferences' | 'open' | 'click';

export interface LinkPayload {
  p: LinkPurpose;
  /** customer id */
  c: string;
  /** ledger row (`messages.id`) */
  m: string;
  /** click: the destination */
  u?: string;
}

const mac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`perennial.link.v1.${payload}`).digest();

export function signLink(secret: string, payload: LinkPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The payload when the token is intact and for `purpose`; otherwise null. */
export function verifyLink(secret: string, token: string, purpose: LinkPurpose): LinkPayload | null {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkPayload;
    return payload.p === purpose && typeof payload.c === 'string' && typeof payload.m === 'string' ? payload : null;
  } catch {
    return null;
  }
}

/**
 * Signature of a provider webhook, either direction: hex HMAC-SHA256 over `timestamp + "." + body`.
 * The timestamp (unix seconds, its own header) is inside the MAC so a captured request cannot be
 * replayed later with a fresh timestamp.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function verifyWebhook(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const given = Buffer.from(signature.replace(/^v1=/, ''), 'hex');
  const expected = Buffer.from(signWebhook(secret, timestamp, body), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const webhookHeaders = {
  timestamp: 'x-perennial-timestamp',
  signature: 'x-perennial-signature',
  idempotencyKey: 'idempotency-key',
} as const;
