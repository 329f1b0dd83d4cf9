/**
 * Ops routes: who is where in which journey and why they left. Enrollment lists and details read
 * the Postgres mirror (no Temporal visibility needed); the history timeline reads the workflow's
 * history from Temporal; cancel sends the enrollment's `exit` control signal with a reason.
 */
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../drizzle/client';
import { customers, enrollments, enrollmentStatuses, messages } from '../drizzle/schema';
import { controlSignal, statusQuery } from '../workflows/contracts/enrollment';
import { renderHistory } from '../services/ops/history-timeline';
import { describeItem, type TimelineItem } from '../services/ops/customer-timeline';
import { adminSecurity } from './http';
import { decodeCursor, encodeCursor, iso } from './sql-rows';
import { rowsOf } from '../drizzle/client';
import { adminErrors, errors, INT4_MAX } from './schemas/common';
import {
  cancelling,
  customerTimeline,
  enrollmentDetail,
  enrollmentHistory,
  enrollmentPage,
} from './schemas/enrollments';

export interface OpsDeps {
  db: Db;
  temporal: Client;
  /** Temporal Web UI base, e.g. http://127.0.0.1:8233: links go to `<base>/namespaces/<ns>/workflows/<id>`. */
  temporalUiUrl: string;
}

const security = adminSecurity;
const enrollmentIdParam = z.object({ id: z.uuid() });
// Empty (`cursor=`) is the first page, as a client building the query string from an unset value expects.
const cursorSchema = z
  .string()
  .refine(
    (value) => value === '' || decodeCursor(value) !== null,
    'not a cursor from a previous page (use nextCursor as given)',
  );

export function temporalUiLink(base: string, namespace: string, workflowId: string): string {
  return `${base.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export const opsRoutes: FastifyPluginAsyncZod<OpsDeps> = async (app, deps) => {
  const { db, temporal } = deps;
  const uiLink = (workflowId: string) => temporalUiLink(deps.temporalUiUrl, temporal.options.namespace, workflowId);

  async function findEnrollment(id: string) {
    const [row] = await db.select().from(enrollments).where(eq(enrollments.id, id));
    return row;
  }
  const notFound = (id: string) => ({ error: 'not_found', message: `enrollment ${id} not found` });

  app.get(
    '/v1/enrollments',
    {
      schema: {
        tags: ['enrollments'],
        security,
        summary: 'List enrollments, newest first (filters combine; page with cursor)',
        querystring: z.object({
          journeyId: z.string().min(1).optional(),
          version: z.coerce.number().int().min(1).max(INT4_MAX).optional().describe('journey version (with journeyId)'),
          customerId: z.uuid().optional(),
          step: z.string().min(1).optional().describe('current step id (active enrollments)'),
          status: z.enum(enrollmentStatuses).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: cursorSchema.optional().describe('nextCursor of the previous page'),
        }),
        response: { 200: enrollmentPage, ...adminErrors },
      },
    },
    async (request) => {
      const query = request.query;
      const where: SQL[] = [];
      if (query.journeyId) where.push(eq(enrollments.journeyId, query.journeyId));
      if (query.version) where.push(eq(enrollments.journeyVersion, query.version));
      if (query.customerId) where.push(eq(enrollments.customerId, query.customerId));
      if (query.step) where.push(eq(enrollments.currentStep, query.step));
      if (query.status) where.push(eq(enrollments.status, query.status));
      const cursor = query.cursor ? decodeCursor(query.cursor) : null;
      if (cursor)
        where.push(
          sql`(${enrollments.enteredAt}, ${enrollments.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
        );
      const rows = await db
        .select()
        .from(enrollments)
        .where(and(...where))
        .orderBy(desc(enrollments.enteredAt), desc(enrollments.id))
        .limit(query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        enrollments: page,
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.enteredAt.toISOString(), last.id) : null,
      };
    },
  );

  app.get(
    '/v1/enrollments/:id',
    {
      schema: {
        tags: ['enrollments'],
        security,
        summary: 'One enrollment: mirror row, live state, path, messages sent or skipped',
        params: enrollmentIdParam,
        response: { 200: enrollmentDetail, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const row = await findEnrollment(id);
      if (!row) return reply.code(404).send(notFound(id));
      // Live state needs a worker; without one the query would hang, so it gets 3 s.
      const live =
        row.status === 'active'
          ? await withTimeout(temporal.workflow.getHandle(row.workflowId).query(statusQuery), 3_000).catch(() => null)
          : null;
      const sent = await db
        .select({
          stepId: messages.stepId,
          occurrence: messages.occurrence,
          channel: messages.channel,
          templateId: messages.templateId,
          status: messages.status,
          reason: messages.reason,
          createdAt: messages.createdAt,
          sentAt: messages.sentAt,
        })
        .from(messages)
        .where(eq(messages.enrollmentId, id))
        .orderBy(asc(messages.createdAt));
      return { enrollment: row, live, messages: sent, temporalUiUrl: uiLink(row.workflowId) };
    },
  );

  app.get(
    '/v1/enrollments/:id/history',
    {
      schema: {
        tags: ['enrollments'],
        security,
        summary: "The enrollment's workflow history as a timeline in journey terms",
        params: enrollmentIdParam,
        response: { 200: enrollmentHistory, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const row = await findEnrollment(id);
      if (!row) return reply.code(404).send(notFound(id));
      try {
        const history = await temporal.workflow.getHandle(row.workflowId).fetchHistory();
        return {
          enrollmentId: id,
          workflowId: row.workflowId,
          temporalUiUrl: uiLink(row.workflowId),
          timeline: renderHistory(history.events ?? [], row.path),
        };
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          return reply.code(404).send({
            error: 'not_found',
            message: `the workflow of enrollment ${id} is no longer in Temporal (past retention); the mirror row and messages remain`,
          });
        }
        throw error;
      }
    },
  );

  app.post(
    '/v1/enrollments/:id/cancel',
    {
      schema: {
        tags: ['enrollments'],
        security,
        summary: 'End an active enrollment now, with a reason (status becomes cancelled)',
        params: enrollmentIdParam,
        body: z.object({ reason: z.string().trim().min(1).max(200) }),
        response: { 202: cancelling, ...adminErrors, 404: errors[404], 409: errors[409] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { reason } = request.body;
      const row = await findEnrollment(id);
      if (!row) return reply.code(404).send(notFound(id));
      if (row.status !== 'active')
        return reply.code(409).send({ error: 'conflict', message: `enrollment ${id} is already ${row.status}` });
      try {
        await temporal.workflow.getHandle(row.workflowId).signal(controlSignal, { action: 'exit', reason });
      } catch (error) {
        if (error instanceof WorkflowNotFoundError)
          return reply
            .code(409)
            .send({ error: 'conflict', message: `the workflow of enrollment ${id} is not running` });
        throw error;
      }
      // The workflow leaves in its next task and writes `cancelled` + reason to the mirror.
      return reply.code(202).send({ enrollmentId: id, workflowId: row.workflowId, status: 'cancelling', reason });
    },
  );

  app.get(
    '/v1/customers/:id/timeline',
    {
      schema: {
        tags: ['customers'],
        security,
        summary: "A customer's timeline across all journeys: events, messages, entries and exits, newest first",
        params: z.object({ id: z.uuid() }),
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: cursorSchema.optional().describe('nextCursor of the previous page'),
        }),
        response: { 200: customerTimeline, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { limit } = request.query;
      const [customer] = await db.select({ id: customers.id }).from(customers).where(eq(customers.id, id));
      if (!customer) return reply.code(404).send({ error: 'not_found', message: `customer ${id} not found` });
      const cursor = request.query.cursor ? decodeCursor(request.query.cursor) : null;
      const after = cursor ? sql`where (t.at, t.id) < (${cursor.at}::timestamptz, ${cursor.id})` : sql``;
      // Millisecond times: the cursor (an ISO string) then names a row's sort key exactly.
      const result = await db.execute(sql`
        select * from (
          select 'event' as kind, 'e:' || e.id as id, date_trunc('milliseconds', e.occurred_at) as at,
                 null::text as journey_id, null::uuid as enrollment_id,
                 jsonb_build_object('name', e.name, 'properties', e.properties, 'messageId', e.message_id) as details
            from events e where e.customer_id = ${id}
          union all
          select 'message', 'm:' || m.id, date_trunc('milliseconds', m.created_at), m.journey_id, m.enrollment_id,
                 jsonb_build_object('step', m.step_id, 'channel', m.channel, 'template', m.template_id, 'status', m.status, 'reason', m.reason, 'sentAt', m.sent_at)
            from messages m where m.customer_id = ${id}
          union all
          select 'entered', 'n:' || n.id, date_trunc('milliseconds', n.entered_at), n.journey_id, n.id,
                 jsonb_build_object('version', n.journey_version, 'status', n.status)
            from enrollments n where n.customer_id = ${id}
          union all
          select 'exited', 'x:' || n.id, date_trunc('milliseconds', n.exited_at), n.journey_id, n.id,
                 jsonb_build_object('version', n.journey_version, 'status', n.status, 'reason', n.exit_reason)
            from enrollments n where n.customer_id = ${id} and n.exited_at is not null
        ) t ${after}
        order by t.at desc, t.id desc
        limit ${limit + 1}`);
      const rows = rowsOf<{
        kind: TimelineItem['kind'];
        id: string;
        at: unknown;
        journey_id: string | null;
        enrollment_id: string | null;
        details: Record<string, unknown>;
      }>(result);
      const items: TimelineItem[] = rows.slice(0, limit).map((r) => ({
        kind: r.kind,
        id: r.id,
        at: iso(r.at)!,
        journeyId: r.journey_id,
        enrollmentId: r.enrollment_id,
        text: describeItem(r.kind, r.journey_id, r.details),
        details: r.details,
      }));
      const last = items.at(-1);
      return { customerId: id, items, nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null };
    },
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
