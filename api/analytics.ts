/** Journey analytics over HTTP (the queries: services/analytics/journeys.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors, INT4_MAX } from './schemas/common';
import { funnel, journeyStats, journeySummaries as summariesSchema } from './schemas/analytics';
import { z } from 'zod';
import { asc, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../drizzle/client';
import { journeys, journeyVersions } from '../drizzle/schema';
import { journeySummaries, journeyVersionStats, type VersionStats } from '../services/analytics/journeys';
import { adminSecurity } from './http';

const security = adminSecurity;
const tags = ['analytics'];
const n = (v: unknown) => Number(v ?? 0);

const dateOrDateTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected an ISO date (2026-01-31) or date-time with offset',
});

export const analyticsRoutes: FastifyPluginAsyncZod<{ db: Db; clock?: () => Date }> = async (
  app,
  { db, clock = () => new Date() },
) => {
  app.get(
    '/v1/analytics/journeys/:id',
    {
      schema: {
        tags,
        security,
        summary:
          'Per version: entered, active by step, exits by reason, messages, conversions, revenue, split arms with uplift against the holdout',
        params: z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-"') }),
        querystring: z.object({ version: z.coerce.number().int().min(1).max(INT4_MAX).optional() }),
        response: { 200: journeyStats, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { version } = request.query;
      const [journey] = await db.select({ id: journeys.id }).from(journeys).where(eq(journeys.id, id));
      if (!journey) return reply.code(404).send({ error: 'not_found', message: `journey ${id} not found` });
      const versions = await db
        .select()
        .from(journeyVersions)
        .where(eq(journeyVersions.journeyId, id))
        .orderBy(asc(journeyVersions.version));
      const chosen = version === undefined ? versions : versions.filter((v) => v.version === version);
      if (version !== undefined && chosen.length === 0)
        return reply.code(404).send({ error: 'not_found', message: `journey ${id} has no version ${version}` });
      const stats: VersionStats[] = [];
      for (const v of chosen) stats.push(await journeyVersionStats(db, id, v.version, v.definition));
      return { journeyId: id, versions: stats };
    },
  );

  app.get(
    '/v1/analytics/journeys',
    {
      schema: {
        tags,
        security,
        summary:
          'Headline numbers of every journey: entered, active, converted (in the goal window), conversion rate, messages sent in the last `days` days',
        querystring: z.object({
          days: z.coerce
            .number({ error: 'must be a number' })
            .int('must be a whole number')
            .min(1, 'at least 1')
            .max(366, 'at most 366')
            .default(7),
        }),
        response: { 200: summariesSchema, ...adminErrors },
      },
    },
    async (request) => {
      const to = clock();
      const from = new Date(to.getTime() - request.query.days * 86_400_000);
      return { from: from.toISOString(), to: to.toISOString(), journeys: await journeySummaries(db, from, to) };
    },
  );

  app.get(
    '/v1/analytics/funnel',
    {
      schema: {
        tags,
        security,
        summary: 'AIPL funnel: customers per current stage, and stage transitions per day or week (UTC)',
        querystring: z
          .object({
            from: dateOrDateTime.optional().describe('inclusive; default: 90 days before `to`'),
            to: dateOrDateTime.optional().describe('exclusive; default: now'),
            interval: z.enum(['day', 'week']).default('day'),
          })
          .superRefine((q, ctx) => {
            if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to))
              ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before `to`' });
          }),
        response: { 200: funnel, ...adminErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const to = q.to ? new Date(q.to) : clock();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 90 * 86_400_000);
      const stages = rowsOf<{ stage: string | null; customers: number }>(
        await db.execute(
          sql`select aipl_stage as stage, count(*)::int as customers from customers group by 1 order by 1`,
        ),
      );
      const transitions = rowsOf<{ period: unknown; from_stage: string | null; to_stage: string; count: number }>(
        await db.execute(sql`
          select date_trunc(${q.interval}, h.at at time zone 'UTC') as period, h.from_stage, h.to_stage, count(*)::int as count
            from aipl_history h
           where h.at >= ${from.toISOString()}::timestamptz and h.at < ${to.toISOString()}::timestamptz
           group by 1, 2, 3 order by 1, 2 nulls first, 3`),
      );
      const day = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v)).slice(0, 10);
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        interval: q.interval,
        stages: stages.map((s) => ({ stage: s.stage, customers: n(s.customers) })),
        transitions: transitions.map((t) => ({
          period: day(t.period),
          from: t.from_stage,
          to: t.to_stage,
          count: n(t.count),
        })),
      };
    },
  );
};
