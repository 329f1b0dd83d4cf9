/** The demo brand's planted structure: a pure function of (seed, index), laid over an unchanged history. */
import { describe, expect, it } from 'vitest';
import { generateDemoRows } from '../../../demo/generator';
import { affinitySegments, CO_BRAND_SKU, plantedProducts, plantedTruth } from '../../../demo/planted';

const NOW = Date.parse('2026-11-01T00:00:00Z');
const rowsOf = (customers: number, seed = 7) => [...generateDemoRows({ customers, seed, now: NOW })];

describe('planted truth', () => {
  it('is a pure function of (seed, customer index)', () => {
    expect(plantedTruth(7, 12)).toEqual(plantedTruth(7, 12));
    const other = [0, 1, 2, 3, 4].map((i) => plantedTruth(8, i));
    expect(other).not.toEqual([0, 1, 2, 3, 4].map((i) => plantedTruth(7, i)));
  });

  it('segments come in their planted shares (±3 points over 5,000 customers)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 5_000; i++) {
      const { segment } = plantedTruth(42, i);
      counts.set(segment, (counts.get(segment) ?? 0) + 1);
    }
    for (const s of affinitySegments) expect(Math.abs(counts.get(s.id)! / 5_000 - s.weight)).toBeLessThan(0.03);
  });
});

describe('planted rows', () => {
  it('leave the unstructured history’s ids as they were before planting (seed 7)', () => {
    // Ids the generator produced before the planted structure existed.
    const rows = rowsOf(3);
    expect(rows.map((r) => r.customers[0]!.id)).toEqual([
      '00fb8673-8b42-4835-a84f-3e32248c1e89',
      'a833fd75-c896-4edd-a764-85cdf73c60a7',
      'aa0df051-af59-44dd-b626-2069ab7e0658',
    ]);
    const unplanted = rows.map((r) => r.orders.filter((o) => !/-p\d+$/.test(o.externalId!)).map((o) => o.id));
    expect(unplanted).toEqual([
      [
        '0ae8dae1-8aef-49ff-8d08-5b8cf8d6ab84',
        'dc65e457-d6f8-4584-99fd-76be8a2b69d6',
        '20d25c41-5940-4d2e-a863-5df6535e4a64',
      ],
      [],
      ['cbbd4fa3-577a-4b77-8843-26ed333eed67'],
    ]);
  });

  it('are deterministic, and follow the truth: co-brand buyers are fans, tiers mostly the planted band', () => {
    expect(JSON.stringify(rowsOf(40))).toBe(JSON.stringify(rowsOf(40)));
    const tierOf = new Map(plantedProducts.map((p) => [p.sku, p.attributes?.priceBand]));
    let matching = 0;
    let planted = 0;
    rowsOf(400).forEach((rows, i) => {
      const truth = plantedTruth(7, i);
      if (rows.orderLines.some((l) => l.sku === CO_BRAND_SKU)) expect(truth.coBrandFan).toBe(true);
      for (const line of rows.orderLines) {
        const tier = tierOf.get(line.sku);
        if (tier === undefined) continue;
        planted++;
        if (tier === truth.priceBand) matching++;
      }
    });
    expect(planted).toBeGreaterThan(400);
    expect(matching / planted).toBeGreaterThan(0.75);
  });
});
