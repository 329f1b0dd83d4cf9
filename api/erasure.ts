/**
 * Erasure (right to be forgotten): `POST /v1/customers/:id/erase {reason}` deletes everything held
 * about a customer in one transaction — profile, identities, events, ledger rows (addresses, links),
 * orders, devices and telemetry, segment memberships, AIPL history, enrollment mirror rows, merge
 * records naming it (and the ids merged into it), suppressions of its addresses — and keeps only:
 * - `customer_erasures`: an audit row without personal data (internal ids, when, reason, counts);
 * - `erased_identities`: HMAC-SHA256(secret, `<kind>:<value>`) of each identity it had, so ingest can
 *   refuse a re-import (`erasureGate`) unless the message carries explicit re-consent.
 * After the commit its running enrollment workflows get `exit: erased` (the mirror's active rows and
 * Temporal visibility by `PerennialCustomerId`); ids not yet signalled stay in `pending_cancels` and
 * a repeated call delivers them. Activities of those workflows write nothing more (`isErased`).
 */
import { createHmac } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors } from './schemas/common';
import { erasure as erasureSchema, mergedAway } from './schemas/customers';
import { z } from 'zod';
import { rowsOf, type Db } from '../drizzle/client';
import { customerErasures, customerIdentities, customers, erasedIdentities } from '../drizzle/schema';
import { controlSignal, ENROLLMENT_WORKFLOW_TYPE } from '../workflows/enrollment';
import { adminSecurity } from './http';
import type { Identity, Tx } from './identity';
import { survivorOf } from './merge';

export const ERASED_EXIT_REASON = 'erased';

/** Lower-case hex HMAC-SHA256 of `<kind>:<normalised value>`: what is kept of an erased identity. */
export function identityHash(secret: string, identity: Identity): string {
  return createHmac('sha256', secret).update(`${identity.kind}:${identity.value}`).digest('hex');
}

/**
 * Explicit re-consent, which lets a message naming an erased identity through (the hashes it
 * matches are cleared and a new customer is created): a track event named `Consent Given`, or any
 * identify/track whose `context.consent.given` is `true`.
 */
export const RECONSENT_EVENT = 'Consent Given';
export function carriesReconsent(name: string, context: Record<string, unknown> | null | undefined): boolean {
  if (name === RECONSENT_EVENT) return true;
  const consent = context?.consent;
  return typeof consent === 'object' && consent !== null && (consent as Record<string, unknown>).given === true;
}

/**
 * Run first in the ingest transaction: `refused` when one of `identities` belonged to an erased
 * customer and the message does not re-consent; with re-consent the matched hashes are deleted.
 */
export async function erasureGate(
  tx: Tx,
  secret: string,
  identities: readonly Identity[],
  reconsent: boolean,
): Promise<{ refused: false } | { refused: true; kinds: string[] }> {
  const [outcome] = await erasureGateBatch(tx, secret, [{ identities, reconsent }]);
  return outcome!;
}

/**
 * `erasureGate` for a batch's messages, in batch order and one read: a message naming an erased
 * identity is refused unless it re-consents, which clears the hashes it names — for the messages
 * after it too, as if they had been ingested one by one.
 */
export async function erasureGateBatch(
  tx: Tx,
  secret: string,
  messages: readonly { identities: readonly Identity[]; reconsent: boolean }[],
): Promise<({ refused: false } | { refused: true; kinds: string[] })[]> {
  const hashesOf = messages.map(
    (m) => new Map(m.identities.map((identity) => [identityHash(secret, identity), identity.kind])),
  );
  const all = [...new Set(hashesOf.flatMap((hashes) => [...hashes.keys()]))];
  const pass = () => messages.map(() => ({ refused: false as const }));
  if (all.length === 0) return pass();
  const erased = new Set(
    rowsOf<{ hash: string }>(
      await tx.execute(
        sql`select hash from erased_identities where hash = any(string_to_array(${all.join(',')}, ','))`,
      ),
    ).map((row) => row.hash),
  );
  if (erased.size === 0) return pass();
  const cleared: string[] = [];
  const outcomes = messages.map((message, i) => {
    const hashes = hashesOf[i]!;
    const hits = [...hashes.keys()].filter((hash) => erased.has(hash));
    if (hits.length === 0) return { refused: false as const };
    if (!message.reconsent)
      return { refused: true as const, kinds: [...new Set(hits.map((hash) => hashes.get(hash)!))] };
    for (const hash of hits) {
      erased.delete(hash);
      cleared.push(hash);
    }
    return { refused: false as const };
  });
  if (cleared.length > 0) await tx.delete(erasedIdentities).where(inArray(erasedIdentities.hash, cleared));
  return outcomes;
}

/**
 * For activities of workflows that may outlive their customer: true when `customerId` (a survivor,
 * or an id merged away) was erased. Waits for an erasure of that customer in progress (a key-share
 * lock on its row), so a write after this answer `false` cannot be missed by that erasure.
 */
export async function isErased(tx: Tx | Db, customerId: string): Promise<boolean> {
  await tx.select({ id: customers.id }).from(customers).where(eq(customers.id, customerId)).for('key share');
  const rows = await tx
    .select({ id: customerErasures.id })
    .from(customerErasures)
    .where(
      sql`${customerErasures.customerId} = ${customerId} or ${customerErasures.mergedIds} @> array[${customerId}]::uuid[]`,
    )
    .limit(1);
  return rows.length > 0;
}

export type ErasureRecord = typeof customerErasures.$inferSelect;

export type EraseOutcome =
  | { status: 'erased'; erasure: ErasureRecord }
  | { status: 'already-erased'; erasure: ErasureRecord }
  | { status: 'merged'; mergedInto: string }
  | { status: 'not-found' };

/** The erasure that removed `id` (the customer or an id merged into it), if any. */
async function erasureOf(db: Db | Tx, id: string): Promise<ErasureRecord | undefined> {
  const [row] = await db
    .select()
    .from(customerErasures)
    .where(sql`${customerErasures.customerId} = ${id} or ${customerErasures.mergedIds} @> array[${id}]::uuid[]`)
    .limit(1);
  return row;
}

/** Deletes the customer's data in one transaction and records the erasure; Temporal is told afterwards (`driveErasureCancels`). */
export async function eraseCustomer(
  db: Db,
  options: { customerId: string; reason: string; secret: string },
): Promise<EraseOutcome> {
  const { customerId: id, reason, secret } = options;
  const outcome = await db.transaction(async (tx): Promise<EraseOutcome> => {
    // The row lock first: ingest, sends and mirror writes of this customer wait for the commit.
    const [customer] = await tx.select({ id: customers.id }).from(customers).where(eq(customers.id, id)).for('update');
    if (!customer) {
      const done = await erasureOf(tx, id);
      if (done) return { status: 'already-erased', erasure: done };
      const survivor = await survivorOf(tx, id);
      return survivor !== id ? { status: 'merged', mergedInto: survivor } : { status: 'not-found' };
    }
    // Every id merged into this one, through chains: running workflows may carry any of them.
    const merged = rowsOf<{ merged_id: string }>(
      await tx.execute(sql`
        with recursive chain(merged_id) as (
          select merged_id from customer_merges where survivor_id = ${id}
          union
          select m.merged_id from customer_merges m join chain c on m.survivor_id = c.merged_id
        ) select merged_id::text from chain`),
    ).map((row) => row.merged_id);
    const ids = [id, ...merged];
    const idList = sql`array[${sql.join(
      ids.map((x) => sql`${x}`),
      sql`, `,
    )}]::uuid[]`;

    const identities = await tx
      .select({ kind: customerIdentities.kind, value: customerIdentities.value })
      .from(customerIdentities)
      .where(eq(customerIdentities.customerId, id));
    const addresses = rowsOf<{ channel: string; address: string }>(
      await tx.execute(sql`
        select distinct channel, address from messages where customer_id = any(${idList}) and address is not null
        union
        select case kind when 'email' then 'email' when 'phone' then 'sms' when 'app_user' then 'push' else 'wechat' end, value
          from customer_identities where customer_id = ${id} and kind in ('email', 'phone', 'app_user', 'wechat_openid')`),
    );
    const running = rowsOf<{ workflow_id: string }>(
      await tx.execute(
        sql`select distinct workflow_id from enrollments where customer_id = any(${idList}) and status = 'active'`,
      ),
    ).map((r) => r.workflow_id);

    const deleted = async (statement: ReturnType<typeof sql>) =>
      Number(
        rowsOf<{ n: number }>(
          await tx.execute(sql`with gone as (${statement} returning 1) select count(*)::int as n from gone`),
        )[0]?.n ?? 0,
      );
    const counts: Record<string, number> = {};
    counts.telemetryReadings = await deleted(
      sql`delete from telemetry_readings where owned_product_id in (select id from owned_products where customer_id = ${id})`,
    );
    counts.ownedProducts = await deleted(sql`delete from owned_products where customer_id = ${id}`);
    counts.orderLines = await deleted(
      sql`delete from order_lines where order_id in (select id from orders where customer_id = ${id})`,
    );
    counts.orders = await deleted(sql`delete from orders where customer_id = ${id}`);
    counts.aiplHistory = await deleted(sql`delete from aipl_history where customer_id = ${id}`);
    const segments = rowsOf<{ segment_id: string }>(
      await tx.execute(sql`delete from segment_members where customer_id = ${id} returning segment_id`),
    );
    counts.segmentMembers = segments.length;
    if (segments.length > 0) {
      await tx.execute(
        sql`update segments set member_count = greatest(member_count - 1, 0) where id in (${sql.join(
          segments.map((s) => sql`${s.segment_id}`),
          sql`, `,
        )})`,
      );
    }
    counts.events = await deleted(sql`delete from events where customer_id = any(${idList})`);
    counts.messages = await deleted(sql`delete from messages where customer_id = any(${idList})`);
    counts.enrollments = await deleted(sql`delete from enrollments where customer_id = any(${idList})`);
    counts.merges = await deleted(
      sql`delete from customer_merges where survivor_id = any(${idList}) or merged_id = any(${idList})`,
    );
    counts.suppressions = 0;
    for (const { channel, address } of addresses)
      counts.suppressions += await deleted(
        sql`delete from suppressions where channel = ${channel} and address = ${address}`,
      );
    counts.identities = await deleted(sql`delete from customer_identities where customer_id = ${id}`);
    await tx.delete(customers).where(eq(customers.id, id));
    counts.enrollmentsCancelled = running.length;

    const [erasure] = await tx
      .insert(customerErasures)
      .values({ customerId: id, mergedIds: merged, reason, counts, pendingCancels: running })
      .returning();
    if (identities.length > 0) {
      await tx
        .insert(erasedIdentities)
        .values(identities.map((identity) => ({ hash: identityHash(secret, identity), erasureId: erasure!.id })))
        .onConflictDoNothing();
    }
    return { status: 'erased', erasure: erasure! };
  });
  return outcome;
}

/**
 * Sends `exit: erased` to the erasure's pending workflows and to any enrollment workflow Temporal
 * still lists as running for its ids, then clears the pending list. Safe to repeat; a workflow that
 * already ended is skipped. Returns how many were signalled.
 */
export async function driveErasureCancels(
  db: Db,
  temporal: Client,
  erasure: ErasureRecord,
): Promise<{ signalled: number; pending: string[] }> {
  const targets = new Set(erasure.pendingCancels);
  try {
    // Visibility also finds enrollments started but not yet mirrored (worker behind).
    const ids = [erasure.customerId, ...erasure.mergedIds].map((id) => `'${id}'`).join(', ');
    const query = `WorkflowType = '${ENROLLMENT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND PerennialCustomerId IN (${ids})`;
    for await (const workflow of temporal.workflow.list({ query })) targets.add(workflow.workflowId);
  } catch {
    // Visibility unavailable: the mirror's list (pending) is still delivered.
  }
  let signalled = 0;
  const failed: string[] = [];
  for (const workflowId of targets) {
    try {
      await temporal.workflow
        .getHandle(workflowId)
        .signal(controlSignal, { action: 'exit', reason: ERASED_EXIT_REASON });
      signalled++;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) failed.push(workflowId); // already ended otherwise
    }
  }
  await db.update(customerErasures).set({ pendingCancels: failed }).where(eq(customerErasures.id, erasure.id));
  return { signalled, pending: failed };
}

/** Free text without personal data: no email addresses, no phone-like digit runs. */
const reasonSchema = z
  .string()
  .trim()
  .min(1, 'required: why (e.g. "GDPR art. 17 request #1234")')
  .max(200, 'at most 200 characters')
  .refine(
    (reason) => !/@/.test(reason) && !/\d[\d\s().-]{6,}\d/.test(reason),
    'must not contain personal data (an email address or phone number): it is kept in the audit row',
  );

export interface ErasureRouteDeps {
  db: Db;
  temporal: Client;
  /** HMAC key for the kept identity hashes (ERASURE_HASH_SECRET, else MESSAGING_LINK_SECRET). */
  secret: string;
}

export const erasureRoutes: FastifyPluginAsyncZod<ErasureRouteDeps> = async (app, { db, temporal, secret }) => {
  app.post(
    '/v1/customers/:id/erase',
    {
      schema: {
        tags: ['customers'],
        security: adminSecurity,
        summary:
          'Erase a customer: delete everything held about them, cancel their enrollments, keep only hashes of their identities (re-import refused without re-consent). Repeating it answers the same erasure.',
        params: z.object({ id: z.uuid('must be a customer id (uuid)') }),
        body: z.object({ reason: reasonSchema }),
        response: {
          200: erasureSchema,
          ...adminErrors,
          404: z.union([mergedAway, errors[404]]).describe('not found, or merged into another customer'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const outcome = await eraseCustomer(db, { customerId: id, reason: request.body.reason, secret });
      if (outcome.status === 'not-found')
        return reply.code(404).send({ error: 'not_found', message: `customer ${id} not found` });
      if (outcome.status === 'merged') {
        return reply.code(404).send({
          error: 'merged',
          message: `customer ${id} was merged into ${outcome.mergedInto}: erase that customer`,
          mergedInto: outcome.mergedInto,
        });
      }
      const { signalled, pending } = await driveErasureCancels(db, temporal, outcome.erasure);
      const e = outcome.erasure;
      return {
        erasureId: e.id,
        customerId: e.customerId,
        mergedIds: e.mergedIds,
        erasedAt: e.erasedAt.toISOString(),
        reason: e.reason,
        counts: e.counts,
        alreadyErased: outcome.status === 'already-erased',
        enrollmentsSignalled: signalled,
        /** Workflows not reached (Temporal unavailable): repeat the call to deliver them. */
        pendingCancels: pending,
      };
    },
  );
};
