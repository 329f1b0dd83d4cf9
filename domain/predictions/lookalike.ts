/**
 * Look-alike expansion: from a seed audience, score everyone else by how much they resemble it and
 * keep the top N (or top k%).
 *
 * The model is a logistic regression of seed against the rest on standardized profile and behaviour
 * features (features.ts): it learns *which* features set the seed apart — a centroid's cosine
 * weighs every feature alike, so whatever everyone shares (stage, engagement volume) drowns the
 * signal. The rest are labelled 0 although some of them are the look-alikes we want (PU learning):
 * that only shrinks the scores, not their order, as long as the seed is a fair sample of its kind.
 * Scoring is one dot product per customer; the centroid method stays for comparison (design note).
 */
import type { FeatureMatrix } from './features';
import { fitLogistic, type LogisticModel } from './logistic';

export type LookalikeMethod = 'logistic' | 'centroid';

export interface LookalikeOptions {
  method?: LookalikeMethod;
  /** How many to keep; or `share` of the non-seed base. Default: all, ranked. */
  top?: number;
  share?: number;
  /** L2 penalty of the logistic model. Default 1. */
  l2?: number;
  /** Negatives sampled from the rest to fit on (every `stride`-th row: deterministic). Default 10,000. */
  maxNegatives?: number;
}

export interface ScoredCustomer {
  id: string;
  index: number;
  score: number;
}

export interface LookalikeModel {
  method: LookalikeMethod;
  /** Weights over the (standardized) features; the centroid for `centroid`. */
  weights: Float64Array;
  intercept: number;
}

/** Fits the look-alike model of the rows `seed` (indices into `matrix`) against the others. */
export function fitLookalike(
  matrix: FeatureMatrix,
  seed: ReadonlySet<number>,
  options: LookalikeOptions = {},
): LookalikeModel {
  const { method = 'logistic', l2 = 1, maxNegatives = 10_000 } = options;
  const { dims, values } = matrix;
  const n = matrix.ids.length;
  if (method === 'centroid') {
    const centroid = new Float64Array(dims);
    for (const i of seed) for (let j = 0; j < dims; j++) centroid[j]! += values[i * dims + j]!;
    let norm = 0;
    for (let j = 0; j < dims; j++) norm += centroid[j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dims; j++) centroid[j]! /= norm;
    return { method, weights: centroid, intercept: 0 };
  }
  const stride = Math.max(1, Math.ceil((n - seed.size) / maxNegatives));
  const rows: number[] = [...seed];
  const labels: number[] = rows.map(() => 1);
  let rest = 0;
  for (let i = 0; i < n; i++) {
    if (seed.has(i)) continue;
    if (rest++ % stride === 0) {
      rows.push(i);
      labels.push(0);
    }
  }
  const x = new Float64Array(rows.length * dims);
  rows.forEach((row, r) => x.set(values.subarray(row * dims, (row + 1) * dims), r * dims));
  const model: LogisticModel = fitLogistic(x, labels, dims, { l2 });
  return { method, weights: model.weights, intercept: model.intercept };
}

/**
 * Scores every row: the logistic model's log-odds, or the cosine to the centroid. Writes into `out`
 * (allocated when omitted) so a caller scoring millions reuses one buffer.
 */
export function scoreLookalike(model: LookalikeModel, matrix: FeatureMatrix, out?: Float64Array): Float64Array {
  const { dims, values } = matrix;
  const n = matrix.ids.length;
  const scores = out ?? new Float64Array(n);
  const w = model.weights;
  for (let i = 0; i < n; i++) {
    const row = i * dims;
    let dot = model.intercept;
    let norm = 0;
    for (let j = 0; j < dims; j++) {
      const v = values[row + j]!;
      dot += w[j]! * v;
      norm += v * v;
    }
    scores[i] = model.method === 'centroid' ? dot / (Math.sqrt(norm) || 1) : dot;
  }
  return scores;
}

/** The seed expanded: the best-scoring non-seed customers, best first (ties by id for a stable order). */
export function expandLookalike(
  matrix: FeatureMatrix,
  seed: ReadonlySet<number>,
  options: LookalikeOptions = {},
): ScoredCustomer[] {
  const model = fitLookalike(matrix, seed, options);
  const scores = scoreLookalike(model, matrix);
  const ranked: ScoredCustomer[] = [];
  for (let i = 0; i < matrix.ids.length; i++) {
    if (!seed.has(i)) ranked.push({ id: matrix.ids[i]!, index: i, score: scores[i]! });
  }
  ranked.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const keep = options.top ?? (options.share === undefined ? ranked.length : Math.round(options.share * ranked.length));
  return ranked.slice(0, keep);
}
