/** The audience models' parts on hand-made inputs: what each computes, and why. */
import { describe, expect, it } from 'vitest';
import {
  bestSendHour,
  categoryPriceCuts,
  computeTags,
  expandLookalike,
  fitLogistic,
  hourDistance,
  localHourLookup,
  predictRepurchase,
  rankingQuality,
  repurchaseFeatureNames,
  reliability,
  rocAuc,
  toLocalHourUncached,
  type CatalogProduct,
  type CustomerHistory,
  type FeatureMatrix,
  type RepurchaseModel,
} from '../../../domain/predictions';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-01T00:00:00Z');
const customer = (overrides: Partial<CustomerHistory>): CustomerHistory => ({
  id: 'c1',
  timeZone: 'Asia/Shanghai',
  city: null,
  aiplStage: 'purchase',
  lines: [],
  devices: [],
  events: [],
  ...overrides,
});

describe('computeTags', () => {
  const catalog = new Map<string, CatalogProduct>([
    ['PH-L', { sku: 'PH-L', category: 'phone', attributes: { style: 'bold', colour: 'red' } }],
    ['PH-H', { sku: 'PH-H', category: 'phone', attributes: { style: 'minimal', colour: 'white' } }],
    [
      'FR-E',
      { sku: 'FR-E', category: 'fridge', attributes: { style: 'minimal', colour: 'white', energyClass: 'A+++' } },
    ],
    ['FR-B', { sku: 'FR-B', category: 'fridge', attributes: { style: 'minimal', colour: 'white', energyClass: 'B' } }],
  ]);
  // Everyone's phone prices: 1000…9000; the thirds cut at ≈3667 and ≈6333.
  const priceCuts = categoryPriceCuts(
    [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000].map((p) => ({ category: 'phone', unitPriceCents: p })),
  );
  const line = (sku: string, unitPriceCents: number, daysAgo: number) => ({
    sku,
    category: catalog.get(sku)!.category,
    unitPriceCents,
    orderedAt: NOW - daysAgo * DAY,
  });

  it('price band from what they paid against the category’s thirds, with the count as evidence', () => {
    const tags = computeTags(
      customer({ lines: [line('PH-H', 9000, 10), line('PH-H', 8000, 400), line('PH-L', 2000, 800)] }),
      { catalog, priceCuts },
    );
    expect(tags.find((t) => t.key === 'price-band')).toEqual({
      key: 'price-band',
      value: 'high',
      confidence: 2 / 3,
      explanation: "paid in the category's top third for 2 of 3 purchases",
    });
    expect(tags.find((t) => t.key === 'style')).toMatchObject({ value: 'minimal', confidence: 2 / 3 });
  });

  it('no tag from a single purchase or an even split: a guess is not a preference', () => {
    const one = computeTags(customer({ lines: [line('PH-H', 9000, 10)] }), { catalog, priceCuts });
    expect(one.filter((t) => t.key === 'price-band' || t.key === 'style')).toEqual([]);
    const split = computeTags(customer({ lines: [line('PH-H', 9000, 10), line('PH-L', 1000, 20)] }), {
      catalog,
      priceCuts,
    });
    expect(split.find((t) => t.key === 'price-band')).toBeUndefined();
  });

  it('energy: efficient classes chosen for most appliances; life stage from a fridge and washer bought close together', () => {
    const tags = computeTags(
      customer({
        lines: [
          line('FR-E', 500_000, 10),
          line('FR-E', 500_000, 100),
          line('FR-B', 300_000, 200),
          { sku: 'WM-X', category: 'washer', unitPriceCents: 300_000, orderedAt: NOW - 50 * DAY },
        ],
      }),
      { catalog, priceCuts },
    );
    expect(tags.find((t) => t.key === 'energy')).toMatchObject({
      value: 'efficient',
      explanation: 'chose an efficient energy class for 2 of 3 appliances',
    });
    expect(tags.filter((t) => t.key === 'life-stage')).toEqual([
      {
        key: 'life-stage',
        value: 'new-home',
        confidence: 1,
        explanation: 'bought fridge and washer within 180 days',
      },
    ]);
  });

  it('channel from opens and clicks (a click counts twice); city tier from the profile', () => {
    const at = NOW - DAY;
    const tags = computeTags(
      customer({
        city: ' Chengdu ',
        events: [
          { name: 'wechat_clicked', at, properties: {} },
          { name: 'wechat_opened', at, properties: {} },
          { name: 'email_opened', at, properties: {} },
          { name: 'app_opened', at, properties: {} }, // not message engagement
        ],
      }),
      { catalog, priceCuts },
    );
    expect(tags.find((t) => t.key === 'channel')).toMatchObject({ value: 'wechat', confidence: 0.75 });
    expect(tags.find((t) => t.key === 'city-tier')).toMatchObject({ value: 'new-tier-1' });
  });
});

describe('send time', () => {
  const uniform = new Float64Array(24).fill(1 / 24);
  const brandAtNine = Float64Array.from({ length: 24 }, (_, h) => (h === 9 ? 1 : 0));
  const opensAt = (utcHour: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      name: 'email_opened',
      at: Date.UTC(2026, 9, 1 + i, utcHour, 30),
      properties: {},
    }));

  it('without opens or clicks, the brand’s hour', () => {
    const best = bestSendHour(customer({}), brandAtNine, localHourLookup('Asia/Shanghai'));
    expect(best).toMatchObject({ hour: 9, evidence: 0, basis: 'brand' });
  });

  it('reads hours in the customer’s zone: 12:30 UTC opens are 20:xx in Shanghai', () => {
    const best = bestSendHour(customer({ events: opensAt(12, 3) }), uniform, localHourLookup('UTC'));
    expect(best).toMatchObject({ hour: 20, evidence: 3, basis: 'customer' });
  });

  it('one open does not outweigh the brand prior (2 pseudo-events by default); three do', () => {
    const lookup = localHourLookup('UTC');
    expect(bestSendHour(customer({ events: opensAt(12, 1) }), brandAtNine, lookup).hour).toBe(9);
    expect(bestSendHour(customer({ events: opensAt(12, 3) }), brandAtNine, lookup).hour).toBe(20);
  });

  it('the cached local hour agrees with domain/time across a DST change (Berlin, 2026-10-25)', () => {
    const cached = localHourLookup('UTC');
    const exact = toLocalHourUncached('UTC');
    const start = Date.UTC(2026, 9, 24, 0, 0);
    for (let at = start; at < start + 3 * DAY; at += 7 * 60_000) {
      expect(cached(at, 'Europe/Berlin')).toBe(exact(at, 'Europe/Berlin'));
    }
  });

  it('hour distance wraps around midnight', () => {
    expect(hourDistance(23, 0)).toBe(1);
    expect(hourDistance(2, 22)).toBe(4);
  });
});

describe('logistic regression and look-alike', () => {
  it('recovers the coefficients it was generated with', () => {
    let s = 7;
    const random = () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 4_294_967_296;
    const n = 20_000;
    const x = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = random() * 4 - 2;
      x[2 * i + 1] = random() * 4 - 2;
      y[i] = random() < 1 / (1 + Math.exp(-(-1 + 2 * x[2 * i]! - 0.5 * x[2 * i + 1]!))) ? 1 : 0;
    }
    const model = fitLogistic(x, y, 2, { l2: 0.01 });
    expect(model.intercept).toBeCloseTo(-1, 0);
    expect(model.weights[0]).toBeCloseTo(2, 0);
    expect(model.weights[1]).toBeCloseTo(-0.5, 0);
  });

  it('ranks the rows that look like the seed first, never the seed itself', () => {
    // Feature 0 marks the kind the seed is; feature 1 is noise.
    const rows = [
      [1, 0.2],
      [1, -0.1],
      [1, 0.3],
      [-1, 0.2],
      [-1, -0.3],
      [1, 0.1],
      [-1, 0.1],
      [-1, 0],
    ];
    const matrix: FeatureMatrix = {
      ids: rows.map((_, i) => `c${i}`),
      names: ['kind', 'noise'],
      dims: 2,
      values: Float64Array.from(rows.flat()),
    };
    for (const method of ['logistic', 'centroid'] as const) {
      const ranked = expandLookalike(matrix, new Set([0, 1]), { method, top: 2 });
      expect(ranked.map((r) => r.id).sort()).toEqual(['c2', 'c5']);
    }
  });
});

describe('evaluation measures', () => {
  it('recall, precision and lift at N against a random ranking', () => {
    const ranked = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const q = rankingQuality(ranked, new Set(['a', 'c', 'j']), 2);
    expect(q).toEqual({ recall: 1 / 3, precision: 0.5, lift: 0.5 / 0.3, randomRecall: 0.2 });
  });

  it('reliability: bins of predicted probability against the observed rate', () => {
    const r = reliability([0.1, 0.1, 0.1, 0.1, 0.9, 0.9], [0, 0, 0, 1, 1, 1], [0, 0.5, 1.000001]);
    expect(r.bins).toEqual([
      { from: 0, to: 0.5, count: 4, meanPredicted: 0.1, observedRate: 0.25 },
      { from: 0.5, to: 1, count: 2, meanPredicted: 0.9, observedRate: 1 },
    ]);
    expect(r.ece).toBeCloseTo((4 / 6) * 0.15 + (2 / 6) * 0.1, 10);
    expect(r.baseRate).toBe(0.5);
  });

  it('AUC: 1 for a perfect ranking, 0.5 for a constant, ties counted half', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.875);
  });
});

describe('predictRepurchase', () => {
  it('explains its evidence: ownership age against the cycle, recent views', () => {
    // A hand-set model: due devices and recent views raise the odds.
    const handSet: Record<string, number> = { 'age/cycle': 1, 'age/cycle>0.9': 2, viewed30d: 1, 'owns×viewed30d': 1 };
    const model: RepurchaseModel = {
      windowDays: 60,
      logistic: {
        weights: Float64Array.from(repurchaseFeatureNames, (name) => handSet[name] ?? 0),
        intercept: -4,
        iterations: 0,
      },
    };
    const history = customer({
      devices: [{ sku: 'PH', category: 'phone', purchasedAt: NOW - 660 * DAY }],
      events: [{ name: 'product_viewed', at: NOW - 3 * DAY, properties: { category: 'phone' } }],
    });
    const [phone, fridge] = predictRepurchase(model, history, ['fridge', 'phone'], NOW, { phone: 600, fridge: 1800 });
    expect(phone!.category).toBe('phone');
    expect(phone!.probability).toBeGreaterThan(fridge!.probability);
    expect(phone!.explanation).toBe(
      'owns one bought 1.8 years ago (1.10 of a 1.6-year cycle); viewed the category 1 times in 30 days',
    );
    expect(fridge!.explanation).toBe('does not own one');
  });
});
