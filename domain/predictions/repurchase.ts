/**
 * Repurchase and upgrade prediction: P(customer buys category c within the next N days).
 *
 * Evidence, all as of the moment `at` (nothing later is read, so a model can be fitted at a past
 * cutoff and checked on what happened next):
 * - ownership age against the category's replacement cycle (a 1.7-year-old phone is due; a
 *   1.7-year-old fridge is not), as hinge terms so the hazard may rise late and steeply;
 * - the window against the cycle: 60 days is a third of a phone's hazard ramp, a tenth of a fridge's;
 * - recent interest: product views of the category in the last 30 days;
 * - how often they replaced it before.
 * A logistic model over these, fitted on history with a holdout (design note: reliability table).
 */
import { DAY_MS, type CustomerHistory } from './history';
import { fitLogistic, predictLogistic, type LogisticModel } from './logistic';

export const repurchaseFeatureNames = [
  'owns',
  'age/cycle',
  'age/cycle>0.6',
  'age/cycle>0.9',
  'age/cycle>1.2',
  'age/cycle>1.6',
  'owns×log(window/cycle)',
  'new×log(window/cycle)',
  'views30d',
  'viewed30d',
  'owns×viewed30d',
  'age/cycle×viewed30d',
  'bought-before',
] as const;
export const REPURCHASE_DIMS = repurchaseFeatureNames.length;
const DIMS = REPURCHASE_DIMS;
const hinges = [0.6, 0.9, 1.2, 1.6];
/** Ages beyond this many cycles say nothing more (the device is long overdue, or long gone). */
const MAX_AGE_RATIO = 2.5;

export interface RepurchaseContext {
  /** Days between replacements per category (phones ~620, large appliances ~1,800). */
  cycles: Readonly<Record<string, number>>;
  windowDays: number;
}

export interface RepurchaseModel {
  windowDays: number;
  logistic: LogisticModel;
}

export interface RepurchasePrediction {
  category: string;
  probability: number;
  /** "owns one bought 1.8 years ago (1.06 cycles); viewed the category 2 times in 30 days". */
  explanation: string;
}

/** Writes the features of (customer, category) as of `at` into `out` at `offset`. */
export function repurchaseFeatures(
  customer: CustomerHistory,
  category: string,
  at: number,
  context: RepurchaseContext,
  out: Float64Array,
  offset = 0,
): void {
  const cycle = context.cycles[category] ?? 365;
  let last = -Infinity;
  let owned = 0;
  for (const d of customer.devices) {
    if (d.category !== category || d.purchasedAt > at) continue;
    owned++;
    if (d.purchasedAt > last) last = d.purchasedAt;
  }
  let views = 0;
  for (const e of customer.events) {
    if (e.name === 'product_viewed' && e.at <= at && at - e.at <= 30 * DAY_MS && e.properties.category === category)
      views++;
  }
  const owns = owned > 0 ? 1 : 0;
  const ratio = owns ? Math.min(MAX_AGE_RATIO, (at - last) / DAY_MS / cycle) : 0;
  const logWindow = Math.log(context.windowDays / cycle);
  out[offset] = owns;
  out[offset + 1] = ratio;
  for (let h = 0; h < hinges.length; h++) out[offset + 2 + h] = Math.max(0, ratio - hinges[h]!);
  out[offset + 6] = owns * logWindow;
  out[offset + 7] = (1 - owns) * logWindow;
  out[offset + 8] = Math.log1p(views);
  out[offset + 9] = views > 0 ? 1 : 0;
  // Interest from an owner is an upgrade in the making; from a non-owner, as often idle browsing.
  out[offset + 10] = owns * out[offset + 9]!;
  // … and the more due the device, the more the interest means.
  out[offset + 11] = ratio * out[offset + 9]!;
  out[offset + 12] = Math.log1p(Math.max(0, owned - 1));
}

/** Column of the `owns` flag in a row of features. */
export const OWNS_FEATURE = 0;

export interface RepurchaseExamples {
  x: Float64Array;
  y: Uint8Array;
  /** [customer index, category] per row. */
  pairs: [number, string][];
}

/** One example per (customer, category): features at `cutoff`, label = a purchase in (cutoff, cutoff + window]. */
export function repurchaseExamples(
  customers: readonly CustomerHistory[],
  categories: readonly string[],
  cutoff: number,
  context: RepurchaseContext,
): RepurchaseExamples {
  const n = customers.length * categories.length;
  const x = new Float64Array(n * DIMS);
  const y = new Uint8Array(n);
  const pairs: [number, string][] = [];
  const end = cutoff + context.windowDays * DAY_MS;
  let row = 0;
  customers.forEach((customer, i) => {
    for (const category of categories) {
      repurchaseFeatures(customer, category, cutoff, context, x, row * DIMS);
      y[row] = customer.lines.some((l) => l.category === category && l.orderedAt > cutoff && l.orderedAt <= end)
        ? 1
        : 0;
      pairs.push([i, category]);
      row++;
    }
  });
  return { x, y, pairs };
}

export function fitRepurchase(examples: RepurchaseExamples, windowDays: number, l2 = 1): RepurchaseModel {
  return { windowDays, logistic: fitLogistic(examples.x, examples.y, DIMS, { l2 }) };
}

/** P(buys) for each example row (the examples must be built with the model's window). */
export function predictRepurchaseRows(model: RepurchaseModel, examples: Pick<RepurchaseExamples, 'x'>): Float64Array {
  const n = examples.x.length / DIMS;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = predictLogistic(model.logistic, examples.x, i * DIMS);
  return out;
}

/** The customer's categories ranked by P(buys within the model's window from `now`), with the evidence. */
export function predictRepurchase(
  model: RepurchaseModel,
  customer: CustomerHistory,
  categories: readonly string[],
  now: number,
  cycles: Readonly<Record<string, number>>,
): RepurchasePrediction[] {
  const context = { cycles, windowDays: model.windowDays };
  const x = new Float64Array(DIMS);
  return categories
    .map((category) => {
      repurchaseFeatures(customer, category, now, context, x);
      const cycle = cycles[category] ?? 365;
      const parts: string[] = [];
      if (x[0]) {
        const ageDays = x[1]! * cycle;
        parts.push(
          `owns one bought ${(ageDays / 365).toFixed(1)} years ago (${x[1]!.toFixed(2)} of a ${(cycle / 365).toFixed(1)}-year cycle${x[1]! >= MAX_AGE_RATIO ? ' or more' : ''})`,
        );
      } else parts.push('does not own one');
      if (x[9]) parts.push(`viewed the category ${Math.round(Math.expm1(x[8]!))} times in 30 days`);
      return { category, probability: predictLogistic(model.logistic, x), explanation: parts.join('; ') };
    })
    .sort((a, b) => b.probability - a.probability || a.category.localeCompare(b.category));
}
