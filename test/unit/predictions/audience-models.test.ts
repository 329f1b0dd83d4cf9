/**
 * The audience models against the demo brand's planted truth (demo/planted.ts), in memory. Each
 * bound sits well above what a random or constant model reaches — and each block checks that a
 * random or constant stand-in indeed misses it, so a bound can never pass vacuously.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  demoBase,
  evaluateLookalike,
  evaluateRepurchase,
  evaluateSendTime,
  evaluateTags,
  type DemoBase,
} from '../../../demo/audience-evaluation';
import { rankingQuality, reliability, rocAuc } from '../../../domain/predictions';
import { CO_BRAND_SKU } from '../../../demo/planted';

let base: DemoBase;
beforeAll(() => {
  base = demoBase(6_000, 42);
}, 120_000);

/** A deterministic pseudo-random stream for the stand-in models. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 4_294_967_296;
}

describe('look-alike expansion of the co-branded product’s buyers', () => {
  it('finds hidden buyers in its top 5% at ≥ 3× the rate of a random ranking', () => {
    const result = evaluateLookalike(base);
    expect(result.hidden).toBeGreaterThan(150);
    expect(result.at5Percent.recall).toBeGreaterThanOrEqual(3 * result.at5Percent.randomRecall);
    expect(result.at5Percent.lift).toBeGreaterThanOrEqual(3);
    expect(result.at2xHidden.lift).toBeGreaterThanOrEqual(3);
  });

  it('a random ranking of the same candidates stays near lift 1 (the bound above means something)', () => {
    const buyers = base.histories.filter((h) => h.lines.some((l) => l.sku === CO_BRAND_SKU)).map((h) => h.id);
    const hidden = new Set(buyers.filter((_, k) => k % 2 === 1));
    const seed = new Set(buyers.filter((_, k) => k % 2 === 0));
    const random = noise(1);
    const ranked = base.histories
      .filter((h) => !seed.has(h.id))
      .map((h) => ({ id: h.id, score: random() }))
      .sort((a, b) => b.score - a.score)
      .map((s) => s.id);
    const quality = rankingQuality(ranked, hidden, Math.round(ranked.length * 0.05));
    expect(quality.lift).toBeLessThan(2);
  });
});

describe('repurchase prediction (60 days), fitted on other customers at an earlier cutoff', () => {
  let result: ReturnType<typeof evaluateRepurchase>;
  beforeAll(() => {
    result = evaluateRepurchase(base, 60);
  });

  it('is calibrated: expected calibration error below 2 points across the reliability table', () => {
    expect(result.reliability.baseRate).toBeGreaterThan(0.02);
    expect(result.reliability.ece).toBeLessThan(0.02);
  });

  it('ranks buyers above non-buyers (AUC ≥ 0.6; owners ≥ 0.65) and beats the base rate’s Brier score', () => {
    expect(result.auc).toBeGreaterThanOrEqual(0.6);
    expect(result.ownersAuc).toBeGreaterThanOrEqual(0.65);
    expect(result.reliability.brier).toBeLessThan(result.reliability.brierOfBaseRate * 0.98);
  });

  it('a constant or random model fails those bounds', () => {
    const rows = result.testExamples;
    const observed = Uint8Array.from({ length: rows }, (_, i) => (i < rows * result.reliability.baseRate ? 1 : 0));
    const constant = new Float64Array(rows).fill(result.reliability.baseRate);
    expect(rocAuc(constant, observed)).toBe(0.5);
    expect(reliability(constant, observed).brier).toBeCloseTo(reliability(constant, observed).brierOfBaseRate, 10);
    const random = noise(2);
    const guesses = Float64Array.from({ length: rows }, () => random() * 2 * result.reliability.baseRate);
    expect(rocAuc(guesses, observed)).toBeLessThan(0.55);
  });
});

describe('send-time optimisation', () => {
  it('recovers the planted hour within one hour for ≥ 80% of engaged customers (random: 3/24)', () => {
    const result = evaluateSendTime(base);
    expect(result.engaged.customers).toBeGreaterThan(4_000);
    expect(result.engaged.withinOneHour).toBeGreaterThanOrEqual(0.8);
    // More evidence, better hours; with none, the brand's hour (the constant model) is all there is.
    const [none, oneOrTwo, , , many] = result.byEvidence;
    expect(oneOrTwo!.withinOneHour).toBeGreaterThan(none!.withinOneHour + 0.3);
    expect(many!.withinOneHour).toBeGreaterThanOrEqual(0.95);
    expect(result.brandHourForAll).toBeLessThan(0.4);
  });
});

describe('computed preference tags against the planted preferences', () => {
  it('price band, style, energy and channel agree with the truth far more often than chance', () => {
    const result = evaluateTags(base);
    expect(result.priceBand.tagged).toBeGreaterThan(3_000);
    expect(result.priceBand.accuracy).toBeGreaterThanOrEqual(0.7); // chance: 1/3
    expect(result.style.accuracy).toBeGreaterThanOrEqual(0.7); // chance: 1/3
    expect(result.channel.accuracy).toBeGreaterThanOrEqual(0.8); // chance: 1/4
    expect(result.energy.accuracy).toBeGreaterThanOrEqual(0.65); // constant "efficient": the efficient share
    const efficientShare = base.truths.filter((t) => t.energyEfficient).length / base.truths.length;
    expect(Math.max(efficientShare, 1 - efficientShare)).toBeLessThan(0.6);
  });
});
