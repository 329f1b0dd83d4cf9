/** Channels behind one small interface. Email leaves through nodemailer (pooled SMTP). */
import nodemailer from 'nodemailer';

export interface OutboundMessage {
  /** Derived from the ledger key: the same message always carries the same id. */
  idempotencyKey: string;
  to: string;
  subject?: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
}

export interface Transport {
  /**
   * Rejects with `MessageNotAcceptedError` when the provider provably did not take the message
   * (sending it again cannot duplicate it); any other rejection means it may have been accepted.
   */
  send(message: OutboundMessage): Promise<{ providerMessageId: string }>;
  /** Can the provider deduplicate by idempotency key? If not, a crashed send is `uncertain`, never resent. */
  readonly idempotent: boolean;
  close?(): void;
}

export type Transports = Partial<Record<'email' | 'sms' | 'push' | 'wechat', Transport>>;

/** The provider certainly did not accept the message: a retry may send it. Keeps the cause's message. */
export class MessageNotAcceptedError extends Error {
  override readonly name = 'MessageNotAcceptedError';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** System errors of a TCP connect (or name lookup) that never opened a connection. */
const neverConnected = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when a nodemailer SMTP error proves the server did not take the message: the connection
 * never opened, or the server refused the sender, a recipient, DATA or the message itself with a
 * 4xx/5xx reply. A connection lost or timed out after the session started proves nothing (the
 * message may have been accepted before the "250" reply got lost).
 */
function smtpNotAccepted(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: unknown; originalCode?: unknown; syscall?: unknown; command?: unknown; responseCode?: unknown };
  if (e.code === 'EDNS') return true;
  if (typeof e.originalCode === 'string' && neverConnected.has(e.originalCode) && (e.syscall === 'connect' || e.syscall === 'getaddrinfo')) return true;
  // Rejected by nodemailer's own checks (bad address, empty message) before anything went out.
  if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.command === 'API') return true;
  const refusedByReply = e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'EAUTH';
  return refusedByReply && typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600;
}

export function createSmtpTransport(options: { url: string; from: string; messageIdDomain?: string }): Transport {
  const transporter = nodemailer.createTransport(options.url.includes('pool=') ? options.url : `${options.url}${options.url.includes('?') ? '&' : '?'}pool=true`);
  const domain = options.messageIdDomain ?? 'perennial.local';
  return {
    idempotent: false,
    async send(message) {
      const messageId = `<${message.idempotencyKey.replace(/[^A-Za-z0-9.-]/g, '.')}@${domain}>`;
      const info = await transporter
        .sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId,
          headers: message.headers,
        })
        .catch((error: unknown) => {
          throw smtpNotAccepted(error) ? new MessageNotAcceptedError(error) : error;
        });
      return { providerMessageId: info.messageId ?? messageId };
    },
    close: () => transporter.close(),
  };
}
