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
const neverConnected = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A `MessageNotAcceptedError` when a nodemailer SMTP error proves the server did not take the
 * message: the connection never opened, or the server refused the login, sender, a recipient, DATA
 * or the message itself with a 4xx/5xx reply. Otherwise undefined: a connection lost or timed out
 * after the session started proves nothing (the "250" for an accepted message may have been lost).
 */
function smtpNotAccepted(error: unknown): MessageNotAcceptedError | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { code?: unknown; originalCode?: unknown; syscall?: unknown; command?: unknown; responseCode?: unknown };
  if (e.code === 'EDNS') return new MessageNotAcceptedError(error);
  if (typeof e.originalCode === 'string' && neverConnected.has(e.originalCode) && (e.syscall === 'connect' || e.syscall === 'getaddrinfo')) {
    return new MessageNotAcceptedError(error);
  }
  // Rejected by nodemailer's own checks (bad address, empty message) before anything went out.
  if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.command === 'API') return new MessageNotAcceptedError(error, true);
  const refusedByReply = e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'EAUTH';
  if (refusedByReply && typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600) {
    // Permanent only when it is about this message (its recipient or its content). A refused login
    // or sender is our configuration: every message would fail alike, so keep retrying until fixed.
    const aboutThisMessage = e.command === 'RCPT TO' || e.code === 'EMESSAGE';
    return new MessageNotAcceptedError(error, aboutThisMessage && e.responseCode >= 500 && e.responseCode !== 503);
  }
  return undefined;
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
          throw smtpNotAccepted(error) ?? error;
        });
      return { providerMessageId: info.messageId ?? messageId };
    },
    close: () => transporter.close(),
  };
}
