/**
 * Segments admin API: save (rule validated, every issue with its JSON path), read, list, delete,
 * preview a rule (count + sample), refresh now, page through members. Registered in the admin
 * scope of app.ts, which authenticates.
 */
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Enroller } from '../services/journeys/enroll';
import { createSegmentMembership, InvalidStoredRuleError } from '../services/segments/membership';
import type { Db } from '../drizzle/client';
import { journeys, journeyVersions, segmentMembers, segments } from '../drizzle/schema';
import { isCheapRule, segmentIdSchema, segmentRuleSchema } from '../domain/segments/rule';
import { adminSecurity } from './http';
import { adminErrors, errors, noContent } from './schemas/common';
import {
  segmentList,
  segmentMembers as membersPage,
  segmentOne,
  segmentPreview,
  segmentRefresh,
} from './schemas/segments';

export interface SegmentRoutesOptions {
  db: Db;
  enroller: Enroller;
  clock: () => Date;
}

const rule = segmentRuleSchema.describe(
  'a segment rule: combinators {all:[…]}, {any:[…]}, {not:…}; leaves {trait, op, value}, {tag, has}, {aiplStage:[…]}, {owns:{category|sku}}, {orders:{category?, withinDays?, count?, totalCents?}}, {eventCount:{event, withinDays, op, value}}, {consent:{channel|topic}} (see docs/design.md)',
);
const params = z.object({ id: segmentIdSchema });
const tags = ['segments'];
const security = adminSecurity;

function notFound(id: string) {
  return { error: 'not_found', message: `segment ${id} not found` };
}

export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = async (scope, { db, enroller, clock }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const membership = createSegmentMembership({ db, enroller, clock });

  app.get(
    '/v1/segments',
    { schema: { tags, security, summary: 'List segments', response: { 200: segmentList, ...adminErrors } } },
    async () => ({
      segments: await db.select().from(segments).orderBy(asc(segments.id)),
    }),
  );

  app.get(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A segment',
        params,
        response: { 200: segmentOne, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const [row] = await db.select().from(segments).where(eq(segments.id, request.params.id));
      return row ? { segment: row } : reply.code(404).send(notFound(request.params.id));
    },
  );

  app.put(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Create or replace a segment (members follow at the next refresh)',
        params,
        body: z
          .object({
            name: z
              .string()
              .min(1)
              .max(200)
              .refine((n) => !n.includes('\u0000'), 'must not contain NUL characters'),
            rule,
          })
          .strict(),
        response: { 200: segmentOne, 201: segmentOne.describe('the new segment'), ...adminErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { name, rule: parsed } = request.body;
      const values = { name, rule: parsed, evaluatedOnEvent: isCheapRule(parsed) };
      const [existing] = await db.select({ id: segments.id }).from(segments).where(eq(segments.id, id));
      const [segment] = await db
        .insert(segments)
        .values({ id, ...values })
        .onConflictDoUpdate({ target: segments.id, set: { ...values, updatedAt: sql`now()` } })
        .returning();
      return reply.code(existing ? 200 : 201).send({ segment: segment! });
    },
  );

  app.delete(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a segment (refused while a live journey enters on it)',
        params,
        response: { 204: noContent, ...adminErrors, 404: errors[404], 409: errors[409] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const users = await db
        .select({ id: journeys.id })
        .from(journeys)
        .innerJoin(
          journeyVersions,
          and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
        )
        .where(
          and(
            inArray(journeys.status, ['published', 'paused']),
            sql`${journeyVersions.definition} -> 'entry' ->> 'segment' = ${id}::text`,
          ),
        );
      if (users.length > 0)
        return reply.code(409).send({
          error: 'conflict',
          message: `segment ${id} is the entry of journey(s) ${users.map((u) => u.id).join(', ')}`,
        });
      const deleted = await db.delete(segments).where(eq(segments.id, id)).returning({ id: segments.id });
      return deleted.length ? reply.code(204).send() : reply.code(404).send(notFound(id));
    },
  );

  app.post(
    '/v1/segments/preview',
    {
      schema: {
        tags,
        security,
        summary: 'Count the customers a rule selects now, with a sample',
        body: z.object({ rule, limit: z.number().int().min(0).max(100).default(10) }).strict(),
        response: { 200: segmentPreview, ...adminErrors },
      },
    },
    async (request) => membership.preview(request.body.rule, request.body.limit),
  );

  app.post(
    '/v1/segments/:id/refresh',
    {
      schema: {
        tags,
        security,
        summary: 'Recompute the members now; newcomers enter segment-entry journeys',
        params,
        response: { 200: segmentRefresh, ...adminErrors, 404: errors[404], 409: errors[409] },
      },
    },
    async (request, reply) => {
      try {
        const result = await membership.refresh(request.params.id);
        if (result.status === 'missing') return reply.code(404).send(notFound(request.params.id));
        return { ...result, status: result.status };
      } catch (error) {
        if (error instanceof InvalidStoredRuleError)
          return reply.code(409).send({ error: 'conflict', message: error.message });
        throw error;
      }
    },
  );

  app.get(
    '/v1/segments/:id/members',
    {
      schema: {
        tags,
        security,
        summary: 'Members, by customer id; pass `next` back as `after` for the next page',
        params,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          after: z.uuid().optional(),
        }),
        response: { 200: membersPage, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const [segment] = await db.select({ id: segments.id }).from(segments).where(eq(segments.id, id));
      if (!segment) return reply.code(404).send(notFound(id));
      const { limit, after } = request.query;
      const rows = await db
        .select({ customerId: segmentMembers.customerId, enteredAt: segmentMembers.enteredAt })
        .from(segmentMembers)
        .where(and(eq(segmentMembers.segmentId, id), after ? gt(segmentMembers.customerId, after) : undefined))
        .orderBy(asc(segmentMembers.customerId))
        .limit(limit);
      return { members: rows, next: rows.length === limit ? rows[rows.length - 1]!.customerId : null };
    },
  );
};
