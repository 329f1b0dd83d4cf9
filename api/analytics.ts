/**
 * Analytics, computed in Postgres from the enrollments mirror, the messages ledger, orders and the
 * AIPL history; the statistics (rates, uplift, intervals) are pure functions in domain/analytics.
 *
 * Definitions (also in docs/design.md, "Ops and analytics"):
 * - a conversion counts when `converted_at` lies within the version's goal window after entry (no
 *   window: any conversion);
 * - attributed revenue is the sum of the customer's orders (not cancelled/refunded) placed from entry
 *   to the end of the goal window (no window: to exit, or now while active), per enrollment;
 * - a split arm is the outcome the split step noted in the enrollment's path (`arm` / `arm:holdout`);
 *   each arm is compared with the pooled holdout arms of the same split step.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors, INT4_MAX } from './schemas/common';
import { funnel, journeyStats, journeySummaries as summariesSchema } from './schemas/analytics';
import { z } from 'zod';
import { compareToHoldout, parseArmOutcome, splitSteps, type Interval } from '../domain/analytics';
import type { JourneyDuration } from '../domain/journey/definition';
import type { Db } from '../drizzle/client';
import { journeys, journeyVersions } from '../drizzle/schema';
import { adminSecurity } from './http';
import { rowsOf } from '../drizzle/client';

const security = adminSecurity;
const tags = ['analytics'];

export interface ArmStats {
  arm: string;
  holdout: boolean;
  entered: number;
  conversions: number;
  rate: number | null;
  revenueCents: number;
  /** Against the pooled holdout arms of the split (null for holdout arms or without a holdout). */
  uplift: number | null;
  upliftInterval: Interval | null;
  relativeUplift: number | null;
  significant: boolean | null;
}

export interface VersionStats {
  version: number;
  goalWindow: JourneyDuration | null;
  entered: number;
  active: number;
  activeByStep: { step: string; count: number }[];
  /** Per step: enrollments that reached it, passed it (noted in their path) and wait there now. */
  steps: StepStats[];
  exits: { status: string; reason: string | null; count: number }[];
  messages: { channel: string; status: string; count: number }[];
  conversions: number;
  conversionRate: number | null;
  revenue: { orders: number; cents: number };
  splits: {
    step: string;
    holdout: { entered: number; conversions: number; rate: number | null } | null;
    arms: ArmStats[];
  }[];
}

/**
 * One step's counts. The workflow notes a step in the path when it finishes it, so `passed` reads
 * the path; `active` is the mirror's current step of active enrollments; `entered` is either
 * (distinct enrollments: a loop through the step counts once). An enrollment that ended while
 * waiting in a step (a goal, a cancel) has no current step any more: it counts for the steps it
 * passed only. Paths keep the newest 200 entries, so very long loops forget their oldest steps.
 */
export interface StepStats {
  step: string;
  entered: number;
  passed: number;
  active: number;
}

/** A goal window as a Postgres interval literal, or null. */
export function intervalLiteral(d: JourneyDuration | undefined): string | null {
  if (!d) return null;
  return `${d.days ?? 0} days ${d.hours ?? 0} hours ${d.minutes ?? 0} minutes ${d.seconds ?? 0} seconds`;
}

const n = (v: unknown) => Number(v ?? 0);

export async function journeyVersionStats(
  db: Db,
  journeyId: string,
  version: number,
  definition: { steps: Record<string, { type: string }>; settings: { goalWindow?: JourneyDuration } },
): Promise<VersionStats> {
  const window = intervalLiteral(definition.settings.goalWindow);
  // Per enrollment: converted within the window, and the orders attributed to it.
  const scoped = sql`
    with scoped as (
      select n.*,
             (n.converted_at is not null and (${window}::interval is null or n.converted_at <= n.entered_at + ${window}::interval)) as conv,
             coalesce(o.cents, 0)::float8 as revenue, coalesce(o.orders, 0)::int as order_count
        from enrollments n
        left join lateral (
          select sum(coalesce(o.total_cents, 0)) as cents, count(*) as orders
            from orders o
           where o.customer_id = n.customer_id
             and o.status not in ('cancelled', 'refunded')
             and o.ordered_at >= n.entered_at
             and o.ordered_at <= coalesce(n.entered_at + ${window}::interval, n.exited_at, now())
        ) o on true
       where n.journey_id = ${journeyId} and n.journey_version = ${version}
    )`;
  const [summary] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`${scoped}
      select count(*)::int as entered, (count(*) filter (where status = 'active'))::int as active,
             (count(*) filter (where conv))::int as conversions,
             coalesce(sum(revenue), 0)::float8 as revenue, coalesce(sum(order_count), 0)::int as orders
        from scoped`),
  );
  const byStep = rowsOf<{ step: string; count: number }>(
    await db.execute(
      sql`${scoped} select current_step as step, count(*)::int as count from scoped where status = 'active' group by 1 order by 2 desc, 1`,
    ),
  );
  const steps = await stepStats(db, journeyId, version);
  const exits = rowsOf<{ status: string; reason: string | null; count: number }>(
    await db.execute(
      sql`${scoped} select status, exit_reason as reason, count(*)::int as count from scoped where status <> 'active' group by 1, 2 order by 3 desc, 1, 2`,
    ),
  );
  const sent = rowsOf<{ channel: string; status: string; count: number }>(
    await db.execute(
      sql`${scoped} select m.channel, m.status, count(*)::int as count from scoped join messages m on m.enrollment_id = scoped.id group by 1, 2 order by 1, 2`,
    ),
  );

  const splits: VersionStats['splits'] = [];
  for (const step of splitSteps(definition)) {
    const rows = rowsOf<{ outcome: string; entered: number; conversions: number; revenue: number }>(
      await db.execute(sql`${scoped}
        select a.outcome, count(*)::int as entered, (count(*) filter (where conv))::int as conversions, coalesce(sum(revenue), 0)::float8 as revenue
          from scoped,
               lateral (select p->>'outcome' as outcome from jsonb_array_elements(scoped.path) p
                         where p->>'step' = ${step} and p ? 'outcome' limit 1) a
         group by 1 order by 1`),
    );
    const arms = rows.map((r) => ({
      ...parseArmOutcome(r.outcome),
      entered: n(r.entered),
      conversions: n(r.conversions),
      revenueCents: n(r.revenue),
    }));
    const holdouts = arms.filter((a) => a.holdout);
    const holdout = holdouts.length
      ? holdouts.reduce(
          (sum, a) => ({ entered: sum.entered + a.entered, conversions: sum.conversions + a.conversions }),
          { entered: 0, conversions: 0 },
        )
      : null;
    splits.push({
      step,
      holdout: holdout ? { ...holdout, rate: holdout.entered ? holdout.conversions / holdout.entered : null } : null,
      arms: arms.map((a) => {
        const rate = a.entered ? a.conversions / a.entered : null;
        if (a.holdout || !holdout)
          return { ...a, rate, uplift: null, upliftInterval: null, relativeUplift: null, significant: null };
        const c = compareToHoldout(a, holdout);
        return {
          ...a,
          rate,
          uplift: c.uplift,
          upliftInterval: c.upliftInterval,
          relativeUplift: c.relativeUplift,
          significant: c.upliftInterval ? c.significant : null,
        };
      }),
    });
  }

  const entered = n(summary?.entered);
  const conversions = n(summary?.conversions);
  return {
    version,
    goalWindow: definition.settings.goalWindow ?? null,
    entered,
    active: n(summary?.active),
    activeByStep: byStep.map((r) => ({ step: r.step, count: n(r.count) })),
    steps,
    exits: exits.map((r) => ({ status: r.status, reason: r.reason, count: n(r.count) })),
    messages: sent.map((r) => ({ channel: r.channel, status: r.status, count: n(r.count) })),
    conversions,
    conversionRate: entered ? conversions / entered : null,
    revenue: { orders: n(summary?.orders), cents: n(summary?.revenue) },
    splits,
  };
}

async function stepStats(db: Db, journeyId: string, version: number): Promise<StepStats[]> {
  const rows = rowsOf<{ step: string; entered: number; passed: number; active: number }>(
    await db.execute(sql`
      select x.step, count(*)::int as entered, (count(*) filter (where x.passed))::int as passed, (count(*) filter (where x.here))::int as active
        from (
          select n.id, s.step, bool_or(s.passed) as passed, bool_or(s.here) as here
            from enrollments n,
                 lateral (
                   select p ->> 'step' as step, true as passed, false as here from jsonb_array_elements(n.path) p
                   union all
                   select n.current_step, false, true where n.status = 'active' and n.current_step is not null
                 ) s
           where n.journey_id = ${journeyId} and n.journey_version = ${version} and s.step is not null
           group by n.id, s.step
        ) x
       group by x.step order by x.step`),
  );
  return rows.map((r) => ({ step: r.step, entered: n(r.entered), passed: n(r.passed), active: n(r.active) }));
}

/** Every journey's headline numbers, over all its versions. */
export interface JourneySummary {
  journeyId: string;
  entered: number;
  active: number;
  /** Conversions inside each version's goal window (as per version, above). */
  converted: number;
  conversionRate: number | null;
  /** Ledger rows with status `sent` whose `sent_at` is in [from, to). */
  messagesSent: number;
}

/**
 * One statement for every journey (no query per journey): the mirror grouped by journey, each
 * row's goal window read from its version's definition, and the ledger's sends in [from, to).
 */
export async function journeySummaries(db: Db, from: Date, to: Date): Promise<JourneySummary[]> {
  const part = (unit: string, type: 'int' | 'float8') =>
    sql.raw(`coalesce((v.definition #>> '{settings,goalWindow,${unit}}')::${type}, 0)`);
  const rows = rowsOf<{ journey_id: string; entered: number; active: number; converted: number; sent: number }>(
    await db.execute(sql`
      with windows as (
        select v.journey_id, v.version,
               case when v.definition #> '{settings,goalWindow}' is null then null
                    else make_interval(days => ${part('days', 'int')}, hours => ${part('hours', 'int')}, mins => ${part('minutes', 'int')}, secs => ${part('seconds', 'float8')}) end as goal_window
          from journey_versions v
      ),
      mirror as (
        select n.journey_id, count(*)::int as entered, (count(*) filter (where n.status = 'active'))::int as active,
               (count(*) filter (where n.converted_at is not null and (w.goal_window is null or n.converted_at <= n.entered_at + w.goal_window)))::int as converted
          from enrollments n
          left join windows w on w.journey_id = n.journey_id and w.version = n.journey_version
         group by n.journey_id
      ),
      sent as (
        select m.journey_id, count(*)::int as sent
          from messages m
         where m.status = 'sent' and m.sent_at >= ${from.toISOString()}::timestamptz and m.sent_at < ${to.toISOString()}::timestamptz
         group by m.journey_id
      )
      select j.id as journey_id, coalesce(mirror.entered, 0) as entered, coalesce(mirror.active, 0) as active,
             coalesce(mirror.converted, 0) as converted, coalesce(sent.sent, 0) as sent
        from journeys j
        left join mirror on mirror.journey_id = j.id
        left join sent on sent.journey_id = j.id
       order by j.id`),
  );
  return rows.map((r) => {
    const entered = n(r.entered);
    const converted = n(r.converted);
    return {
      journeyId: r.journey_id,
      entered,
      active: n(r.active),
      converted,
      conversionRate: entered ? converted / entered : null,
      messagesSent: n(r.sent),
    };
  });
}

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
