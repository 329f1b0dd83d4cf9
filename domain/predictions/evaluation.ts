/**
 * Honest measures for the audience models, pure so tests, benchmarks and the design note report the
 * same numbers: recall at N and lift over random for a ranking, a reliability table and ROC AUC for
 * probabilities, circular hour distance for send times.
 */

export interface RankingQuality {
  /** Share of the hidden positives found in the top N. */
  recall: number;
  /** Share of the top N that are hidden positives. */
  precision: number;
  /** Precision over the positives' base rate among the candidates (random ranking: 1). */
  lift: number;
  /** What a random ranking's recall at N is expected to be: N / candidates. */
  randomRecall: number;
}

/** `ranked`: candidate ids best first (the seed excluded); `positives`: the hidden ids among them. */
export function rankingQuality(ranked: readonly string[], positives: ReadonlySet<string>, n: number): RankingQuality {
  const top = ranked.slice(0, n);
  const hits = top.filter((id) => positives.has(id)).length;
  const recall = positives.size === 0 ? 0 : hits / positives.size;
  const precision = top.length === 0 ? 0 : hits / top.length;
  const baseRate = ranked.length === 0 ? 0 : positives.size / ranked.length;
  return {
    recall,
    precision,
    lift: baseRate === 0 ? 0 : precision / baseRate,
    randomRecall: ranked.length === 0 ? 0 : Math.min(1, n / ranked.length),
  };
}

export interface ReliabilityBin {
  /** Predicted probabilities in [from, to). */
  from: number;
  to: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

export interface Reliability {
  bins: ReliabilityBin[];
  /** Expected calibration error: |predicted − observed| averaged over bins, weighted by count. */
  ece: number;
  /** Mean squared error of the probabilities. */
  brier: number;
  /** The Brier score of always predicting the base rate (a constant model's best). */
  brierOfBaseRate: number;
  baseRate: number;
}

export const defaultBinEdges = [0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.000001];

export function reliability(
  predicted: ArrayLike<number>,
  observed: ArrayLike<number>,
  edges: readonly number[] = defaultBinEdges,
): Reliability {
  const n = predicted.length;
  const sums = edges.slice(1).map(() => ({ count: 0, p: 0, y: 0 }));
  let brier = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const p = predicted[i]!;
    const y = observed[i]!;
    positives += y;
    brier += (p - y) ** 2;
    let b = 0;
    while (b < sums.length - 1 && p >= edges[b + 1]!) b++;
    const bin = sums[b]!;
    bin.count++;
    bin.p += p;
    bin.y += y;
  }
  const baseRate = n === 0 ? 0 : positives / n;
  const bins = sums.map((s, b) => ({
    from: edges[b]!,
    to: Math.min(1, edges[b + 1]!),
    count: s.count,
    meanPredicted: s.count === 0 ? 0 : s.p / s.count,
    observedRate: s.count === 0 ? 0 : s.y / s.count,
  }));
  const ece = n === 0 ? 0 : bins.reduce((e, b) => e + (b.count / n) * Math.abs(b.meanPredicted - b.observedRate), 0);
  return {
    bins,
    ece,
    brier: n === 0 ? 0 : brier / n,
    brierOfBaseRate: baseRate * (1 - baseRate),
    baseRate,
  };
}

/** ROC AUC: the chance a random positive scores above a random negative (ties count half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) j++;
    const midRank = (i + j + 1) / 2; // ranks are 1-based
    for (let k = i; k < j; k++) {
      if (labels[order[k]!]) {
        rankSum += midRank;
        positives++;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Hours apart on a 24-hour clock (23 and 0 are 1 apart). */
export function hourDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 24;
  return Math.min(d, 24 - d);
}
