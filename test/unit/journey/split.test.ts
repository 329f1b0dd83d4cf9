import { describe, it, expect } from 'vitest';
import { chooseArm, splitBucket } from '../../../domain/journey/split';

const seeds = Array.from({ length: 10_000 }, (_, i) => `journey-7f3a:customer-${i}`);

function shares<T extends { id: string; weight: number }>(arms: T[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(arms.map((a) => [a.id, 0]));
  for (const seed of seeds) {
    const arm = chooseArm(arms, seed);
    counts[arm.id] = (counts[arm.id] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, n]) => [id, n / seeds.length]));
}

describe('splitBucket', () => {
  it('returns the same number for the same seed, always in [0, 1)', () => {
    for (const seed of seeds.slice(0, 500)) {
      const b = splitBucket(seed);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(1);
      expect(splitBucket(seed)).toBe(b);
    }
  });

  it('keeps the pinned FNV-1a + murmur-finaliser values over UTF-8 (changing them reshuffles running splits)', () => {
    // Cross-checked against an independent implementation hashing the UTF-8 bytes.
    expect(splitBucket('')).toBe(0.6689221884589642);
    expect(splitBucket('a')).toBe(0.10352621669881046);
    expect(splitBucket('journey-1:customer-1')).toBe(0.9195837844163179);
    expect(splitBucket('journey-1:customer-2')).toBe(0.8910027879755944);
    expect(splitBucket('旅程:客户-42')).toBe(0.37495873868465424);
    expect(splitBucket('emoji-😀')).toBe(0.4424165701493621);
  });

  it('spreads sequential seeds evenly over ten buckets', () => {
    const buckets = new Array<number>(10).fill(0);
    for (const seed of seeds) {
      const i = Math.floor(splitBucket(seed) * 10);
      buckets[i] = (buckets[i] ?? 0) + 1;
    }
    for (const n of buckets) expect(Math.abs(n / seeds.length - 0.1)).toBeLessThan(0.02);
  });
});

describe('chooseArm', () => {
  it('splits 10,000 customers 50/50 within 2%', () => {
    const s = shares([
      { id: 'a', weight: 50 },
      { id: 'b', weight: 50 },
    ]);
    expect(Math.abs((s.a ?? 0) - 0.5)).toBeLessThan(0.02);
    expect(Math.abs((s.b ?? 0) - 0.5)).toBeLessThan(0.02);
  });

  it('splits 10,000 customers 10/45/45 within 2%', () => {
    const s = shares([
      { id: 'holdout', weight: 10 },
      { id: 'coupon', weight: 45 },
      { id: 'content', weight: 45 },
    ]);
    expect(Math.abs((s.holdout ?? 0) - 0.1)).toBeLessThan(0.02);
    expect(Math.abs((s.coupon ?? 0) - 0.45)).toBeLessThan(0.02);
    expect(Math.abs((s.content ?? 0) - 0.45)).toBeLessThan(0.02);
  });

  it('treats weights as proportions, not percentages', () => {
    const s = shares([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
    ]);
    expect(Math.abs((s.a ?? 0) - 0.25)).toBeLessThan(0.02);
  });

  it('puts a customer in the same arm every time, and returns the arm object itself', () => {
    const arms = [
      { id: 'a', weight: 1, next: 'x' },
      { id: 'b', weight: 1, next: 'y' },
      { id: 'c', weight: 1, next: 'z' },
    ];
    for (const seed of seeds.slice(0, 200)) {
      const first = chooseArm(arms, seed);
      expect(arms).toContain(first);
      expect(chooseArm([...arms], seed)).toBe(first);
      expect(
        chooseArm(
          arms.map((a) => ({ ...a })),
          seed,
        ).id,
      ).toBe(first.id);
    }
  });

  it('assigns different journeys independently', () => {
    const arms = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
    ];
    let same = 0;
    for (let i = 0; i < 2000; i++) {
      if (chooseArm(arms, `journey-1:customer-${i}`).id === chooseArm(arms, `journey-2:customer-${i}`).id) same++;
    }
    expect(Math.abs(same / 2000 - 0.5)).toBeLessThan(0.05);
  });

  it('never chooses an arm without a positive weight and refuses when none has one', () => {
    const arms = [
      { id: 'zero', weight: 0 },
      { id: 'only', weight: 2 },
    ];
    for (const seed of seeds.slice(0, 200)) expect(chooseArm(arms, seed).id).toBe('only');
    expect(() => chooseArm([], 'j:c')).toThrow('no arm');
    expect(() => chooseArm([{ weight: 0 }], 'j:c')).toThrow('no arm');
  });
});
