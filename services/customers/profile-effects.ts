/**
 * Profile effects of ingested messages (Segment spec names): identify traits `timezone`, `locale`,
 * `tags`, `aiplStage`, `consent` land in the customer's columns; the track events `Order Completed`,
 * `Product Installed`, `Device Registered`, `Telemetry Reported` and `Product Disposed` write orders,
 * owned products and telemetry. `profileIssues` validates their shapes before anything is stored
 * (400 with JSON paths); `applyProfileEffects` runs inside the message's ingest transaction, after
 * the customer is resolved. Other events and traits have no effect here.
 */
import { addMonths } from 'date-fns';
import { and, asc, count, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import {
  aiplHistory,
  customerIdentities,
  customers,
  events,
  orderLines,
  orders,
  ownedProducts,
  products,
  telemetryReadings,
  type AiplStage,
} from '../../drizzle/schema';
import type { Tx } from './identity';
import {
  aiplRank,
  deviceEvent,
  identifyProfile,
  isProfileEvent,
  mergeConsent,
  orderCompleted,
  productDisposed,
  profileTraitKeys,
  telemetryReported,
} from './profile-schemas';

/** Moves the customer to `to` and appends the transition to `aipl_history`; nothing when already there. */
export async function moveAiplStage(
  tx: Tx,
  customerId: string,
  from: string | null,
  to: AiplStage,
  at: Date,
  source: string,
): Promise<boolean> {
  if (from === to) return false;
  await tx
    .update(customers)
    .set({ aiplStage: to, updatedAt: sql`now()` })
    .where(eq(customers.id, customerId));
  await tx.insert(aiplHistory).values({ customerId, fromStage: from, toStage: to, at, source });
  return true;
}

// ---- message shapes -----------------------------------------------------------------------------

export interface ProfileMessage {
  type: 'identify' | 'track';
  name: string;
  occurredAt: Date;
  /** Track properties, or identify traits as sent. */
  properties: Record<string, unknown>;
}

/** Writes the profile effects of one stored message; call in the ingest transaction, after the customer is resolved. */
export async function applyProfileEffects(
  tx: Tx,
  customerId: string,
  eventId: string,
  message: ProfileMessage,
): Promise<void> {
  if (message.type === 'identify') return applyIdentify(tx, customerId, message);
  if (!isProfileEvent(message.name)) return;
  // One customer's profile effects run one at a time, locked before any insert that references the
  // customer (those take KEY SHARE locks; upgrading to a row lock after them deadlocks two concurrent messages).
  await lockCustomer(tx, customerId);
  switch (message.name) {
    case 'Order Completed':
      return applyOrder(tx, customerId, eventId, message);
    case 'Product Installed':
    case 'Device Registered':
      return applyDevice(tx, customerId, message);
    case 'Telemetry Reported':
      return applyTelemetry(tx, customerId, eventId, message);
    case 'Product Disposed':
      return applyDisposal(tx, customerId, message);
  }
}

async function lockCustomer(tx: Tx, customerId: string) {
  // NO KEY UPDATE: conflicts with itself (serialising a customer's effects) but not with the KEY SHARE locks of foreign keys.
  const [customer] = await tx.select().from(customers).where(eq(customers.id, customerId)).for('no key update');
  if (!customer) throw new Error(`customer ${customerId} vanished during ingest`);
  return customer;
}

async function applyIdentify(tx: Tx, customerId: string, message: ProfileMessage): Promise<void> {
  if (!profileTraitKeys.some((key) => Object.hasOwn(message.properties, key))) return;
  const parsed = identifyProfile.safeParse(message.properties);
  if (!parsed.success) return; // rejected by profileIssues before storing
  const given = parsed.data;
  const customer = await lockCustomer(tx, customerId);
  await tx
    .update(customers)
    .set({
      // Profile traits live in their columns only: the free traits would go stale after a PATCH.
      traits: sql`${customers.traits} - ${sql.raw(`array[${profileTraitKeys.map((k) => `'${k}'`).join(',')}]::text[]`)}`,
      ...(given.timezone ? { timeZone: given.timezone } : {}),
      ...(given.locale ? { locale: given.locale } : {}),
      // Tags from identify are added to those held (several sources tag a customer); PATCH replaces or removes.
      ...(given.tags ? { tags: [...new Set([...customer.tags, ...given.tags])].sort() } : {}),
      ...(given.consent ? { consent: mergeConsent(customer.consent, given.consent) } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(customers.id, customerId));
  // Said explicitly by the sender, so it may move backwards (unlike the automatic moves from orders).
  if (given.aiplStage)
    await moveAiplStage(tx, customerId, customer.aiplStage, given.aiplStage, message.occurredAt, 'identify');
}

const toCents = (amount: number | null | undefined) => (amount == null ? null : Math.round(amount * 100));
/** A device line of this many units makes at most this many owned products. */
const MAX_DEVICES_PER_LINE = 100;

async function applyOrder(tx: Tx, customerId: string, eventId: string, message: ProfileMessage): Promise<void> {
  const parsed = orderCompleted.safeParse(message.properties);
  if (!parsed.success) return;
  const order = parsed.data;
  const [row] = await tx
    .insert(orders)
    .values({
      customerId,
      externalId: order.order_id,
      source: order.source ?? order.affiliation ?? 'unknown',
      currency: order.currency ?? null,
      totalCents: toCents(order.total ?? order.revenue),
      orderedAt: message.occurredAt,
      eventId,
    })
    .onConflictDoNothing({ target: [orders.source, orders.externalId] })
    .returning({ id: orders.id });
  if (!row) return; // the same order sent again (under another messageId): already recorded

  const lines = (order.products ?? []).map((line, index) => ({
    lineNo: index + 1,
    sku: (line.sku ?? line.product_id)!,
    category: line.category ?? null,
    quantity: line.quantity ?? 1,
    price: line.price,
  }));
  if (lines.length > 0) {
    const catalog = await catalogOf(
      tx,
      lines.map((l) => l.sku),
    );
    const deviceCategories = await deviceCategoriesOf(
      tx,
      lines.filter((l) => !catalog.has(l.sku) && l.category !== null).map((l) => l.category!),
    );
    const resolved = lines.map((line) => {
      const product = catalog.get(line.sku);
      const category = product?.category ?? line.category ?? 'uncategorized';
      return {
        ...line,
        category,
        product,
        isDevice: product ? product.kind === 'device' : deviceCategories.has(category),
      };
    });
    await tx.insert(orderLines).values(
      resolved.map((l) => ({
        orderId: row.id,
        lineNo: l.lineNo,
        sku: l.sku,
        category: l.category,
        quantity: l.quantity,
        unitPriceCents: toCents(l.price),
      })),
    );
    const owned = resolved
      .filter((l) => l.isDevice)
      .flatMap((l) =>
        Array.from({ length: Math.min(l.quantity, MAX_DEVICES_PER_LINE) }, () => ({
          customerId,
          sku: l.sku,
          category: l.category,
          purchasedAt: message.occurredAt,
          warrantyEndsAt: warrantyEnd(message.occurredAt, l.product?.warrantyMonths),
          orderId: row.id,
        })),
      );
    if (owned.length > 0) await tx.insert(ownedProducts).values(owned);
  }

  // First order → purchase; any later one → loyalty. Never backwards automatically.
  const customer = await lockCustomer(tx, customerId); // already held: re-read after this transaction's writes
  const [others] = await tx
    .select({ n: count() })
    .from(orders)
    .where(and(eq(orders.customerId, customerId), ne(orders.id, row.id)));
  const target: AiplStage = (others?.n ?? 0) > 0 ? 'loyalty' : 'purchase';
  if (aiplRank(target) > aiplRank(customer.aiplStage))
    await moveAiplStage(tx, customerId, customer.aiplStage, target, message.occurredAt, 'Order Completed');
}

function warrantyEnd(from: Date | null, months: number | null | undefined): Date | null {
  return from && months ? addMonths(from, months) : null;
}

type CatalogProduct = typeof products.$inferSelect;
async function catalogOf(tx: Tx, skus: string[]): Promise<Map<string, CatalogProduct>> {
  if (skus.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(products)
    .where(inArray(products.sku, [...new Set(skus)]));
  return new Map(rows.map((p) => [p.sku, p]));
}

/** Of `categories`, those where the catalog holds devices: unknown SKUs there are taken to be devices. */
async function deviceCategoriesOf(tx: Tx, categories: string[]): Promise<Set<string>> {
  if (categories.length === 0) return new Set();
  const rows = await tx
    .selectDistinct({ category: products.category })
    .from(products)
    .where(and(inArray(products.category, [...new Set(categories)]), eq(products.kind, 'device')));
  return new Set(rows.map((r) => r.category));
}

interface DeviceClaim {
  serial: string;
  sku: string | null;
  category: string | null;
  installedAt: Date | null;
}

/**
 * The owned product with this serial: already known (it stays with its owner; a resale is not
 * modelled), else the customer's oldest unserialled, undisposed one of the SKU (bought in an order,
 * registered now), else a new one when the SKU is given. Attaches the `device_serial` identity.
 */
async function claimDevice(tx: Tx, customerId: string, claim: DeviceClaim): Promise<{ id: string } | null> {
  const [known] = await tx.select().from(ownedProducts).where(eq(ownedProducts.serial, claim.serial));
  if (known) {
    if (claim.installedAt && !known.installedAt)
      await tx.update(ownedProducts).set({ installedAt: claim.installedAt }).where(eq(ownedProducts.id, known.id));
    return known;
  }
  if (claim.sku === null) return null;
  await tx
    .insert(customerIdentities)
    .values({ kind: 'device_serial', value: claim.serial, customerId })
    .onConflictDoNothing();
  const device = await attachSerial(tx, customerId, { ...claim, sku: claim.sku });
  if (device) await backfillReadings(tx, device.id, claim.serial);
  return device;
}

/**
 * Readings reported before the serial was known (Segment clients send batches concurrently, so a
 * device's first reading can overtake its registration): stored as events, attached now.
 */
async function backfillReadings(tx: Tx, ownedProductId: string, serial: string): Promise<void> {
  await tx.execute(sql`
    insert into ${telemetryReadings} (owned_product_id, metric, value, read_at, event_id)
    select ${ownedProductId}, btrim(e.properties ->> 'metric'), (e.properties ->> 'value')::double precision,
           coalesce((e.properties ->> 'read_at')::timestamptz, e.occurred_at), e.id
    from ${events} e
    where e.name = 'Telemetry Reported' and (e.properties ->> 'serial') = ${serial}
      and jsonb_typeof(e.properties -> 'value') = 'number'
    on conflict (event_id) do nothing`);
}

async function attachSerial(
  tx: Tx,
  customerId: string,
  claim: DeviceClaim & { sku: string },
): Promise<{ id: string } | null> {
  const [bought] = await tx
    .select()
    .from(ownedProducts)
    .where(
      and(
        eq(ownedProducts.customerId, customerId),
        eq(ownedProducts.sku, claim.sku),
        isNull(ownedProducts.serial),
        isNull(ownedProducts.disposedAt),
      ),
    )
    .orderBy(asc(ownedProducts.purchasedAt), asc(ownedProducts.createdAt))
    .limit(1);
  if (bought) {
    await tx
      .update(ownedProducts)
      .set({ serial: claim.serial, installedAt: claim.installedAt ?? bought.installedAt })
      .where(eq(ownedProducts.id, bought.id));
    return bought;
  }
  const product = (await catalogOf(tx, [claim.sku])).get(claim.sku);
  const [created] = await tx
    .insert(ownedProducts)
    .values({
      customerId,
      sku: claim.sku,
      category: product?.category ?? claim.category ?? 'uncategorized',
      serial: claim.serial,
      installedAt: claim.installedAt,
      // Bought outside any ingested order: the warranty runs from installation.
      warrantyEndsAt: warrantyEnd(claim.installedAt, product?.warrantyMonths),
    })
    .onConflictDoNothing({ target: ownedProducts.serial })
    .returning({ id: ownedProducts.id });
  if (created) return created;
  const [raced] = await tx
    .select({ id: ownedProducts.id })
    .from(ownedProducts)
    .where(eq(ownedProducts.serial, claim.serial));
  return raced ?? null;
}

async function applyDevice(tx: Tx, customerId: string, message: ProfileMessage): Promise<void> {
  const parsed = deviceEvent.safeParse(message.properties);
  if (!parsed.success) return;
  const p = parsed.data;
  const installedAt = p.installed_at ?? (message.name === 'Product Installed' ? message.occurredAt : null);
  await claimDevice(tx, customerId, {
    serial: p.serial,
    sku: p.sku ?? p.product_id ?? null,
    category: p.category ?? null,
    installedAt,
  });
}

async function applyTelemetry(tx: Tx, customerId: string, eventId: string, message: ProfileMessage): Promise<void> {
  const parsed = telemetryReported.safeParse(message.properties);
  if (!parsed.success) return;
  const p = parsed.data;
  const device = await claimDevice(tx, customerId, {
    serial: p.serial,
    sku: p.sku ?? p.product_id ?? null,
    category: p.category ?? null,
    installedAt: null,
  });
  if (!device) return; // an unknown serial without a SKU: the event is stored, no reading
  await tx
    .insert(telemetryReadings)
    .values({
      ownedProductId: device.id,
      metric: p.metric,
      value: p.value,
      readAt: p.read_at ?? message.occurredAt,
      eventId,
    })
    .onConflictDoNothing({ target: telemetryReadings.eventId });
}

async function applyDisposal(tx: Tx, customerId: string, message: ProfileMessage): Promise<void> {
  const parsed = productDisposed.safeParse(message.properties);
  if (!parsed.success) return;
  const p = parsed.data;
  const at = p.disposed_at ?? message.occurredAt;
  if (p.serial) {
    await tx
      .update(ownedProducts)
      .set({ disposedAt: at })
      .where(and(eq(ownedProducts.serial, p.serial), isNull(ownedProducts.disposedAt)));
    return;
  }
  const sku = (p.sku ?? p.product_id)!;
  const [oldest] = await tx
    .select({ id: ownedProducts.id })
    .from(ownedProducts)
    .where(and(eq(ownedProducts.customerId, customerId), eq(ownedProducts.sku, sku), isNull(ownedProducts.disposedAt)))
    .orderBy(asc(ownedProducts.purchasedAt), asc(ownedProducts.createdAt))
    .limit(1);
  if (oldest) await tx.update(ownedProducts).set({ disposedAt: at }).where(eq(ownedProducts.id, oldest.id));
}
