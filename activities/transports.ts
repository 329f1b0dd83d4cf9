/**
 * Channels behind one small interface. Email leaves through nodemailer (pooled SMTP, optional
 * DKIM); SMS, app push and WeChat template messages through HTTP providers: one signed JSON webhook
 * transport, shaped per channel by a small adapter.
 */
import nodemailer from 'nodemailer';
import { signWebhook, webhookHeaders } from '../services/messaging/tokens';

export interface OutboundMessage {
  /** Derived from the ledger key: the same message always carries the same id. */
  idempotencyKey: string;
  to: string;
  subject?: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  /** Provider template fields (WeChat `data`, push `data`), rendered. */
  fields?: Record<string, string>;
  /** The provider's template id (WeChat `template_id`). */
  providerTemplateId?: string;
  /** A link the message opens (WeChat `url`, push deep link). */
  url?: string;
}

export interface Transport {
  /**
   * Rejects with `MessageNotAcceptedError` when the provider provably did not take the message
   * (sending it again cannot duplicate it); any other rejection means it may have been accepted.
   */
  send(message: OutboundMessage): Promise<{ providerMessageId: string }>;
  /**
   * Can the provider deduplicate by idempotency key? If not, a send whose attempt crashed mid-call is
   * resent under the same key (email: the same Message-ID), or recorded `uncertain` (`uncertainSends`).
   */
  readonly idempotent: boolean;
  close?(): void;
}

export type Transports = Partial<Record<'email' | 'sms' | 'push' | 'wechat', Transport>>;

/**
 * The provider certainly did not accept the message: a retry may send it. `permanent` when this
 * message was refused for good (a 5xx reply other than 503 to its recipient or content, or an
 * address nodemailer rejects): a retry would be refused again. Keeps the cause's message.
 */
export class MessageNotAcceptedError extends Error {
  override readonly name = 'MessageNotAcceptedError';
  constructor(
    cause: unknown,
    readonly permanent = false,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** System errors of a TCP connect (or name lookup) that never opened a connection. */
const neverConnected = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * A `MessageNotAcceptedError` when a nodemailer SMTP error proves the server did not take the
 * message: the connection never opened, or the server refused the login, sender, a recipient, DATA
 * or the message itself with a 4xx/5xx reply. Otherwise undefined: a connection lost or timed out
 * after the session started proves nothing (the "250" for an accepted message may have been lost).
 */
function smtpNotAccepted(error: unknown): MessageNotAcceptedError | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & {
    code?: unknown;
    originalCode?: unknown;
    syscall?: unknown;
    command?: unknown;
    responseCode?: unknown;
  };
  if (e.code === 'EDNS') return new MessageNotAcceptedError(error);
  if (
    typeof e.originalCode === 'string' &&
    neverConnected.has(e.originalCode) &&
    (e.syscall === 'connect' || e.syscall === 'getaddrinfo')
  ) {
    return new MessageNotAcceptedError(error);
  }
  // Rejected by nodemailer's own checks (bad address, empty message) before anything went out.
  if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.command === 'API')
    return new MessageNotAcceptedError(error, true);
  const refusedByReply = e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'EAUTH';
  if (refusedByReply && typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600) {
    // Permanent only when it is about this message (its recipient or its content). A refused login
    // or sender is our configuration: every message would fail alike, so keep retrying until fixed.
    const aboutThisMessage = e.command === 'RCPT TO' || e.code === 'EMESSAGE';
    return new MessageNotAcceptedError(error, aboutThisMessage && e.responseCode >= 500 && e.responseCode !== 503);
  }
  return undefined;
}

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

/** Message-ID of an email: the ledger key, so every attempt of one message carries the same id. */
export function messageIdFor(idempotencyKey: string, domain = 'perennial.local'): string {
  return `<${idempotencyKey.replace(/[^A-Za-z0-9.-]/g, '.')}@${domain}>`;
}

export function createSmtpTransport(options: {
  url: string;
  from: string;
  messageIdDomain?: string;
  dkim?: DkimOptions;
}): Transport {
  const transporter = nodemailer.createTransport(
    options.url.includes('pool=') ? options.url : `${options.url}${options.url.includes('?') ? '&' : '?'}pool=true`,
  );
  const domain = options.messageIdDomain ?? 'perennial.local';
  return {
    idempotent: false,
    async send(message) {
      const messageId = messageIdFor(message.idempotencyKey, domain);
      const info = await transporter
        .sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId,
          headers: message.headers,
          ...(options.dkim ? { dkim: options.dkim } : {}),
        })
        .catch((error: unknown) => {
          throw smtpNotAccepted(error) ?? error;
        });
      return { providerMessageId: info.messageId ?? messageId };
    },
    close: () => transporter.close(),
  };
}

/** An HTTP provider's JSON body for one message. */
export type PayloadShaper = (message: OutboundMessage) => Record<string, unknown>;

export interface WebhookTransportOptions {
  url: string;
  /** Shared with the provider: HMAC-SHA256 over `timestamp.body` in `x-perennial-signature`. */
  secret: string;
  shape: PayloadShaper;
  timeoutMs?: number;
  /** Unix seconds for the timestamp header; tests pin it. */
  now?: () => Date;
}

/**
 * A signed JSON webhook to a provider that deduplicates by the `Idempotency-Key` header (our
 * ledger key), so resending after a crash is safe (`idempotent: true`). 2xx: accepted (the JSON
 * `id`, else the key, is the provider message id). 4xx other than 408/429: this message is refused
 * for good. 408/429/5xx and network errors before a response: not accepted, retry. A timeout
 * after the request went out proves nothing, but the provider deduplicates, so a retry is safe too.
 */
export function createWebhookTransport(options: WebhookTransportOptions): Transport {
  const now = options.now ?? (() => new Date());
  return {
    idempotent: true,
    async send(message) {
      const body = JSON.stringify(options.shape(message));
      const timestamp = String(Math.floor(now().getTime() / 1000));
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [webhookHeaders.timestamp]: timestamp,
            [webhookHeaders.signature]: `v1=${signWebhook(options.secret, timestamp, body)}`,
            [webhookHeaders.idempotencyKey]: message.idempotencyKey,
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        if (typeof code === 'string' && neverConnected.has(code)) throw new MessageNotAcceptedError(error);
        throw error;
      }
      const text = await response.text().catch(() => '');
      if (response.ok) {
        let id: unknown;
        try {
          id = (JSON.parse(text) as { id?: unknown }).id;
        } catch {
          id = undefined;
        }
        return { providerMessageId: typeof id === 'string' && id !== '' ? id : message.idempotencyKey };
      }
      const reason = new Error(`${options.url} answered ${response.status}: ${text.slice(0, 200)}`);
      const permanent =
        response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
      throw new MessageNotAcceptedError(reason, permanent);
    },
  };
}

/** SMS: a phone number and the text part (SMS providers take plain text; no subject or HTML). */
export const smsPayload: PayloadShaper = (m) => ({ to: m.to, text: m.text, reference: m.idempotencyKey });

/** App push (FCM/APNs-style relay): the app user, a notification, optional data and deep link. */
export const pushPayload: PayloadShaper = (m) => ({
  user: m.to,
  notification: { title: m.subject ?? '', body: m.text },
  data: { ...(m.fields ?? {}), ...(m.url ? { url: m.url } : {}) },
  reference: m.idempotencyKey,
});

/**
 * WeChat Official Account template message (`message/template/send`): `touser` is the OpenID,
 * `template_id` the template approved in the WeChat console, `data` its fields as `{ value }`.
 */
export const wechatTemplatePayload: PayloadShaper = (m) => {
  if (!m.providerTemplateId)
    throw new MessageNotAcceptedError(new Error('a WeChat template message needs providerTemplateId'), true);
  return {
    touser: m.to,
    template_id: m.providerTemplateId,
    ...(m.url ? { url: m.url } : {}),
    data: Object.fromEntries(Object.entries(m.fields ?? { first: m.text }).map(([k, v]) => [k, { value: v }])),
    client_msg_id: m.idempotencyKey,
  };
};

export const payloadShapers = { sms: smsPayload, push: pushPayload, wechat: wechatTemplatePayload } as const;
