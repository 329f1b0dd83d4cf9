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
  send(message: OutboundMessage): Promise<{ providerMessageId: string }>;
  /** Can the provider deduplicate by idempotency key? If not, a crashed send is `uncertain`, never resent. */
  readonly idempotent: boolean;
  close?(): void;
}

export type Transports = Partial<Record<'email' | 'sms' | 'push' | 'wechat', Transport>>;

export function createSmtpTransport(options: { url: string; from: string; messageIdDomain?: string }): Transport {
  const transporter = nodemailer.createTransport(options.url.includes('pool=') ? options.url : `${options.url}${options.url.includes('?') ? '&' : '?'}pool=true`);
  const domain = options.messageIdDomain ?? 'perennial.local';
  return {
    idempotent: false,
    async send(message) {
      const messageId = `<${message.idempotencyKey.replace(/[^A-Za-z0-9.-]/g, '.')}@${domain}>`;
      const info = await transporter.sendMail({
        from: options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId,
        headers: message.headers,
      });
      return { providerMessageId: info.messageId ?? messageId };
    },
    close: () => transporter.close(),
  };
}
