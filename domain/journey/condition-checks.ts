/**
 * Checks of conditions and filters: paths that read nothing, operators without (or with the wrong kind of)
 * value, and conditions of one list that can never hold together.
 */
import { compare } from './conditions';
import { aiplStages, type AttributeCondition, type ComparisonOp, type Condition } from './definition';
import { formatJsonPath, show, type RawIssue, type Seg, type ValidationContext } from './issues';

export const eventRoots = ['name', 'properties', 'id', 'timestamp'] as const;
export const customerRoots = ['traits', 'tags', 'aiplStage', 'timeZone'] as const;
const forbiddenSegments: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const opsNeedingValue: ReadonlySet<ComparisonOp> = new Set([
  'eq',
  'neq',
  'in',
  'nin',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
]);
const orderingOps: ReadonlySet<ComparisonOp> = new Set(['gt', 'gte', 'lt', 'lte']);
const aiplStageSet: ReadonlySet<unknown> = new Set<unknown>(aiplStages);

type Roots = readonly string[];

export function checkPathRoot(path: string, roots: Roots, what: string): string | undefined {
  const segments = path.split('.');
  const bad = segments.find((s) => s === '' || forbiddenSegments.has(s));
  if (bad !== undefined)
    return bad === '' ? `path "${path}" has an empty segment` : `path segment "${bad}" is never read`;
  const first = segments[0] ?? '';
  if (!roots.includes(first)) return `"${path}" reads nothing: ${what} read ${roots.join(', ')}`;
  return undefined;
}

/** Problems of one attribute condition on its own; `undefined` when it is well-formed. */
function attributeProblem(c: AttributeCondition, roots: Roots, what: string): RawIssue | undefined {
  const pathProblem = checkPathRoot(c.path, roots, what);
  if (pathProblem !== undefined) return { segs: ['path'], message: pathProblem };
  const { op, value } = c;
  if (opsNeedingValue.has(op) && value === undefined) return { segs: ['value'], message: `"${op}" needs a value` };
  if ((op === 'exists' || op === 'notExists') && value !== undefined)
    return { segs: ['value'], message: `"${op}" takes no value` };
  if (orderingOps.has(op) && typeof value !== 'number' && typeof value !== 'string')
    return { segs: ['value'], message: `"${op}" compares numbers or strings, not ${show(value)}` };
  if ((op === 'in' || op === 'nin') && !Array.isArray(value))
    return { segs: ['value'], message: `"${op}" needs an array of values, not ${show(value)}` };
  if (op === 'in' && Array.isArray(value) && value.length === 0)
    return { segs: ['value'], message: '"in" with an empty list never matches' };
  if ((op === 'eq' || op === 'neq') && Array.isArray(value))
    return {
      segs: ['value'],
      message: `"${op}" compares one value, never a list: use "${op === 'eq' ? 'in' : 'nin'}"`,
    };
  if (op === 'contains' && Array.isArray(value))
    return { segs: ['value'], message: '"contains" looks for one value, not a list' };
  if (c.path === 'aiplStage' && (op === 'eq' || op === 'neq' || op === 'in' || op === 'nin')) {
    const values = Array.isArray(value) ? value : [value];
    const i = values.findIndex((v) => v !== null && !aiplStageSet.has(v));
    if (i >= 0)
      return {
        segs: Array.isArray(value) ? ['value', i] : ['value'],
        message: `${show(values[i])} is not an AIPL stage (${aiplStages.join(', ')})`,
      };
  }
  return undefined;
}

/** One condition reduced to "the value at `key` compared by `op` with `value`", for contradiction checks. */
interface Constraint {
  key: string;
  op: ComparisonOp;
  value: unknown;
  segs: Seg[];
  text: string;
  /** The values of an `in`/`nin` list, so that comparing two long lists is linear, not quadratic. */
  members?: ReadonlySet<unknown>;
}

/** `compare(value, c.op, c.value)`, with `in`/`nin` looked up in a set. */
function allows(c: Constraint, value: unknown): boolean {
  if (c.members && (c.op === 'in' || c.op === 'nin')) return c.members.has(value) === (c.op === 'in');
  return compare(value, c.op, c.value);
}

/** The only values a constraint allows, when it pins them to a finite list. */
function pinned(c: Constraint): unknown[] | undefined {
  if (c.op === 'eq') return [c.value];
  if (c.op === 'in' && Array.isArray(c.value)) return c.value;
  if (c.op === 'notExists') return [undefined, null];
  return undefined;
}

function contradicts(a: Constraint, b: Constraint): boolean {
  const pa = pinned(a);
  if (pa) return !pa.some((v) => allows(b, v));
  const pb = pinned(b);
  if (pb) return !pb.some((v) => allows(a, v));
  if (orderingOps.has(a.op) && orderingOps.has(b.op)) {
    if (typeof a.value !== typeof b.value) return true; // a value is not both a number and a string
    const isLower = (c: Constraint) => c.op === 'gt' || c.op === 'gte';
    const [lo, hi] = isLower(a) && !isLower(b) ? [a, b] : isLower(b) && !isLower(a) ? [b, a] : [undefined, undefined];
    if (!lo || !hi) return false;
    const l = lo.value as number | string;
    const h = hi.value as number | string;
    return l > h || (l === h && (lo.op === 'gt' || hi.op === 'lt'));
  }
  return false;
}

interface ListItem {
  condition: Condition;
  segs: Seg[];
}

/**
 * Checks a list of conditions that must all hold. `context` items (e.g. a waitForEvent's own filter when
 * checking an outcome's `when`) take part in contradictions but are not themselves reported again.
 */
export function checkConditionList(
  items: ListItem[],
  roots: Roots,
  what: string,
  ctx: ValidationContext,
  out: RawIssue[],
  context: ListItem[] = [],
): void {
  // Only constraints on the same key can contradict each other.
  const byKey = new Map<string, Constraint[]>();
  const remember = (c: Constraint) => {
    const list = byKey.get(c.key);
    if (list) list.push(c);
    else byKey.set(c.key, [c]);
  };
  const toConstraint = (item: ListItem, report: boolean): Constraint | undefined => {
    const c = item.condition;
    if (c.kind === 'attribute') {
      const problem = attributeProblem(c, roots, what);
      if (problem) {
        if (report) out.push({ segs: [...item.segs, ...problem.segs], message: problem.message });
        return undefined;
      }
      return {
        key: `attribute:${c.path}`,
        op: c.op,
        value: c.value,
        segs: item.segs,
        text: `${c.path} ${c.op} ${show(c.value)}`,
        ...(Array.isArray(c.value) ? { members: new Set<unknown>(c.value) } : {}),
      };
    }
    if (c.kind === 'eventCount') {
      if (report && ctx.knownEvents && !ctx.knownEvents.has(c.event))
        out.push({ segs: [...item.segs, 'event'], message: `unknown event "${c.event}"` });
      if (c.op === 'lt' && c.value === 0) {
        if (report)
          out.push({ segs: [...item.segs, 'value'], message: 'a count is never below 0: "lt 0" never matches' });
        return undefined;
      }
      return {
        key: `eventCount:${c.withinDays}:${c.event}`,
        op: c.op,
        value: c.value,
        segs: item.segs,
        text: `count of ${c.event} in ${c.withinDays}d ${c.op} ${c.value}`,
      };
    }
    return undefined; // owns: nothing to contradict beyond itself
  };
  for (const item of context) {
    const c = toConstraint(item, false);
    if (c) remember(c);
  }
  for (const item of items) {
    const c = toConstraint(item, true);
    if (!c) continue;
    const other = byKey.get(c.key)?.find((p) => contradicts(p, c));
    if (other)
      out.push({ segs: c.segs, message: `never matches together with ${formatJsonPath(other.segs)} (${other.text})` });
    remember(c);
  }
}

export function listItems(conditions: readonly Condition[] | undefined, segs: Seg[]): ListItem[] {
  return (conditions ?? []).map((condition, i) => ({ condition, segs: [...segs, i] }));
}

export const eventWhat = 'event filters';
export const customerWhat = 'customer conditions';
