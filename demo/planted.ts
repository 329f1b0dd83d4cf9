/**
 * Planted structure for the demo brand: what the audience models (domain/predictions) must recover.
 *
 * Every customer belongs to a hidden affinity segment that drives which categories they own, the
 * price tier, style and energy class they choose, the channel they engage on and the local hour
 * they open messages; each owned category is replaced on a cycle (phones ~1.7 years, large
 * appliances ~5), with product views in the weeks before a replacement; fans of a co-branded
 * product (mostly one segment) buy it. The truth is a pure function of (seed, customer index) —
 * `plantedTruth` — so tests compare models against it without storing it anywhere.
 *
 * Its own random streams (seeded from (seed, index)) keep the unstructured history of
 * demo/generator.ts, which draws from one sequential stream, row for row and id for id as before.
 */
import { tzOffset } from '@date-fns/tz';
import type { events, orderLines, orders, ownedProducts, products } from '../drizzle/schema';

const DAY = 86_400_000;
/** How far back the planted order history reaches (older purchases are unknown to the brand). */
export const PLANTED_HISTORY_DAYS = 6 * 365;

/** mulberry32: small, fast, good enough for synthetic data; deterministic per seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
    weighted: <T>(items: readonly (readonly [T, number])[]): T => {
      let r = next() * items.reduce((s, [, w]) => s + w, 0);
      for (const [item, w] of items) if ((r -= w) < 0) return item;
      return items[items.length - 1]![0];
    },
    /** Standard normal (Box–Muller). */
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    uuid: () => {
      const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
      hex[12] = '4';
      hex[16] = '89ab'[Math.floor(next() * 4)]!;
      const s = hex.join('');
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    },
  };
}
export type Rng = ReturnType<typeof rng>;

/** A 32-bit seed for stream `stream` of customer `index` (murmur3's finaliser over the three). */
export function streamSeed(seed: number, index: number, stream: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35) ^ Math.imul(stream, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export const priceBands = ['low', 'mid', 'high'] as const;
export type PriceBand = (typeof priceBands)[number];
export const styles = ['minimal', 'classic', 'bold'] as const;
export type Style = (typeof styles)[number];
export const channels = ['email', 'sms', 'push', 'wechat'] as const;
export type Channel = (typeof channels)[number];

/** Typical years between replacements, in days (feeds the repurchase model; a product_categories column later). */
export const demoReplacementCycleDays: Record<string, number> = {
  phone: 620,
  earbuds: 550,
  watch: 800,
  tv: 2000,
  fridge: 1825,
  washer: 1825,
  'air-conditioner': 2200,
  'water-purifier': 1460,
  'range-hood': 2200,
  vacuum: 1100,
};
const appliances = new Set(['tv', 'fridge', 'washer', 'air-conditioner', 'water-purifier', 'range-hood', 'vacuum']);
const connected = new Set(['water-purifier', 'air-conditioner', 'vacuum']);

interface SegmentDefinition {
  id: string;
  weight: number;
  /** Category → relative affinity. */
  categories: Record<string, number>;
  priceBand: PriceBand;
  style: Style;
  /** Share of the segment preferring energy-efficient appliances. */
  efficient: number;
  channel: Channel;
  /** The segment's typical local hour for opening messages. */
  hour: number;
  /** Multiplies the category's replacement cycle (eager upgraders < 1). */
  replacement: number;
  /** Share of the segment that are fans of the co-branded product. */
  coBrand: number;
}

/** The hidden affinity segments (the models never see these ids). */
export const affinitySegments: readonly SegmentDefinition[] = [
  {
    id: 'young-tech',
    weight: 0.22,
    categories: { phone: 5, earbuds: 4, watch: 3, vacuum: 1 },
    priceBand: 'high',
    style: 'bold',
    efficient: 0.2,
    channel: 'push',
    hour: 21,
    replacement: 0.8,
    coBrand: 0.5,
  },
  {
    id: 'new-home',
    weight: 0.18,
    categories: { fridge: 4, washer: 4, 'range-hood': 3, 'water-purifier': 3, 'air-conditioner': 2 },
    priceBand: 'mid',
    style: 'minimal',
    efficient: 0.7,
    channel: 'email',
    hour: 20,
    replacement: 1,
    coBrand: 0.02,
  },
  {
    id: 'family',
    weight: 0.2,
    categories: { tv: 4, washer: 3, fridge: 3, vacuum: 3, phone: 2 },
    priceBand: 'mid',
    style: 'classic',
    efficient: 0.6,
    channel: 'wechat',
    hour: 12,
    replacement: 1,
    coBrand: 0.02,
  },
  {
    id: 'budget',
    weight: 0.2,
    categories: { phone: 4, earbuds: 3, vacuum: 2, tv: 1 },
    priceBand: 'low',
    style: 'bold',
    efficient: 0.2,
    channel: 'sms',
    hour: 19,
    replacement: 1.3,
    coBrand: 0.03,
  },
  {
    id: 'premium-home',
    weight: 0.1,
    categories: { tv: 4, 'air-conditioner': 3, fridge: 3, 'range-hood': 2, phone: 2 },
    priceBand: 'high',
    style: 'minimal',
    efficient: 0.8,
    channel: 'email',
    hour: 8,
    replacement: 0.75,
    coBrand: 0.02,
  },
  {
    id: 'wellness',
    weight: 0.1,
    categories: { 'water-purifier': 4, 'air-conditioner': 3, watch: 3, vacuum: 2 },
    priceBand: 'mid',
    style: 'classic',
    efficient: 0.7,
    channel: 'wechat',
    hour: 7,
    replacement: 1,
    coBrand: 0.03,
  },
];

/** What a customer really is; never written to the database. */
export interface PlantedTruth {
  segment: string;
  priceBand: PriceBand;
  style: Style;
  energyEfficient: boolean;
  channel: Channel;
  /** Local hour (0–23) at which they open and click. */
  sendHour: number;
  /** Categories they own (and keep replacing). */
  categories: string[];
  /** Their personal multiplier on replacement cycles. */
  replacementFactor: number;
  /** A fan of the co-branded product (most buy it; the look-alike target). */
  coBrandFan: boolean;
  /** Messages they engage with over the last 180 days. */
  engagements: number;
}

export function plantedTruth(seed: number, index: number): PlantedTruth {
  const r = rng(streamSeed(seed, index, 1));
  const segment = r.weighted(affinitySegments.map((s) => [s, s.weight] as const));
  const maxAffinity = Math.max(...Object.values(segment.categories));
  const categories = Object.keys(demoReplacementCycleDays).filter((c) =>
    r.chance(segment.categories[c] ? 0.15 + (0.6 * segment.categories[c]) / maxAffinity : 0.04),
  );
  return {
    segment: segment.id,
    priceBand: r.chance(0.75) ? segment.priceBand : r.pick(priceBands),
    style: r.chance(0.7) ? segment.style : r.pick(styles),
    energyEfficient: r.chance(segment.efficient),
    channel: r.chance(0.7) ? segment.channel : r.pick(channels),
    sendHour: (((segment.hour + Math.round(2.5 * r.normal())) % 24) + 24) % 24,
    categories,
    replacementFactor: segment.replacement * Math.exp(0.15 * r.normal()),
    coBrandFan: r.chance(segment.coBrand),
    engagements: r.weighted([
      [0, 0.15],
      [r.int(1, 3), 0.3],
      [r.int(4, 10), 0.35],
      [r.int(11, 25), 0.2],
    ] as const),
  };
}

/** What a first purchase of a category tends to bring along (basket structure for association mining). */
export const basketCompanions: Record<string, [string, number][]> = {
  phone: [
    ['earbuds', 0.45],
    ['watch', 0.25],
  ],
  tv: [['washer', 0.1]],
  fridge: [
    ['water-purifier', 0.4],
    ['washer', 0.2],
  ],
  washer: [['fridge', 0.15]],
  'air-conditioner': [['range-hood', 0.1]],
  'range-hood': [['water-purifier', 0.2]],
  'water-purifier': [],
  vacuum: [],
  earbuds: [],
  watch: [],
};
// ---- the catalog the planted history buys from ---------------------------------------------------

type Product = typeof products.$inferInsert;
const base: [category: string, prefix: string, name: string, priceCents: number][] = [
  ['phone', 'PH', 'Phone', 299_900],
  ['earbuds', 'EB', 'Earbuds', 69_900],
  ['watch', 'WT', 'Watch', 129_900],
  ['tv', 'TV', 'TV', 599_900],
  ['fridge', 'FR', 'Fridge', 599_900],
  ['washer', 'WM', 'Washer', 329_900],
  ['air-conditioner', 'AC', 'Air conditioner', 459_900],
  ['water-purifier', 'WP', 'Water purifier', 259_900],
  ['range-hood', 'RH', 'Range hood', 299_900],
  ['vacuum', 'VC', 'Robot vacuum', 249_900],
];
const tierFactor: Record<PriceBand, number> = { low: 0.6, mid: 1, high: 1.7 };
const tierName: Record<PriceBand, string> = { low: 'Lite', mid: '', high: 'Pro' };
const styleFactor: Record<Style, number> = { minimal: 1, classic: 1.03, bold: 0.97 };
const colourOf: Record<Style, string> = { minimal: 'white', classic: 'silver', bold: 'red' };
/** Appliances come in an efficient class in some (tier, style) pairs only, so preference and taste can conflict. */
const isEfficient = (tier: PriceBand, style: Style) => (priceBands.indexOf(tier) + styles.indexOf(style)) % 2 === 0;
const variantSku = (prefix: string, tier: PriceBand, style: Style) =>
  `${prefix}-${tier[0]!.toUpperCase()}-${style.slice(0, 3).toUpperCase()}`;
const prefixOf = new Map(base.map(([category, prefix]) => [category, prefix]));

/** Three price tiers × three styles per device category, with colour and (appliances) energy class. */
export const plantedProducts: Product[] = [
  ...base.flatMap(([category, prefix, name, priceCents]) =>
    priceBands.flatMap((tier) =>
      styles.map((style) => ({
        sku: variantSku(prefix, tier, style),
        name: `${name} ${tierName[tier]} ${colourOf[style]}`.replace(/ +/g, ' '),
        category,
        kind: 'device' as const,
        priceCents: Math.round((priceCents * tierFactor[tier] * styleFactor[style]) / 100) * 100,
        currency: 'CNY',
        warrantyMonths: appliances.has(category) ? 24 : 12,
        attributes: {
          priceBand: tier,
          style,
          colour: colourOf[style],
          ...(appliances.has(category) ? { energyClass: isEfficient(tier, style) ? 'A+++' : 'B' } : {}),
        },
      })),
    ),
  ),
  {
    sku: 'VC-IP',
    name: 'Robot vacuum × Panda Friends (co-branded)',
    category: 'vacuum',
    kind: 'device',
    priceCents: 279_900,
    currency: 'CNY',
    warrantyMonths: 12,
    attributes: { coBrand: 'panda-friends', style: 'bold', colour: 'panda' },
  },
];
/** The co-branded product whose buyers seed the look-alike audience. */
export const CO_BRAND_SKU = 'VC-IP';
const productBySku = new Map(plantedProducts.map((p) => [p.sku, p]));

// ---- the planted history --------------------------------------------------------------------------

export interface PlantedRows {
  orders: (typeof orders.$inferInsert)[];
  orderLines: (typeof orderLines.$inferInsert)[];
  devices: (typeof ownedProducts.$inferInsert)[];
  events: (typeof events.$inferInsert)[];
}

export interface PlantedCustomer {
  id: string;
  key: string;
  timeZone: string;
  createdAt: Date;
}

/**
 * The planted purchases, views and message engagement of customer `index`. Returns the categories
 * bought (category → first purchase time) so the caller can move the AIPL stage.
 */
export function addPlantedHistory(
  seed: number,
  index: number,
  now: number,
  customer: PlantedCustomer,
  rows: PlantedRows,
): Map<string, number> {
  const truth = plantedTruth(seed, index);
  const r = rng(streamSeed(seed, index, 2));
  const { id, key } = customer;
  const bought = new Map<string, number>();
  const historyStart = now - PLANTED_HISTORY_DAYS * DAY;
  let n = 0;
  const event = (name: string, at: number, properties: Record<string, unknown>) =>
    rows.events.push({
      id: r.uuid(),
      messageId: `demo-planted-${key}-${n++}`,
      customerId: id,
      name,
      properties,
      occurredAt: new Date(at),
      receivedAt: new Date(at),
      routedAt: new Date(at),
    });
  /** An order of `sku`, with the companions its category tends to bring along (the basket structure). */
  const buy = (sku: string, at: number) => {
    const main = productBySku.get(sku)!;
    const extras = (basketCompanions[main.category] ?? [])
      .filter(([, p]) => r.chance(p))
      .map(([category]) => productBySku.get(chooseSku(category, truth, r))!);
    const orderId = r.uuid();
    const externalId = `DEMO-${key}-p${n}`;
    const lines = [main, ...extras];
    rows.orders.push({
      id: orderId,
      customerId: id,
      externalId,
      source: r.pick(['tmall', 'jd', 'app', 'store']),
      status: 'completed',
      currency: 'CNY',
      totalCents: lines.reduce((sum, p) => sum + (p.priceCents ?? 0), 0),
      orderedAt: new Date(at),
    });
    lines.forEach((product, lineNo) => {
      rows.orderLines.push({
        orderId,
        lineNo: lineNo + 1,
        sku: product.sku,
        category: product.category,
        quantity: 1,
        unitPriceCents: product.priceCents,
      });
      rows.devices.push({
        id: r.uuid(),
        customerId: id,
        sku: product.sku,
        category: product.category,
        purchasedAt: new Date(at),
        installedAt: new Date(at + r.int(1, 5) * DAY),
        warrantyEndsAt: new Date(at + (product.warrantyMonths ?? 12) * 30.44 * DAY),
        serial: connected.has(product.category)
          ? `SN-${product.category.slice(0, 2).toUpperCase()}-${key}-p${n}-${lineNo}`
          : null,
        orderId,
        createdAt: new Date(at),
      });
      if (!bought.has(product.category) || bought.get(product.category)! > at) bought.set(product.category, at);
    });
    event('order_completed', at, { orderId: externalId, categories: lines.map((p) => p.category) });
  };
  const views = (category: string, before: number) => {
    for (let v = r.int(1, 3); v > 0; v--) {
      const at = before - r.int(1, 30) * DAY + r.int(0, 86_399) * 1000;
      if (at >= historyStart && at < now) event('product_viewed', at, { category });
    }
  };

  // Ownership chains: a purchase somewhere in the last 1.6 cycles, replaced every cycle or so.
  for (const category of truth.categories) {
    const cycle = demoReplacementCycleDays[category]! * truth.replacementFactor * DAY;
    let at = now - r.next() * 1.6 * cycle;
    let first = true;
    while (true) {
      // Interest precedes a replacement (and announces the one still ahead of `now`).
      if (!first && r.chance(0.75)) views(category, at);
      if (at >= now) break;
      if (at >= historyStart) buy(chooseSku(category, truth, r), at);
      first = false;
      at += cycle * Math.exp(0.2 * r.normal());
    }
  }
  if (truth.coBrandFan && r.chance(0.7)) buy(CO_BRAND_SKU, now - r.int(1, 120) * DAY - r.int(0, 86_399) * 1000);
  // Background browsing, unrelated to any purchase.
  for (let v = r.int(0, 2); v > 0; v--) {
    event('product_viewed', now - r.int(1, 365) * DAY, { category: r.pick(Object.keys(demoReplacementCycleDays)) });
  }

  // Message engagement: mostly on their channel, mostly around their hour (local time).
  const today = Math.floor(now / DAY) * DAY;
  for (let e = 0; e < truth.engagements; e++) {
    const channel = r.chance(0.7) ? truth.channel : r.pick(channels);
    const roll = r.next();
    const hour =
      roll < 0.45 ? truth.sendHour : roll < 0.65 ? (truth.sendHour + r.pick([-1, 1]) + 24) % 24 : r.int(0, 23);
    const at = localInstant(today - r.int(1, 180) * DAY + hour * 3_600_000 + r.int(0, 59) * 60_000, customer.timeZone);
    event(`${channel}_${r.chance(0.7) ? 'opened' : 'clicked'}`, at, { channel, campaign: `demo-${r.int(1, 12)}` });
  }
  return bought;
}

function chooseSku(category: string, truth: PlantedTruth, r: Rng): string {
  const tier = r.chance(0.8) ? truth.priceBand : r.pick(priceBands);
  let style = r.chance(0.75) ? truth.style : r.pick(styles);
  if (appliances.has(category) && truth.energyEfficient && !isEfficient(tier, style) && r.chance(0.85)) {
    style = r.pick(styles.filter((s) => isEfficient(tier, s)));
  }
  return variantSku(prefixOf.get(category)!, tier, style);
}

/**
 * The instant whose wall clock in `timeZone` reads `wall` (a UTC-coded wall time). Two offset look-ups
 * instead of domain/time's exact `fromLocal` (10× slower): inside a DST gap or overlap it may land an
 * hour off, which synthetic engagement can afford.
 */
function localInstant(wall: number, timeZone: string): number {
  const guess = wall - tzOffset(timeZone, new Date(wall)) * 60_000;
  return wall - tzOffset(timeZone, new Date(guess)) * 60_000;
}
