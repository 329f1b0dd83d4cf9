/** A missing Temporal, Postgres or setting gives one clear line and exit code 2, not a stack trace. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../setup/harness';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

function runProcess(entry: string, env: Record<string, string>) {
  const result = spawnSync(tsx, [entry], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  const lines = result.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
  return { status: result.status, lines };
}

const LINK_SECRET = 'process-errors-link-secret-0123456789';

describe('process start-up errors', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('the worker names the unreachable Postgres and how to fix it, in one line', () => {
    const { status, lines } = runProcess('worker/main.ts', {
      DATABASE_URL: 'postgres://perennial:secret@127.0.0.1:1/perennial',
      MESSAGING_LINK_SECRET: LINK_SECRET,
    });
    expect(status).toBe(2);
    expect(lines).toEqual([
      'perennial worker: Postgres is not reachable at postgres://perennial:***@127.0.0.1:1/perennial (connection refused). ' +
        'Set DATABASE_URL=postgres://user:pass@host:5432/db to a running server, or unset it to use the embedded PGlite.',
    ]);
  });

  it('the worker names the unreachable Temporal server and how to fix it, in one line', () => {
    const { status, lines } = runProcess('worker/main.ts', {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MESSAGING_LINK_SECRET: LINK_SECRET,
    });
    expect(status).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^perennial worker: Temporal is not reachable at 127\.0\.0\.1:1 \(connection refused\)\. Start everything embedded with `npm start`/,
    );
  });

  it('a production worker (NODE_ENV=production) that sends email refuses to start without an https PUBLIC_URL', () => {
    const { status, lines } = runProcess('worker/main.ts', {
      DATABASE_URL: db.url,
      MESSAGING_LINK_SECRET: LINK_SECRET,
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      PUBLIC_URL: 'http://journeys.brand.example',
    });
    expect(status).toBe(2);
    expect(lines).toEqual([
      'perennial worker: invalid environment:',
      '  PUBLIC_URL: PUBLIC_URL is http://journeys.brand.example: marketing email needs an https URL for its one-click unsubscribe link (RFC 8058); set the https address the API is served at',
    ]);
  });

  it('the API lists each missing or invalid setting', () => {
    const { status, lines } = runProcess('api/main.ts', {
      PGLITE_DIR: mkdtempSync(join(tmpdir(), 'pgl-')),
      PORT: 'eighty',
    });
    expect(status).toBe(2);
    expect(lines[0]).toBe('perennial api: invalid environment:');
    expect(lines.slice(1).sort()).toEqual([
      '  ADMIN_API_KEY: required: the admin key clients send as `Authorization: Bearer <key>`',
      '  MESSAGING_LINK_SECRET: required: a random secret (>= 32 characters) signing unsubscribe and tracking links, the same for API and worker',
      '  PORT: Invalid input: expected number, received NaN',
    ]);
  });
});
