/**
 * Lead nurturing over the decision window. A lead (`lead_captured`: a store visit, a registration
 * without purchase, an ad response) names a product category; a buyer of that category takes about
 * its decision window to decide (phones 41 days, large appliances 25). Touches are spread over the
 * window (`spreadTouches`), each in the customer's local morning; the first touch moves an aware
 * lead to "interest"; a 10 % holdout gets nothing (the baseline the nurture is judged against);
 * a purchase in the category ends it at once, and it ends at the window's end.
 *
 * Why one journey per category: branch conditions read the customer, not the entry event
 * (domain/journey/conditions.ts), so one journey cannot choose a chain by the lead's category.
 * The install therefore generates `lead-nurture-<category>` from the decision-window table, each
 * entering on `lead_captured` filtered by its category and with its own dated chain.
 *
 * Event names: entry `lead_captured` with `properties.category` and `properties.source`; the goal
 * is the Segment-spec `Order Completed` (the ingest path's name) with a line of the category among
 * its first five `products` (`properties.products.N.category`; a filter reads one path, hence five goals).
 */
import { z } from 'zod';
import type { JourneyDefinitionInput } from '../../domain/journey/definition';
import { spreadTouches } from '../../domain/time/decision';
import type { TemplateBody } from '../../domain/messaging/template-body';
import { categorySlug as slug, categorySlugMessage, displayName } from '../categories';
import { InstallParameterError, type InstallContext, type LibraryJourney, type PlannedJourney } from '../types';

const ZONE = 'Asia/Shanghai';
/** Local morning: when people read about a purchase they are weighing. */
export const NURTURE_SEND_WINDOW = { start: '09:00', end: '11:00' };
/** Lines of an order the goal looks at (a filter reads one path). */
const ORDER_LINES_CHECKED = 5;
const MAX_TOUCHES = 3;

export const leadNurtureParameters = z
  .object({
    /** Days per category, overriding `product_categories.decision_window_days` (and adding categories). */
    decisionWindows: z.record(z.string().regex(slug, categorySlugMessage), z.number().int().min(2).max(365)).optional(),
    /** Only these categories (default: every category with a decision window). */
    categories: z.array(z.string().regex(slug, categorySlugMessage)).min(1).optional(),
    /** Share of leads held out as the control group, in percent. */
    holdoutPercent: z.number().int().min(1).max(50).default(10),
  })
  .strict();
export type LeadNurtureParameters = z.infer<typeof leadNurtureParameters>;

/** Whole days after entry of each touch: `spreadTouches` at a UTC reference instant (no DST there), divided into days. */
export function touchDays(windowDays: number): number[] {
  const reference = new Date(Date.UTC(2000, 0, 1));
  const touches = Math.min(MAX_TOUCHES, windowDays - 1);
  return spreadTouches(reference, windowDays, touches, 'UTC').map((d) =>
    Math.round((d.getTime() - reference.getTime()) / 86_400_000),
  );
}

// ---- copy -----------------------------------------------------------------------------------

type Copy = { subject: string; text: string };
const hello = {
  en: 'Hi{{#if customer.firstName}} {{customer.firstName}}{{/if}},',
  'zh-CN': '{{#if customer.firstName}}{{customer.firstName}}，{{/if}}您好！',
};
const signOff = {
  en: '{{#if links.unsubscribe}}\n\nNot interested any more? Unsubscribe: {{links.unsubscribe}}{{/if}}',
  'zh-CN': '{{#if links.unsubscribe}}\n\n不想再收到此类邮件？退订：{{links.unsubscribe}}{{/if}}',
};

/** Three themes over a decision: how to choose, what owners say, a reason to decide now. */
const themes: ((name: { en: string; 'zh-CN': string }) => { en: Copy; 'zh-CN': Copy })[] = [
  (n) => ({
    en: {
      subject: `Choosing a new ${n.en}? Start with these three questions`,
      text: `${hello.en}\n\nThanks for your interest in our ${n.en}s. Picking the right one comes down to three questions: what you will use it for every day, how long you expect to keep it, and what it costs to run over those years.\n\nOur side-by-side guide answers all three for every model in the range, so you can shortlist in five minutes rather than five evenings.\n\nTake your time. We are here when you have questions: reply to this email and a product specialist will answer.`,
    },
    'zh-CN': {
      subject: `挑选${n['zh-CN']}，先想清楚这三个问题`,
      text: `${hello['zh-CN']}\n\n感谢您关注我们的${n['zh-CN']}。选对一款，其实只需想清楚三件事：每天主要用来做什么、打算用几年、这几年的使用成本是多少。\n\n我们整理了全系型号的对比指南，把这三个问题逐一讲透，五分钟就能列出您的候选清单。\n\n不着急，慢慢比较。有任何疑问，直接回复这封邮件，产品顾问会为您解答。`,
    },
  }),
  (n) => ({
    en: {
      subject: `What owners say after a year with their ${n.en}`,
      text: `${hello.en}\n\nSpecifications tell you what a ${n.en} can do; owners tell you what it is like to live with. We asked customers who have had theirs for a year what surprised them, what they use most, and what they would choose again.\n\nRead their reviews, or see the models in person: any of our stores will let you try them, with no pressure to buy.`,
    },
    'zh-CN': {
      subject: `用了一年，${n['zh-CN']}用户怎么说`,
      text: `${hello['zh-CN']}\n\n参数告诉您一台${n['zh-CN']}能做什么，真实用户告诉您它用起来怎么样。我们请使用满一年的老用户分享了他们的惊喜、最常用的功能，以及如果重选一次会不会还选它。\n\n欢迎阅读真实评价，也可以到附近门店亲手体验——只看不买，同样欢迎。`,
    },
  }),
  (n) => ({
    en: {
      subject: `Ready to decide? Free delivery on your ${n.en} this week`,
      text: `${hello.en}\n\nIf you are close to a decision, this week is a good time: your new ${n.en} comes with free delivery and set-up, and a 30-day no-questions return.\n\nTrading in an old one? We will take it away and credit its value against your order.\n\nStill comparing? That is fine too: our specialists are one reply away.`,
    },
    'zh-CN': {
      subject: `决定好了吗？本周购买${n['zh-CN']}免费送货上门`,
      text: `${hello['zh-CN']}\n\n如果您已经心中有数，本周下单正是时候：新${n['zh-CN']}免费送货、免费安装，30 天无理由退货。\n\n有旧机要换？我们上门回收，折价直接抵扣货款。\n\n还在比较也没关系，回复这封邮件，产品顾问随时为您解答。`,
    },
  }),
];

function touchTemplate(name: { en: string; 'zh-CN': string }, theme: number): TemplateBody {
  const copy = themes[theme]!(name);
  return {
    channel: 'email',
    defaultLocale: 'zh-CN',
    locales: {
      'zh-CN': { subject: copy['zh-CN'].subject, text: copy['zh-CN'].text + signOff['zh-CN'] },
      en: { subject: copy.en.subject, text: copy.en.text + signOff.en },
    },
    variables: { traits: ['firstName'], event: [] },
    layout: null,
    providerTemplateId: null,
  };
}

// ---- definition -----------------------------------------------------------------------------

export function templateId(category: string, touch: number): string {
  return `lead-nurture-${category}-${touch}`;
}

/** The nurture for one category and decision window, with its templates. */
export function nurtureJourney(
  category: string,
  windowDays: number,
  options: { holdoutPercent?: number; displayName?: { en: string; 'zh-CN': string } } = {},
): PlannedJourney {
  const name = options.displayName ?? displayName(category);
  const days = touchDays(windowDays);
  const themeOffset = MAX_TOUCHES - days.length;
  const holdout = options.holdoutPercent ?? 10;
  const steps: JourneyDefinitionInput['steps'] = {
    'stage-check': {
      type: 'branch',
      branches: [
        { id: 'no-stage', when: [{ kind: 'attribute', path: 'aiplStage', op: 'notExists' }], next: 'stage-awareness' },
      ],
      else: 'holdout-split',
    },
    'stage-awareness': { type: 'update', aiplStage: 'awareness', next: 'holdout-split' },
    'holdout-split': {
      type: 'split',
      arms: [
        { id: 'nurture', weight: 100 - holdout, next: 'touch-1-day' },
        { id: 'holdout', weight: holdout, holdout: true, next: 'window-end' },
      ],
    },
    'window-end': { type: 'wait', until: { attribute: 'entry.timestamp', offset: { days: windowDays } }, next: 'done' },
    done: { type: 'exit', reason: 'decision-window-ended' },
  };
  const templates: Record<string, TemplateBody> = {};
  days.forEach((day, i) => {
    const k = i + 1;
    const last = k === days.length;
    const after = last ? 'window-end' : k === 1 ? 'interest-check' : `touch-${k + 1}-day`;
    steps[`touch-${k}-day`] = {
      type: 'wait',
      until: { attribute: 'entry.timestamp', offset: { days: day } },
      next: `touch-${k}-morning`,
    };
    steps[`touch-${k}-morning`] = { type: 'wait', window: NURTURE_SEND_WINDOW, next: `touch-${k}` };
    steps[`touch-${k}`] = {
      type: 'send',
      channel: 'email',
      template: templateId(category, k),
      kind: 'marketing',
      topic: 'promotions',
      next: after,
    };
    templates[templateId(category, k)] = touchTemplate(name, themeOffset + i);
  });
  if (days.length > 1) {
    steps['interest-check'] = {
      type: 'branch',
      branches: [
        {
          id: 'aware',
          when: [{ kind: 'attribute', path: 'aiplStage', op: 'eq', value: 'awareness' }],
          next: 'stage-interest',
        },
      ],
      else: 'touch-2-day',
    };
    steps['stage-interest'] = { type: 'update', aiplStage: 'interest', next: 'touch-2-day' };
  }
  const definition: JourneyDefinitionInput = {
    name: `Lead nurture: ${name.en} (${windowDays}-day decision window)`,
    description: `Touches on days ${days.join(', ')} after the lead, in the local morning; ${holdout}% holdout; exits on an order with a ${category} line or after ${windowDays} days.`,
    entry: {
      type: 'event',
      event: 'lead_captured',
      filter: [{ kind: 'attribute', path: 'properties.category', op: 'eq', value: category }],
    },
    reentry: { mode: 'afterExit' },
    goals: Array.from({ length: ORDER_LINES_CHECKED }, (_, line) => ({
      id: `purchased-line-${line + 1}`,
      event: 'Order Completed',
      filter: [
        {
          kind: 'attribute' as const,
          path: `properties.products.${line}.category`,
          op: 'eq' as const,
          value: category,
        },
      ],
    })),
    settings: { timeZone: ZONE, quietHours: { start: '21:00', end: '08:00' }, goalWindow: { days: windowDays } },
    start: 'stage-check',
    steps,
  };
  return { id: `lead-nurture-${category}`, definition, templates };
}

function plan(raw: unknown, context: InstallContext): PlannedJourney[] {
  const parameters = leadNurtureParameters.parse(raw ?? {});
  const windows = new Map<string, number>();
  const names = new Map(context.categories.map((c) => [c.id, c.name]));
  for (const c of context.categories)
    if (c.decisionWindowDays !== null && c.decisionWindowDays >= 2 && slug.test(c.id))
      windows.set(c.id, c.decisionWindowDays);
  for (const [category, days] of Object.entries(parameters.decisionWindows ?? {})) windows.set(category, days);
  const chosen = parameters.categories ?? [...windows.keys()].sort();
  const missing = chosen.flatMap((category, i) =>
    windows.has(category)
      ? []
      : [{ path: ['categories', i], message: `no decision window for "${category}": give it in decisionWindows` }],
  );
  if (missing.length) throw new InstallParameterError(missing);
  if (chosen.length === 0)
    throw new InstallParameterError([
      {
        path: ['decisionWindows'],
        message: 'no category has a decision window in the catalog: give decisionWindows, e.g. {"phone": 41}',
      },
    ]);
  return chosen.map((category) => {
    return nurtureJourney(category, windows.get(category)!, {
      holdoutPercent: parameters.holdoutPercent,
      displayName: displayName(category, names.get(category)),
    });
  });
}

const phone = nurtureJourney('phone', 41);

export const leadNurture: LibraryJourney = {
  id: 'lead-nurture',
  title: { en: 'Lead nurturing over the decision window', 'zh-CN': '决策周期内的线索培育' },
  summary: {
    en: 'A lead from a store visit, registration or ad response gets three touches spread over its category’s decision window (phones 41 days, large appliances 25), in the local morning; the first moves them to “interest”; 10% are held out; a purchase in the category ends it. One journey per category, from the decision-window table.',
    'zh-CN':
      '门店到访、注册未购或广告响应产生的线索，在其品类的决策周期内（手机 41 天、大家电 25 天）分三次于当地上午触达；首次触达后 AIPL 阶段升至“兴趣”；保留 10% 对照组；在该品类下单即退出。按决策周期表为每个品类生成一条旅程。',
  },
  events: ['lead_captured', 'Order Completed'],
  definition: phone.definition,
  templates: phone.templates,
  parameters: leadNurtureParameters,
  plan,
};
