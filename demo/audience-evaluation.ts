/**
 * The audience models (domain/predictions) measured against the demo brand's planted truth
 * (demo/planted.ts), in memory. One place computes the figures that the unit tests bound, the
 * benchmark prints and docs/design.md reports.
 */
import {
  bestSendHour,
  brandHourDistribution,
  buildFeatures,
  categoryPriceCuts,
  computeTags,
  expandLookalike,
  fitRepurchase,
  hourDistance,
  localHourLookup,
  OWNS_FEATURE,
  REPURCHASE_DIMS,
  predictRepurchaseRows,
  rankingQuality,
  reliability,
  repurchaseExamples,
  rocAuc,
  standardize,
  type CatalogProduct,
  type CustomerHistory,
  type LookalikeMethod,
  type RankingQuality,
  type Reliability,
} from '../domain/predictions';
import { demoProducts, generateDemoHistories } from './generator';
import { CO_BRAND_SKU, demoReplacementCycleDays, plantedTruth, type PlantedTruth } from './planted';

const DAY = 86_400_000;
export const BRAND_ZONE = 'Asia/Shanghai';
export const deviceCategories = Object.keys(demoReplacementCycleDays);

export interface DemoBase {
  seed: number;
  now: number;
  histories: CustomerHistory[];
  truths: PlantedTruth[];
  catalog: Map<string, CatalogProduct>;
}

export function demoBase(customers: number, seed = 42, now = Date.parse('2026-11-01T00:00:00Z')): DemoBase {
  const histories = generateDemoHistories({ customers, seed, now });
  return {
    seed,
    now,
    histories,
    truths: histories.map((_, i) => plantedTruth(seed, i)),
    catalog: new Map(
      demoProducts.map((p) => [p.sku, { sku: p.sku, category: p.category, attributes: p.attributes ?? {} }]),
    ),
  };
}

// ---- look-alike --------------------------------------------------------------------------------

export interface LookalikeEvaluation {
  method: LookalikeMethod;
  /** Buyers of the co-branded product: all, the visible seed, and the hidden part to be found. */
  buyers: number;
  seed: number;
  hidden: number;
  candidates: number;
  /** N = 5% of the candidates, and N = 2 × the hidden count. */
  at5Percent: RankingQuality & { n: number };
  at2xHidden: RankingQuality & { n: number };
  /** Hidden buyers' planted fans among the top 5%: who a campaign would reach. */
  fansAt5Percent: RankingQuality & { n: number };
}

/**
 * The co-branded product's buyers are the seed; every other buyer (a deterministic half) is hidden
 * among the candidates. The model scores everyone outside the visible seed from features that leave
 * the co-branded purchase out; recall at N counts hidden buyers in the top N.
 */
export function evaluateLookalike(base: DemoBase, method: LookalikeMethod = 'logistic'): LookalikeEvaluation {
  const { histories, truths, catalog, now } = base;
  const matrix = buildFeatures(histories, {
    categories: deviceCategories,
    catalog,
    priceCuts: categoryPriceCuts(histories.flatMap((h) => h.lines)),
    now,
    excludeSkus: new Set([CO_BRAND_SKU]),
    localHour: localHourLookup(BRAND_ZONE),
  });
  standardize(matrix);
  const buyers = histories.flatMap((h, i) => (h.lines.some((l) => l.sku === CO_BRAND_SKU) ? [i] : []));
  const seed = new Set(buyers.filter((_, k) => k % 2 === 0));
  const hidden = new Set(buyers.filter((i) => !seed.has(i)).map((i) => histories[i]!.id));
  const ranked = expandLookalike(matrix, seed, { method }).map((s) => s.id);
  const n5 = Math.round(ranked.length * 0.05);
  const fans = new Set(histories.filter((h, i) => truths[i]!.coBrandFan && !seed.has(i)).map((h) => h.id));
  return {
    method,
    buyers: buyers.length,
    seed: seed.size,
    hidden: hidden.size,
    candidates: ranked.length,
    at5Percent: { n: n5, ...rankingQuality(ranked, hidden, n5) },
    at2xHidden: { n: 2 * hidden.size, ...rankingQuality(ranked, hidden, 2 * hidden.size) },
    fansAt5Percent: { n: n5, ...rankingQuality(ranked, fans, n5) },
  };
}

// ---- repurchase ----------------------------------------------------------------------------------

export interface RepurchaseEvaluation {
  windowDays: number;
  trainExamples: number;
  testExamples: number;
  reliability: Reliability;
  auc: number;
  /** The same table for owners only (where the replacement cycle speaks). */
  ownersReliability: Reliability;
  ownersAuc: number;
}

/**
 * Fitted on the even customers at `now − 2 × window` (label: bought in the following window),
 * tested on the odd customers at `now − window` (label: bought by `now`): other people, later time.
 */
export function evaluateRepurchase(base: DemoBase, windowDays = 60): RepurchaseEvaluation {
  const { histories, now } = base;
  const context = { cycles: demoReplacementCycleDays, windowDays };
  const train = histories.filter((_, i) => i % 2 === 0);
  const test = histories.filter((_, i) => i % 2 === 1);
  const trainExamples = repurchaseExamples(train, deviceCategories, now - 2 * windowDays * DAY, context);
  const model = fitRepurchase(trainExamples, windowDays);
  const testExamples = repurchaseExamples(test, deviceCategories, now - windowDays * DAY, context);
  const predicted = predictRepurchaseRows(model, testExamples);
  const owners = testExamples.pairs.flatMap((_, r) =>
    testExamples.x[r * REPURCHASE_DIMS + OWNS_FEATURE] === 1 ? [r] : [],
  );
  const ownersPredicted = Float64Array.from(owners, (r) => predicted[r]!);
  const ownersObserved = Uint8Array.from(owners, (r) => testExamples.y[r]!);
  return {
    windowDays,
    trainExamples: trainExamples.y.length,
    testExamples: testExamples.y.length,
    reliability: reliability(predicted, testExamples.y),
    auc: rocAuc(predicted, testExamples.y),
    ownersReliability: reliability(ownersPredicted, ownersObserved),
    ownersAuc: rocAuc(ownersPredicted, ownersObserved),
  };
}

// ---- send time -----------------------------------------------------------------------------------

export interface SendTimeEvaluation {
  /** Share within one hour of the planted hour, by how many opens/clicks the customer had. */
  byEvidence: { evidence: string; customers: number; withinOneHour: number }[];
  /** Customers with at least one open or click. */
  engaged: { customers: number; withinOneHour: number };
  /** Everyone (the unengaged get the brand's hour). */
  all: { customers: number; withinOneHour: number };
  /** The brand's best hour for everyone (a constant model). */
  brandHourForAll: number;
}

export function evaluateSendTime(base: DemoBase, priorStrength = 2): SendTimeEvaluation {
  const { histories, truths } = base;
  const localHour = localHourLookup(BRAND_ZONE);
  const brand = brandHourDistribution(histories, localHour);
  const rows = histories.map((h, i) => {
    const best = bestSendHour(h, brand, localHour, { priorStrength });
    return { evidence: best.evidence, hit: hourDistance(best.hour, truths[i]!.sendHour) <= 1 ? 1 : 0 };
  });
  const brandHour = bestSendHour({ ...histories[0]!, events: [] }, brand, localHour).hour;
  const share = (list: typeof rows) => ({
    customers: list.length,
    withinOneHour: list.length === 0 ? 0 : list.reduce((s, r) => s + r.hit, 0) / list.length,
  });
  const buckets: [string, (e: number) => boolean][] = [
    ['0', (e) => e === 0],
    ['1–2', (e) => e >= 1 && e <= 2],
    ['3–5', (e) => e >= 3 && e <= 5],
    ['6–10', (e) => e >= 6 && e <= 10],
    ['11+', (e) => e >= 11],
  ];
  return {
    byEvidence: buckets.map(([evidence, test]) => ({ evidence, ...share(rows.filter((r) => test(r.evidence))) })),
    engaged: share(rows.filter((r) => r.evidence > 0)),
    all: share(rows),
    brandHourForAll: share(truths.map((t) => ({ evidence: 0, hit: hourDistance(brandHour, t.sendHour) <= 1 ? 1 : 0 })))
      .withinOneHour,
  };
}

// ---- tags ----------------------------------------------------------------------------------------

export interface TagEvaluation {
  /** Per planted preference: customers tagged, and the share whose tag equals the truth. */
  priceBand: { tagged: number; accuracy: number };
  style: { tagged: number; accuracy: number };
  energy: { tagged: number; accuracy: number };
  channel: { tagged: number; accuracy: number };
  customers: number;
}

export function evaluateTags(base: DemoBase): TagEvaluation {
  const { histories, truths, catalog } = base;
  const priceCuts = categoryPriceCuts(histories.flatMap((h) => h.lines));
  const counts = {
    priceBand: { tagged: 0, right: 0 },
    style: { tagged: 0, right: 0 },
    energy: { tagged: 0, right: 0 },
    channel: { tagged: 0, right: 0 },
  };
  histories.forEach((h, i) => {
    const truth = truths[i]!;
    const tags = computeTags(h, { catalog, priceCuts });
    const check = (key: keyof typeof counts, value: string | undefined, expected: string) => {
      if (value === undefined) return;
      counts[key].tagged++;
      if (value === expected) counts[key].right++;
    };
    const tag = (key: string) => tags.find((t) => t.key === key)?.value;
    check('priceBand', tag('price-band'), truth.priceBand);
    check('style', tag('style'), truth.style);
    check('energy', tag('energy'), truth.energyEfficient ? 'efficient' : 'indifferent');
    check('channel', tag('channel'), truth.channel);
  });
  const result = (c: { tagged: number; right: number }) => ({
    tagged: c.tagged,
    accuracy: c.tagged === 0 ? 0 : c.right / c.tagged,
  });
  return {
    priceBand: result(counts.priceBand),
    style: result(counts.style),
    energy: result(counts.energy),
    channel: result(counts.channel),
    customers: histories.length,
  };
}
