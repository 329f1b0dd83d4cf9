/**
 * Customer profiles (admin): lookup by any identity, the full profile (identities unmasked: admin
 * keys only), edits of tags, consent, time zone, locale and AIPL stage, and the customer's events.
 */
import { and, asc, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { predictDeviceDepletion, type DeviceDepletion } from '../services/devices/depletion';
import type { Db } from '../drizzle/client';
import {
  aiplHistory,
  customerIdentities,
  customers,
  events,
  identityKinds,
  orderLines,
  orders,
  ownedProducts,
  products,
  telemetryReadings,
  type IdentityKind,
} from '../drizzle/schema';
import { consumablesFor } from './catalog';
import { adminSecurity } from './http';
import { normalizeEmail, normalizePhone } from '../services/customers/identity';
import { moveAiplStage } from '../services/customers/profile-effects';
import {
  aiplStageField,
  consentField,
  localeField,
  mergeConsent,
  tagsField,
  timeZoneField,
} from '../services/customers/profile-schemas';
import { adminErrors, errors } from './schemas/common';
import { customerEvents, customerOne } from './schemas/customers';

/** `kind:value`, normalised as ingest does (emails lower-cased, phones to E.164); null when malformed. */
export function parseIdentity(raw: string): { kind: IdentityKind; value: string } | { problem: string } {
  const colon = raw.indexOf(':');
  const kind = raw.slice(0, colon) as IdentityKind;
  if (colon <= 0 || !identityKinds.includes(kind))
    return { problem: `must be <kind>:<value> with kind one of ${identityKinds.join(', ')}` };
  const given = raw.slice(colon + 1).trim();
  const value = kind === 'email' ? normalizeEmail(given) : kind === 'phone' ? normalizePhone(given) : given;
  if (!value)
    return {
      problem:
        kind === 'email'
          ? 'not an email address'
          : kind === 'phone'
            ? 'not a phone number in international format'
            : 'the value must not be empty',
    };
  return { kind, value };
}

const DAY_MS = 86_400_000;

/**
 * A device's predicted depletion as the profile shows it: the shared prediction (the refill
 * journey reads the same) plus whole days left at `now` (negative: overdue; null: no date).
 */
export function depletionView(d: DeviceDepletion, now: Date) {
  const { depletesAt, confidence, basis, usagePerDay, usedByNow } = d.prediction;
  return {
    consumable: {
      sku: d.consumable.sku,
      name: d.consumable.name,
      ratedLifeDays: d.consumable.ratedLifeDays,
      ratedUsage: d.consumable.ratedUsage,
      usageMetric: d.consumable.usageMetric,
    },
    cycleStartedAt: d.cycleStartedAt,
    readings: d.readings,
    depletesAt,
    daysLeft: depletesAt === null ? null : Math.floor((Date.parse(depletesAt) - now.getTime()) / DAY_MS),
    confidence,
    basis,
    usagePerDay,
    usedByNow,
  };
}

/** The profile at `now` (the clock decides the devices' predicted depletion and days left). */
export async function loadProfile(db: Db, customerId: string, now: Date) {
  const [customer] = await db.select().from(customers).where(eq(customers.id, customerId));
  if (!customer) return null;
  const [identities, history, owned, orderRows] = await Promise.all([
    db
      .select({
        kind: customerIdentities.kind,
        value: customerIdentities.value,
        createdAt: customerIdentities.createdAt,
      })
      .from(customerIdentities)
      .where(eq(customerIdentities.customerId, customerId))
      .orderBy(asc(customerIdentities.createdAt), asc(customerIdentities.kind)),
    db
      .select({ from: aiplHistory.fromStage, to: aiplHistory.toStage, at: aiplHistory.at, source: aiplHistory.source })
      .from(aiplHistory)
      .where(eq(aiplHistory.customerId, customerId))
      .orderBy(asc(aiplHistory.seq)),
    db
      .select({ owned: ownedProducts, name: products.name, kind: products.kind })
      .from(ownedProducts)
      .leftJoin(products, eq(products.sku, ownedProducts.sku))
      .where(eq(ownedProducts.customerId, customerId))
      .orderBy(asc(ownedProducts.createdAt)),
    db.select().from(orders).where(eq(orders.customerId, customerId)).orderBy(asc(orders.orderedAt)),
  ]);
  const ownedIds = owned.map((o) => o.owned.id);
  const orderIds = orderRows.map((o) => o.id);
  const [latest, lines, consumables, depletion] = await Promise.all([
    ownedIds.length
      ? db
          .selectDistinctOn([telemetryReadings.ownedProductId, telemetryReadings.metric])
          .from(telemetryReadings)
          .where(inArray(telemetryReadings.ownedProductId, ownedIds))
          .orderBy(telemetryReadings.ownedProductId, telemetryReadings.metric, desc(telemetryReadings.readAt))
      : [],
    orderIds.length
      ? db.select().from(orderLines).where(inArray(orderLines.orderId, orderIds)).orderBy(asc(orderLines.lineNo))
      : [],
    consumablesFor(
      db,
      owned.map((o) => o.owned.sku),
    ),
    owned.length ? predictDeviceDepletion(db, { customerId }, now) : [],
  ]);
  const predicted = new Map(depletion.map((d) => [d.ownedProductId, depletionView(d, now)]));
  return {
    id: customer.id,
    traits: customer.traits,
    tags: customer.tags,
    aiplStage: customer.aiplStage,
    aiplHistory: history,
    timeZone: customer.timeZone,
    locale: customer.locale,
    consent: customer.consent,
    identities,
    ownedProducts: owned.map(({ owned: o, name, kind }) => ({
      id: o.id,
      sku: o.sku,
      name,
      kind,
      category: o.category,
      serial: o.serial,
      purchasedAt: o.purchasedAt,
      installedAt: o.installedAt,
      warrantyEndsAt: o.warrantyEndsAt,
      disposedAt: o.disposedAt,
      orderId: o.orderId,
      latestTelemetry: Object.fromEntries(
        latest.filter((r) => r.ownedProductId === o.id).map((r) => [r.metric, { value: r.value, readAt: r.readAt }]),
      ),
      consumables: (consumables.get(o.sku) ?? []).map((c) => ({
        sku: c.sku,
        name: c.name,
        ratedLifeDays: c.ratedLifeDays,
        ratedUsage: c.ratedUsage,
        usageMetric: c.usageMetric,
      })),
      /** Held devices that take a consumable; null otherwise (and for disposed ones). */
      predictedDepletion: predicted.get(o.id) ?? null,
    })),
    orders: orderRows.map((o) => ({
      id: o.id,
      externalId: o.externalId,
      source: o.source,
      status: o.status,
      currency: o.currency,
      totalCents: o.totalCents,
      orderedAt: o.orderedAt,
      lines: lines
        .filter((l) => l.orderId === o.id)
        .map(({ lineNo, sku, category, quantity, unitPriceCents }) => ({
          lineNo,
          sku,
          category,
          quantity,
          unitPriceCents,
        })),
    })),
    createdAt: customer.createdAt,
    updatedAt: customer.updatedAt,
  };
}

const customerIdParam = z.object({ id: z.uuid({ error: 'must be a customer id (uuid)' }) });

const patchBody = z
  .strictObject({
    tags: tagsField.optional().describe('replaces the tags'),
    addTags: tagsField.optional(),
    removeTags: tagsField.optional(),
    consent: consentField.optional().describe('merged per channel and topic'),
    timeZone: timeZoneField.nullable().optional(),
    locale: localeField.nullable().optional(),
    aiplStage: aiplStageField.optional().describe('recorded in the AIPL history (source "api")'),
  })
  .refine(
    (b) => Object.keys(b).length > 0,
    'nothing to change: give tags, addTags, removeTags, consent, timeZone, locale or aiplStage',
  )
  .refine((b) => !(b.tags && (b.addTags || b.removeTags)), 'give tags (replace) or addTags/removeTags, not both')
  // The two refinements above, in the document's terms: what it publishes, the server accepts.
  .meta({
    minProperties: 1,
    not: { required: ['tags'], anyOf: [{ required: ['addTags'] }, { required: ['removeTags'] }] },
  });

/** An opaque cursor for `/events`: the last row's time and id. */
const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
function decodeCursor(cursor: string): { at: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  return id && /^[0-9a-f-]{36}$/.test(id) && !Number.isNaN(date.getTime()) ? { at: date, id } : null;
}

export const customerRoutes: FastifyPluginAsyncZod<{ db: Db; clock: () => Date }> = async (app, { db, clock }) => {
  const tags = ['customers'];
  const security = adminSecurity;
  const notFound = (id: string) => ({ error: 'not_found', message: `customer ${id} not found` });

  app.get(
    '/v1/customers',
    {
      schema: {
        tags,
        security,
        summary:
          'Find a customer by an identity (email:a@b.com, phone:+8613800138000, app_user:u1, device_serial:SN1 …)',
        querystring: z.object({
          identity: z.string({ error: 'required: <kind>:<value>, like email:a@b.com' }).transform((raw, ctx) => {
            const parsed = parseIdentity(raw);
            if ('problem' in parsed) {
              ctx.addIssue({ code: 'custom', message: parsed.problem });
              return z.NEVER;
            }
            return parsed;
          }),
        }),
        response: { 200: customerOne, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { kind, value } = request.query.identity;
      const [row] = await db
        .select({ customerId: customerIdentities.customerId })
        .from(customerIdentities)
        .where(and(eq(customerIdentities.kind, kind), eq(customerIdentities.value, value)));
      const customer = row ? await loadProfile(db, row.customerId, clock()) : null;
      if (!customer)
        return reply.code(404).send({ error: 'not_found', message: `no customer with identity ${kind}:${value}` });
      return { customer };
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A customer profile',
        params: customerIdParam,
        response: { 200: customerOne, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const customer = await loadProfile(db, request.params.id, clock());
      if (!customer) return reply.code(404).send(notFound(request.params.id));
      return { customer };
    },
  );

  app.patch(
    '/v1/customers/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Change tags, consent, time zone, locale or AIPL stage',
        params: customerIdParam,
        body: patchBody,
        response: { 200: customerOne.describe('the profile after the change'), ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      const found = await db.transaction(async (tx) => {
        const [customer] = await tx.select().from(customers).where(eq(customers.id, id)).for('no key update');
        if (!customer) return false;
        const remove = new Set(body.removeTags ?? []);
        const nextTags =
          body.tags ??
          (body.addTags || body.removeTags
            ? [...new Set([...customer.tags, ...(body.addTags ?? [])])].filter((t) => !remove.has(t))
            : undefined);
        await tx
          .update(customers)
          .set({
            ...(nextTags ? { tags: [...new Set(nextTags)].sort() } : {}),
            ...(body.consent ? { consent: mergeConsent(customer.consent, body.consent) } : {}),
            ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}),
            ...(body.locale !== undefined ? { locale: body.locale } : {}),
            updatedAt: sql`now()`,
          })
          .where(eq(customers.id, id));
        if (body.aiplStage) await moveAiplStage(tx, id, customer.aiplStage, body.aiplStage, clock(), 'api');
        return true;
      });
      const customer = found ? await loadProfile(db, id, clock()) : null;
      if (!customer) return reply.code(404).send(notFound(id));
      return { customer };
    },
  );

  app.get(
    '/v1/customers/:id/events',
    {
      schema: {
        tags,
        security,
        summary: "A customer's events, newest first, paged by cursor",
        params: customerIdParam,
        querystring: z.object({
          limit: z.coerce
            .number({ error: 'must be a number' })
            .int('must be a whole number')
            .min(1, 'at least 1')
            .max(500, 'at most 500')
            .default(50),
          cursor: z
            .string()
            .transform((raw, ctx) => {
              // Empty (`cursor=`) is the first page.
              if (raw === '') return undefined;
              const cursor = decodeCursor(raw);
              if (!cursor) {
                ctx.addIssue({ code: 'custom', message: 'not a cursor from a previous page (nextCursor)' });
                return z.NEVER;
              }
              return cursor;
            })
            .optional(),
          name: z.string().min(1).optional(),
        }),
        response: { 200: customerEvents, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { limit, cursor, name } = request.query;
      const [customer] = await db.select({ id: customers.id }).from(customers).where(eq(customers.id, id));
      if (!customer) return reply.code(404).send(notFound(id));
      const rows = await db
        .select({
          id: events.id,
          messageId: events.messageId,
          name: events.name,
          properties: events.properties,
          occurredAt: events.occurredAt,
          receivedAt: events.receivedAt,
        })
        .from(events)
        .where(
          and(
            eq(events.customerId, id),
            name ? eq(events.name, name) : undefined,
            cursor
              ? or(lt(events.occurredAt, cursor.at), and(eq(events.occurredAt, cursor.at), lt(events.id, cursor.id)))
              : undefined,
          ),
        )
        .orderBy(desc(events.occurredAt), desc(events.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { events: page, nextCursor: rows.length > limit && last ? encodeCursor(last.occurredAt, last.id) : null };
    },
  );
};
