import { describe, expect, it } from 'vitest';
import { mineAssociations, recommendCategories } from '../../../domain/predictions';

// Five customers; counts: phone 4, earbuds 3, watch 2, fridge 1, water-purifier 1.
const baskets = [
  ['phone', 'earbuds'],
  ['phone', 'earbuds', 'watch'],
  ['phone', 'watch'],
  ['fridge', 'water-purifier'],
  ['earbuds', 'phone', 'phone'], // duplicates inside a basket count once
];

describe('mineAssociations on a hand-computed order set', () => {
  const mined = mineAssociations(baskets);
  const rule = (from: string, to: string) => mined.rules.find((r) => r.from === from && r.to === to);

  it('counts baskets and per-category support', () => {
    expect(mined.baskets).toBe(5);
    expect(mined.categories).toEqual([
      { category: 'phone', count: 4, support: 0.8 },
      { category: 'earbuds', count: 3, support: 0.6 },
      { category: 'watch', count: 2, support: 0.4 },
      { category: 'fridge', count: 1, support: 0.2 },
      { category: 'water-purifier', count: 1, support: 0.2 },
    ]);
  });

  it('phone → earbuds: support 3/5, confidence 3/4, lift 0.75 / 0.6 = 1.25', () => {
    expect(rule('phone', 'earbuds')).toEqual({
      from: 'phone',
      to: 'earbuds',
      count: 3,
      support: 0.6,
      confidence: 0.75,
      lift: expect.closeTo(1.25, 10),
    });
  });

  it('earbuds → phone: confidence 3/3 = 1, lift 1 / 0.8 = 1.25', () => {
    expect(rule('earbuds', 'phone')).toMatchObject({
      count: 3,
      support: 0.6,
      confidence: 1,
      lift: expect.closeTo(1.25, 10),
    });
  });

  it('earbuds → watch: support 1/5, confidence 1/3, lift (1/3) / 0.4 = 0.8333 (below 1: no association)', () => {
    expect(rule('earbuds', 'watch')).toMatchObject({
      count: 1,
      support: 0.2,
      confidence: expect.closeTo(1 / 3, 10),
      lift: expect.closeTo(5 / 6, 10),
    });
  });

  it('fridge → water-purifier: confidence 1, lift 1 / 0.2 = 5, ranked first', () => {
    expect(mined.rules[0]).toMatchObject({
      from: 'fridge',
      to: 'water-purifier',
      count: 1,
      confidence: 1,
      lift: expect.closeTo(5, 10),
    });
    expect(mined.rules[1]).toMatchObject({ from: 'water-purifier', to: 'fridge', lift: expect.closeTo(5, 10) });
  });

  it('has no rule for categories never bought together, and 8 rules in all (4 pairs bought together, both directions)', () => {
    expect(rule('phone', 'fridge')).toBeUndefined();
    expect(mined.rules).toHaveLength(8);
  });

  it('minCount and minSupport drop rare pairs', () => {
    const frequent = mineAssociations(baskets, { minCount: 2 });
    expect(frequent.rules.map((r) => `${r.from}>${r.to}`).sort()).toEqual([
      'earbuds>phone',
      'phone>earbuds',
      'phone>watch',
      'watch>phone',
    ]);
    expect(
      mineAssociations(baskets, { minSupport: 0.5 })
        .rules.map((r) => `${r.from}>${r.to}`)
        .sort(),
    ).toEqual(['earbuds>phone', 'phone>earbuds']);
  });

  it('empty input gives no rules', () => {
    expect(mineAssociations([])).toEqual({ baskets: 0, categories: [], rules: [] });
    expect(mineAssociations([[]]).baskets).toBe(0);
  });
});

describe('recommendCategories', () => {
  const { rules } = mineAssociations(baskets);

  it('recommends what owned categories lift, never what is owned, and skips lift ≤ 1', () => {
    // Owns a phone: earbuds (lift 1.25, conf .75) before watch (lift 1.25, conf .5).
    expect(recommendCategories(['phone'], rules)).toEqual([
      { category: 'earbuds', because: 'phone', lift: expect.closeTo(1.25, 10), confidence: 0.75 },
      { category: 'watch', because: 'phone', lift: expect.closeTo(1.25, 10), confidence: 0.5 },
    ]);
    // Owns earbuds and a phone: watch only through phone (earbuds → watch has lift 0.83).
    expect(recommendCategories(['earbuds', 'phone'], rules).map((r) => [r.category, r.because])).toEqual([
      ['watch', 'phone'],
    ]);
    expect(recommendCategories(['fridge'], rules, 1).map((r) => r.category)).toEqual(['water-purifier']);
    expect(recommendCategories(['tv'], rules)).toEqual([]);
  });
});
