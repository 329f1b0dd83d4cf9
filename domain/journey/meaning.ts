/**
 * The meaning of a structurally valid definition: references to templates, events and segments, the entry,
 * goals and settings, and each step's own rules (duplicate ids, windows, dates the step can read, ...).
 */
import { maxDayOfMonth } from '../time/yearly';
import {
  checkConditionList,
  checkPathRoot,
  customerRoots,
  customerWhat,
  eventRoots,
  eventWhat,
  listItems,
} from './condition-checks';
import type { JourneyDefinition, Step } from './definition';
import { show, type RawIssue, type Seg, type ValidationContext } from './issues';

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

export function checkMeaning(def: JourneyDefinition, ctx: ValidationContext, out: RawIssue[]): void {
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
