/**
 * Mining category associations in SQL (the arithmetic of domain/predictions/associations.ts, run
 * where the baskets are, so a million customers never travel to the worker) and replacing the
 * stored rules in one transaction: readers see the old set or the new one, never half.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../drizzle/client';
import { categoryAssociations } from '../drizzle/schema';
import type { AssociationRefresh } from '../domain/predictions/associations';
import type { ActivityDeps } from './deps';

export async function refreshCategoryAssociations(db: Db, now: Date, minCount = 1): Promise<AssociationRefresh> {
  return db.transaction(async (tx) => {
    await tx.delete(categoryAssociations);
    const inserted = await tx.execute(sql`
      with baskets as (
        select distinct o.customer_id, l.category from order_lines l join orders o on o.id = l.order_id
        union
        select customer_id, category from owned_products where disposed_at is null
      ),
      total as (select count(distinct customer_id)::int as n from baskets),
      singles as (select category, count(*)::int as n from baskets group by category),
      pairs as (
        select a.category as from_category, b.category as to_category, count(*)::int as n
        from baskets a join baskets b on a.customer_id = b.customer_id and a.category <> b.category
        group by 1, 2 having count(*) >= ${minCount}
      )
      insert into category_associations (from_category, to_category, count, support, confidence, lift, baskets, computed_at)
      select p.from_category, p.to_category, p.n,
             p.n::float8 / t.n,
             p.n::float8 / sf.n,
             (p.n::float8 / sf.n) / (st.n::float8 / t.n),
             t.n, ${now.toISOString()}::timestamptz
      from pairs p
      join singles sf on sf.category = p.from_category
      join singles st on st.category = p.to_category
      cross join total t
      returning baskets`);
    const rows = rowsOf<{ baskets: number }>(inserted);
    return { baskets: rows[0]?.baskets ?? 0, rules: rows.length, computedAt: now.toISOString() };
  });
}

export function createAssociationActivities({ db, clock }: Pick<ActivityDeps, 'db' | 'clock'>) {
  return {
    async refreshCategoryAssociations(): Promise<AssociationRefresh> {
      return refreshCategoryAssociations(db, clock());
    },
  };
}
