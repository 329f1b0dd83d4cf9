/**
 * Validation of a journey definition as a marketer wrote it: the zod schema first (structure), then, on a
 * structurally valid definition, graph and meaning checks (dangling references, unreachable steps, loops that
 * pass no time, unknown templates/events/segments, filters that can never match, ...).
 *
 * Every issue carries a JSON path (`$.steps.remind1.next`, `$.goals[0].event`, `$.steps["odd id"]`); all issues
 * are returned at once, sorted by path. Pure: safe inside Temporal workflows (no I/O, no clock, no randomness).
 */
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { compare } from './conditions';
import { maxDayOfMonth } from '../time/yearly';
import {
  aiplStages,
  journeyDefinitionSchema,
  type AttributeCondition,
  type ComparisonOp,
  type Condition,
  type JourneyDefinition,
  type Step,
} from './definition';

export interface ValidationIssue {
  /** JSON path, e.g. `$.steps.remind1.next`, `$.goals[0].event`, `$["odd key"]`. */
  path: string;
  message: string;
}

/** When a set is given, references outside it are errors; when it is absent, references are not checked. */
export interface ValidationContext {
  knownEvents?: ReadonlySet<string>;
  knownTemplates?: ReadonlySet<string>;
  knownSegments?: ReadonlySet<string>;
}

export type ValidationResult = { ok: true; definition: JourneyDefinition } | { ok: false; issues: ValidationIssue[] };

type Seg = string | number;

interface RawIssue {
  segs: Seg[];
  message: string;
}

type ZodIssue = z.core.$ZodIssue;

// ---- paths -----------------------------------------------------------------------------------

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["steps", "remind 1", "arms", 0]` → `$.steps["remind 1"].arms[0]`. */
export function formatJsonPath(segs: readonly Seg[]): string {
  let out = '$';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (identifier.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function compareSegs(a: readonly Seg[], b: readonly Seg[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as Seg;
    const y = b[i] as Seg;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function sortIssues(raw: RawIssue[]): ValidationIssue[] {
  const sorted = [...raw].sort(
    (a, b) => compareSegs(a.segs, b.segs) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
  return sorted.map((i) => ({ path: formatJsonPath(i.segs), message: i.message }));
}

/** Reads own properties only (the input is untrusted). */
function lookup(root: unknown, segs: readonly Seg[]): unknown {
  let current = root;
  for (const s of segs) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, s)) return undefined;
    current = (current as Record<string, unknown>)[s];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}

// ---- zod issues → paths ----------------------------------------------------------------------

function toSegs(path: readonly PropertyKey[]): Seg[] {
  return path.map((k) => (typeof k === 'number' ? k : String(k)));
}

/** An issue saying a literal tag (`kind`, `type`) did not match one union option. */
function literalTagMismatch(issue: ZodIssue): { key: Seg; values: unknown[] } | undefined {
  if (issue.code !== 'invalid_value' || issue.path.length !== 1 || issue.values.length !== 1) return undefined;
  const key = issue.path[0];
  if (typeof key !== 'string') return undefined;
  return { key, values: issue.values };
}

function mapZodIssue(issue: ZodIssue, prefix: readonly Seg[], input: unknown, out: RawIssue[]): void {
  const segs = [...prefix, ...toSegs(issue.path)];
  const value = lookup(input, segs);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) out.push({ segs: [...segs, key], message: `unknown property "${key}"` });
      return;
    case 'invalid_key':
      out.push({ segs, message: `invalid key: ${issue.issues.map((i) => i.message).join('; ')}` });
      return;
    case 'invalid_type':
      out.push({ segs, message: value === undefined ? `required: expected ${issue.expected}` : issue.message });
      return;
    case 'invalid_value':
      out.push({ segs, message: `${issue.message} (got ${show(value)})` });
      return;
    case 'invalid_union': {
      if (issue.discriminator !== undefined && issue.errors.length === 0 && issue.inclusive !== false) {
        const options = (issue.options ?? []).map((o) => String(o)).join(', ');
        out.push({
          segs,
          message:
            value === undefined
              ? `required: "${issue.discriminator}" must be one of ${options}`
              : `unknown ${issue.discriminator} ${show(value)}: expected one of ${options}`,
        });
        return;
      }
      if (issue.errors.length === 0) {
        out.push({ segs, message: issue.message });
        return;
      }
      // A plain union (conditions): report the option the input was meant to be, i.e. the ones whose literal
      // tag matched; among those, the one with the fewest complaints.
      const candidates = issue.errors.filter((branch) => !branch.some((i) => literalTagMismatch(i) !== undefined));
      if (candidates.length === 0) {
        const tags = issue.errors.flatMap((branch) => branch.map(literalTagMismatch)).filter((t) => t !== undefined);
        const key = tags[0]?.key ?? 'kind';
        const options = [...new Set(tags.filter((t) => t.key === key).flatMap((t) => t.values.map(String)))];
        const tagValue = lookup(value, [key]);
        out.push({
          segs: [...segs, key],
          message:
            tagValue === undefined
              ? `required: "${key}" must be one of ${options.join(', ')}`
              : `unknown ${key} ${show(tagValue)}: expected one of ${options.join(', ')}`,
        });
        return;
      }
      const best = candidates.reduce((a, b) => (b.length < a.length ? b : a));
      for (const inner of best) mapZodIssue(inner, segs, input, out);
      return;
    }
    default:
      out.push({ segs, message: issue.message });
  }
}

// ---- graph -----------------------------------------------------------------------------------

interface StepReference {
  /** Path of the reference inside the step, e.g. `["branches", 0, "next"]`. */
  path: Seg[];
  target: string;
}

/** Every step id a step may continue to, in the order the step lists them. */
export function stepReferences(step: Step): StepReference[] {
  switch (step.type) {
    case 'wait':
      return [
        { path: ['next'], target: step.next },
        ...(step.onUnknown === undefined ? [] : [{ path: ['onUnknown'], target: step.onUnknown }]),
        ...(step.onNewCycle === undefined ? [] : [{ path: ['onNewCycle'], target: step.onNewCycle }]),
      ];
    case 'send':
    case 'update':
    case 'webhook':
      return [{ path: ['next'], target: step.next }];
    case 'waitForEvent':
      return [
        ...step.outcomes.map((o, i) => ({ path: ['outcomes', i, 'next'], target: o.next })),
        { path: ['onTimeout'], target: step.onTimeout },
      ];
    case 'branch':
      return [
        ...step.branches.map((b, i) => ({ path: ['branches', i, 'next'], target: b.next })),
        { path: ['else'], target: step.else },
      ];
    case 'split':
      return step.arms.map((a, i) => ({ path: ['arms', i, 'next'], target: a.next }));
    case 'exit':
      return [];
  }
}

/**
 * A step that certainly lets time pass before continuing: a `duration` or `yearly` wait or a `waitForEvent` (positive
 * timeout). `until`, `window` and `depletion` waits return at once when the date has passed / the window is open, so they do not count.
 */
function passesTime(step: Step): boolean {
  // A yearly wait always ends strictly after it started; a depletion wait ends at once when the date has passed.
  return (
    step.type === 'waitForEvent' || (step.type === 'wait' && (step.duration !== undefined || step.yearly !== undefined))
  );
}

function hasOwnStep(steps: Record<string, Step>, id: string): boolean {
  return Object.hasOwn(steps, id);
}

function checkGraph(def: JourneyDefinition, out: RawIssue[]): void {
  const { steps } = def;
  const ids = Object.keys(steps);
  const startExists = hasOwnStep(steps, def.start);
  if (!startExists) out.push({ segs: ['start'], message: `start "${def.start}" is not a step` });

  const refs = new Map<string, StepReference[]>();
  for (const id of ids) {
    const step = steps[id] as Step;
    const valid: StepReference[] = [];
    for (const ref of stepReferences(step)) {
      if (hasOwnStep(steps, ref.target)) valid.push(ref);
      else out.push({ segs: ['steps', id, ...ref.path], message: `references unknown step "${ref.target}"` });
    }
    refs.set(id, valid);
  }

  if (startExists) {
    const reached = new Set<string>([def.start]);
    const queue = [def.start];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (const ref of refs.get(id) ?? []) {
        if (reached.has(ref.target)) continue;
        reached.add(ref.target);
        queue.push(ref.target);
      }
    }
    for (const id of ids) {
      if (!reached.has(id))
        out.push({ segs: ['steps', id], message: `unreachable: no path from start "${def.start}" leads here` });
    }
  }

  // Loops that pass no time: cycles among steps that do not pass time. Iterative DFS over that subgraph; every
  // back edge closes such a loop and is reported at the reference that closes it.
  const state = new Map<string, 'active' | 'done'>();
  const roots = startExists ? [def.start, ...ids.filter((i) => i !== def.start)] : ids;
  for (const root of roots) {
    if (state.has(root) || passesTime(steps[root] as Step)) continue;
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const outgoing = refs.get(frame.id) ?? [];
      const ref = outgoing[frame.next];
      if (ref === undefined) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      frame.next++;
      if (passesTime(steps[ref.target] as Step)) continue;
      const seen = state.get(ref.target);
      if (seen === 'active') {
        const from = stack.findIndex((f) => f.id === ref.target);
        const loop = [...stack.slice(from).map((f) => f.id), ref.target];
        const untimedWait = loop.find((id) => (steps[id] as Step).type === 'wait');
        const hint =
          untimedWait !== undefined
            ? `; its until/window wait ("${untimedWait}") returns at once when the date has passed or the window is open`
            : '';
        out.push({
          segs: ['steps', frame.id, ...ref.path],
          message: `loop without a wait: ${loop.map((s) => `"${s}"`).join(' → ')} repeats with no time passing${hint}; add a duration wait or a waitForEvent to the loop`,
        });
      } else if (seen === undefined) {
        state.set(ref.target, 'active');
        stack.push({ id: ref.target, next: 0 });
      }
    }
  }
}

// ---- conditions and filters ------------------------------------------------------------------

const eventRoots = ['name', 'properties', 'id', 'timestamp'] as const;
const customerRoots = ['traits', 'tags', 'aiplStage', 'timeZone'] as const;
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

function checkPathRoot(path: string, roots: Roots, what: string): string | undefined {
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
  if (pa) return !pa.some((v) => compare(v, b.op, b.value));
  const pb = pinned(b);
  if (pb) return !pb.some((v) => compare(v, a.op, a.value));
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
function checkConditionList(
  items: ListItem[],
  roots: Roots,
  what: string,
  ctx: ValidationContext,
  out: RawIssue[],
  context: ListItem[] = [],
): void {
  const constraints: Constraint[] = [];
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
    if (c) constraints.push(c);
  }
  for (const item of items) {
    const c = toConstraint(item, true);
    if (!c) continue;
    const other = constraints.find((p) => p.key === c.key && contradicts(p, c));
    if (other)
      out.push({ segs: c.segs, message: `never matches together with ${formatJsonPath(other.segs)} (${other.text})` });
    constraints.push(c);
  }
}

function listItems(conditions: readonly Condition[] | undefined, segs: Seg[]): ListItem[] {
  return (conditions ?? []).map((condition, i) => ({ condition, segs: [...segs, i] }));
}

const eventWhat = 'event filters';
const customerWhat = 'customer conditions';

// ---- the other checks ------------------------------------------------------------------------

function checkDuplicateIds(items: readonly { id: string }[], segs: Seg[], out: RawIssue[]): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const earlier = first.get(item.id);
    if (earlier === undefined) first.set(item.id, i);
    else out.push({ segs: [...segs, i, 'id'], message: `duplicate id "${item.id}" (also at [${earlier}])` });
  });
}

function checkWindow(w: { start: string; end: string }, segs: Seg[], out: RawIssue[]): void {
  if (w.start === w.end)
    out.push({
      segs,
      message: `start and end are both "${w.start}": empty or all day is ambiguous; give different times`,
    });
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}

function checkStep(id: string, step: Step, def: JourneyDefinition, ctx: ValidationContext, out: RawIssue[]): void {
  const at: Seg[] = ['steps', id];
  switch (step.type) {
    case 'wait':
      if (step.window) checkWindow(step.window, [...at, 'window'], out);
      if (step.until) {
        // The workflow reads `until` dates from `{ ...customer facts, entry: entry event }`.
        const attribute = step.until.attribute;
        const problem = checkPathRoot(attribute, ['traits', 'entry'], 'wait dates');
        if (problem) out.push({ segs: [...at, 'until', 'attribute'], message: problem });
        else if (attribute.startsWith('entry.') && def.entry.type !== 'event' && def.entry.type !== 'date')
          out.push({
            segs: [...at, 'until', 'attribute'],
            message: `"${attribute}" reads the entry event, but a "${def.entry.type}" entry has none`,
          });
      }
      if (step.depletion) {
        const serial = step.depletion.serial;
        const problem = checkPathRoot(serial, ['entry'], 'device serials');
        if (problem) out.push({ segs: [...at, 'depletion', 'serial'], message: problem });
        else if (def.entry.type !== 'event')
          out.push({
            segs: [...at, 'depletion', 'serial'],
            message: `"${serial}" reads the entry event, but a "${def.entry.type}" entry has none: a depletion wait needs an event entry carrying the device serial`,
          });
      }
      if (step.yearly && step.yearly.day > maxDayOfMonth(step.yearly.month))
        out.push({
          segs: [...at, 'yearly', 'day'],
          message: `month ${step.yearly.month} never has a day ${step.yearly.day}`,
        });
      return;
    case 'waitForEvent': {
      if (ctx.knownEvents && !ctx.knownEvents.has(step.event))
        out.push({ segs: [...at, 'event'], message: `unknown event "${step.event}"` });
      const filter = listItems(step.filter, [...at, 'filter']);
      checkConditionList(filter, eventRoots, eventWhat, ctx, out);
      checkDuplicateIds(step.outcomes, [...at, 'outcomes'], out);
      const catchAll = step.outcomes.findIndex((o) => !o.when || o.when.length === 0);
      step.outcomes.forEach((o, k) => {
        if (catchAll >= 0 && k > catchAll)
          out.push({
            segs: [...at, 'outcomes', k],
            message: `never matches: outcomes[${catchAll}] has no "when" and takes every event first; put the catch-all last`,
          });
        checkConditionList(listItems(o.when, [...at, 'outcomes', k, 'when']), eventRoots, eventWhat, ctx, out, filter);
      });
      return;
    }
    case 'branch':
      checkDuplicateIds(step.branches, [...at, 'branches'], out);
      step.branches.forEach((b, k) =>
        checkConditionList(
          listItems(b.when, [...at, 'branches', k, 'when']),
          def.entry.type === 'event' || def.entry.type === 'date' ? [...customerRoots, 'entry'] : customerRoots,
          customerWhat,
          ctx,
          out,
        ),
      );
      return;
    case 'split':
      checkDuplicateIds(step.arms, [...at, 'arms'], out);
      if (step.arms.every((a) => a.holdout === true))
        out.push({
          segs: [...at, 'arms'],
          message: 'every arm is a holdout: at least one arm must continue the journey',
        });
      return;
    case 'send':
      if (ctx.knownTemplates && !ctx.knownTemplates.has(step.template))
        out.push({ segs: [...at, 'template'], message: `unknown template "${step.template}"` });
      checkConditionList(listItems(step.onlyIf, [...at, 'onlyIf']), customerRoots, customerWhat, ctx, out);
      return;
    case 'update':
    case 'webhook':
    case 'exit':
      return;
  }
}

function checkMeaning(def: JourneyDefinition, ctx: ValidationContext, out: RawIssue[]): void {
  const { entry } = def;
  if (entry.type === 'event') {
    if (ctx.knownEvents && !ctx.knownEvents.has(entry.event))
      out.push({ segs: ['entry', 'event'], message: `unknown event "${entry.event}"` });
    checkConditionList(listItems(entry.filter, ['entry', 'filter']), eventRoots, eventWhat, ctx, out);
  }
  if (entry.type === 'segment' && ctx.knownSegments && !ctx.knownSegments.has(entry.segment))
    out.push({ segs: ['entry', 'segment'], message: `unknown segment "${entry.segment}"` });

  if (def.concurrencyKey) {
    if (entry.type !== 'event' && entry.type !== 'date')
      out.push({
        segs: ['concurrencyKey'],
        message: `concurrencyKey reads the entry event, but a "${entry.type}" entry has none: use an event or date entry`,
      });
    else
      def.concurrencyKey.forEach((p, i) => {
        const problem = checkPathRoot(p, eventRoots, 'entry-event paths');
        if (problem) out.push({ segs: ['concurrencyKey', i], message: problem });
      });
  }

  checkDuplicateIds(def.goals, ['goals'], out);
  def.goals.forEach((goal, i) => {
    if (ctx.knownEvents && !ctx.knownEvents.has(goal.event))
      out.push({ segs: ['goals', i, 'event'], message: `unknown event "${goal.event}"` });
    checkConditionList(listItems(goal.filter, ['goals', i, 'filter']), eventRoots, eventWhat, ctx, out);
    if (goal.matchEntry) {
      if (entry.type !== 'event')
        out.push({
          segs: ['goals', i, 'matchEntry'],
          message: `matchEntry compares with the entry event, but a "${entry.type}" entry has none: use an event entry`,
        });
      else
        goal.matchEntry.forEach((p, k) => {
          const problem = checkPathRoot(p, eventRoots, 'event paths');
          if (problem) out.push({ segs: ['goals', i, 'matchEntry', k], message: problem });
        });
    }
  });

  const { settings } = def;
  if (!isValidTimeZone(settings.timeZone))
    out.push({
      segs: ['settings', 'timeZone'],
      message: `unknown time zone ${show(settings.timeZone)} (use an IANA name such as "Asia/Shanghai")`,
    });
  if (settings.quietHours) checkWindow(settings.quietHours, ['settings', 'quietHours'], out);

  for (const [id, step] of Object.entries(def.steps)) checkStep(id, step, def, ctx, out);
}

// ---- entry points ----------------------------------------------------------------------------

/** Validates a definition (as parsed from JSON/YAML). All issues are reported, sorted by path. */
export function validateJourney(input: unknown, ctx: ValidationContext = {}): ValidationResult {
  const parsed = journeyDefinitionSchema.safeParse(input);
  const raw: RawIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) mapZodIssue(issue, [], input, raw);
    return { ok: false, issues: sortIssues(raw) };
  }
  checkGraph(parsed.data, raw);
  checkMeaning(parsed.data, ctx, raw);
  if (raw.length > 0) return { ok: false, issues: sortIssues(raw) };
  return { ok: true, definition: parsed.data };
}

/** A syntax error in a definition file; `line` and `column` are 1-based and also in the message. */
export class JourneyParseError extends Error {
  override readonly name = 'JourneyParseError';
  readonly format: 'json' | 'yaml';
  readonly line: number;
  readonly column: number;
  constructor(format: 'json' | 'yaml', line: number, column: number, reason: string) {
    super(`${format === 'json' ? 'JSON' : 'YAML'} syntax error at line ${line}, column ${column}: ${reason}`);
    this.format = format;
    this.line = line;
    this.column = column;
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Offset of the first JSON syntax error in `text` (engines word and place JSON.parse errors differently, so the
 * position is found here). Returns -1 when the text is valid JSON.
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  class Fail {
    constructor(readonly at: number) {}
  }
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const expect = (s: string) => {
    for (const ch of s) {
      if (text[i] !== ch) throw new Fail(i);
      i++;
    }
  };
  const string = () => {
    expect('"');
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < ' ') throw new Fail(i);
      i++;
      if (ch === '"') return;
      if (ch === '\\') {
        const esc = text[i];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Fail(i);
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
        else throw new Fail(i);
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) throw new Fail(i);
    i += m[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else throw new Fail(i);
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else throw new Fail(i);
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return expect('true');
    if (ch === 'f') return expect('false');
    if (ch === 'n') return expect('null');
    return number();
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (e) {
    if (e instanceof Fail) return e.at;
    throw e;
  }
}

/** Parses a definition file. Throws a `JourneyParseError` (with line and column) on a syntax error. */
export function parseJourneyText(text: string, format: 'json' | 'yaml'): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      const offset = jsonErrorOffset(text);
      const { line, column } = lineColumn(text, offset < 0 ? text.length : offset);
      const ch = offset < 0 ? undefined : text[offset];
      const found = ch === undefined ? 'unexpected end of input' : `unexpected character '${ch}'`;
      throw new JourneyParseError('json', line, column, e instanceof Error && offset < 0 ? e.message : found);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? lineColumnOf(text, error.pos[0]);
    const reason = error.message.split(/ at line \d+, column \d+/)[0] ?? error.message;
    throw new JourneyParseError('yaml', pos.line, pos.col, reason);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new JourneyParseError('yaml', 1, 1, e instanceof Error ? e.message : String(e));
  }
}

function lineColumnOf(text: string, offset: number): { line: number; col: number } {
  const { line, column } = lineColumn(text, offset);
  return { line, col: column };
}
