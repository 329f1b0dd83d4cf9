/**
 * Category associations (mined on a schedule) and what they recommend to a customer: the
 * categories most associated with what they own and do not own yet.
 */
import { and, desc, eq, gte, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors } from './schemas/common';
import { associationRules, associationsRefresh, recommendations } from './schemas/analytics';
import { z } from 'zod';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../drizzle/client';
import { categoryAssociations, customers, ownedProducts } from '../drizzle/schema';
import { recommendCategories } from '../domain/predictions';
import {
  ASSOCIATIONS_REFRESH_WORKFLOW_TYPE,
  associationsRefreshWorkflowId,
  type AssociationsRefreshWorkflow,
} from '../workflows/contracts/associations';
import { adminSecurity } from './http';

export const associationRoutes: FastifyPluginAsyncZod<{ db: Db; temporal: Client; taskQueue: string }> = async (
  app,
  { db, temporal, taskQueue },
) => {
  const schema = { tags: ['predictions'], security: adminSecurity };

  app.get(
    '/v1/categories/associations',
    {
      schema: {
        ...schema,
        summary: 'Association rules between categories (support, confidence, lift), strongest first',
        querystring: z.object({
          from: z.string().min(1).max(100).optional(),
          minLift: z.coerce.number().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: associationRules, ...adminErrors },
      },
    },
    async (request) => {
      const { from, minLift, limit } = request.query;
      const rules = await db
        .select()
        .from(categoryAssociations)
        .where(
          and(from ? eq(categoryAssociations.fromCategory, from) : undefined, gte(categoryAssociations.lift, minLift)),
        )
        .orderBy(
          desc(categoryAssociations.lift),
          desc(categoryAssociations.confidence),
          categoryAssociations.fromCategory,
          categoryAssociations.toCategory,
        )
        .limit(limit);
      return { rules, computedAt: rules[0]?.computedAt ?? null };
    },
  );

  app.post(
    '/v1/categories/associations/refresh',
    {
      schema: {
        ...schema,
        summary: 'Start mining the associations now (it also runs daily on a Temporal Schedule); 202',
        response: { 202: associationsRefresh, ...adminErrors },
      },
    },
    async (_request, reply) => {
      const workflowId = associationsRefreshWorkflowId(taskQueue);
      try {
        await temporal.workflow.start<AssociationsRefreshWorkflow>(ASSOCIATIONS_REFRESH_WORKFLOW_TYPE, {
          workflowId,
          taskQueue,
          args: [{ v: 1 }],
        });
        return reply.code(202).send({ workflowId, status: 'started' });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError)
          return reply.code(202).send({ workflowId, status: 'already-running' });
        throw error;
      }
    },
  );

  app.get(
    '/v1/customers/:id/recommendations',
    {
      schema: {
        ...schema,
        summary: 'Categories to recommend: most associated with what the customer owns, not owned yet',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(20).default(3) }),
        response: { 200: recommendations, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const [customer] = await db
        .select({ id: customers.id })
        .from(customers)
        .where(eq(customers.id, request.params.id));
      if (!customer)
        return reply.code(404).send({ error: 'not_found', message: `customer ${request.params.id} not found` });
      const owned = await db
        .selectDistinct({ category: ownedProducts.category })
        .from(ownedProducts)
        .where(and(eq(ownedProducts.customerId, customer.id), isNull(ownedProducts.disposedAt)));
      const rules = await db.select().from(categoryAssociations);
      const recommendations = recommendCategories(
        owned.map((o) => o.category),
        rules.map((r) => ({
          from: r.fromCategory,
          to: r.toCategory,
          count: r.count,
          support: r.support,
          confidence: r.confidence,
          lift: r.lift,
        })),
        request.query.limit,
      );
      return { customerId: customer.id, owned: owned.map((o) => o.category).sort(), recommendations };
    },
  );
};
