/**
 * A synthetic consumer-electronics brand, deterministic from a seed: a catalog with consumables,
 * customers across channels with several identities each, orders whose categories go together the
 * way real baskets do (phones with earbuds, fridges with water purifiers), owned devices with
 * warranties, purifier telemetry, leads and AIPL stages. Sizes from 100 to 1,000,000 customers;
 * written in batches with progress callbacks. Used by `npm start` (small) and benchmarks (large).
 *
 * Same seed and `now` → the same rows, ids included.
 */
import type { Db } from '../drizzle/client';
import {
  aiplHistory,
  consumableCompatibility,
  customerIdentities,
  customers,
  events,
  orderLines,
  orders,
  ownedProducts,
  productCategories,
  products,
  telemetryReadings,
  type AiplStage,
  type IdentityKind,
} from '../drizzle/schema';

export interface GenerateOptions {
  db: Db;
  customers: number;
  seed?: number;
  /** The generated history ends here (default: now). */
  now?: Date;
  /** Rows per INSERT (default 1,000). */
  batchSize?: number;
  onProgress?: (progress: { phase: string; done: number; total: number }) => void;
}

export interface GenerateSummary {
  customers: number;
  identities: number;
  orders: number;
  orderLines: number;
  devices: number;
  telemetryReadings: number;
  events: number;
  aiplChanges: number;
}

const DAY = 86_400_000;

/** Categories with their decision windows (days a typical buyer takes to decide). */
export const demoCategories = [
  { id: 'phone', name: 'Phones', decisionWindowDays: 41 },
  { id: 'earbuds', name: 'Earbuds', decisionWindowDays: 7 },
  { id: 'watch', name: 'Smart watches', decisionWindowDays: 10 },
  { id: 'tv', name: 'Televisions', decisionWindowDays: 30 },
  { id: 'fridge', name: 'Refrigerators', decisionWindowDays: 25 },
  { id: 'washer', name: 'Washing machines', decisionWindowDays: 25 },
  { id: 'air-conditioner', name: 'Air conditioners', decisionWindowDays: 25 },
  { id: 'water-purifier', name: 'Water purifiers', decisionWindowDays: 14 },
  { id: 'range-hood', name: 'Range hoods', decisionWindowDays: 20 },
  { id: 'vacuum', name: 'Robot vacuums', decisionWindowDays: 14 },
  { id: 'water-filter', name: 'Water filters', decisionWindowDays: null },
  { id: 'dust-bag', name: 'Dust bags', decisionWindowDays: null },
] as const;

type Product = typeof products.$inferInsert;
export const demoProducts: Product[] = [
  {
    sku: 'PH-X1',
    name: 'Perennial X1 phone',
    category: 'phone',
    kind: 'device',
    priceCents: 499_900,
    currency: 'CNY',
    warrantyMonths: 12,
    attributes: { priceBand: 'premium' },
  },
  {
    sku: 'PH-A5',
    name: 'Perennial A5 phone',
    category: 'phone',
    kind: 'device',
    priceCents: 159_900,
    currency: 'CNY',
    warrantyMonths: 12,
    attributes: { priceBand: 'value' },
  },
  {
    sku: 'EB-2',
    name: 'Buds 2',
    category: 'earbuds',
    kind: 'device',
    priceCents: 69_900,
    currency: 'CNY',
    warrantyMonths: 12,
  },
  {
    sku: 'WT-3',
    name: 'Watch 3',
    category: 'watch',
    kind: 'device',
    priceCents: 129_900,
    currency: 'CNY',
    warrantyMonths: 12,
  },
  {
    sku: 'TV-65',
    name: '65" OLED TV',
    category: 'tv',
    kind: 'device',
    priceCents: 899_900,
    currency: 'CNY',
    warrantyMonths: 24,
    attributes: { energyClass: 'A' },
  },
  {
    sku: 'FR-500',
    name: 'French-door fridge 500 L',
    category: 'fridge',
    kind: 'device',
    priceCents: 699_900,
    currency: 'CNY',
    warrantyMonths: 36,
    attributes: { energyClass: 'A++' },
  },
  {
    sku: 'WM-10',
    name: 'Washer 10 kg',
    category: 'washer',
    kind: 'device',
    priceCents: 329_900,
    currency: 'CNY',
    warrantyMonths: 24,
  },
  {
    sku: 'AC-35',
    name: 'Inverter AC 3.5 kW',
    category: 'air-conditioner',
    kind: 'device',
    priceCents: 459_900,
    currency: 'CNY',
    warrantyMonths: 72,
  },
  {
    sku: 'WP-500',
    name: 'RO water purifier 500G',
    category: 'water-purifier',
    kind: 'device',
    priceCents: 259_900,
    currency: 'CNY',
    warrantyMonths: 12,
  },
  {
    sku: 'RH-90',
    name: 'Range hood 90 cm',
    category: 'range-hood',
    kind: 'device',
    priceCents: 299_900,
    currency: 'CNY',
    warrantyMonths: 60,
  },
  {
    sku: 'VC-S7',
    name: 'Robot vacuum S7',
    category: 'vacuum',
    kind: 'device',
    priceCents: 249_900,
    currency: 'CNY',
    warrantyMonths: 12,
  },
  {
    sku: 'PF-200',
    name: 'RO filter cartridge',
    category: 'water-filter',
    kind: 'consumable',
    priceCents: 39_900,
    currency: 'CNY',
    ratedLifeDays: 365,
    ratedUsage: 3000,
    usageMetric: 'litres_filtered',
  },
  {
    sku: 'DB-7',
    name: 'Dust bags (3 pack)',
    category: 'dust-bag',
    kind: 'consumable',
    priceCents: 9_900,
    currency: 'CNY',
    ratedLifeDays: 60,
  },
];
export const demoCompatibility = [
  { consumableSku: 'PF-200', deviceSku: 'WP-500' },
  { consumableSku: 'DB-7', deviceSku: 'VC-S7' },
];

/** What a first purchase of a category tends to bring along (basket structure for association mining). */
const companions: Record<string, [string, number][]> = {
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
const anchors: [string, number][] = [
  ['phone', 0.35],
  ['tv', 0.1],
  ['fridge', 0.12],
  ['washer', 0.08],
  ['air-conditioner', 0.1],
  ['range-hood', 0.07],
  ['water-purifier', 0.08],
  ['vacuum', 0.1],
];
const skusOf = (category: string) => demoProducts.filter((p) => p.category === category && p.kind === 'device');
const connected = new Set(['water-purifier', 'air-conditioner', 'vacuum']);

const firstNames = [
  'Wei',
  'Fang',
  'Lei',
  'Jing',
  'Min',
  'Hao',
  'Yan',
  'Tao',
  'Li',
  'Mei',
  'Ana',
  'Sam',
  'Lena',
  'Omar',
  'Kai',
  'Yuki',
];
const cities = ['Shanghai', 'Beijing', 'Shenzhen', 'Hangzhou', 'Chengdu', 'Wuhan', 'Guangzhou', 'Nanjing'];
const zones = [
  ['Asia/Shanghai', 0.85],
  ['Asia/Hong_Kong', 0.05],
  ['Europe/Berlin', 0.04],
  ['America/New_York', 0.04],
  ['Asia/Tokyo', 0.02],
] as const;
const sources = ['tmall', 'jd', 'app', 'store'];

/** mulberry32: small, fast, good enough for synthetic data; deterministic per seed. */
function rng(seed: number) {
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
    uuid: () => {
      const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
      hex[12] = '4';
      hex[16] = '89ab'[Math.floor(next() * 4)]!;
      const s = hex.join('');
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    },
  };
}

interface Rows {
  customers: (typeof customers.$inferInsert)[];
  identities: (typeof customerIdentities.$inferInsert)[];
  orders: (typeof orders.$inferInsert)[];
  orderLines: (typeof orderLines.$inferInsert)[];
  devices: (typeof ownedProducts.$inferInsert)[];
  telemetry: (typeof telemetryReadings.$inferInsert)[];
  events: (typeof events.$inferInsert)[];
  aipl: (typeof aiplHistory.$inferInsert)[];
}
const emptyRows = (): Rows => ({
  customers: [],
  identities: [],
  orders: [],
  orderLines: [],
  devices: [],
  telemetry: [],
  events: [],
  aipl: [],
});

export async function generateDemoData(options: GenerateOptions): Promise<GenerateSummary> {
  const { db } = options;
  const seed = options.seed ?? 42;
  const now = (options.now ?? new Date()).getTime();
  const batch = options.batchSize ?? 1_000;
  const r = rng(seed);
  const summary: GenerateSummary = {
    customers: 0,
    identities: 0,
    orders: 0,
    orderLines: 0,
    devices: 0,
    telemetryReadings: 0,
    events: 0,
    aiplChanges: 0,
  };

  await db
    .insert(productCategories)
    .values(demoCategories.map((c) => ({ ...c })))
    .onConflictDoNothing();
  await db.insert(products).values(demoProducts).onConflictDoNothing();
  await db.insert(consumableCompatibility).values(demoCompatibility).onConflictDoNothing();

  let rows = emptyRows();
  const flush = async () => {
    // Parents first: identities, orders, devices and events reference customers; lines and readings reference theirs.
    const write = async <T extends object>(table: Parameters<Db['insert']>[0], values: T[]) => {
      for (let i = 0; i < values.length; i += batch) await db.insert(table).values(values.slice(i, i + batch) as never);
    };
    await write(customers, rows.customers);
    await Promise.all([
      write(customerIdentities, rows.identities),
      write(orders, rows.orders),
      write(events, rows.events),
      write(aiplHistory, rows.aipl),
    ]);
    await Promise.all([write(orderLines, rows.orderLines), write(ownedProducts, rows.devices)]);
    await write(telemetryReadings, rows.telemetry);
    summary.customers += rows.customers.length;
    summary.identities += rows.identities.length;
    summary.orders += rows.orders.length;
    summary.orderLines += rows.orderLines.length;
    summary.devices += rows.devices.length;
    summary.telemetryReadings += rows.telemetry.length;
    summary.events += rows.events.length;
    summary.aiplChanges += rows.aipl.length;
    rows = emptyRows();
  };

  for (let i = 0; i < options.customers; i++) {
    addCustomer(i, r, now, seed, rows);
    if (rows.customers.length >= batch) {
      await flush();
      options.onProgress?.({ phase: 'customers', done: i + 1, total: options.customers });
    }
  }
  if (rows.customers.length > 0) {
    await flush();
    options.onProgress?.({ phase: 'customers', done: options.customers, total: options.customers });
  }
  return summary;
}

function addCustomer(index: number, r: ReturnType<typeof rng>, now: number, seed: number, rows: Rows): void {
  const id = r.uuid();
  const createdAt = new Date(now - r.int(30, 900) * DAY);
  const timeZone = r.weighted(zones);
  const locale =
    timeZone === 'Asia/Shanghai' || timeZone === 'Asia/Hong_Kong' ? (r.chance(0.9) ? 'zh-CN' : 'en') : 'en';
  const consent = {
    channels: { email: r.chance(0.7), sms: r.chance(0.5), push: r.chance(0.6), wechat: r.chance(0.8) },
    topics: { promotions: r.chance(0.8), service: true },
  };
  const traits = {
    firstName: r.pick(firstNames),
    city: r.pick(cities),
    priceBand: r.pick(['value', 'mid', 'premium']),
    style: r.pick(['minimal', 'classic', 'bold']),
    energyPreference: r.pick(['any', 'efficient']),
  };
  const tags = [
    ...new Set(
      [r.chance(0.1) ? 'vip' : null, r.chance(0.3) ? 'app-user' : null, r.chance(0.2) ? 'store-visitor' : null].filter(
        (t): t is string => t !== null,
      ),
    ),
  ].sort();

  // Identities: everyone has one channel at least; the key is deterministic per (seed, index).
  const key = `${seed}-${index}`;
  const identities: [IdentityKind, string, number][] = [
    ['email', `customer.${key}@demo.perennial.dev`, 0.8],
    ['phone', `+86139${String(index % 100_000_000).padStart(8, '0')}`, 0.6],
    ['marketplace', `tmall:${key}`, 0.4],
    ['wechat_openid', `oDEMO${key}`, 0.5],
    ['app_user', `app-${key}`, 0.3],
  ];
  const chosen = identities.filter(([, , p]) => r.chance(p));
  if (chosen.length === 0) chosen.push(identities[0]!);
  for (const [kind, value] of chosen) rows.identities.push({ kind, value, customerId: id, createdAt });

  // Purchases: 0–3 anchor categories, each possibly with companions, spread over the customer's life.
  const bought = new Map<string, number>(); // category → first purchase time
  const orderCount = r.weighted([
    [0, 0.35],
    [1, 0.35],
    [2, 0.2],
    [3, 0.1],
  ] as const);
  for (let o = 0; o < orderCount; o++) {
    const orderedAt = createdAt.getTime() + r.next() * (now - createdAt.getTime());
    const anchor = r.weighted(anchors);
    const categories = [anchor, ...(companions[anchor] ?? []).filter(([, p]) => r.chance(p)).map(([c]) => c)];
    const orderId = r.uuid();
    let total = 0;
    categories.forEach((category, lineNo) => {
      const product = r.pick(skusOf(category));
      total += product.priceCents ?? 0;
      rows.orderLines.push({
        orderId,
        lineNo: lineNo + 1,
        sku: product.sku,
        category,
        quantity: 1,
        unitPriceCents: product.priceCents ?? null,
      });
      if (!bought.has(category)) bought.set(category, orderedAt);
      const purchased = new Date(orderedAt);
      const device = r.uuid();
      const installedAt = orderedAt + r.int(1, 5) * DAY;
      rows.devices.push({
        id: device,
        customerId: id,
        sku: product.sku,
        category,
        purchasedAt: purchased,
        installedAt: new Date(installedAt),
        warrantyEndsAt: new Date(purchased.getTime() + (product.warrantyMonths ?? 12) * 30.44 * DAY),
        serial: connected.has(category) ? `SN-${category.slice(0, 2).toUpperCase()}-${key}-${o}-${lineNo}` : null,
        orderId,
        createdAt: purchased,
      });
      if (category === 'water-purifier') addTelemetry(device, installedAt, now, r, rows);
    });
    rows.orders.push({
      id: orderId,
      customerId: id,
      externalId: `DEMO-${key}-${o}`,
      source: r.pick(sources),
      status: 'completed',
      currency: 'CNY',
      totalCents: total,
      orderedAt: new Date(orderedAt),
    });
    rows.events.push({
      id: r.uuid(),
      messageId: `demo-order-${key}-${o}`,
      customerId: id,
      name: 'order_completed',
      properties: { orderId: `DEMO-${key}-${o}`, categories },
      occurredAt: new Date(orderedAt),
      receivedAt: new Date(orderedAt),
      routedAt: new Date(orderedAt),
    });
  }

  // Leads: an open interest in a category not bought yet (store visit, registration, ad response).
  let stage: AiplStage =
    bought.size === 0 ? (r.chance(0.5) ? 'awareness' : 'interest') : bought.size > 1 ? 'loyalty' : 'purchase';
  const history: [AiplStage | null, AiplStage, number, string][] = [
    [null, 'awareness', createdAt.getTime(), 'identify'],
  ];
  if (r.chance(0.3)) {
    const category = r.weighted(anchors);
    if (!bought.has(category)) {
      const at = now - r.int(0, 40) * DAY - r.int(0, 86_399) * 1000;
      rows.events.push({
        id: r.uuid(),
        messageId: `demo-lead-${key}`,
        customerId: id,
        name: 'lead_captured',
        properties: { category, source: r.pick(['store_visit', 'registration', 'ad_response']) },
        occurredAt: new Date(at),
        receivedAt: new Date(at),
        routedAt: new Date(at),
      });
      if (stage === 'awareness') stage = 'interest';
    }
  }
  const firstPurchase = Math.min(...bought.values());
  if (stage !== 'awareness') history.push(['awareness', 'interest', Math.min(firstPurchase, now) - DAY, 'lead']);
  if (stage === 'purchase' || stage === 'loyalty') history.push(['interest', 'purchase', firstPurchase, 'order']);
  if (stage === 'loyalty') history.push(['purchase', 'loyalty', Math.max(...bought.values()), 'order']);
  for (const [from, to, at, source] of history)
    rows.aipl.push({
      id: r.uuid(),
      customerId: id,
      fromStage: from,
      toStage: to,
      at: new Date(Math.max(at, createdAt.getTime())),
      source,
    });
  if (tags.includes('app-user')) {
    for (let s = r.int(0, 6); s > 0; s--) {
      const at = now - r.int(0, 29) * DAY;
      rows.events.push({
        id: r.uuid(),
        messageId: `demo-app-${key}-${s}`,
        customerId: id,
        name: 'app_opened',
        properties: {},
        occurredAt: new Date(at),
        receivedAt: new Date(at),
        routedAt: new Date(at),
      });
    }
  }
  rows.customers.push({
    id,
    traits,
    tags,
    aiplStage: stage,
    timeZone,
    locale,
    consent,
    createdAt,
    updatedAt: createdAt,
  });
}

/** Daily `litres_filtered` readings (cumulative) for the last ≤ 60 days, with the occasional gap. */
function addTelemetry(device: string, installedAt: number, now: number, r: ReturnType<typeof rng>, rows: Rows): void {
  const perDay = r.int(5, 25);
  const start = Math.max(installedAt, now - 60 * DAY);
  let total = Math.round(((start - installedAt) / DAY) * perDay);
  for (let at = start + DAY; at <= now; at += DAY) {
    total += Math.max(0, Math.round(perDay * (0.7 + 0.6 * r.next())));
    if (r.chance(0.1)) continue; // offline that day
    rows.telemetry.push({
      id: r.uuid(),
      ownedProductId: device,
      metric: 'litres_filtered',
      value: total,
      readAt: new Date(at),
    });
  }
}
