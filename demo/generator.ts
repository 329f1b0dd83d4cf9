/**
 * A synthetic consumer-electronics brand, deterministic from a seed: a catalog with consumables,
 * customers across channels with several identities each, orders whose categories go together the
 * way real baskets do (phones with earbuds, fridges with water purifiers), owned devices with
 * warranties, purifier telemetry, leads and AIPL stages. Sizes from 100 to 1,000,000 customers;
 * written in batches with progress callbacks. Used by `npm start` (small) and benchmarks (large).
 *
 * Over that unstructured history lies planted audience structure (demo/planted.ts: hidden affinity
 * segments, replacement cycles, send hours, a co-branded product's fans) for the audience models to
 * recover; `generateDemoRows` gives the rows in memory.
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
import type { CustomerHistory } from '../domain/predictions';
import {
  addPlantedHistory,
  basketCompanions,
  plantedProducts,
  rng,
  streamSeed,
  type PlantedCustomer,
  type Rng,
} from './planted';

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
/** The catalog the unstructured order history draws from (kept apart so its rows stay as they were). */
const baseProducts: Product[] = [
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
/** The catalog: the base products, and the tier × style variants the planted history buys (demo/planted.ts). */
export const demoProducts: Product[] = [...baseProducts, ...plantedProducts];
export const demoCompatibility = [
  { consumableSku: 'PF-200', deviceSku: 'WP-500' },
  { consumableSku: 'DB-7', deviceSku: 'VC-S7' },
];

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
const skusOf = (category: string) => baseProducts.filter((p) => p.category === category && p.kind === 'device');
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

/** One customer's rows (or a batch of customers'), in insert order per table. */
export interface DemoRows {
  customers: (typeof customers.$inferInsert)[];
  identities: (typeof customerIdentities.$inferInsert)[];
  orders: (typeof orders.$inferInsert)[];
  orderLines: (typeof orderLines.$inferInsert)[];
  devices: (typeof ownedProducts.$inferInsert)[];
  telemetry: (typeof telemetryReadings.$inferInsert)[];
  events: (typeof events.$inferInsert)[];
  aipl: (typeof aiplHistory.$inferInsert)[];
}
const emptyRows = (): DemoRows => ({
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

  let i = 0;
  for (const one of generateDemoRows({ customers: options.customers, seed, now })) {
    for (const table of Object.keys(rows) as (keyof DemoRows)[]) (rows[table] as object[]).push(...one[table]);
    i++;
    if (rows.customers.length >= batch) {
      await flush();
      options.onProgress?.({ phase: 'customers', done: i, total: options.customers });
    }
  }
  if (rows.customers.length > 0) {
    await flush();
    options.onProgress?.({ phase: 'customers', done: options.customers, total: options.customers });
  }
  return summary;
}

/**
 * The rows of customers 0 … n-1, one customer at a time, without a database: what
 * `generateDemoData` writes, and what the audience models' tests and benchmark read in memory.
 */
export function* generateDemoRows(options: { customers: number; seed: number; now: number }): Generator<DemoRows> {
  const r = rng(options.seed);
  for (let i = 0; i < options.customers; i++) {
    const rows = emptyRows();
    addCustomer(i, r, options.now, options.seed, rows);
    yield rows;
  }
}

function addCustomer(index: number, r: Rng, now: number, seed: number, rows: DemoRows): void {
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
    const categories = [anchor, ...(basketCompanions[anchor] ?? []).filter(([, p]) => r.chance(p)).map(([c]) => c)];
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
  stage = addPlanted(index, seed, now, { id, key, timeZone, createdAt }, stage, history, bought, rows);
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

const stageOrder: AiplStage[] = ['awareness', 'interest', 'purchase', 'loyalty'];

/**
 * The planted history (demo/planted.ts) on its own random streams, and the AIPL steps it adds on
 * top of the unstructured history's: a planted purchase moves the customer to purchase, a second
 * category to loyalty. Returns the final stage.
 */
function addPlanted(
  index: number,
  seed: number,
  now: number,
  customer: PlantedCustomer,
  stage: AiplStage,
  history: [AiplStage | null, AiplStage, number, string][],
  bought: Map<string, number>,
  rows: DemoRows,
): AiplStage {
  const planted = addPlantedHistory(seed, index, now, customer, rows);
  if (planted.size === 0) return stage;
  const all = new Map([...planted, ...bought].sort(([, a], [, b]) => a - b));
  const times = [...all.values()];
  const target: AiplStage = all.size > 1 ? 'loyalty' : 'purchase';
  const r = rng(streamSeed(seed, index, 3));
  let last = Math.max(customer.createdAt.getTime(), ...history.map(([, , at]) => at));
  for (let s = stageOrder.indexOf(stage) + 1; s <= stageOrder.indexOf(target); s++) {
    const to = stageOrder[s]!;
    const at = to === 'interest' ? times[0]! - DAY : to === 'purchase' ? times[0]! : times[1]!;
    last = Math.max(last, at);
    rows.aipl.push({
      id: r.uuid(),
      customerId: customer.id,
      fromStage: stageOrder[s - 1]!,
      toStage: to,
      at: new Date(last),
      source: to === 'interest' ? 'lead' : 'order',
    });
  }
  return stageOrder.indexOf(target) > stageOrder.indexOf(stage) ? target : stage;
}

/** Daily `litres_filtered` readings (cumulative) for the last ≤ 60 days, with the occasional gap. */
function addTelemetry(device: string, installedAt: number, now: number, r: Rng, rows: DemoRows): void {
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

/**
 * The generated customers as the audience models read them (domain/predictions' `CustomerHistory`),
 * in memory: for their tests, benchmark and evaluation. Customer `i` is `histories[i]`; its planted
 * truth is `plantedTruth(seed, i)`.
 */
export function generateDemoHistories(options: { customers: number; seed: number; now: number }): CustomerHistory[] {
  const histories: CustomerHistory[] = [];
  for (const rows of generateDemoRows(options)) {
    const customer = rows.customers[0]!;
    const orderedAt = new Map(rows.orders.map((o) => [o.id!, o.orderedAt.getTime()]));
    histories.push({
      id: customer.id!,
      timeZone: customer.timeZone ?? null,
      city: typeof customer.traits?.city === 'string' ? customer.traits.city : null,
      aiplStage: customer.aiplStage ?? null,
      lines: rows.orderLines.map((l) => ({
        sku: l.sku,
        category: l.category,
        unitPriceCents: l.unitPriceCents ?? null,
        orderedAt: orderedAt.get(l.orderId)!,
      })),
      devices: rows.devices.map((d) => ({ sku: d.sku, category: d.category, purchasedAt: d.purchasedAt!.getTime() })),
      events: rows.events.map((e) => ({ name: e.name, at: e.occurredAt.getTime(), properties: e.properties ?? {} })),
    });
  }
  return histories;
}
