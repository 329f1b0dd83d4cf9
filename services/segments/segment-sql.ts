/**
 * Segment rules (domain/segments/rule.ts) compiled to one boolean SQL condition over a row of
 * `customers`. Every value, trait path segment, tag, category and event name is a bound parameter;
 * the only raw SQL text is operators picked from fixed tables by enum value. Each leaf is made
 * two-valued (`coalesce(…, false)`), so `not` is plain negation even when a trait is missing.
 * Time windows are relative to the `now` given, never to the database clock.
 */
import { sql, type SQL } from 'drizzle-orm';
import { customers, events, orderLines, orders, ownedProducts } from '../../drizzle/schema';
import type { CountOp, SegmentRule, TraitRule } from '../../domain/segments/rule';

const operators: Record<CountOp | 'gt' | 'gte' | 'lt' | 'lte', string> = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};
const op = (name: keyof typeof operators): SQL => sql.raw(operators[name]);
const json = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`;
/** Orders that count toward `orders` rules. */
const excludedOrderStatuses = ['cancelled', 'refunded'];

export interface CompileOptions {
  now: Date;
}

export function compileRule(rule: SegmentRule, options: CompileOptions): SQL {
  return sql`(${compile(rule, options)})`;
}

function compile(rule: SegmentRule, options: CompileOptions): SQL {
  if ('all' in rule)
    return sql`(${sql.join(
      rule.all.map((r) => compile(r, options)),
      sql` and `,
    )})`;
  if ('any' in rule)
    return sql`(${sql.join(
      rule.any.map((r) => compile(r, options)),
      sql` or `,
    )})`;
  if ('not' in rule) return sql`(not ${compile(rule.not, options)})`;
  if ('trait' in rule) return sql`coalesce(${trait(rule)}, false)`;
  if ('tag' in rule) {
    const has = sql`(${rule.tag}::text = any(${customers.tags}))`;
    return rule.has ? sql`coalesce(${has}, false)` : sql`(not coalesce(${has}, false))`;
  }
  if ('aiplStage' in rule)
    return sql`coalesce(${customers.aiplStage} in (${sql.join(
      rule.aiplStage.map((s) => sql`${s}::text`),
      sql`, `,
    )}), false)`;
  if ('consent' in rule) {
    const { channel, topic } = rule.consent;
    // A channel counts only when explicitly granted; a topic unless explicitly refused (as sends do).
    if (channel !== undefined)
      return sql`coalesce((${customers.consent} -> 'channels' -> ${channel}::text) = 'true'::jsonb, false)`;
    return sql`coalesce((${customers.consent} -> 'topics' -> ${topic ?? ''}::text) <> 'false'::jsonb, true)`;
  }
  if ('owns' in rule) {
    const { category, sku } = rule.owns;
    return sql`exists (select 1 from ${ownedProducts} where ${ownedProducts.customerId} = ${customers.id} and ${ownedProducts.disposedAt} is null${
      category !== undefined ? sql` and ${ownedProducts.category} = ${category}::text` : sql``
    }${sku !== undefined ? sql` and ${ownedProducts.sku} = ${sku}::text` : sql``})`;
  }
  if ('orders' in rule) return ordersCondition(rule.orders, options);
  if ('eventCount' in rule) {
    const { event, withinDays, value } = rule.eventCount;
    const since = new Date(options.now.getTime() - withinDays * 86_400_000);
    return sql`((select count(*) from ${events} where ${events.customerId} = ${customers.id} and ${events.name} = ${event}::text and ${events.occurredAt} >= ${since.toISOString()}::timestamptz and ${events.occurredAt} <= ${options.now.toISOString()}::timestamptz) ${op(rule.eventCount.op)} ${value}::bigint)`;
  }
  const unknown: never = rule;
  throw new Error(`unknown rule node ${JSON.stringify(unknown)}`);
}

/** The trait's jsonb value: `jsonb_extract_path(traits, $1, $2 …)`, each path segment a parameter. */
function traitValue(path: string): SQL {
  return sql`jsonb_extract_path(${customers.traits}, ${sql.join(
    path.split('.').map((s) => sql`${s}::text`),
    sql`, `,
  )})`;
}

function trait(rule: TraitRule): SQL {
  const v = traitValue(rule.trait);
  const value = rule.value;
  switch (rule.op) {
    case 'exists':
      return sql`(jsonb_typeof(${v}) <> 'null')`;
    case 'eq':
      return sql`(${v} = ${json(value)})`;
    case 'neq':
      return sql`(${v} is distinct from ${json(value)})`;
    case 'in':
      return sql`(${v} in (${sql.join((value as unknown[]).map(json), sql`, `)}))`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      // CASE fixes the evaluation order: the cast only runs on values of the right JSON type.
      // Strings compare by code point (collation "C"): ISO dates order right, whatever the database locale.
      return typeof value === 'number'
        ? sql`(case when jsonb_typeof(${v}) = 'number' then (${v})::numeric ${op(rule.op)} ${String(value)}::numeric else false end)`
        : sql`(case when jsonb_typeof(${v}) = 'string' then (${v} #>> '{}') collate "C" ${op(rule.op)} ${String(value)}::text collate "C" else false end)`;
    case 'contains':
      // A substring of a string trait, or an element of an array trait.
      return sql`(case jsonb_typeof(${v}) when 'string' then ${typeof value === 'string' ? sql`strpos(${v} #>> '{}', ${value}::text) > 0` : sql`false`} when 'array' then ${v} @> jsonb_build_array(${json(value)}) else false end)`;
    case 'startsWith':
      return sql`(case when jsonb_typeof(${v}) = 'string' then starts_with(${v} #>> '{}', ${String(value)}::text) else false end)`;
  }
}

function ordersCondition(rule: Extract<SegmentRule, { orders: unknown }>['orders'], options: CompileOptions): SQL {
  const window =
    rule.withinDays !== undefined
      ? sql` and ${orders.orderedAt} >= ${new Date(options.now.getTime() - rule.withinDays * 86_400_000).toISOString()}::timestamptz and ${orders.orderedAt} <= ${options.now.toISOString()}::timestamptz`
      : sql``;
  const statuses = sql`${orders.status} not in (${sql.join(
    excludedOrderStatuses.map((s) => sql`${s}::text`),
    sql`, `,
  )})`;
  // One row per matching order with its amount: the whole order, or only its lines of the category.
  const perOrder =
    rule.category !== undefined
      ? sql`select ${orders.id} as id, coalesce(sum(${orderLines.quantity}::bigint * ${orderLines.unitPriceCents}), 0) as amount from ${orders} join ${orderLines} on ${orderLines.orderId} = ${orders.id} and ${orderLines.category} = ${rule.category}::text where ${orders.customerId} = ${customers.id} and ${statuses}${window} group by ${orders.id}`
      : sql`select ${orders.id} as id, coalesce(${orders.totalCents}, 0) as amount from ${orders} where ${orders.customerId} = ${customers.id} and ${statuses}${window}`;
  const tests: SQL[] = [];
  const count = rule.count ?? (rule.totalCents === undefined ? { op: 'gte' as const, value: 1 } : undefined);
  if (count) tests.push(sql`count(*) ${op(count.op)} ${count.value}::bigint`);
  if (rule.totalCents)
    tests.push(sql`coalesce(sum(matching.amount), 0) ${op(rule.totalCents.op)} ${rule.totalCents.value}::numeric`);
  return sql`coalesce((select ${sql.join(tests, sql` and `)} from (${perOrder}) as matching), false)`;
}
