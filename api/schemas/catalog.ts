/** The product catalog (api/catalog.ts): categories, products, consumables that fit devices. */
import { z } from 'zod';

export const category = z.strictObject({
  id: z.string(),
  name: z.string(),
  decisionWindowDays: z.number().int().nullable(),
});
export type Category = z.input<typeof category>;

export const product = z.strictObject({
  sku: z.string(),
  name: z.string(),
  category: z.string(),
  kind: z.enum(['device', 'consumable', 'service']),
  priceCents: z.number().int().nullable(),
  currency: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  ratedLifeDays: z.number().int().nullable(),
  ratedUsage: z.number().nullable(),
  usageMetric: z.string().nullable(),
  warrantyMonths: z.number().int().nullable(),
});
export type Product = z.input<typeof product>;

/** Consumables carry the device SKUs they fit. */
export const catalogProduct = product.extend({ compatibleWith: z.array(z.string()).optional() });

export const categoryList = z.strictObject({ categories: z.array(category) }).describe('every category, by id');
export const categoryOne = z.strictObject({ category }).describe('the category');
export const productList = z.strictObject({ products: z.array(catalogProduct) }).describe('products, by SKU');
export const productOne = z.strictObject({ product: catalogProduct }).describe('the product');
export const consumableList = z
  .strictObject({ sku: z.string(), consumables: z.array(product) })
  .describe('the consumables that fit the device');
