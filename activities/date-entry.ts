/**
 * The `date` entry: which customers' dates fall on a day, and entering them. Dates come from a
 * profile trait (`traits.warrantyEndsAt`, an ISO date or timestamp) or from owned products
 * (`products.warrantyEndsAt|purchasedAt|installedAt`, one enrollment per product).
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { customers, journeys, journeyVersions, ownedProducts } from '../drizzle/schema';
import { addCivilDays, formatCivilDate, parseCivilDate } from '../domain/time';
import type { ActivityDeps } from './deps';

export type DateEntryPlan = { status: 'run'; timeZone: string; at: string } | { status: 'stop'; reason: string };

const productColumns = {
  warrantyEndsAt: ownedProducts.warrantyEndsAt,
  purchasedAt: ownedProducts.purchasedAt,
  installedAt: ownedProducts.installedAt,
} as const;

export function createDateEntryActivities({ db, enroller, clock }: Pick<ActivityDeps, 'db' | 'enroller' | 'clock'>) {
  async function latest(journeyId: string) {
    const [row] = await db
      .select({ status: journeys.status, version: journeyVersions.version, definition: journeyVersions.definition })
      .from(journeys)
      .innerJoin(
        journeyVersions,
        and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
      )
      .where(eq(journeys.id, journeyId))
      .orderBy(desc(journeyVersions.version))
      .limit(1);
    return row;
  }

  return {
    async dateEntryPlan({ journeyId }: { journeyId: string }): Promise<DateEntryPlan> {
      const row = await latest(journeyId);
      if (!row) return { status: 'stop', reason: 'journey not found or never published' };
      if (row.status === 'archived') return { status: 'stop', reason: 'journey archived' };
      if (row.definition.entry.type !== 'date') return { status: 'stop', reason: 'latest version has no date entry' };
      return { status: 'run', timeZone: row.definition.settings.timeZone, at: row.definition.entry.at ?? '09:00' };
    },

    /** Enters everyone whose date + offset is `day` (local, brand zone). Safe to repeat: entry ids are per day. */
    async enterDueCustomers({
      journeyId,
      day,
    }: {
      journeyId: string;
      day: string;
    }): Promise<{ due: number; entered: number; rejected: number }> {
      if (!enroller)
        throw ApplicationFailure.create({
          type: 'Misconfigured',
          message: 'date entries need an enroller in the activity deps',
          nonRetryable: true,
        });
      const row = await latest(journeyId);
      if (!row || row.status !== 'published' || row.definition.entry.type !== 'date')
        return { due: 0, entered: 0, rejected: 0 };
      const { definition, version } = row;
      const entry = definition.entry as Extract<typeof definition.entry, { type: 'date' }>;
      // attribute + offset = day  ⇔  attribute = day − offset (calendar days; finer offsets are ignored here)
      const attributeDay = formatCivilDate(addCivilDays(parseCivilDate(day), -(entry.offset?.days ?? 0)));
      const [source, field] = entry.attribute.split('.', 2) as [string, string | undefined];

      const due: { customerId: string; key: string; properties: Record<string, unknown> }[] = [];
      if (source === 'traits' && field) {
        const rows = await db
          .select({ id: customers.id })
          .from(customers)
          .where(sql`left(${customers.traits} ->> ${field}, 10) = ${attributeDay}`);
        for (const r of rows)
          due.push({ customerId: r.id, key: r.id, properties: { date: attributeDay, attribute: entry.attribute } });
      } else if (source === 'products' && field && field in productColumns) {
        const column = productColumns[field as keyof typeof productColumns];
        const rows = await db
          .select({
            id: ownedProducts.id,
            customerId: ownedProducts.customerId,
            sku: ownedProducts.sku,
            category: ownedProducts.category,
          })
          .from(ownedProducts)
          .where(
            and(
              isNull(ownedProducts.disposedAt),
              sql`(${column} at time zone ${definition.settings.timeZone})::date = ${attributeDay}::date`,
            ),
          );
        for (const r of rows)
          due.push({
            customerId: r.customerId,
            key: r.id,
            properties: { productId: r.id, sku: r.sku, category: r.category, date: attributeDay },
          });
      } else {
        throw ApplicationFailure.create({
          type: 'UnsupportedDateAttribute',
          message: `date entry attribute ${entry.attribute} is not traits.<name> or products.warrantyEndsAt|purchasedAt|installedAt`,
          nonRetryable: true,
        });
      }

      let entered = 0;
      for (const d of due) {
        const outcome = await enroller.enter({
          journey: { id: journeyId, version, definition, status: 'published' },
          customerId: d.customerId,
          event: {
            id: `date:${journeyId}:${day}:${d.key}`,
            name: 'date_reached',
            properties: d.properties,
            timestamp: clock().toISOString(),
          },
        });
        if (outcome.status !== 'rejected') entered++;
      }
      return { due: due.length, entered, rejected: due.length - entered };
    },
  };
}
