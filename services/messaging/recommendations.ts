/**
 * Cross-category recommendations for a message: the categories most associated (stored rules in
 * `category_associations`, refreshed on a schedule) with what the customer holds — devices owned
 * and categories ordered — that they do not hold yet, each with an example product that fits their
 * stated preferences:
 *
 * - price band: trait `priceBand` or tag `price:<band>` vs product attribute `priceBand`;
 * - style: trait `style` or tag `style:<style>` vs product attribute `style`;
 * - energy efficiency: trait `energyEfficient: true` or tag `energy-saver` vs product attribute
 *   `energyGrade` (China's label, 1 best … 5): grades 1 and 2 pass.
 *
 * A stated preference must be met: a product that does not declare the attribute does not fit it.
 * A category with no fitting product is not recommended. Loaded only for templates that use
 * `recommendations` (see `usesRecommendations`).
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../drizzle/client';
import { recommendCategories, type AssociationRule } from '../../domain/predictions';
import type { TemplateVersionContent } from './templates';

export interface RecommendedCategory {
  category: string;
  /** The category's display name (product_categories.name), else its id. */
  name: string;
  /** The held category whose rule recommends it. */
  because: string;
  lift: number;
  confidence: number;
  /** An example product that fits the customer's preferences. */
  product: { sku: string; name: string; price: number | null; currency: string | null };
}

export interface Preferences {
  priceBand?: string;
  style?: string;
  energyEfficient?: boolean;
}

/** At most this many categories per message. */
export const MAX_RECOMMENDATIONS = 3;
/** Candidates considered before the preference filter drops some. */
const CANDIDATES = 20;
const ENERGY_EFFICIENT_GRADES = 2;

/** `recommendations` inside a Handlebars expression (`{{#each recommendations}}`, `{{recommendations.0.name}}`), not in plain text. */
const READS_RECOMMENDATIONS = /\{\{[^}]*\brecommendations\b/;

/** True when a template reads `recommendations` (the only reason to load them). */
export function usesRecommendations(template: Pick<TemplateVersionContent, 'locales'>): boolean {
  return Object.values(template.locales).some((parts) =>
    [parts.subject, parts.text, parts.html, ...Object.values(parts.fields ?? {})].some(
      (source) => source !== undefined && READS_RECOMMENDATIONS.test(source),
    ),
  );
}

export function preferencesOf(customer: { traits: Record<string, unknown>; tags: string[] }): Preferences {
  const tagged = (prefix: string) => customer.tags.find((t) => t.startsWith(prefix))?.slice(prefix.length);
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const priceBand = text(customer.traits.priceBand) ?? tagged('price:');
  const style = text(customer.traits.style) ?? tagged('style:');
  const energyEfficient = customer.traits.energyEfficient === true || customer.tags.includes('energy-saver');
  return {
    ...(priceBand ? { priceBand } : {}),
    ...(style ? { style } : {}),
    ...(energyEfficient ? { energyEfficient } : {}),
  };
}

/** Whether a product's attributes meet every stated preference. */
export function fitsPreferences(attributes: Record<string, unknown>, preferences: Preferences): boolean {
  if (preferences.priceBand !== undefined && attributes.priceBand !== preferences.priceBand) return false;
  if (preferences.style !== undefined && attributes.style !== preferences.style) return false;
  if (preferences.energyEfficient) {
    const grade = attributes.energyGrade;
    if (typeof grade !== 'number' || grade > ENERGY_EFFICIENT_GRADES) return false;
  }
  return true;
}

interface ProductRow {
  sku: string;
  name: string;
  category: string;
  category_name: string | null;
  price_cents: number | null;
  currency: string | null;
  attributes: Record<string, unknown>;
}

/** Recommendations for a stored customer; `heldCategories` replaces the read of what they hold (simulations). */
export async function loadRecommendations(
  db: Db,
  customer: { id: string; traits: Record<string, unknown>; tags: string[] },
  heldCategories?: readonly string[],
): Promise<RecommendedCategory[]> {
  const held = heldCategories
    ? [...new Set(heldCategories)]
    : rowsOf<{ category: string }>(
        await db.execute(sql`
      select category from owned_products where customer_id = ${customer.id} and disposed_at is null
      union
      select l.category from order_lines l join orders o on o.id = l.order_id where o.customer_id = ${customer.id}`),
      ).map((r) => r.category);
  if (held.length === 0) return [];
  const rules = rowsOf<{
    from_category: string;
    to_category: string;
    count: number;
    support: number;
    confidence: number;
    lift: number;
  }>(
    await db.execute(sql`
      select from_category, to_category, count, support, confidence, lift from category_associations
      where from_category in (${sql.join(
        held.map((c) => sql`${c}`),
        sql`, `,
      )}) and lift > 1`),
  ).map((r): AssociationRule => ({
    from: r.from_category,
    to: r.to_category,
    count: Number(r.count),
    support: Number(r.support),
    confidence: Number(r.confidence),
    lift: Number(r.lift),
  }));
  const candidates = recommendCategories(held, rules, CANDIDATES);
  if (candidates.length === 0) return [];

  const products = rowsOf<ProductRow>(
    await db.execute(sql`
      select p.sku, p.name, p.category, c.name as category_name, p.price_cents, p.currency, p.attributes
      from products p left join product_categories c on c.id = p.category
      where p.kind = 'device' and p.category in (${sql.join(
        candidates.map((c) => sql`${c.category}`),
        sql`, `,
      )})
      order by p.price_cents asc nulls last, p.sku`),
  );
  const preferences = preferencesOf(customer);
  const result: RecommendedCategory[] = [];
  for (const candidate of candidates) {
    const example = products.find(
      (p) => p.category === candidate.category && fitsPreferences(p.attributes ?? {}, preferences),
    );
    if (!example) continue;
    result.push({
      category: candidate.category,
      name: example.category_name ?? candidate.category,
      because: candidate.because,
      lift: candidate.lift,
      confidence: candidate.confidence,
      product: {
        sku: example.sku,
        name: example.name,
        price: example.price_cents === null ? null : Number(example.price_cents) / 100,
        currency: example.currency,
      },
    });
    if (result.length === MAX_RECOMMENDATIONS) break;
  }
  return result;
}
