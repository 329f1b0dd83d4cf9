/**
 * L2-regularised logistic regression fitted by Newton's method (IRLS): a handful of exact steps on
 * a few dozen features, no learning rate to tune, the same answer every run. Rows are a flat
 * Float64Array (row-major, `dims` wide); the intercept is added here, not by the caller.
 */

export interface LogisticModel {
  /** Weights, one per feature. */
  weights: Float64Array;
  intercept: number;
  iterations: number;
}

export interface LogisticOptions {
  /** L2 penalty on the weights (not the intercept), in units of the log-likelihood sum. Default 1. */
  l2?: number;
  maxIterations?: number;
  /** Stop when no coefficient moves more than this (they are O(1) on standardized features). Default 1e-4. */
  tolerance?: number;
  /** Per-row weights (e.g. to undo negative subsampling). Default 1 each. */
  rowWeights?: Float64Array;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function fitLogistic(
  x: Float64Array,
  y: ArrayLike<number>,
  dims: number,
  options: LogisticOptions = {},
): LogisticModel {
  const { l2 = 1, maxIterations = 25, tolerance = 1e-4, rowWeights } = options;
  const n = y.length;
  const k = dims + 1; // the intercept is the last coefficient
  const beta = new Float64Array(k);
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  let iterations = 0;
  const xi = new Float64Array(k); // the current row with its intercept column
  xi[dims] = 1;
  for (; iterations < maxIterations; iterations++) {
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * dims;
      let z = beta[dims]!;
      for (let j = 0; j < dims; j++) {
        const v = x[row + j]!;
        xi[j] = v;
        z += beta[j]! * v;
      }
      const p = sigmoid(z);
      const w = rowWeights ? rowWeights[i]! : 1;
      const r = w * (y[i]! - p);
      const v = w * p * (1 - p);
      // The lower triangle only; mirrored after the pass.
      for (let a = 0; a < k; a++) {
        const xa = xi[a]!;
        if (xa === 0) continue;
        grad[a]! += r * xa;
        const vxa = v * xa;
        const base = a * k;
        for (let b = 0; b <= a; b++) hess[base + b]! += vxa * xi[b]!;
      }
    }
    for (let a = 0; a < dims; a++) {
      grad[a]! -= l2 * beta[a]!;
      hess[a * k + a]! += l2;
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) hess[b * k + a] = hess[a * k + b]!;
    const step = solveSymmetric(hess, grad, k);
    let moved = 0;
    for (let a = 0; a < k; a++) {
      beta[a]! += step[a]!;
      moved = Math.max(moved, Math.abs(step[a]!));
    }
    if (moved < tolerance) {
      iterations++;
      break;
    }
  }
  return { weights: beta.slice(0, dims), intercept: beta[dims]!, iterations };
}

export function predictLogistic(model: LogisticModel, x: ArrayLike<number>, offset = 0): number {
  let z = model.intercept;
  for (let j = 0; j < model.weights.length; j++) z += model.weights[j]! * x[offset + j]!;
  return sigmoid(z);
}

/** Solves A·s = g for a symmetric positive-definite A (Cholesky), with a small ridge if it is not. */
function solveSymmetric(a: Float64Array, g: Float64Array, k: number): Float64Array {
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-9 : ridge * 100) {
    const l = new Float64Array(k * k);
    let ok = true;
    for (let i = 0; i < k && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * k + j]! + (i === j ? ridge : 0);
        for (let m = 0; m < j; m++) s -= l[i * k + m]! * l[j * k + m]!;
        if (i === j) {
          if (s <= 0) ok = false;
          else l[i * k + i] = Math.sqrt(s);
        } else l[i * k + j] = s / l[j * k + j]!;
      }
    }
    if (!ok) continue;
    const z = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let s = g[i]!;
      for (let m = 0; m < i; m++) s -= l[i * k + m]! * z[m]!;
      z[i] = s / l[i * k + i]!;
    }
    const s = new Float64Array(k);
    for (let i = k - 1; i >= 0; i--) {
      let t = z[i]!;
      for (let m = i + 1; m < k; m++) t -= l[m * k + i]! * s[m]!;
      s[i] = t / l[i * k + i]!;
    }
    return s;
  }
}
