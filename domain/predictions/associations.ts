/**
 * Category association mining: which categories are bought together, from baskets (one per
 * customer: the categories they ordered or own). Pairwise rules A → B with
 * - support    = P(A and B)          (share of baskets holding both)
 * - confidence = P(B | A)            (of baskets with A, the share that also hold B)
 * - lift       = confidence / P(B)   (> 1: A makes B likelier than it is on its own)
 * Pure; the worker feeds it from SQL on a schedule and stores the rules.
 */

export interface CategoryStat {
  category: string;
  count: number;
  support: number;
}

export interface AssociationRule {
  from: string;
  to: string;
  /** Baskets holding both. */
  count: number;
  support: number;
  confidence: number;
  lift: number;
}

export interface Associations {
  baskets: number;
  categories: CategoryStat[];
  /** Strongest first: lift, then confidence, then support; names break ties. */
  rules: AssociationRule[];
}

/** What a refresh of the stored rules reports (the associations-refresh workflow's result). */
export interface AssociationRefresh {
  baskets: number;
  rules: number;
  computedAt: string;
}

export interface MiningOptions {
  /** Drop rules whose pair is rarer than this share of baskets (noise). Default 0. */
  minSupport?: number;
  /** Drop rules whose pair occurs in fewer baskets than this. Default 1. */
  minCount?: number;
  minConfidence?: number;
}

export function mineAssociations(baskets: readonly (readonly string[])[], options: MiningOptions = {}): Associations {
  const { minSupport = 0, minCount = 1, minConfidence = 0 } = options;
  const single = new Map<string, number>();
  const pairs = new Map<string, number>(); // `${a}\u0000${b}` with a < b
  let total = 0;
  for (const basket of baskets) {
    const items = [...new Set(basket)].sort();
    if (items.length === 0) continue;
    total++;
    for (const item of items) single.set(item, (single.get(item) ?? 0) + 1);
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const key = `${items[i]}\u0000${items[j]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
  }
  const rules: AssociationRule[] = [];
  if (total > 0) {
    for (const [key, count] of pairs) {
      const [a, b] = key.split('\u0000') as [string, string];
      const support = count / total;
      if (count < minCount || support < minSupport) continue;
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const confidence = count / single.get(from)!;
        if (confidence < minConfidence) continue;
        rules.push({ from, to, count, support, confidence, lift: confidence / (single.get(to)! / total) });
      }
    }
  }
  rules.sort(
    (x, y) =>
      y.lift - x.lift ||
      y.confidence - x.confidence ||
      y.support - x.support ||
      x.from.localeCompare(y.from) ||
      x.to.localeCompare(y.to),
  );
  const categories = [...single.entries()]
    .map(([category, count]) => ({ category, count, support: count / total }))
    .sort((x, y) => y.count - x.count || x.category.localeCompare(y.category));
  return { baskets: total, categories, rules };
}

export interface Recommendation {
  category: string;
  /** The owned category whose rule recommends it most strongly. */
  because: string;
  lift: number;
  confidence: number;
}

/**
 * Categories to recommend to someone who owns `owned`: consequents of rules from an owned category
 * with lift above 1, never a category already owned, best rule per category, strongest first.
 */
export function recommendCategories(
  owned: readonly string[],
  rules: readonly AssociationRule[],
  limit = 3,
): Recommendation[] {
  const have = new Set(owned);
  const best = new Map<string, Recommendation>();
  for (const rule of rules) {
    if (!have.has(rule.from) || have.has(rule.to) || rule.lift <= 1) continue;
    const current = best.get(rule.to);
    if (!current || rule.lift > current.lift || (rule.lift === current.lift && rule.confidence > current.confidence)) {
      best.set(rule.to, { category: rule.to, because: rule.from, lift: rule.lift, confidence: rule.confidence });
    }
  }
  return [...best.values()]
    .sort((x, y) => y.lift - x.lift || y.confidence - x.confidence || x.category.localeCompare(y.category))
    .slice(0, limit);
}
