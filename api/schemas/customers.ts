/** Customer profiles (api/customers.ts): lookup, the profile, edits, events. */
import { z } from 'zod';
import { timestamp } from './common';

export const consent = z.strictObject({
  channels: z.partialRecord(z.enum(['email', 'sms', 'push', 'wechat']), z.boolean()),
  topics: z.record(z.string(), z.boolean()),
});

export const predictedDepletion = z.strictObject({
  consumable: z.strictObject({
    sku: z.string(),
    name: z.string(),
    ratedLifeDays: z.number().int().nullable(),
    ratedUsage: z.number().nullable(),
    usageMetric: z.string().nullable(),
  }),
  cycleStartedAt: z.string(),
  readings: z.number().int(),
  depletesAt: z.string().nullable(),
  daysLeft: z.number().int().nullable().describe('whole days from now; negative when overdue'),
  confidence: z.number(),
  basis: z.enum(['telemetry', 'rated-life', 'rated-life-cap', 'unknown']),
  usagePerDay: z.number().nullable(),
  usedByNow: z.number().nullable(),
});
export type PredictedDepletion = z.input<typeof predictedDepletion>;

export const ownedProduct = z.strictObject({
  id: z.uuid(),
  sku: z.string(),
  name: z.string().nullable(),
  kind: z.string().nullable(),
  category: z.string(),
  serial: z.string().nullable(),
  purchasedAt: timestamp.nullable(),
  installedAt: timestamp.nullable(),
  warrantyEndsAt: timestamp.nullable(),
  disposedAt: timestamp.nullable(),
  orderId: z.uuid().nullable(),
  latestTelemetry: z.record(z.string(), z.strictObject({ value: z.number(), readAt: timestamp })),
  consumables: z.array(
    z.strictObject({
      sku: z.string(),
      name: z.string(),
      ratedLifeDays: z.number().int().nullable(),
      ratedUsage: z.number().nullable(),
      usageMetric: z.string().nullable(),
    }),
  ),
  predictedDepletion: predictedDepletion
    .nullable()
    .describe('held devices that take a consumable (the refill journey reads the same); else null'),
});
export type OwnedProduct = z.input<typeof ownedProduct>;

export const order = z.strictObject({
  id: z.uuid(),
  externalId: z.string(),
  source: z.string(),
  status: z.string(),
  currency: z.string().nullable(),
  totalCents: z.number().int().nullable(),
  orderedAt: timestamp,
  lines: z.array(
    z.strictObject({
      lineNo: z.number().int(),
      sku: z.string(),
      category: z.string(),
      quantity: z.number().int(),
      unitPriceCents: z.number().int().nullable(),
    }),
  ),
});

export const customer = z.strictObject({
  id: z.uuid(),
  traits: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  aiplStage: z.string().nullable(),
  aiplHistory: z.array(
    z.strictObject({ from: z.string().nullable(), to: z.string(), at: timestamp, source: z.string() }),
  ),
  timeZone: z.string().nullable(),
  locale: z.string().nullable(),
  consent,
  identities: z.array(z.strictObject({ kind: z.string(), value: z.string(), createdAt: timestamp })),
  ownedProducts: z.array(ownedProduct),
  orders: z.array(order),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Customer = z.input<typeof customer>;

export const customerOne = z.strictObject({ customer }).describe('the profile');

export const customerEvent = z.strictObject({
  id: z.uuid(),
  messageId: z.string(),
  name: z.string(),
  properties: z.record(z.string(), z.unknown()),
  occurredAt: timestamp,
  receivedAt: timestamp,
});
export const customerEvents = z
  .strictObject({ events: z.array(customerEvent), nextCursor: z.string().nullable() })
  .describe('events, newest first');

/** A customer id that was merged into another: ask the survivor. */
export const mergedAway = z
  .strictObject({ error: z.literal('merged'), message: z.string(), mergedInto: z.uuid() })
  .describe('merged into another customer (`mergedInto`)');

export const customerMerges = z
  .strictObject({
    customerId: z.uuid(),
    merges: z.array(
      z.strictObject({
        id: z.uuid(),
        survivorId: z.uuid(),
        mergedId: z.uuid(),
        eventMessageId: z.string().nullable().describe('the message that joined them'),
        mergedAt: z.string(),
        moved: z.record(z.string(), z.unknown()).describe('counts of moved rows per kind, identities, enrollments'),
      }),
    ),
  })
  .describe('customers merged into this one, oldest first');

export const erasure = z
  .strictObject({
    erasureId: z.uuid(),
    customerId: z.uuid(),
    mergedIds: z.array(z.uuid()),
    erasedAt: z.string(),
    reason: z.string(),
    counts: z.record(z.string(), z.number().int()).describe('rows deleted per kind'),
    alreadyErased: z.boolean(),
    enrollmentsSignalled: z.number().int(),
    pendingCancels: z
      .array(z.string())
      .describe('workflows not reached (Temporal unavailable): repeat the call to deliver them'),
  })
  .describe('the erasure (the same one when repeated)');
export type Erasure = z.input<typeof erasure>;
export type CustomerOne = z.input<typeof customerOne>;
