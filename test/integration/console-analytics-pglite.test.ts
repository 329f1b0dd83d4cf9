/**
 * The SQL behind the console's journey list, graph counts and device predictions uses nothing
 * PGlite (the embedded Postgres of `npm start`) lacks: `make_interval` over the goal window, the
 * path's `jsonb_array_elements`, and the profile's depletion loader, on a migrated PGlite database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journeySummaries, journeyVersionStats } from '../../services/analytics/journeys';
import { loadProfile } from '../../api/customers';
import type { DbHandle } from '../../drizzle/client';
import {
  consumableCompatibility,
  customers,
  enrollments,
  journeys,
  journeyVersions,
  messages,
  ownedProducts,
  products,
} from '../../drizzle/schema';
import { define } from '../fixtures/journeys';
import { createPgliteDatabase } from '../setup/harness';

const DAY = 86_400_000;
const now = new Date('2026-11-24T12:00:00Z');
let handle: DbHandle;

const definition = define({
  name: 'PGlite',
  entry: { type: 'api' },
  goals: [{ id: 'bought', event: 'order_completed' }],
  settings: { timeZone: 'UTC', goalWindow: { days: 2 } },
  start: 'welcome',
  steps: {
    welcome: { type: 'update', addTags: ['x'], next: 'wait' },
    wait: { type: 'wait', duration: { days: 3 }, next: 'done' },
    done: { type: 'exit', reason: 'completed' },
  },
});

beforeAll(async () => {
  handle = await createPgliteDatabase();
});
afterAll(async () => {
  await handle?.close();
});

describe('console analytics on PGlite', () => {
  it('summarises every journey in one statement and counts per step', async () => {
    const db = handle.db;
    await db
      .insert(journeys)
      .values({ id: 'pg', name: 'PGlite', status: 'published', draft: definition, latestVersion: 1 });
    await db.insert(journeyVersions).values({ journeyId: 'pg', version: 1, definition });
    const enteredAt = new Date(now.getTime() - 5 * DAY);
    const at = enteredAt.toISOString();
    const base = { journeyId: 'pg', journeyVersion: 1, enrollmentKey: 'default', enteredAt };
    const active = {
      ...base,
      id: randomUUID(),
      customerId: randomUUID(),
      workflowId: 'w1',
      status: 'active' as const,
      currentStep: 'wait',
      path: [{ step: 'welcome', at }],
    };
    await db.insert(enrollments).values([
      active,
      {
        ...base,
        id: randomUUID(),
        customerId: randomUUID(),
        workflowId: 'w2',
        status: 'converted',
        path: [{ step: 'welcome', at }],
        convertedAt: new Date(enteredAt.getTime() + DAY),
        exitedAt: now,
      },
    ]);
    await db.insert(messages).values({
      enrollmentId: active.id,
      stepId: 'welcome',
      occurrence: 1,
      journeyId: 'pg',
      customerId: active.customerId,
      channel: 'email',
      templateId: 't',
      status: 'sent',
      sentAt: new Date(now.getTime() - DAY),
    });

    expect(await journeySummaries(db, new Date(now.getTime() - 7 * DAY), now)).toEqual([
      { journeyId: 'pg', entered: 2, active: 1, converted: 1, conversionRate: 0.5, messagesSent: 1 },
    ]);
    const stats = await journeyVersionStats(db, 'pg', 1, definition);
    expect(stats.steps).toEqual([
      { step: 'wait', entered: 1, passed: 0, active: 1 },
      { step: 'welcome', entered: 2, passed: 2, active: 0 },
    ]);
  });

  it("loads a profile with its devices' predicted depletion", async () => {
    const db = handle.db;
    await db.insert(products).values([
      { sku: 'WP', name: 'Purifier', category: 'water-purifier', kind: 'device' },
      { sku: 'F', name: 'Filter', category: 'water-filter', kind: 'consumable', ratedLifeDays: 180 },
    ]);
    await db.insert(consumableCompatibility).values({ consumableSku: 'F', deviceSku: 'WP' });
    const [customer] = await db.insert(customers).values({ traits: {} }).returning();
    await db.insert(ownedProducts).values({
      customerId: customer!.id,
      sku: 'WP',
      category: 'water-purifier',
      installedAt: new Date(now.getTime() - 30 * DAY),
    });
    const profile = await loadProfile(db, customer!.id, now);
    expect(profile?.ownedProducts[0]?.predictedDepletion).toMatchObject({
      basis: 'rated-life',
      daysLeft: 150,
      depletesAt: new Date(now.getTime() + 150 * DAY).toISOString(),
    });
  });
});
