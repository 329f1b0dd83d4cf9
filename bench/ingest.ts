/**
 * Event ingest through the API — durable (stored before the 200), deduplicated (message ids),
 * resolved to customers, then routed by the event router — vs a multi-row INSERT of the same rows
 * with postgres.js. Both sides send the same batches with the same number in flight.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createEnroller } from '../services/journeys/enroll';
import { buildApp } from '../api/app';
import { createEventRouter } from '../worker/router';
import { pool, ratioRow, round, timed, type Benchmark } from './env';

const BATCH = 100;
const IN_FLIGHT = 4;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

export const ingest: Benchmark = {
  name: 'ingest',
  title: 'Event ingest: POST /v1/batch over HTTP + router drain vs multi-row INSERT (postgres.js)',
  async run(env) {
    const total = env.quick ? 300 : 10_000;
    const users = Math.max(1, Math.floor(total / 5));
    const now = Date.now();
    const messages = Array.from({ length: total }, (_, i) => ({
      type: 'track' as const,
      messageId: randomUUID(),
      userId: `user-${i % users}`,
      event: 'product_viewed',
      properties: { sku: `SKU-${i % 97}`, price: 1999 + (i % 13), category: 'phone' },
      timestamp: new Date(now - (total - i) * 1000).toISOString(),
    }));
    const batches = Array.from({ length: Math.ceil(total / BATCH) }, (_, i) =>
      messages.slice(i * BATCH, (i + 1) * BATCH),
    );

    // Raw: the same rows, one INSERT per batch.
    const rawDb = await env.database('ingest_raw');
    // A plain postgres.js client: drizzle's replaces the json and timestamp serializers of its own.
    const rawSql = postgres(rawDb.url, { max: 10, onnotice: () => {} });
    env.progress(`ingest: raw INSERT of ${total} rows`);
    const rawSeconds = await timed(() =>
      pool(batches, IN_FLIGHT, async (batch) => {
        const rows = batch.map((m) => ({
          message_id: m.messageId,
          name: m.event,
          properties: m.properties,
          occurred_at: new Date(m.timestamp),
        }));
        await rawSql`insert into events ${rawSql(rows)}`;
      }),
    ).finally(() => rawSql.end());

    const db = await env.database('ingest');
    const taskQueue = `bench-ingest-${randomUUID()}`;
    const app = await buildApp({ db: db.db, temporal: env.temporal.client, taskQueue, adminApiKey: ADMIN_KEY });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const router = createEventRouter({
      db: db.db,
      temporal: env.temporal.client,
      enroller: createEnroller({ db: db.db, temporal: env.temporal.client, taskQueue, clock: () => new Date() }),
    });
    const authorization = `Basic ${Buffer.from(`${ADMIN_KEY}:`).toString('base64')}`;
    try {
      env.progress(`ingest: ${total} messages through POST /v1/batch, then the router`);
      let accepted = 0;
      const httpSeconds = await timed(() =>
        pool(batches, IN_FLIGHT, async (batch) => {
          const response = await fetch(`${address}/v1/batch`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify({ batch }),
          });
          if (!response.ok) throw new Error(`POST /v1/batch: ${response.status} ${await response.text()}`);
          const body = (await response.json()) as { results: { status: string }[] };
          accepted += body.results.filter((r) => r.status === 'accepted').length;
        }),
      );
      if (accepted !== total) throw new Error(`ingest accepted ${accepted} of ${total} messages`);
      let routed = 0;
      const routeSeconds = await timed(async () => {
        for (;;) {
          const result = await router.routeOnce();
          routed += result.routed;
          if (result.routed === 0) break;
        }
      });
      if (routed !== total) throw new Error(`the router routed ${routed} of ${total} events`);
      const oursSeconds = httpSeconds + routeSeconds;
      return [
        ratioRow({
          benchmark: 'ingest',
          measure: `${total.toLocaleString('en')} events, batches of ${BATCH}, ${IN_FLIGHT} in flight`,
          ours: round(total / oursSeconds),
          raw: round(total / rawSeconds),
          unit: 'events/s',
          goal: 0.5,
          note: `HTTP+store ${round(total / httpSeconds)}/s, routing ${round(total / routeSeconds)}/s`,
        }),
      ];
    } finally {
      await app.close();
    }
  },
};
