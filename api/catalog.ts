/**
 * The product catalog (admin): categories with their decision window, products (devices,
 * consumables, services) with rated life and warranty, and which consumables fit which devices.
 * Ingest reads it to tell devices from the rest and to date warranty ends.
 */
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../drizzle/client';
import { consumableCompatibility, productCategories, products } from '../drizzle/schema';
import { adminSecurity, RequestValidationError, type Issue } from './http';
import { adminErrors, errors, noContent } from './schemas/common';
import { categoryList, categoryOne, consumableList, productList, productOne } from './schemas/catalog';

export const categoryIdParam = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-", at most 64'),
});
export const skuParam = z.object({
  sku: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-", at most 100'),
});

const categoryBody = z.strictObject({
  name: z
    .string({ error: 'required: a display name' })
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'at most 200 characters'),
  decisionWindowDays: z
    .number({ error: 'must be a number of days' })
    .int('must be a whole number')
    .min(1, 'at least 1')
    .max(3650, 'at most 3650')
    .nullish(),
});

const positiveInt = (max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'at least 1').max(max, `at most ${max}`);
const productKinds = ['device', 'consumable', 'service'] as const;
const productBody = z
  .strictObject({
    name: z
      .string({ error: 'required: a display name' })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'at most 200 characters'),
    category: z.string({ error: 'required: a category id (PUT /v1/categories/:id first)' }).min(1, 'must not be empty'),
    kind: z.enum(productKinds, { error: 'one of "device", "consumable", "service"' }).default('device'),
    priceCents: z
      .number({ error: 'must be a number' })
      .int('must be a whole number of cents')
      .min(0, 'must not be negative')
      .nullish(),
    currency: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Z]{3}$/, 'a 3-letter ISO 4217 code, like "CNY"')
      .nullish(),
    attributes: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).default({}),
    ratedLifeDays: positiveInt(3650).nullish(),
    ratedUsage: z.number({ error: 'must be a number' }).positive('must be positive').nullish(),
    usageMetric: z
      .string({ error: 'must be a string' })
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a metric name like "litres_filtered"')
      .nullish(),
    warrantyMonths: positiveInt(240).nullish(),
    /** Consumables only: the device SKUs it fits (replaces the stored list). */
    compatibleWith: z
      .array(z.string({ error: 'must be a SKU' }), { error: 'must be an array of device SKUs' })
      .max(500, 'at most 500')
      .optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.ratedUsage == null) !== (p.usageMetric == null))
      ctx.addIssue({
        code: 'custom',
        path: [p.ratedUsage == null ? 'ratedUsage' : 'usageMetric'],
        message: 'ratedUsage and usageMetric go together',
      });
    if (p.kind !== 'consumable') {
      for (const field of ['compatibleWith', 'ratedLifeDays', 'ratedUsage'] as const) {
        if (p[field] != null) ctx.addIssue({ code: 'custom', path: [field], message: 'only consumables have this' });
      }
    }
    if (p.kind !== 'device' && p.warrantyMonths != null)
      ctx.addIssue({ code: 'custom', path: ['warrantyMonths'], message: 'only devices have a warranty here' });
  });

type Product = typeof products.$inferSelect;
export type CatalogProduct = Product & { compatibleWith?: string[] };

async function withCompatibility(db: Db, rows: Product[]): Promise<CatalogProduct[]> {
  const consumables = rows.filter((p) => p.kind === 'consumable').map((p) => p.sku);
  const links = consumables.length
    ? await db.select().from(consumableCompatibility).where(inArray(consumableCompatibility.consumableSku, consumables))
    : [];
  return rows.map((p) =>
    p.kind === 'consumable'
      ? {
          ...p,
          compatibleWith: links
            .filter((l) => l.consumableSku === p.sku)
            .map((l) => l.deviceSku)
            .sort(),
        }
      : p,
  );
}

/** The consumables that fit each of `deviceSkus`. */
export async function consumablesFor(db: Db, deviceSkus: string[]): Promise<Map<string, Product[]>> {
  const result = new Map<string, Product[]>();
  if (deviceSkus.length === 0) return result;
  const rows = await db
    .select({ deviceSku: consumableCompatibility.deviceSku, product: products })
    .from(consumableCompatibility)
    .innerJoin(products, eq(products.sku, consumableCompatibility.consumableSku))
    .where(inArray(consumableCompatibility.deviceSku, [...new Set(deviceSkus)]))
    .orderBy(asc(products.sku));
  for (const { deviceSku, product } of rows) result.set(deviceSku, [...(result.get(deviceSku) ?? []), product]);
  return result;
}

/** Admin routes; register inside the admin scope (its auth hook guards them). */
export const catalogRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['catalog'];
  const security = adminSecurity;

  app.get(
    '/v1/categories',
    { schema: { tags, security, summary: 'List product categories', response: { 200: categoryList, ...adminErrors } } },
    async () => ({
      categories: await db.select().from(productCategories).orderBy(asc(productCategories.id)),
    }),
  );
  app.get(
    '/v1/categories/:id',
    {
      schema: {
        tags,
        security,
        summary: 'One category',
        params: categoryIdParam,
        response: { 200: categoryOne, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const [category] = await db.select().from(productCategories).where(eq(productCategories.id, request.params.id));
      if (!category)
        return reply.code(404).send({ error: 'not_found', message: `category ${request.params.id} not found` });
      return { category };
    },
  );
  app.put(
    '/v1/categories/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Create or replace a category',
        params: categoryIdParam,
        body: categoryBody,
        response: { 200: categoryOne, 201: categoryOne.describe('the new category'), ...adminErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const values = { name: request.body.name, decisionWindowDays: request.body.decisionWindowDays ?? null };
      const [existing] = await db
        .select({ id: productCategories.id })
        .from(productCategories)
        .where(eq(productCategories.id, id));
      const [category] = await db
        .insert(productCategories)
        .values({ id, ...values })
        .onConflictDoUpdate({ target: productCategories.id, set: values })
        .returning();
      return reply.code(existing ? 200 : 201).send({ category: category! });
    },
  );

  app.get(
    '/v1/products',
    {
      schema: {
        tags,
        security,
        summary: 'List products',
        querystring: z.object({
          category: z.string().optional(),
          kind: z.enum(productKinds, { error: 'one of "device", "consumable", "service"' }).optional(),
        }),
        response: { 200: productList, ...adminErrors },
      },
    },
    async (request) => {
      const where: SQL[] = [];
      if (request.query.category) where.push(eq(products.category, request.query.category));
      if (request.query.kind) where.push(eq(products.kind, request.query.kind));
      const rows = await db
        .select()
        .from(products)
        .where(and(...where))
        .orderBy(asc(products.sku));
      return { products: await withCompatibility(db, rows) };
    },
  );
  app.get(
    '/v1/products/:sku',
    {
      schema: {
        tags,
        security,
        summary: 'One product (consumables with the devices they fit)',
        params: skuParam,
        response: { 200: productOne, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const [row] = await db.select().from(products).where(eq(products.sku, request.params.sku));
      if (!row) return reply.code(404).send({ error: 'not_found', message: `product ${request.params.sku} not found` });
      const [product] = await withCompatibility(db, [row]);
      return { product: product! };
    },
  );
  app.put(
    '/v1/products/:sku',
    {
      schema: {
        tags,
        security,
        summary: 'Create or replace a product',
        params: skuParam,
        body: productBody,
        response: { 200: productOne, 201: productOne.describe('the new product'), ...adminErrors },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const { compatibleWith, ...body } = request.body;
      const issues: Issue[] = [];
      const [category] = await db
        .select({ id: productCategories.id })
        .from(productCategories)
        .where(eq(productCategories.id, body.category));
      if (!category)
        issues.push({
          path: '$.body.category',
          message: `unknown category "${body.category}": PUT /v1/categories/${body.category} first`,
        });
      const devices = compatibleWith?.length
        ? await db
            .select({ sku: products.sku, kind: products.kind })
            .from(products)
            .where(inArray(products.sku, compatibleWith))
        : [];
      compatibleWith?.forEach((deviceSku, index) => {
        const device = devices.find((d) => d.sku === deviceSku);
        if (!device)
          issues.push({ path: `$.body.compatibleWith[${index}]`, message: `unknown product "${deviceSku}"` });
        else if (device.kind !== 'device')
          issues.push({
            path: `$.body.compatibleWith[${index}]`,
            message: `"${deviceSku}" is a ${device.kind}, not a device`,
          });
      });
      if (issues.length > 0) throw new RequestValidationError(issues);

      const values = {
        name: body.name,
        category: body.category,
        kind: body.kind,
        priceCents: body.priceCents ?? null,
        currency: body.currency ?? null,
        attributes: body.attributes,
        ratedLifeDays: body.ratedLifeDays ?? null,
        ratedUsage: body.ratedUsage ?? null,
        usageMetric: body.usageMetric ?? null,
        warrantyMonths: body.warrantyMonths ?? null,
      };
      const { product, created } = await db.transaction(async (tx) => {
        const [existing] = await tx
          .select({ sku: products.sku })
          .from(products)
          .where(eq(products.sku, sku))
          .for('update');
        const [row] = await tx
          .insert(products)
          .values({ sku, ...values })
          .onConflictDoUpdate({ target: products.sku, set: values })
          .returning();
        // A product that is no longer a consumable keeps no compatibility; a consumable's list is replaced when given.
        if (values.kind !== 'consumable' || compatibleWith)
          await tx.delete(consumableCompatibility).where(eq(consumableCompatibility.consumableSku, sku));
        if (values.kind === 'consumable' && compatibleWith?.length) {
          await tx
            .insert(consumableCompatibility)
            .values([...new Set(compatibleWith)].map((deviceSku) => ({ consumableSku: sku, deviceSku })))
            .onConflictDoNothing();
        }
        return { product: row!, created: !existing };
      });
      const [withLinks] = await withCompatibility(db, [product]);
      return reply.code(created ? 201 : 200).send({ product: withLinks! });
    },
  );
  app.delete(
    '/v1/products/:sku',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a product (owned products and order lines keep its SKU)',
        params: skuParam,
        response: { 204: noContent, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const rows = await db
        .delete(products)
        .where(eq(products.sku, request.params.sku))
        .returning({ sku: products.sku });
      if (rows.length === 0)
        return reply.code(404).send({ error: 'not_found', message: `product ${request.params.sku} not found` });
      return reply.code(204).send();
    },
  );
  app.get(
    '/v1/products/:sku/consumables',
    {
      schema: {
        tags,
        security,
        summary: 'Consumables that fit a device',
        params: skuParam,
        response: { 200: consumableList, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const [device] = await db
        .select({ sku: products.sku, kind: products.kind })
        .from(products)
        .where(eq(products.sku, sku));
      if (!device) return reply.code(404).send({ error: 'not_found', message: `product ${sku} not found` });
      return { sku, consumables: (await consumablesFor(db, [sku])).get(sku) ?? [] };
    },
  );
};
