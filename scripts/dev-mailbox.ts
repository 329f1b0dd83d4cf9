/**
 * A local SMTP catch-all for `npm start`: every message the demo sends lands, as real MIME, in
 * `.data/mailbox/*.eml`, so a newcomer sees what left without configuring a mail provider.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface DevMailbox {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startDevMailbox(options: {
  dir: string;
  port: number;
  onMessage?: (file: string, to: string[]) => void;
}): Promise<DevMailbox> {
  mkdirSync(options.dir, { recursive: true });
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'Perennial dev mailbox',
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const file = join(options.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${++count}.eml`);
        writeFileSync(file, Buffer.concat(chunks));
        options.onMessage?.(
          file,
          session.envelope.rcptTo.map((r) => r.address),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    url: `smtp://127.0.0.1:${options.port}`,
    dir: options.dir,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
