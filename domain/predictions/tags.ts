/**
 * Computed preference tags: what a customer's behaviour says they prefer, each with the evidence.
 * - price band: what they paid against the category's price distribution (tertiles of all paid
 *   prices in the category) — "paid in the top third for 3 of 4 purchases";
 * - style and colour: the product attributes of what they bought;
 * - energy efficiency: how often they chose an efficient class where both were on offer;
 * - channel: where they open and click (a click counts twice);
 * - city tier: from the city on their profile;
 * - life stage: category combinations (a fridge and a washer within half a year: setting up a home).
 * A tag needs enough evidence to be stated; none beats a guess. Pure.
 */
import {
  DAY_MS,
  engagementOf,
  messageChannels,
  type CatalogProduct,
  type CustomerHistory,
  type PurchaseLine,
} from './history';

export type TagKey = 'price-band' | 'style' | 'colour' | 'energy' | 'channel' | 'city-tier' | 'life-stage';

export interface PreferenceTag {
  key: TagKey;
  value: string;
  /** Share of the evidence that agrees (0–1). */
  confidence: number;
  /** What produced it, for people: "paid in the category's top third for 3 of 4 purchases". */
  explanation: string;
}

/** Per category: the paid prices splitting it into thirds. */
export type PriceCuts = ReadonlyMap<string, { low: number; high: number }>;

/** Tertile cut points of the unit prices paid per category, from every customer's lines. */
export function categoryPriceCuts(lines: Iterable<Pick<PurchaseLine, 'category' | 'unitPriceCents'>>): PriceCuts {
  const prices = new Map<string, number[]>();
  for (const line of lines) {
    if (line.unitPriceCents === null) continue;
    const list = prices.get(line.category) ?? [];
    list.push(line.unitPriceCents);
    prices.set(line.category, list);
  }
  const cuts = new Map<string, { low: number; high: number }>();
  for (const [category, list] of prices) {
    list.sort((a, b) => a - b);
    cuts.set(category, { low: quantile(list, 1 / 3), high: quantile(list, 2 / 3) });
  }
  return cuts;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Where a paid price falls in its category: below the lower cut, above the upper, or between. */
export function priceBandOf(category: string, priceCents: number, cuts: PriceCuts): 'low' | 'mid' | 'high' | null {
  const cut = cuts.get(category);
  if (!cut) return null;
  if (priceCents < cut.low) return 'low';
  if (priceCents > cut.high) return 'high';
  return 'mid';
}

export interface TagContext {
  catalog: ReadonlyMap<string, CatalogProduct>;
  priceCuts: PriceCuts;
  /** Energy classes counted as efficient. Default A+++, A++ and A+. */
  efficientClasses?: ReadonlySet<string>;
  /** Only engagement since then counts for the channel (default: all). */
  engagementSince?: number;
}

/** Tier of a city (China's common tiers); unknown cities get no tag. Lower-case keys. */
export const cityTiers: Readonly<Record<string, string>> = {
  beijing: 'tier-1',
  shanghai: 'tier-1',
  guangzhou: 'tier-1',
  shenzhen: 'tier-1',
  chengdu: 'new-tier-1',
  hangzhou: 'new-tier-1',
  wuhan: 'new-tier-1',
  nanjing: 'new-tier-1',
  chongqing: 'new-tier-1',
  "xi'an": 'new-tier-1',
  suzhou: 'new-tier-1',
  tianjin: 'new-tier-1',
  changsha: 'new-tier-1',
  zhengzhou: 'new-tier-1',
  dongguan: 'new-tier-1',
  qingdao: 'new-tier-1',
  hefei: 'new-tier-1',
  foshan: 'new-tier-1',
  ningbo: 'new-tier-1',
};

const defaultEfficient = new Set(['A+++', 'A++', 'A+']);
/** The smallest majority that makes a tag: a 2-of-3 split is a preference, 1 of 2 is not. */
const MIN_SHARE = 0.6;

export function computeTags(customer: CustomerHistory, context: TagContext): PreferenceTag[] {
  const tags: PreferenceTag[] = [];
  const lines = customer.lines.filter((l) => context.catalog.get(l.sku)?.attributes.coBrand === undefined);

  // Price band.
  const bands = lines
    .map((l) => (l.unitPriceCents === null ? null : priceBandOf(l.category, l.unitPriceCents, context.priceCuts)))
    .filter((b): b is 'low' | 'mid' | 'high' => b !== null);
  const band = majority(bands, 2);
  if (band) {
    const where = { low: 'bottom', mid: 'middle', high: 'top' }[band.value];
    tags.push({
      key: 'price-band',
      value: band.value,
      confidence: band.share,
      explanation: `paid in the category's ${where} third for ${band.count} of ${bands.length} purchases`,
    });
  }

  // Style and colour, from what they bought.
  for (const key of ['style', 'colour'] as const) {
    const values = lines
      .map((l) => context.catalog.get(l.sku)?.attributes[key])
      .filter((v): v is string => typeof v === 'string');
    const top = majority(values, 2);
    if (top) {
      tags.push({
        key,
        value: top.value,
        confidence: top.share,
        explanation: `${top.count} of ${values.length} products bought were ${key === 'style' ? `${top.value} style` : top.value}`,
      });
    }
  }

  // Energy efficiency, where the choice was theirs (a product with an energy class).
  const efficient = context.efficientClasses ?? defaultEfficient;
  const classes = lines
    .map((l) => context.catalog.get(l.sku)?.attributes.energyClass)
    .filter((c): c is string => typeof c === 'string');
  if (classes.length >= 2) {
    const chosen = classes.filter((c) => efficient.has(c)).length;
    const share = chosen / classes.length;
    if (share >= MIN_SHARE || share <= 1 - MIN_SHARE) {
      tags.push({
        key: 'energy',
        value: share >= MIN_SHARE ? 'efficient' : 'indifferent',
        confidence: Math.max(share, 1 - share),
        explanation: `chose an efficient energy class for ${chosen} of ${classes.length} appliances`,
      });
    }
  }

  // Channel, from engagement.
  const since = context.engagementSince ?? -Infinity;
  const weight = new Map<string, number>();
  let total = 0;
  let events = 0;
  for (const touch of customer.events) {
    const e = engagementOf(touch);
    if (!e || e.at < since) continue;
    const w = e.kind === 'clicked' ? 2 : 1;
    weight.set(e.channel, (weight.get(e.channel) ?? 0) + w);
    total += w;
    events++;
  }
  if (events >= 2) {
    const [channel, w] = [...weight].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    // Four channels: 40% is well above an even split (25%).
    if (w / total >= 0.4) {
      tags.push({
        key: 'channel',
        value: channel,
        confidence: w / total,
        explanation: `${Math.round((100 * w) / total)}% of ${events} opens and clicks were on ${channel} (clicks count twice; channels: ${messageChannels.join(', ')})`,
      });
    }
  }

  // City tier.
  const tier = customer.city ? cityTiers[customer.city.trim().toLowerCase()] : undefined;
  if (tier) tags.push({ key: 'city-tier', value: tier, confidence: 1, explanation: `city ${customer.city}` });

  // Life stage, from what was bought together in time.
  for (const stage of lifeStages) {
    const seen = stage.categories.map((c) => lines.filter((l) => l.category === c).map((l) => l.orderedAt));
    if (seen.some((times) => times.length === 0)) continue;
    const firsts = seen.map((times) => Math.min(...times));
    const already = tags.some((t) => t.key === 'life-stage' && t.value === stage.value);
    if (!already && Math.max(...firsts) - Math.min(...firsts) <= stage.withinDays * DAY_MS) {
      tags.push({
        key: 'life-stage',
        value: stage.value,
        confidence: 1,
        explanation: `bought ${stage.categories.join(' and ')} within ${stage.withinDays} days`,
      });
    }
  }
  return tags;
}

const lifeStages: { value: string; categories: string[]; withinDays: number }[] = [
  { value: 'new-home', categories: ['fridge', 'washer'], withinDays: 180 },
  { value: 'new-home', categories: ['range-hood', 'fridge'], withinDays: 180 },
  { value: 'family', categories: ['tv', 'vacuum'], withinDays: 365 },
  { value: 'digital-native', categories: ['phone', 'watch'], withinDays: 365 },
];

function majority<T extends string>(
  values: readonly T[],
  minCount: number,
): { value: T; count: number; share: number } | null {
  if (values.length < minCount) return null;
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const [value, count] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
  const share = count / values.length;
  return share >= MIN_SHARE ? { value, count, share } : null;
}
