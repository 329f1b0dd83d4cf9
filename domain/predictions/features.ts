/**
 * Profile and behaviour features for the look-alike model, one dense row per customer:
 * - purchases: log(1 + lines) per category, the share of lines in each price third, whether they
 *   bought at all, recency (e^(−days since the last order / 365));
 * - taste: share of lines per style, share of efficient energy classes;
 * - interest: log(1 + product views) per category in the last 90 days;
 * - engagement: share of opens and clicks per channel and per quarter of the local day, log(1 + count);
 * - AIPL stage, one-hot.
 * Lines of `excludeSkus` are left out: the product that defines a seed must not also be the evidence
 * that finds it (the look-alike would only find its buyers again).
 */
import { DAY_MS, engagementOf, messageChannels, type CatalogProduct, type CustomerHistory } from './history';
import { priceBandOf, type PriceCuts } from './tags';

export interface FeatureContext {
  categories: readonly string[];
  catalog: ReadonlyMap<string, CatalogProduct>;
  priceCuts: PriceCuts;
  now: number;
  excludeSkus?: ReadonlySet<string>;
  /** The customer's local hour of an instant (see send-time's `localHourLookup`); no hour features without it. */
  localHour?: (at: number, timeZone: string | null) => number;
}

export interface FeatureMatrix {
  ids: string[];
  names: string[];
  dims: number;
  /** Row-major, `ids.length × dims`. */
  values: Float64Array;
}

const bands = ['low', 'mid', 'high'] as const;
const styles = ['minimal', 'classic', 'bold'] as const;
const stages = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
const dayParts = ['night', 'morning', 'afternoon', 'evening'] as const;
const efficientClasses = new Set(['A+++', 'A++', 'A+']);

export function featureNames(categories: readonly string[]): string[] {
  return [
    ...categories.map((c) => `bought:${c}`),
    ...bands.map((b) => `price:${b}`),
    'bought:any',
    'recency',
    ...styles.map((s) => `style:${s}`),
    'energy:efficient',
    ...categories.map((c) => `viewed90d:${c}`),
    ...messageChannels.map((c) => `channel:${c}`),
    ...dayParts.map((p) => `engaged:${p}`),
    'engaged:count',
    ...stages.map((s) => `aipl:${s}`),
  ];
}

export function buildFeatures(customers: readonly CustomerHistory[], context: FeatureContext): FeatureMatrix {
  const names = featureNames(context.categories);
  const dims = names.length;
  const values = new Float64Array(customers.length * dims);
  customers.forEach((c, i) => writeFeatures(c, context, values, i * dims));
  return { ids: customers.map((c) => c.id), names, dims, values };
}

function writeFeatures(customer: CustomerHistory, context: FeatureContext, out: Float64Array, offset: number): void {
  const { categories, catalog, priceCuts, now, excludeSkus } = context;
  const k = categories.length;
  const categoryIndex = (c: string) => categories.indexOf(c);
  let o = offset;
  const bought = o;
  const price = (o += k);
  const any = (o += bands.length);
  const recency = any + 1;
  const style = recency + 1;
  const energy = style + styles.length;
  const viewed = energy + 1;
  const channel = viewed + k;
  const parts = channel + messageChannels.length;
  const engaged = parts + dayParts.length;
  const stage = engaged + 1;

  let lines = 0;
  let priced = 0;
  let styled = 0;
  let classed = 0;
  let efficient = 0;
  let last = -Infinity;
  for (const line of customer.lines) {
    if (excludeSkus?.has(line.sku)) continue;
    lines++;
    const ci = categoryIndex(line.category);
    if (ci >= 0) out[bought + ci]!++;
    last = Math.max(last, line.orderedAt);
    const band = line.unitPriceCents === null ? null : priceBandOf(line.category, line.unitPriceCents, priceCuts);
    if (band) {
      out[price + bands.indexOf(band)]!++;
      priced++;
    }
    const attributes = catalog.get(line.sku)?.attributes;
    const s = styles.indexOf(attributes?.style as (typeof styles)[number]);
    if (s >= 0) {
      out[style + s]!++;
      styled++;
    }
    if (typeof attributes?.energyClass === 'string') {
      classed++;
      if (efficientClasses.has(attributes.energyClass)) efficient++;
    }
  }
  for (let c = 0; c < k; c++) out[bought + c] = Math.log1p(out[bought + c]!);
  if (priced > 0) for (let b = 0; b < bands.length; b++) out[price + b]! /= priced;
  if (styled > 0) for (let s = 0; s < styles.length; s++) out[style + s]! /= styled;
  out[any] = lines > 0 ? 1 : 0;
  out[recency] = lines > 0 ? Math.exp(-(now - last) / (365 * DAY_MS)) : 0;
  out[energy] = classed > 0 ? efficient / classed : 0;

  let engagements = 0;
  for (const touch of customer.events) {
    if (touch.name === 'product_viewed') {
      const ci = categoryIndex(String(touch.properties.category));
      if (ci >= 0 && now - touch.at <= 90 * DAY_MS) out[viewed + ci]!++;
      continue;
    }
    const e = engagementOf(touch);
    if (!e) continue;
    engagements++;
    out[channel + messageChannels.indexOf(e.channel)]!++;
    if (context.localHour) out[parts + Math.floor(context.localHour(e.at, customer.timeZone) / 6)]!++;
  }
  for (let c = 0; c < k; c++) out[viewed + c] = Math.log1p(out[viewed + c]!);
  if (engagements > 0) {
    for (let c = 0; c < messageChannels.length; c++) out[channel + c]! /= engagements;
    for (let p = 0; p < dayParts.length; p++) out[parts + p]! /= engagements;
  }
  out[engaged] = Math.log1p(engagements);
  const si = stages.indexOf(customer.aiplStage as (typeof stages)[number]);
  if (si >= 0) out[stage + si] = 1;
}

/** Z-scores each column in place (constant columns become 0); returns the means and deviations used. */
export function standardize(matrix: FeatureMatrix): { mean: Float64Array; sd: Float64Array } {
  const { dims, values } = matrix;
  const n = matrix.ids.length;
  const mean = new Float64Array(dims);
  const sd = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) mean[j]! += values[i * dims + j]!;
  for (let j = 0; j < dims; j++) mean[j]! /= Math.max(1, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) sd[j]! += (values[i * dims + j]! - mean[j]!) ** 2;
  for (let j = 0; j < dims; j++) sd[j] = Math.sqrt(sd[j]! / Math.max(1, n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dims; j++) {
      const at = i * dims + j;
      values[at] = sd[j]! > 1e-12 ? (values[at]! - mean[j]!) / sd[j]! : 0;
    }
  }
  return { mean, sd };
}
