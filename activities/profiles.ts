/** Reading customer facts for branches and waits, and applying `update` steps. */
import { and, asc, count, eq, gte, isNull, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { aiplHistory, customers, events, ownedProducts } from '../drizzle/schema';
import { eventCountKey, type CustomerFacts } from '../domain/journey/conditions';
import { survivorOf } from '../services/customers/merge';
import type { ActivityDeps } from './deps';

export interface FactsRequest {
  customerId: string;
  eventCounts: { event: string; withinDays: number }[];
}

export interface ProfileUpdate {
  customerId: string;
  traits?: Record<string, unknown>;
  addTags?: string[];
  removeTags?: string[];
  aiplStage?: string;
  reason: string;
}

export function createProfileActivities({ db, clock }: Pick<ActivityDeps, 'db' | 'clock'>) {
  return {
    async loadCustomerFacts(request: FactsRequest): Promise<CustomerFacts> {
      const { eventCounts } = request;
      const customerId = await survivorOf(db, request.customerId); // the workflow may carry a merged id
      const [customer] = await db.select().from(customers).where(eq(customers.id, customerId));
      if (!customer)
        throw ApplicationFailure.create({
          type: 'CustomerNotFound',
          message: `customer ${customerId} not found`,
          nonRetryable: true,
        });
      const products = await db
        .select({
          sku: ownedProducts.sku,
          category: ownedProducts.category,
          serial: ownedProducts.serial,
          purchasedAt: ownedProducts.purchasedAt,
          installedAt: ownedProducts.installedAt,
          warrantyEndsAt: ownedProducts.warrantyEndsAt,
        })
        .from(ownedProducts)
        .where(and(eq(ownedProducts.customerId, customerId), isNull(ownedProducts.disposedAt)))
        .orderBy(asc(ownedProducts.createdAt));
      const counts: Record<string, number> = {};
      for (const { event, withinDays } of eventCounts) {
        const since = new Date(clock().getTime() - withinDays * 86_400_000);
        const [row] = await db
          .select({ n: count() })
          .from(events)
          .where(and(eq(events.customerId, customerId), eq(events.name, event), gte(events.occurredAt, since)));
        counts[eventCountKey(event, withinDays)] = row?.n ?? 0;
      }
      return {
        traits: customer.traits,
        tags: customer.tags,
        aiplStage: customer.aiplStage,
        timeZone: customer.timeZone,
        ownedProducts: products.map((p) => ({
          ...p,
          purchasedAt: p.purchasedAt?.toISOString() ?? null,
          installedAt: p.installedAt?.toISOString() ?? null,
          warrantyEndsAt: p.warrantyEndsAt?.toISOString() ?? null,
        })),
        eventCounts: counts,
      };
    },

    async applyProfileUpdate(request: ProfileUpdate): Promise<void> {
      const update = { ...request, customerId: await survivorOf(db, request.customerId) };
      await db.transaction(async (tx) => {
        const [customer] = await tx
          .select()
          .from(customers)
          .where(eq(customers.id, update.customerId))
          .for('no key update');
        if (!customer) return; // erased meanwhile: nothing to update
        const remove = new Set(update.removeTags ?? []);
        const tags = [...new Set([...customer.tags, ...(update.addTags ?? [])])].filter((t) => !remove.has(t)).sort();
        await tx
          .update(customers)
          .set({
            traits: { ...customer.traits, ...update.traits },
            tags,
            ...(update.aiplStage ? { aiplStage: update.aiplStage } : {}),
            updatedAt: sql`now()`,
          })
          .where(eq(customers.id, update.customerId));
        // Every change of stage is history; the source names the journey (and step, when given).
        if (update.aiplStage && update.aiplStage !== customer.aiplStage) {
          await tx.insert(aiplHistory).values({
            customerId: update.customerId,
            fromStage: customer.aiplStage,
            toStage: update.aiplStage,
            at: clock(),
            source: update.reason,
          });
        }
      });
    },
  };
}
