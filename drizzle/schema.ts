/**
 * Postgres schema. Names here live for years in databases: snake_case tables, named constraints,
 * uuid keys, timestamps with time zone. Change by `npm run db:generate -- --name <what>`.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { JourneyDefinition } from '../domain/journey/definition';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const customers = pgTable('customers', {
  id: uuid('id').primaryKey().defaultRandom(),
  traits: jsonb('traits').$type<Record<string, unknown>>().notNull().default({}),
  tags: text('tags')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  aiplStage: text('aipl_stage'),
  timeZone: text('time_zone'),
  locale: text('locale'),
  /** Per channel and per topic: `{ channels: { email: true }, topics: { promotions: false } }`. */
  consent: jsonb('consent').$type<Consent>().notNull().default({ channels: {}, topics: {} }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
export interface Consent {
  channels: Partial<Record<'email' | 'sms' | 'push' | 'wechat', boolean>>;
  topics: Record<string, boolean>;
}

export const identityKinds = [
  'email',
  'phone',
  'marketplace',
  'wechat_openid',
  'app_user',
  'device_serial',
  'anonymous',
] as const;
export type IdentityKind = (typeof identityKinds)[number];

/** One ID: every identifier that resolves to a customer. */
export const customerIdentities = pgTable(
  'customer_identities',
  {
    kind: text('kind', { enum: identityKinds }).notNull(),
    value: text('value').notNull(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'customer_identities_pkey', columns: [t.kind, t.value] }),
    index('customer_identities_customer_idx').on(t.customerId),
  ],
);

export const ownedProducts = pgTable(
  'owned_products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    sku: text('sku').notNull(),
    category: text('category').notNull(),
    purchasedAt: timestamp('purchased_at', { withTimezone: true }),
    installedAt: timestamp('installed_at', { withTimezone: true }),
    warrantyEndsAt: timestamp('warranty_ends_at', { withTimezone: true }),
    disposedAt: timestamp('disposed_at', { withTimezone: true }),
    /** A connected device's serial (also a `device_serial` identity); telemetry readings hang off this row. */
    serial: text('serial'),
    /** The order line it came from, when bought through an ingested order. */
    orderId: uuid('order_id'),
    createdAt: createdAt(),
  },
  (t) => [index('owned_products_customer_idx').on(t.customerId), uniqueIndex('owned_products_serial_key').on(t.serial)],
);

/** Device telemetry: one reading of one metric (e.g. `litres_filtered`, a cumulative counter). */
export const telemetryReadings = pgTable(
  'telemetry_readings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownedProductId: uuid('owned_product_id')
      .notNull()
      .references(() => ownedProducts.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    value: doublePrecision('value').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }).notNull(),
    /** The ingested event it came from (a resend of that event adds nothing). */
    eventId: uuid('event_id'),
  },
  (t) => [
    index('telemetry_readings_device_metric_time_idx').on(t.ownedProductId, t.metric, t.readAt),
    // One reading per event: a reading stored on arrival and again by the backfill of a late-registered serial is one row.
    uniqueIndex('telemetry_readings_event_key').on(t.eventId),
  ],
);

/** AIPL stage changes (Awareness, Interest, Purchase, Loyalty), newest last; `customers.aipl_stage` is the current one. */
export const aiplStages = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
export type AiplStage = (typeof aiplStages)[number];
export const aiplHistory = pgTable(
  'aipl_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    fromStage: text('from_stage'),
    toStage: text('to_stage').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** What moved it: `identify`, an event name, a journey step (`journey:<id>/<step>`). */
    source: text('source').notNull(),
    /** Recording order: `at` is when the move happened (an event's time), and events arrive out of order. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
  },
  (t) => [index('aipl_history_customer_time_idx').on(t.customerId, t.at), index('aipl_history_time_idx').on(t.at)],
);

/** Product categories (phone, water-purifier, range-hood …). */
export const productCategories = pgTable('product_categories', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Days a typical buyer takes to decide (lead nurturing window); null when unknown. */
  decisionWindowDays: integer('decision_window_days'),
});

/** The product catalog: devices and consumables. */
export const products = pgTable(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    category: text('category').notNull(),
    kind: text('kind', { enum: ['device', 'consumable', 'service'] })
      .notNull()
      .default('device'),
    priceCents: bigint('price_cents', { mode: 'number' }),
    currency: text('currency'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /** Consumables: life from installation in days, and/or in usage units (e.g. 3000 litres). */
    ratedLifeDays: integer('rated_life_days'),
    ratedUsage: doublePrecision('rated_usage'),
    usageMetric: text('usage_metric'),
    /** Months of manufacturer warranty, for warranty end dates of owned devices. */
    warrantyMonths: integer('warranty_months'),
  },
  (t) => [
    index('products_category_idx').on(t.category),
    check('products_kind_check', sql`${t.kind} in ('device','consumable','service')`),
  ],
);

/** Which consumables fit which devices. */
export const consumableCompatibility = pgTable(
  'consumable_compatibility',
  {
    consumableSku: text('consumable_sku')
      .notNull()
      .references(() => products.sku, { onDelete: 'cascade' }),
    deviceSku: text('device_sku')
      .notNull()
      .references(() => products.sku, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ name: 'consumable_compatibility_pkey', columns: [t.consumableSku, t.deviceSku] }),
    index('consumable_compatibility_device_idx').on(t.deviceSku),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    /** The shop's order number (Segment `order_id`); unique per source. */
    externalId: text('external_id').notNull(),
    /** Where it was bought: `tmall`, `jd`, `store:<id>`, `app` … */
    source: text('source').notNull().default('unknown'),
    status: text('status').notNull().default('completed'),
    currency: text('currency'),
    totalCents: bigint('total_cents', { mode: 'number' }),
    orderedAt: timestamp('ordered_at', { withTimezone: true }).notNull(),
    eventId: uuid('event_id'),
  },
  (t) => [
    uniqueIndex('orders_source_external_key').on(t.source, t.externalId),
    index('orders_customer_time_idx').on(t.customerId, t.orderedAt),
  ],
);

export const orderLines = pgTable(
  'order_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    lineNo: integer('line_no').notNull(),
    sku: text('sku').notNull(),
    category: text('category').notNull(),
    quantity: integer('quantity').notNull().default(1),
    unitPriceCents: bigint('unit_price_cents', { mode: 'number' }),
  },
  (t) => [
    primaryKey({ name: 'order_lines_pkey', columns: [t.orderId, t.lineNo] }),
    index('order_lines_category_idx').on(t.category),
    index('order_lines_sku_idx').on(t.sku),
  ],
);

/**
 * One ID merges: when a message joins identities of two customers, the newer customer is merged
 * into the older (the survivor) and its row deleted; this history keeps what moved, and lets an old
 * customer id (e.g. in a running workflow's input) still find its survivor.
 */
export const customerMerges = pgTable(
  'customer_merges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    survivorId: uuid('survivor_id').notNull(),
    mergedId: uuid('merged_id').notNull(),
    /** The message that joined them. */
    eventMessageId: text('event_message_id'),
    /** Counts of moved rows per kind, the identities that moved, enrollments ended; `pendingExits` until signalled (api/merge.ts `MergeMoved`). */
    moved: jsonb('moved').$type<Record<string, unknown>>().notNull().default({}),
    mergedAt: timestamp('merged_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('customer_merges_merged_key').on(t.mergedId),
    index('customer_merges_survivor_idx').on(t.survivorId),
    // The router polls for merges whose `exit: merged` signals are not delivered yet (api/merge.ts).
    index('customer_merges_pending_exits_idx')
      .on(t.mergedAt)
      .where(sql`(${t.moved} -> 'pendingExits') is not null`),
  ],
);

/** Segments: a rule (domain/segments) compiled to SQL; membership materialised in `segment_members`. */
export const segments = pgTable('segments', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  rule: jsonb('rule').$type<unknown>().notNull(),
  /** Rules that only read the customer row (traits, tags, stage, consent) are re-evaluated on each event. */
  evaluatedOnEvent: boolean('evaluated_on_event').notNull().default(false),
  memberCount: integer('member_count').notNull().default(0),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const segmentMembers = pgTable(
  'segment_members',
  {
    segmentId: text('segment_id')
      .notNull()
      .references(() => segments.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    enteredAt: timestamp('entered_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * When the journeys with this segment as entry were offered this membership; null while still
     * to do. Entries are started after the membership commits, so a crash in between only delays them.
     */
    entriesCheckedAt: timestamp('entries_checked_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: 'segment_members_pkey', columns: [t.segmentId, t.customerId] }),
    index('segment_members_customer_idx').on(t.customerId),
    index('segment_members_entries_pending_idx')
      .on(t.segmentId, t.customerId)
      .where(sql`${t.entriesCheckedAt} is null`),
  ],
);

export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The sender's id (Segment `messageId`): a resend is a no-op. */
    messageId: text('message_id').notNull(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set once the router delivered it (or found nothing listening): un-routed rows are re-driven. */
    routedAt: timestamp('routed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('events_message_id_key').on(t.messageId),
    index('events_customer_name_time_idx').on(t.customerId, t.name, t.occurredAt),
    index('events_unrouted_idx')
      .on(t.receivedAt)
      .where(sql`${t.routedAt} is null`),
    // Readings that arrived before their device was registered are found by serial when it is.
    index('events_telemetry_serial_idx')
      .on(sql`(${t.properties} ->> 'serial')`)
      .where(sql`${t.name} = 'Telemetry Reported'`),
  ],
);

export const journeys = pgTable(
  'journeys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status', { enum: ['draft', 'published', 'paused', 'archived'] })
      .notNull()
      .default('draft'),
    draft: jsonb('draft').$type<unknown>().notNull(),
    latestVersion: integer('latest_version'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check('journeys_status_check', sql`${t.status} in ('draft','published','paused','archived')`)],
);

export const journeyVersions = pgTable(
  'journey_versions',
  {
    journeyId: text('journey_id')
      .notNull()
      .references(() => journeys.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    definition: jsonb('definition').$type<JourneyDefinition>().notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'journey_versions_pkey', columns: [t.journeyId, t.version] })],
);

export const enrollmentStatuses = ['active', 'completed', 'exited', 'converted', 'cancelled', 'failed'] as const;
export type EnrollmentStatus = (typeof enrollmentStatuses)[number];

/** Mirror of each enrollment workflow, so lists and counts never need Temporal visibility. */
export const enrollments = pgTable(
  'enrollments',
  {
    id: uuid('id').primaryKey(),
    journeyId: text('journey_id').notNull(),
    journeyVersion: integer('journey_version').notNull(),
    customerId: uuid('customer_id').notNull(),
    enrollmentKey: text('enrollment_key').notNull(),
    workflowId: text('workflow_id').notNull(),
    status: text('status', { enum: enrollmentStatuses }).notNull(),
    currentStep: text('current_step'),
    nextWakeAt: timestamp('next_wake_at', { withTimezone: true }),
    path: jsonb('path').$type<{ step: string; at: string; outcome?: string }[]>().notNull().default([]),
    enteredAt: timestamp('entered_at', { withTimezone: true }).notNull(),
    exitedAt: timestamp('exited_at', { withTimezone: true }),
    exitReason: text('exit_reason'),
    convertedAt: timestamp('converted_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('enrollments_journey_customer_key_idx').on(t.journeyId, t.customerId, t.enrollmentKey, t.enteredAt),
    index('enrollments_customer_idx').on(t.customerId),
    index('enrollments_journey_status_idx').on(t.journeyId, t.journeyVersion, t.status),
    check(
      'enrollments_status_check',
      sql`${t.status} in ('active','completed','exited','converted','cancelled','failed')`,
    ),
  ],
);

export const templates = pgTable('templates', {
  id: text('id').primaryKey(),
  channel: text('channel', { enum: ['email', 'sms', 'push', 'wechat'] }).notNull(),
  /** Handlebars sources of the default locale of the latest version; `subject` only for email. */
  subject: text('subject'),
  text: text('text').notNull(),
  html: text('html'),
  /** The newest row of `template_versions`; null for templates written before versioning (the columns above are the content). */
  latestVersion: integer('latest_version'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** One locale's parts of a template version (Handlebars sources). */
export interface TemplateParts {
  subject?: string;
  text: string;
  html?: string;
  /** Provider template fields (WeChat template message `data`, push `data`): field → Handlebars source. */
  fields?: Record<string, string>;
}

/** What a template version may reference, beyond the built-in profile fields and links. */
export interface TemplateVariables {
  traits: string[];
  event: string[];
}

/** Immutable versions: a save writes a new one; sends render the template's latest version. */
export const templateVersions = pgTable(
  'template_versions',
  {
    templateId: text('template_id')
      .notNull()
      .references(() => templates.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    defaultLocale: text('default_locale').notNull(),
    locales: jsonb('locales').$type<Record<string, TemplateParts>>().notNull(),
    /** A `template_partials` row of kind `layout` wrapping the HTML (`{{{body}}}`), or null. */
    layout: text('layout'),
    /** WeChat template id / provider template id, when the channel needs one. */
    providerTemplateId: text('provider_template_id'),
    variables: jsonb('variables').$type<TemplateVariables>().notNull().default({ traits: [], event: [] }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'template_versions_pkey', columns: [t.templateId, t.version] })],
);

/** Shared Handlebars partials (`{{> footer}}`) and HTML layouts (wrapping `{{{body}}}`). */
export const templatePartials = pgTable(
  'template_partials',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['partial', 'layout'] }).notNull(),
    source: text('source').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check('template_partials_kind_check', sql`${t.kind} in ('partial','layout')`)],
);

/** Addresses that must not be sent to on a channel (hard bounce, complaint, manual). Transactional mail too. */
export const suppressions = pgTable(
  'suppressions',
  {
    channel: text('channel').notNull(),
    address: text('address').notNull(),
    reason: text('reason', { enum: ['hard-bounce', 'complaint', 'manual'] }).notNull(),
    /** The provider event or operator that added it. */
    source: text('source'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'suppressions_pkey', columns: [t.channel, t.address] }),
    check('suppressions_reason_check', sql`${t.reason} in ('hard-bounce','complaint','manual')`),
  ],
);

export const messageStatuses = ['sending', 'sent', 'skipped', 'failed', 'uncertain'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

/**
 * The send ledger: one row per (enrollment, step, occurrence), written before the provider call.
 * A retry that finds `sent` returns; one that finds `sending` knows an earlier attempt died mid-call.
 */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    enrollmentId: uuid('enrollment_id').notNull(),
    stepId: text('step_id').notNull(),
    occurrence: integer('occurrence').notNull(),
    journeyId: text('journey_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    channel: text('channel').notNull(),
    templateId: text('template_id').notNull(),
    status: text('status', { enum: messageStatuses }).notNull(),
    reason: text('reason'),
    providerMessageId: text('provider_message_id'),
    /** Frequency caps count marketing rows only. Null on rows written before the messaging columns. */
    kind: text('kind', { enum: ['marketing', 'transactional'] }),
    topic: text('topic'),
    /** Where it went (for bounces → suppression) and what it said (locale, version, links for click checks). */
    address: text('address'),
    locale: text('locale'),
    templateVersion: integer('template_version'),
    links: jsonb('links').$type<string[]>(),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('messages_ledger_key').on(t.enrollmentId, t.stepId, t.occurrence),
    index('messages_customer_idx').on(t.customerId, t.createdAt),
    index('messages_provider_message_idx').on(t.providerMessageId),
    check('messages_status_check', sql`${t.status} in ('sending','sent','skipped','failed','uncertain')`),
  ],
);

export const apiKeyKinds = ['write', 'admin'] as const;
export type ApiKeyKind = (typeof apiKeyKinds)[number];

/**
 * API keys, stored as SHA-256 digests only: the plaintext is shown once at creation. `write` keys
 * send events (Segment-compatible ingest); `admin` keys also manage journeys and keys.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: apiKeyKinds }).notNull(),
    name: text('name').notNull(),
    /** Lower-case hex SHA-256 of the plaintext key. */
    hash: text('hash').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_hash_key').on(t.hash),
    check('api_keys_kind_check', sql`${t.kind} in ('write','admin')`),
  ],
);

/** Category association rules mined from baskets (one per customer: categories ordered or owned); refreshed on a schedule. */
export const categoryAssociations = pgTable(
  'category_associations',
  {
    fromCategory: text('from_category').notNull(),
    toCategory: text('to_category').notNull(),
    /** Customers holding both. */
    count: integer('count').notNull(),
    support: doublePrecision('support').notNull(),
    confidence: doublePrecision('confidence').notNull(),
    lift: doublePrecision('lift').notNull(),
    /** Customers with at least one category when mined. */
    baskets: integer('baskets').notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'category_associations_pkey', columns: [t.fromCategory, t.toCategory] }),
    index('category_associations_lift_idx').on(t.fromCategory, t.lift),
  ],
);

/**
 * Erasures (right to be forgotten): one audit row per erased customer, without personal data — the
 * internal ids (the customer and the ids merged into it), when, why, and how many rows went.
 * `pending_cancels` holds enrollment workflow ids still to be sent `exit: erased`; cleared once done.
 */
export const customerErasures = pgTable(
  'customer_erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    /** Ids merged into the customer before it was erased (running workflows may still carry them). */
    mergedIds: uuid('merged_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    reason: text('reason').notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
    /** Rows deleted per table, identities hashed, enrollments cancelled. */
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    pendingCancels: text('pending_cancels')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
  },
  (t) => [
    uniqueIndex('customer_erasures_customer_key').on(t.customerId),
    index('customer_erasures_merged_ids_idx').using('gin', t.mergedIds),
  ],
);

/**
 * Keyed hashes (HMAC-SHA256 with the server's erasure secret) of every identity an erased customer
 * had: ingest refuses a message naming one, unless it carries explicit re-consent (then the hash goes).
 */
export const erasedIdentities = pgTable('erased_identities', {
  /** Lower-case hex HMAC-SHA256 of `<kind>:<normalised value>`. */
  hash: text('hash').primaryKey(),
  erasureId: uuid('erasure_id')
    .notNull()
    .references(() => customerErasures.id, { onDelete: 'cascade' }),
  createdAt: createdAt(),
});
