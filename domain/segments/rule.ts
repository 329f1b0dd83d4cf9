/**
 * The segment rule language: JSON a marketer writes, checked here (every issue with its JSON path)
 * and compiled to SQL elsewhere (activities/segment-sql.ts). Pure: no I/O, no clock.
 *
 *   { "all": [ { "trait": "city", "op": "eq", "value": "Shanghai" },
 *              { "any": [ { "tag": "vip" }, { "orders": { "category": "phone", "withinDays": 365 } } ] },
 *              { "not": { "consent": { "topic": "promotions" } } } ] }
 */
import { z } from 'zod';
import { aiplStages, channels } from '../journey/definition';

export const traitOps = ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists', 'startsWith'] as const;
export type TraitOp = (typeof traitOps)[number];
export const countOps = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
export type CountOp = (typeof countOps)[number];

export type Scalar = string | number | boolean | null;

export type SegmentRule =
  | { all: SegmentRule[] }
  | { any: SegmentRule[] }
  | { not: SegmentRule }
  | TraitRule
  | TagRule
  | AiplStageRule
  | OwnsRule
  | OrdersRule
  | EventCountRule
  | ConsentRule;

/** Limits: a rule is a few dozen nodes written by a person, not a program. */
export const ruleLimits = { depth: 8, nodes: 200, children: 50, listValues: 100, stringLength: 500 } as const;

const MAX_DAYS = 3660;
/** Postgres text holds neither NUL nor unpaired surrogates: refused here rather than failing in SQL. */
const storable = (s: string) => !/\u0000|\p{Surrogate}/u.test(s);
const storableMessage = 'must not contain NUL characters or unpaired surrogates';
const text = (max: number) => z.string().max(max, `at most ${max} characters`).refine(storable, storableMessage);
const name = (what: string) => text(200).refine((s) => s.length > 0, `${what} must not be empty`);
/** One segment of a trait path: bound as a parameter anyway, but kept to plain names so rules stay readable and portable. */
export const traitSegmentPattern = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
const forbiddenSegments: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const traitPathSchema = z
  .string()
  .min(1, 'a trait name must not be empty')
  .max(200)
  .refine((p) => p.split('.').length <= 5, 'a trait path has at most 5 segments')
  .refine(
    (p) => p === '' || p.split('.').every((s) => traitSegmentPattern.test(s) && !forbiddenSegments.has(s)),
    'a trait path is names joined by "." (letters, digits, "_" or "-"; max 64 each)',
  );

const scalar = z.union([
  text(ruleLimits.stringLength),
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z.boolean(),
  z.null(),
]);
const windowDays = z.number().int('whole days').min(1).max(MAX_DAYS);
const comparison = z
  .object({ op: z.enum(countOps), value: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) })
  .strict();

export const traitRuleSchema = z
  .object({
    trait: traitPathSchema,
    op: z.enum(traitOps),
    value: z.union([scalar, z.array(scalar).max(ruleLimits.listValues)]).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message, path: ['value'] });
    if (r.op === 'exists') {
      if (r.value !== undefined) issue('"exists" takes no value');
      return;
    }
    if (r.value === undefined) return issue(`"${r.op}" needs a value`);
    if (r.op === 'in') {
      if (!Array.isArray(r.value) || r.value.length === 0) issue('"in" needs a non-empty list of values');
      return;
    }
    if (Array.isArray(r.value))
      return issue(`"${r.op}" compares one value, not a list${r.op === 'eq' ? ': use "in"' : ''}`);
    if (
      (r.op === 'gt' || r.op === 'gte' || r.op === 'lt' || r.op === 'lte') &&
      typeof r.value !== 'number' &&
      typeof r.value !== 'string'
    )
      issue(`"${r.op}" compares numbers or strings`);
    if (r.op === 'startsWith' && typeof r.value !== 'string') issue('"startsWith" needs a string');
  });
export type TraitRule = { trait: string; op: TraitOp; value?: Scalar | Scalar[] };

export const tagRuleSchema = z.object({ tag: name('a tag'), has: z.boolean().default(true) }).strict();
export type TagRule = z.infer<typeof tagRuleSchema>;

export const aiplStageRuleSchema = z
  .object({ aiplStage: z.array(z.enum(aiplStages)).min(1, 'give at least one stage') })
  .strict();
export type AiplStageRule = z.infer<typeof aiplStageRuleSchema>;

export const ownsRuleSchema = z
  .object({
    owns: z
      .object({ category: name('a category').optional(), sku: name('a SKU').optional() })
      .strict()
      .refine((o) => o.category !== undefined || o.sku !== undefined, 'give a category, a sku or both'),
  })
  .strict();
export type OwnsRule = z.infer<typeof ownsRuleSchema>;

export const ordersRuleSchema = z
  .object({
    orders: z
      .object({
        /** Only orders with a line of this category; `totalCents` then sums those lines. */
        category: name('a category').optional(),
        withinDays: windowDays.optional(),
        /** Default: at least one such order. */
        count: comparison.optional(),
        totalCents: comparison.optional(),
      })
      .strict(),
  })
  .strict();
export type OrdersRule = z.infer<typeof ordersRuleSchema>;

export const eventCountRuleSchema = z
  .object({
    eventCount: z
      .object({
        event: name('an event name'),
        withinDays: windowDays,
        op: z.enum(countOps),
        value: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      })
      .strict(),
  })
  .strict();
export type EventCountRule = z.infer<typeof eventCountRuleSchema>;

export const consentRuleSchema = z
  .object({
    consent: z
      .object({ channel: z.enum(channels).optional(), topic: name('a topic').optional() })
      .strict()
      .refine((c) => (c.channel === undefined) !== (c.topic === undefined), 'give exactly one of channel, topic'),
  })
  .strict();
export type ConsentRule = z.infer<typeof consentRuleSchema>;

const leafSchemas = {
  trait: traitRuleSchema,
  tag: tagRuleSchema,
  aiplStage: aiplStageRuleSchema,
  owns: ownsRuleSchema,
  orders: ordersRuleSchema,
  eventCount: eventCountRuleSchema,
  consent: consentRuleSchema,
} as const;
const kinds = ['all', 'any', 'not', ...Object.keys(leafSchemas)];

export interface RuleIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * Checks one rule, collecting every issue with its path relative to the rule. Depth is checked
 * before descending, so a hostile 10,000-deep rule costs 8 levels of work.
 */
export function checkRule(
  value: unknown,
): { rule: SegmentRule; issues: [] } | { rule?: undefined; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  let nodes = 0;
  const walk = (node: unknown, path: PropertyKey[], depth: number): SegmentRule | undefined => {
    nodes++;
    if (nodes > ruleLimits.nodes) {
      if (nodes === ruleLimits.nodes + 1)
        issues.push({ path, message: `a rule has at most ${ruleLimits.nodes} nodes` });
      return undefined;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      issues.push({ path, message: `expected a rule object (one of ${kinds.join(', ')})` });
      return undefined;
    }
    const keys = Object.keys(node);
    const kind = keys.find((k) => kinds.includes(k));
    if (kind === undefined) {
      issues.push({
        path,
        message: `expected one of ${kinds.join(', ')}${keys.length ? `, not ${keys.map((k) => JSON.stringify(k)).join(', ')}` : ''}`,
      });
      return undefined;
    }
    const record = node as Record<string, unknown>;
    if (kind === 'all' || kind === 'any' || kind === 'not') {
      const extra = keys.find((k) => k !== kind);
      if (extra !== undefined) issues.push({ path: [...path, extra], message: `unexpected key next to "${kind}"` });
      if (depth >= ruleLimits.depth) {
        issues.push({ path: [...path, kind], message: `rules nest at most ${ruleLimits.depth} levels deep` });
        return undefined;
      }
      const inner = record[kind];
      if (kind === 'not') {
        const child = walk(inner, [...path, 'not'], depth + 1);
        return child && extra === undefined ? { not: child } : undefined;
      }
      if (!Array.isArray(inner) || inner.length === 0 || inner.length > ruleLimits.children) {
        issues.push({ path: [...path, kind], message: `"${kind}" takes a list of 1 to ${ruleLimits.children} rules` });
        return undefined;
      }
      const children = inner.map((c, i) => walk(c, [...path, kind, i], depth + 1));
      if (extra !== undefined || children.some((c) => c === undefined)) return undefined;
      return kind === 'all' ? { all: children as SegmentRule[] } : { any: children as SegmentRule[] };
    }
    const result = leafSchemas[kind as keyof typeof leafSchemas].safeParse(node);
    if (!result.success) {
      for (const issue of result.error.issues) issues.push({ path: [...path, ...issue.path], message: issue.message });
      return undefined;
    }
    return result.data as SegmentRule;
  };
  const rule = walk(value, [], 0);
  return rule && issues.length === 0 ? { rule, issues: [] } : { issues };
}

/** The rule as a zod schema: validates (issues at their JSON paths) and returns the rule with defaults applied. */
export const segmentRuleSchema: z.ZodType<SegmentRule, unknown> = z.unknown().transform((value, ctx) => {
  const checked = checkRule(value);
  if (checked.rule) return checked.rule;
  for (const issue of checked.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

/** A "cheap" rule reads only the customer row (traits, tags, AIPL stage, consent): it is re-evaluated on each event. */
export function isCheapRule(rule: SegmentRule): boolean {
  if ('all' in rule) return rule.all.every(isCheapRule);
  if ('any' in rule) return rule.any.every(isCheapRule);
  if ('not' in rule) return isCheapRule(rule.not);
  return 'trait' in rule || 'tag' in rule || 'aiplStage' in rule || 'consent' in rule;
}

/** Segment ids: like journey ids (they appear in journey definitions). */
export const segmentIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-" (max 64)');
