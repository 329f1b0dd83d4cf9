/**
 * Demo data for `npm start`: the deterministic demo brand (demo/generator.ts, 200 customers), every
 * journey of the library installed from the registry, and a little live traffic — leads, device
 * registrations and a purchase ingested through the normal ingest path — so the event router enrols
 * demo customers within seconds of start. Idempotent: the brand is generated once, installs publish
 * nothing new when nothing changed, and live events carry fixed message ids (a resend is a no-op).
 */
import { and, asc, eq, gt, inArray, isNotNull, isNull, like } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { Db } from '../drizzle/client';
import { customerIdentities, customers, ownedProducts } from '../drizzle/schema';
import { generateDemoData } from '../demo/generator';
import { ingestMessage } from '../services/customers/ingest';
import { parseMessage } from '../api/segment-wire-format';
import { createJourneyService } from '../services/journeys/lifecycle';
import { createLibraryService } from '../services/journeys/library';
import { library } from '../library';

export const DEMO_CUSTOMERS = 200;
export const DEMO_SEED = 42;
const DEMO_EMAIL_DOMAIN = '@demo.perennial.dev';
/** Lead categories cycled over the live leads: the long phone window and the 25-day large appliances. */
const LEAD_CATEGORIES = ['phone', 'fridge', 'washer', 'air-conditioner', 'tv'];
const LEAD_SOURCES = ['store_visit', 'registration', 'ad_response'];
const LIVE_LEADS = 12;
const LIVE_REGISTRATIONS = 8;
const LIVE_INSTALLATIONS = 6;
/** Categories whose installation starts the refill (water purifier) or maintenance (air conditioner, range hood) journeys. */
const INSTALLED_CATEGORIES = ['water-purifier', 'air-conditioner', 'range-hood'];

export interface SeedDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface SeedSummary {
  generated: boolean;
  customers: number;
  journeys: { id: string; version: number; published: boolean }[];
  liveEvents: { accepted: number; duplicate: number };
}

export async function seedDemo(deps: SeedDeps): Promise<SeedSummary> {
  const { db } = deps;
  const log = deps.log ?? (() => {});
  const now = deps.now ?? (() => new Date());

  // 1. The demo brand, once.
  const [marker] = await db
    .select({ id: customerIdentities.customerId })
    .from(customerIdentities)
    .where(like(customerIdentities.value, `%${DEMO_EMAIL_DOMAIN}`))
    .limit(1);
  let generated = false;
  if (!marker) {
    let last = 0;
    const summary = await generateDemoData({
      db,
      customers: DEMO_CUSTOMERS,
      seed: DEMO_SEED,
      now: now(),
      batchSize: 50,
      onProgress: ({ done, total }) => {
        if (done === last) return;
        last = done;
        log(`generating the demo brand: ${done}/${total} customers`);
      },
    });
    log(
      `demo brand: ${summary.customers} customers, ${summary.orders} orders, ${summary.devices} devices, ${summary.telemetryReadings} telemetry readings, ${summary.events} events`,
    );
    generated = true;
  } else {
    log('demo brand already generated');
  }

  // 2. Every library journey, through the same install as POST /v1/library/:id/install.
  const journeys = createJourneyService({ db, temporal: deps.temporal, taskQueue: deps.taskQueue });
  const service = createLibraryService({ db, journeys });
  const installed: SeedSummary['journeys'] = [];
  for (const entry of library) {
    const outcome = await service.install(entry.id, {});
    if (!outcome) continue;
    installed.push(...outcome.journeys);
    const fresh = outcome.journeys.filter((j) => j.published).length;
    log(`library ${entry.id}: ${outcome.journeys.length} journeys (${fresh ? `${fresh} published` : 'up to date'})`);
    for (const skipped of outcome.journeys.filter((j) => j.skipped)) log(`  skipped ${skipped.id}: ${skipped.skipped}`);
  }

  // 3. Live traffic on the normal ingest path; the running router enrols the customers.
  const liveEvents = await ingestLiveEvents(db, now(), log);
  const count = (await db.select({ id: customers.id }).from(customers)).length;
  return { generated, customers: count, journeys: installed, liveEvents };
}

/** Demo customers reachable by email (consent given), in a fixed order. */
async function reachableCustomers(db: Db) {
  const rows = await db
    .select({ id: customers.id, email: customerIdentities.value, consent: customers.consent })
    .from(customers)
    .innerJoin(
      customerIdentities,
      and(eq(customerIdentities.customerId, customers.id), eq(customerIdentities.kind, 'email')),
    )
    .where(like(customerIdentities.value, `%${DEMO_EMAIL_DOMAIN}`))
    .orderBy(asc(customerIdentities.value));
  return rows.filter((r) => r.consent.channels.email === true && r.consent.topics.promotions !== false);
}

async function ingestLiveEvents(db: Db, now: Date, log: (line: string) => void): Promise<SeedSummary['liveEvents']> {
  const result = { accepted: 0, duplicate: 0 };
  const track = async (
    messageId: string,
    email: string,
    event: string,
    properties: Record<string, unknown>,
    at: Date,
  ) => {
    const parsed = parseMessage(
      'track',
      {
        messageId,
        event,
        properties,
        timestamp: at.toISOString(),
        userId: null,
        anonymousId: `demo-live:${email}`,
        context: { externalIds: [{ id: email, type: 'email', collection: 'users', encoding: 'none' }] },
      },
      ['$'],
      now,
    );
    if ('issues' in parsed)
      throw new Error(
        `demo event ${messageId} is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
    const stored = await ingestMessage(db, parsed.message);
    result[stored.status === 'accepted' ? 'accepted' : 'duplicate']++;
  };
  const reachable = await reachableCustomers(db);

  // Leads in a few categories, from store visits, registrations and ads, over the last minutes.
  const leads = reachable.slice(0, LIVE_LEADS);
  for (const [i, customer] of leads.entries()) {
    const category = LEAD_CATEGORIES[i % LEAD_CATEGORIES.length]!;
    await track(
      `demo-live-lead-${customer.id}`,
      customer.email,
      'lead_captured',
      { category, source: LEAD_SOURCES[i % LEAD_SOURCES.length] },
      new Date(now.getTime() - (LIVE_LEADS - i) * 60_000),
    );
  }

  // Warranty registrations for devices whose warranty is still running, soonest end first.
  const reachableIds = reachable.map((r) => r.id);
  const devices = reachableIds.length
    ? await db
        .select()
        .from(ownedProducts)
        .where(
          and(
            inArray(ownedProducts.customerId, reachableIds),
            isNull(ownedProducts.disposedAt),
            isNotNull(ownedProducts.warrantyEndsAt),
            gt(ownedProducts.warrantyEndsAt, now),
          ),
        )
        .orderBy(asc(ownedProducts.warrantyEndsAt), asc(ownedProducts.id))
        .limit(LIVE_REGISTRATIONS)
    : [];
  for (const device of devices) {
    const email = reachable.find((r) => r.id === device.customerId)!.email;
    const serial = device.serial ?? `DEMO-${device.id.slice(0, 8).toUpperCase()}`;
    await track(
      `demo-live-registration-${device.id}`,
      email,
      'Device Registered',
      { serial, sku: device.sku, category: device.category, warranty_ends_at: device.warrantyEndsAt!.toISOString() },
      now,
    );
  }

  // Installations of devices that take a consumable or need servicing: refill and maintenance journeys.
  const installable = reachableIds.length
    ? await db
        .select()
        .from(ownedProducts)
        .where(
          and(
            inArray(ownedProducts.customerId, reachableIds),
            isNull(ownedProducts.disposedAt),
            inArray(ownedProducts.category, INSTALLED_CATEGORIES),
          ),
        )
        .orderBy(asc(ownedProducts.id))
        .limit(LIVE_INSTALLATIONS)
    : [];
  for (const device of installable) {
    const email = reachable.find((r) => r.id === device.customerId)!.email;
    const serial = device.serial ?? `DEMO-${device.id.slice(0, 8).toUpperCase()}`;
    await track(
      `demo-live-installation-${device.id}`,
      email,
      'Product Installed',
      { serial, sku: device.sku, category: device.category },
      now,
    );
  }

  // One lead buys right away: its nurture ends as a conversion.
  const buyer = leads[0];
  if (buyer) {
    const category = LEAD_CATEGORIES[0]!;
    await track(
      `demo-live-order-${buyer.id}`,
      buyer.email,
      'Order Completed',
      {
        order_id: `DEMO-LIVE-${buyer.id.slice(0, 8)}`,
        currency: 'CNY',
        total: 4999,
        products: [{ sku: 'PH-X1', category, price: 4999, quantity: 1 }],
      },
      now,
    );
  }
  log(
    `live demo events: ${result.accepted} ingested${result.duplicate ? `, ${result.duplicate} already there` : ''} (${leads.length} leads, ${devices.length} device registrations, ${installable.length} installations, ${buyer ? 1 : 0} purchase)`,
  );
  return result;
}
